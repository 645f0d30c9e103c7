// RUN: rep-opt %s -rep-fold-batch-norm -split-input-file -mlir-print-debuginfo | FileCheck %s
// RUN: rep-opt %s -rep-fold-batch-norm -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// Numerically: every case, through the whole pipeline, within 1e-5.
// RUN: repc %s --verify --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// NUM-COUNT-17: verify @

// An affine after a grouped stride-2 conv scales its rows and becomes its
// bias: W' = s W, b' = s b + t. The conv keeps both names.
// CHECK-LABEL: func @after_conv
// CHECK-DAG: %[[W:.*]] = rep.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}-3.000000e+00]]], {{\[\[\[}}5.000000e-01]]], {{\[\[\[}}0.000000e+00]]]]> : tensor<4x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = rep.constant dense<[3.000000e+00, -5.000000e+00, 1.000000e+00, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[Y:.*]] = rep.conv2d %arg0, %[[W]], %[[B]] {{.*}}groups = 2 : i64{{.*}}strides = array<i64: 2, 2>{{.*}} loc(#[[F:.*]])
// CHECK-NEXT: return %[[Y]]
// CHECK-DAG: #[[C:.*]] = loc("conv")
// CHECK-DAG: #[[N:.*]] = loc("bn")
// CHECK: #[[F]] = loc(fused<"fold-batch-norm">[#[[C]], #[[N]]])
func.func @after_conv(%x: tensor<2x2x5x3xf32>) -> tensor<2x4x3x2xf32> {
  %w = rep.constant dense<[[[[1.0]]], [[[1.5]]], [[[0.5]]], [[[0.0]]]]> : tensor<4x1x1x1xf32>
  %b = rep.constant dense<[1.0, 2.0, 0.0, 3.0]> : tensor<4xf32>
  %s = rep.constant dense<[2.0, -2.0, 1.0, 0.0]> : tensor<4xf32>
  %t = rep.constant dense<[1.0, -1.0, 1.0, 1.0]> : tensor<4xf32>
  %c = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<2x2x5x3xf32>, tensor<4x1x1x1xf32>, tensor<4xf32>) -> tensor<2x4x3x2xf32> loc("conv")
  %y = rep.channel_affine %c, %s, %t {axis = 1 : i64} : (tensor<2x4x3x2xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x3x2xf32> loc("bn")
  return %y : tensor<2x4x3x2xf32>
}

// -----

// An affine before an unpadded conv folds into its columns:
// W' = W diag(s), b' = b + W t = 1*2 + 2*(-1) = 0.
// CHECK-LABEL: func @before_unpadded_conv
// CHECK-DAG: %[[W:.*]] = rep.constant dense<{{\[\[\[\[}}2.000000e+00]], {{\[\[}}6.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = rep.constant dense<0.000000e+00> : tensor<1xf32>
// CHECK: rep.conv2d %arg0, %[[W]], %[[B]]
// CHECK-NOT: rep.channel_affine
func.func @before_unpadded_conv(%x: tensor<2x2x3x3xf32>) -> tensor<2x1x3x3xf32> {
  %w = rep.constant dense<[[[[1.0]], [[2.0]]]]> : tensor<1x2x1x1xf32>
  %s = rep.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %t = rep.constant dense<[2.0, -1.0]> : tensor<2xf32>
  %a = rep.channel_affine %x, %s, %t {axis = 1 : i64} : (tensor<2x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x2x3x3xf32>
  %y = rep.conv2d %a, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x2x3x3xf32>, tensor<1x2x1x1xf32>) -> tensor<2x1x3x3xf32>
  return %y : tensor<2x1x3x3xf32>
}

// -----

// Before a zero-padded conv the shift would be missing at the border: the
// affine stays. A scale alone folds.
// CHECK-LABEL: func @before_padded_conv
// CHECK: rep.channel_affine
// CHECK: rep.conv2d
// CHECK-LABEL: func @scale_before_padded_conv
// CHECK-NOT: rep.channel_affine
// CHECK: rep.conv2d %arg0
// WHY: rep-fold-batch-norm: refused at 'shifted': a use reaches no conv or fc that can take it (a nonlinearity, a residual, or a zero-padded conv and a nonzero shift)
func.func @before_padded_conv(%x: tensor<1x2x4x5xf32>) -> tensor<1x2x4x5xf32> {
  %w = rep.constant dense<0.5> : tensor<2x1x3x3xf32>
  %s = rep.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %t = rep.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %a = rep.channel_affine %x, %s, %t {axis = 1 : i64} : (tensor<1x2x4x5xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x5xf32> loc("shifted")
  %y = rep.conv2d %a, %w {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x5xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x5xf32>
  return %y : tensor<1x2x4x5xf32>
}
func.func @scale_before_padded_conv(%x: tensor<1x2x4x5xf32>) -> tensor<1x2x4x5xf32> {
  %w = rep.constant dense<0.5> : tensor<2x1x3x3xf32>
  %s = rep.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %t = rep.constant dense<0.0> : tensor<2xf32>
  %a = rep.channel_affine %x, %s, %t {axis = 1 : i64} : (tensor<1x2x4x5xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x5xf32>
  %y = rep.conv2d %a, %w {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x5xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x5xf32>
  return %y : tensor<1x2x4x5xf32>
}

// -----

// RepMLPNet's fc3 BN: an affine over the S = 2 channels of (N', S, h, w)
// behind a Reshape of a grouped 1x1 conv over (N', S*h*w, 1, 1) is an
// affine over its 18 channels, each value repeated h*w = 9 times.
// CHECK-LABEL: func @behind_reshape
// CHECK: %[[C:.*]] = rep.conv2d %arg0, %{{.*}}, %{{.*}} {{.*}}groups = 2
// CHECK-NEXT: %[[R:.*]] = rep.reshape %[[C]]
// CHECK-NEXT: return %[[R]]
func.func @behind_reshape(%x: tensor<4x18x1x1xf32>) -> tensor<4x2x3x3xf32> {
  %w = rep.constant dense<0.25> : tensor<18x9x1x1xf32>
  %s = rep.constant dense<[2.0, -1.0]> : tensor<2xf32>
  %t = rep.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %c = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<4x18x1x1xf32>, tensor<18x9x1x1xf32>) -> tensor<4x18x1x1xf32>
  %r = rep.reshape %c {shape = array<i64: 4, 2, 3, 3>} : (tensor<4x18x1x1xf32>) -> tensor<4x2x3x3xf32>
  %y = rep.channel_affine %r, %s, %t {axis = 1 : i64} : (tensor<4x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2x3x3xf32>
  return %y : tensor<4x2x3x3xf32>
}

// -----

// A head BN before global average pooling, a flatten and the classifier
// folds into the classifier (RepMLPNet, ConvMixer).
// CHECK-LABEL: func @head
// CHECK-NEXT: %{{.*}} = rep.constant
// CHECK-NEXT: %{{.*}} = rep.constant
// CHECK-NEXT: %[[G:.*]] = rep.global_avg_pool %arg0
// CHECK-NEXT: %[[R:.*]] = rep.reshape %[[G]]
// CHECK-NEXT: %[[Y:.*]] = rep.fc %[[R]]
// CHECK-NEXT: return %[[Y]]
func.func @head(%x: tensor<2x3x5x5xf32>) -> tensor<2x2xf32> {
  %w = rep.constant dense<[[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]> : tensor<2x3xf32>
  %b = rep.constant dense<[0.1, 0.2]> : tensor<2xf32>
  %s = rep.constant dense<[2.0, -1.0, 0.5]> : tensor<3xf32>
  %t = rep.constant dense<[0.5, 1.0, -1.0]> : tensor<3xf32>
  %a = rep.channel_affine %x, %s, %t {axis = 1 : i64} : (tensor<2x3x5x5xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x5x5xf32>
  %g = rep.global_avg_pool %a : (tensor<2x3x5x5xf32>) -> tensor<2x3x1x1xf32>
  %r = rep.reshape %g {shape = array<i64: 2, 3>} : (tensor<2x3x1x1xf32>) -> tensor<2x3xf32>
  %y = rep.fc %r, %w, %b : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// ResMLP's pre-norm before the token-mixing fc (reading the affine's axis
// as rows, behind a transpose): the scale moves after the fc, the shift
// becomes the constant map t (x) rowsum(W) + b.
// CHECK-LABEL: func @token_mixing
// CHECK: %[[T:.*]] = rep.transpose %arg0
// CHECK-NEXT: %[[F:.*]] = rep.fc %[[T]], %{{[^,]*}} :
// CHECK-NEXT: %[[S:.*]] = rep.channel_affine %[[F]], {{.*}} {axis = 1 : i64}
// CHECK-NEXT: %[[M:.*]] = rep.add %[[S]], %{{.*}} : (tensor<2x3x4xf32>, tensor<1x3x4xf32>)
// CHECK-NEXT: return %[[M]]
func.func @token_mixing(%x: tensor<2x5x3xf32>) -> tensor<2x3x4xf32> {
  %w = rep.constant dense<[[1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5, 0.5], [-1.0, 0.0, 0.0, 0.0, 2.0]]> : tensor<4x5xf32>
  %b = rep.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %s = rep.constant dense<[2.0, -1.0, 0.5]> : tensor<3xf32>
  %t = rep.constant dense<[0.5, 1.0, -1.0]> : tensor<3xf32>
  %a = rep.channel_affine %x, %s, %t {axis = 2 : i64} : (tensor<2x5x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x5x3xf32>
  %tr = rep.transpose %a {perm = array<i64: 0, 2, 1>} : (tensor<2x5x3xf32>) -> tensor<2x3x5xf32>
  %y = rep.fc %tr, %w, %b : (tensor<2x3x5xf32>, tensor<4x5xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// An affine that also feeds a ReLU cannot fold into the conv beside it.
// CHECK-LABEL: func @nonlinear_use
// CHECK: rep.channel_affine
// WHY: rep-fold-batch-norm: refused at 'shared': a use reaches no conv or fc
func.func @nonlinear_use(%x: tensor<1x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %w = rep.constant dense<0.5> : tensor<2x2x1x1xf32>
  %s = rep.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %t = rep.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %a = rep.channel_affine %x, %s, %t {axis = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32> loc("shared")
  %c = rep.conv2d %a, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %r = rep.relu %a : tensor<1x2x3x3xf32>
  return %c, %r : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// A layer norm's affine folds into the fc after it: the scale g = [2, -1,
// 0.5] multiplies the fc's columns, W' = W diag(g) = [[2, -1, 0.5], [0,
// -0.5, 0]], and the shift b = [0.5, -1, 0] enters its bias, b' = c + W b
// = [1 + 0.5 - 1 + 0, 0 - 0.5 + 0] = [0.5, -0.5]. The norm keeps unit
// scale and zero bias. The second norm feeds a GELU, which cannot take its
// affine, and the third a token-mixing fc (behind a transpose), whose
// weights mix tokens: both stay whole.
// CHECK-LABEL: func @layer_norm_into_fc
// CHECK-DAG: %[[W:.*]] = rep.constant dense<{{\[\[}}2.000000e+00, -1.000000e+00, 5.000000e-01], [0.000000e+00, -5.000000e-01, 0.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: %[[B:.*]] = rep.constant dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[ONE:.*]] = rep.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK-DAG: %[[ZERO:.*]] = rep.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK: %[[N:.*]] = rep.layer_norm %arg0, %[[ONE]], %[[ZERO]]
// CHECK: rep.fc %[[N]], %[[W]], %[[B]] {{.*}} loc(#[[F:.*]])
// CHECK: rep.layer_norm %arg0, %{{.*}}, %{{.*}} {{.*}} loc(#[[KEPT:.*]])
// CHECK: rep.gelu
// CHECK: rep.layer_norm %arg0, %{{.*}}, %{{.*}} {{.*}} loc(#[[TOK:.*]])
// CHECK-NEXT: rep.transpose
// CHECK-DAG: #[[FC:.*]] = loc("fc")
// CHECK-DAG: #[[LN:.*]] = loc("ln")
// CHECK-DAG: #[[F]] = loc(fused<"fold-batch-norm">[#[[FC]], #[[LN]]])
// CHECK-DAG: #[[KEPT]] = loc("ln_gelu")
// CHECK-DAG: #[[TOK]] = loc("ln_tokens")
// WHY-DAG: rep-fold-batch-norm: refused at 'ln_gelu': a use reaches no fc that can take its affine
// WHY-DAG: rep-fold-batch-norm: refused at 'ln_tokens': a use reaches no fc that can take its affine
func.func @layer_norm_into_fc(%x: tensor<2x5x3xf32>) -> (tensor<2x5x2xf32>, tensor<2x5x3xf32>, tensor<2x3x4xf32>) {
  %g = rep.constant dense<[2.0, -1.0, 0.5]> : tensor<3xf32>
  %b = rep.constant dense<[0.5, -1.0, 0.0]> : tensor<3xf32>
  %n = rep.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x5x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x5x3xf32> loc("ln")
  %w = rep.constant dense<[[1.0, 1.0, 1.0], [0.0, 0.5, 0.0]]> : tensor<2x3xf32>
  %c = rep.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %y = rep.fc %n, %w, %c : (tensor<2x5x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x5x2xf32> loc("fc")
  %m = rep.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x5x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x5x3xf32> loc("ln_gelu")
  %z = rep.gelu %m : tensor<2x5x3xf32>
  %t = rep.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x5x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x5x3xf32> loc("ln_tokens")
  %tt = rep.transpose %t {perm = array<i64: 0, 2, 1>} : (tensor<2x5x3xf32>) -> tensor<2x3x5xf32>
  %wt = rep.constant dense<[[1.0, 0.5, 0.0, -1.0, 2.0], [0.0, 1.0, 1.0, 1.0, 0.0], [0.5, 0.5, 0.5, 0.5, 0.5], [2.0, 0.0, -1.0, 0.0, 1.0]]> : tensor<4x5xf32>
  %u = rep.fc %tt, %wt : (tensor<2x3x5xf32>, tensor<4x5xf32>) -> tensor<2x3x4xf32>
  return %y, %z, %u : tensor<2x5x2xf32>, tensor<2x5x3xf32>, tensor<2x3x4xf32>
}

// -----

// An affine behind two single-use views (the [N, L, C] view of a conv an
// unfold became, with the Linear's bias after it) climbs them one at a
// time and folds into the conv: channel c of the view is the conv's
// channel c.
// CHECK-LABEL: func @affine_through_two_views
// CHECK: %[[C:.*]] = rep.conv2d %arg0, %{{.*}}, %{{.*}} {{.*}} -> tensor<1x2x3x3xf32>
// CHECK-NEXT: %[[R:.*]] = rep.reshape %[[C]]
// CHECK-NEXT: %[[T:.*]] = rep.transpose %[[R]]
// CHECK-NEXT: return %[[T]]
func.func @affine_through_two_views(%x: tensor<1x3x5x5xf32>) -> tensor<1x9x2xf32> {
  %w = rep.constant dense<0.5> : tensor<2x3x3x3xf32>
  %s = rep.constant dense<[2.0, -1.0]> : tensor<2xf32>
  %t = rep.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %c = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x5x5xf32>, tensor<2x3x3x3xf32>) -> tensor<1x2x3x3xf32>
  %r = rep.reshape %c {shape = array<i64: 1, 2, 9>} : (tensor<1x2x3x3xf32>) -> tensor<1x2x9xf32>
  %v = rep.transpose %r {perm = array<i64: 0, 2, 1>} : (tensor<1x2x9xf32>) -> tensor<1x9x2xf32>
  %y = rep.channel_affine %v, %s, %t {axis = 2 : i64} : (tensor<1x9x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x9x2xf32>
  return %y : tensor<1x9x2xf32>
}

// -----

// Attention's scale, (q @ k^T) * 0.5 with q and k slices of one qkv fc:
// the scale moves onto q (the matmul is linear in it), then into the fc
// rows q reads (0-3); the rows k reads (4-7) keep their values.
// CHECK-LABEL: func @attention_scale
// CHECK-DAG: %[[B:.*]] = rep.constant dense<[2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00, 5.000000e+00, 5.000000e+00, 5.000000e+00, 5.000000e+00]>
// CHECK: %[[F:.*]] = rep.fc %arg0, %{{.*}}, %[[B]]
// CHECK-NOT: rep.channel_affine
// CHECK: return
func.func @attention_scale(%x: tensor<2x3x4xf32>) -> tensor<2x3x3xf32> {
  %w = rep.constant dense<[[2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]]> : tensor<8x4xf32>
  %b = rep.constant dense<[4.0, 4.0, 4.0, 4.0, 5.0, 5.0, 5.0, 5.0]> : tensor<8xf32>
  %qk = rep.fc %x, %w, %b : (tensor<2x3x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  %q = rep.slice %qk {sizes = array<i64: 2, 3, 4>, starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<2x3x8xf32>) -> tensor<2x3x4xf32>
  %k = rep.slice %qk {sizes = array<i64: 2, 3, 4>, starts = array<i64: 0, 0, 4>, steps = array<i64: 1, 1, 1>} : (tensor<2x3x8xf32>) -> tensor<2x3x4xf32>
  %kt = rep.transpose %k {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  %s = rep.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x3xf32>) -> tensor<2x3x3xf32>
  %c = rep.constant dense<0.5> : tensor<3xf32>
  %z = rep.constant dense<0.0> : tensor<3xf32>
  %y = rep.channel_affine %s, %c, %z {axis = 2 : i64} : (tensor<2x3x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x3xf32>
  return %y : tensor<2x3x3xf32>
}

// -----

// When q and k read overlapping fc rows, scaling q's rows would scale k:
// the scale stays (on q).
// CHECK-LABEL: func @attention_scale_overlap
// CHECK: rep.channel_affine
// WHY: refused at 'overlap': another slice reads the same features
func.func @attention_scale_overlap(%x: tensor<2x3x4xf32>) -> tensor<2x3x3xf32> {
  %w = rep.constant dense<1.5> : tensor<6x4xf32>
  %qk = rep.fc %x, %w : (tensor<2x3x4xf32>, tensor<6x4xf32>) -> tensor<2x3x6xf32>
  %q = rep.slice %qk {sizes = array<i64: 2, 3, 4>, starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<2x3x6xf32>) -> tensor<2x3x4xf32>
  %k = rep.slice %qk {sizes = array<i64: 2, 3, 4>, starts = array<i64: 0, 0, 2>, steps = array<i64: 1, 1, 1>} : (tensor<2x3x6xf32>) -> tensor<2x3x4xf32>
  %kt = rep.transpose %k {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  %s = rep.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x3xf32>) -> tensor<2x3x3xf32>
  %c = rep.constant dense<0.5> : tensor<3xf32>
  %z = rep.constant dense<0.0> : tensor<3xf32>
  %y = rep.channel_affine %s, %c, %z {axis = 2 : i64} : (tensor<2x3x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x3xf32> loc("overlap")
  return %y : tensor<2x3x3xf32>
}

// -----

// Container-Light's mix, conv2(s sa + dw(c)) with sa a matmul of two
// activations and s = 0.25: the add carries s when its other side takes
// 1/s, so the depthwise conv's weights and bias are scaled by 4 and the
// 1x1 conv's columns by 0.25; no affine is left, and the 1x1 conv names
// the scale's node.
// CHECK-LABEL: func @mixing_scale
// CHECK-DAG: %[[DW:.*]] = rep.constant dense<4.000000e+00> : tensor<2x1x3x3xf32>
// CHECK-DAG: %[[DB:.*]] = rep.constant dense<[4.000000e+00, 8.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[PW:.*]] = rep.constant dense<5.000000e-01> : tensor<3x2x1x1xf32>
// CHECK: %[[M:.*]] = rep.matmul %arg0, %arg1
// CHECK: %[[D:.*]] = rep.conv2d %arg2, %[[DW]], %[[DB]]
// CHECK: %[[S:.*]] = rep.add %[[M]], %[[D]]
// CHECK: %[[Y:.*]] = rep.conv2d %[[S]], %[[PW]], %{{.*}} loc(#[[F:.*]])
// CHECK-NOT: rep.channel_affine
// CHECK: return %[[Y]]
// CHECK-DAG: #[[C2:.*]] = loc("conv2")
// CHECK-DAG: #[[MIX:.*]] = loc("mix")
// CHECK: #[[F]] = loc(fused<"fold-batch-norm">[#[[C2]], #[[MIX]]])
func.func @mixing_scale(%a: tensor<1x2x4x3xf32>, %b: tensor<1x2x3x5xf32>, %c: tensor<1x2x4x5xf32>) -> tensor<1x3x4x5xf32> {
  %m = rep.matmul %a, %b : (tensor<1x2x4x3xf32>, tensor<1x2x3x5xf32>) -> tensor<1x2x4x5xf32>
  %s = rep.constant dense<0.25> : tensor<2xf32>
  %z = rep.constant dense<0.0> : tensor<2xf32>
  %sm = rep.channel_affine %m, %s, %z {axis = 1 : i64} : (tensor<1x2x4x5xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x5xf32> loc("mix")
  %dw = rep.constant dense<1.0> : tensor<2x1x3x3xf32>
  %db = rep.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %d = rep.conv2d %c, %dw, %db {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x5xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x5xf32>
  %sum = rep.add %sm, %d : (tensor<1x2x4x5xf32>, tensor<1x2x4x5xf32>) -> tensor<1x2x4x5xf32>
  %pw = rep.constant dense<2.0> : tensor<3x2x1x1xf32>
  %pb = rep.constant dense<[1.0, 0.0, -1.0]> : tensor<3xf32>
  %y = rep.conv2d %sum, %pw, %pb {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x5xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<1x3x4x5xf32> loc("conv2")
  return %y : tensor<1x3x4x5xf32>
}

// -----

// The full Container block, (alpha A + beta A_static) v with alpha = 0.5:
// the constant beta A_static takes 1/alpha (1 -> 2), alpha passes the
// matmul with v and the heads' transpose and reshape, and folds into the
// fc's columns (1 -> 0.5).
// CHECK-LABEL: func @static_affinity
// CHECK-DAG: %[[ST:.*]] = rep.constant dense<2.000000e+00> : tensor<2x3x3xf32>
// CHECK-DAG: %[[W:.*]] = rep.constant dense<5.000000e-01> : tensor<5x8xf32>
// CHECK: %[[A:.*]] = rep.add %arg0, %[[ST]]
// CHECK: rep.matmul %[[A]], %arg1
// CHECK: rep.fc %{{.*}}, %[[W]]
// CHECK-NOT: rep.channel_affine
// CHECK: return
func.func @static_affinity(%p: tensor<1x2x3x3xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x3x5xf32> {
  %s = rep.constant dense<0.5> : tensor<2xf32>
  %z = rep.constant dense<0.0> : tensor<2xf32>
  %sp = rep.channel_affine %p, %s, %z {axis = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32> loc("alpha")
  %st = rep.constant dense<1.0> : tensor<2x3x3xf32>
  %a = rep.add %sp, %st : (tensor<1x2x3x3xf32>, tensor<2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %m = rep.matmul %a, %v : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %t = rep.transpose %m {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x3x4xf32>) -> tensor<1x3x2x4xf32>
  %r = rep.reshape %t {shape = array<i64: 1, 3, 8>} : (tensor<1x3x2x4xf32>) -> tensor<1x3x8xf32>
  %w = rep.constant dense<1.0> : tensor<5x8xf32>
  %b = rep.constant dense<0.5> : tensor<5xf32>
  %y = rep.fc %r, %w, %b : (tensor<1x3x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<1x3x5xf32>
  return %y : tensor<1x3x5xf32>
}

// -----

// A scale whose add also reads a plain activation (a residual) would need
// a standalone 1/s affine there, and one behind a nonlinearity reaches no
// linear op: both stay.
// CHECK-LABEL: func @scale_refused
// CHECK-COUNT-2: rep.channel_affine
// WHY-DAG: refused at 'residual': an add's other side cannot take the inverse scale
// WHY-DAG: refused at 'relu': the path reaches no conv or fc (a nonlinearity or another op)
func.func @scale_refused(%a: tensor<1x2x3x3xf32>, %b: tensor<1x2x3x3xf32>, %x: tensor<1x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %m = rep.matmul %a, %b : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %s = rep.constant dense<0.5> : tensor<2xf32>
  %z = rep.constant dense<0.0> : tensor<2xf32>
  %sm = rep.channel_affine %m, %s, %z {axis = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32> loc("residual")
  %sum = rep.add %sm, %x : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %w = rep.constant dense<1.0> : tensor<2x2x1x1xf32>
  %y = rep.conv2d %sum, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %n = rep.matmul %b, %a : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %sn = rep.channel_affine %n, %s, %z {axis = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32> loc("relu")
  %r = rep.relu %sn : tensor<1x2x3x3xf32>
  %u = rep.conv2d %r, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %y, %u : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// Container's MixBlock: q, k and v come from one 1x1 conv whose v channels
// (4-5) a depthwise branch also reads directly. The attention scale still
// folds into the conv rows q reads (0-1: 1 -> 0.5, bias 2 -> 1); k's and
// v's rows keep their values.
// CHECK-LABEL: func @attention_scale_conv
// CHECK-DAG: %[[B:.*]] = rep.constant dense<[1.000000e+00, 1.000000e+00, 3.000000e+00, 3.000000e+00, 4.000000e+00, 4.000000e+00]>
// CHECK: rep.conv2d %arg0, %{{.*}}, %[[B]]
// CHECK-NOT: rep.channel_affine
// CHECK: return
func.func @attention_scale_conv(%x: tensor<1x2x2x2xf32>) -> (tensor<1x4x4xf32>, tensor<1x2x2x2xf32>) {
  %w = rep.constant dense<[[[[1.0]], [[1.0]]], [[[1.0]], [[1.0]]], [[[2.0]], [[2.0]]], [[[2.0]], [[2.0]]], [[[3.0]], [[3.0]]], [[[3.0]], [[3.0]]]]> : tensor<6x2x1x1xf32>
  %b = rep.constant dense<[2.0, 2.0, 3.0, 3.0, 4.0, 4.0]> : tensor<6xf32>
  %qkv = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<6x2x1x1xf32>, tensor<6xf32>) -> tensor<1x6x2x2xf32>
  %vc = rep.slice %qkv {sizes = array<i64: 1, 2, 2, 2>, starts = array<i64: 0, 4, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x6x2x2xf32>) -> tensor<1x2x2x2xf32>
  %r = rep.reshape %qkv {shape = array<i64: 1, 6, 4>} : (tensor<1x6x2x2xf32>) -> tensor<1x6x4xf32>
  %t = rep.transpose %r {perm = array<i64: 0, 2, 1>} : (tensor<1x6x4xf32>) -> tensor<1x4x6xf32>
  %q = rep.slice %t {sizes = array<i64: 1, 4, 2>, starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<1x4x6xf32>) -> tensor<1x4x2xf32>
  %k = rep.slice %t {sizes = array<i64: 1, 4, 2>, starts = array<i64: 0, 0, 2>, steps = array<i64: 1, 1, 1>} : (tensor<1x4x6xf32>) -> tensor<1x4x2xf32>
  %kt = rep.transpose %k {perm = array<i64: 0, 2, 1>} : (tensor<1x4x2xf32>) -> tensor<1x2x4xf32>
  %s = rep.matmul %q, %kt : (tensor<1x4x2xf32>, tensor<1x2x4xf32>) -> tensor<1x4x4xf32>
  %c = rep.constant dense<0.5> : tensor<4xf32>
  %z = rep.constant dense<0.0> : tensor<4xf32>
  %y = rep.channel_affine %s, %c, %z {axis = 2 : i64} : (tensor<1x4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32>
  return %y, %vc : tensor<1x4x4xf32>, tensor<1x2x2x2xf32>
}

// -----

// The same when the conv's direct reader takes q's channels (0-1):
// scaling those rows would scale it too, so the scale stays (on q).
// CHECK-LABEL: func @attention_scale_conv_shared
// CHECK: rep.channel_affine
// WHY: refused at 'shared_q': another slice reads the same features
func.func @attention_scale_conv_shared(%x: tensor<1x2x2x2xf32>) -> (tensor<1x4x4xf32>, tensor<1x2x2x2xf32>) {
  %w = rep.constant dense<1.5> : tensor<6x2x1x1xf32>
  %qkv = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<6x2x1x1xf32>) -> tensor<1x6x2x2xf32>
  %vc = rep.slice %qkv {sizes = array<i64: 1, 2, 2, 2>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x6x2x2xf32>) -> tensor<1x2x2x2xf32>
  %r = rep.reshape %qkv {shape = array<i64: 1, 6, 4>} : (tensor<1x6x2x2xf32>) -> tensor<1x6x4xf32>
  %t = rep.transpose %r {perm = array<i64: 0, 2, 1>} : (tensor<1x6x4xf32>) -> tensor<1x4x6xf32>
  %q = rep.slice %t {sizes = array<i64: 1, 4, 2>, starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<1x4x6xf32>) -> tensor<1x4x2xf32>
  %k = rep.slice %t {sizes = array<i64: 1, 4, 2>, starts = array<i64: 0, 0, 2>, steps = array<i64: 1, 1, 1>} : (tensor<1x4x6xf32>) -> tensor<1x4x2xf32>
  %kt = rep.transpose %k {perm = array<i64: 0, 2, 1>} : (tensor<1x4x2xf32>) -> tensor<1x2x4xf32>
  %s = rep.matmul %q, %kt : (tensor<1x4x2xf32>, tensor<1x2x4xf32>) -> tensor<1x4x4xf32>
  %c = rep.constant dense<0.5> : tensor<4xf32>
  %z = rep.constant dense<0.0> : tensor<4xf32>
  %y = rep.channel_affine %s, %c, %z {axis = 2 : i64} : (tensor<1x4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4xf32> loc("shared_q")
  return %y, %vc : tensor<1x4x4xf32>, tensor<1x2x2x2xf32>
}
