// RUN: rep-opt %s -rep-normalize-linear -split-input-file -mlir-print-debuginfo | FileCheck %s
// RUN: rep-opt %s -rep-normalize-linear -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// Numerically: every case, folded by the whole pipeline, within 1e-5.
// RUN: repc %s --verify --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// NUM-COUNT-12: verify @

// BN becomes an affine with its own epsilon: t = 2 / sqrt(3 + 1) = 1,
// shift = 0.5 - 1 * 1 = -0.5; t = 1 / sqrt(0 + 1) = 1, shift = 0 - 2 = -2.
// CHECK-LABEL: func @batch_norm
// CHECK-DAG: %[[S:.*]] = rep.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK-DAG: %[[T:.*]] = rep.constant dense<[-5.000000e-01, -2.000000e+00]> : tensor<2xf32>
// CHECK: rep.channel_affine %arg0, %[[S]], %[[T]] {axis = 1 : i64} {{.*}} loc(#[[BN:.*]])
// CHECK: #[[BN]] = loc("bn")
func.func @batch_norm(%x: tensor<2x2x5x3xf32>) -> tensor<2x2x5x3xf32> {
  %g = rep.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %b = rep.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %m = rep.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %v = rep.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %y = rep.batch_norm %x, %g, %b, %m, %v {epsilon = 1.0 : f32} : (tensor<2x2x5x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x2x5x3xf32> loc("bn")
  return %y : tensor<2x2x5x3xf32>
}

// -----

// ResMLP's Affine (Mul then Add by a per-channel vector on the last axis)
// is one affine along axis 2.
// CHECK-LABEL: func @resmlp_affine
// CHECK-DAG: %[[S:.*]] = rep.constant dense<[5.000000e-01, 2.000000e+00, 1.500000e+00]>
// CHECK-DAG: %[[T:.*]] = rep.constant dense<[1.000000e-01, 0.000000e+00, -1.000000e-01]>
// CHECK: %[[A:.*]] = rep.channel_affine %arg0, %[[S]], %[[T]] {axis = 2 : i64}
// CHECK-NEXT: return %[[A]]
func.func @resmlp_affine(%x: tensor<2x5x3xf32>) -> tensor<2x5x3xf32> {
  %alpha = rep.constant dense<[0.5, 2.0, 1.5]> : tensor<3xf32>
  %beta = rep.constant dense<[0.1, 0.0, -0.1]> : tensor<3xf32>
  %0 = rep.mul %alpha, %x : (tensor<3xf32>, tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %1 = rep.add %0, %beta : (tensor<2x5x3xf32>, tensor<3xf32>) -> tensor<2x5x3xf32>
  return %1 : tensor<2x5x3xf32>
}

// -----

// c - x is an affine with scale -1, x / c one with scale 1 / c (a scalar
// goes to the channel axis); the two combine.
// CHECK-LABEL: func @sub_div
// CHECK-DAG: %[[S:.*]] = rep.constant dense<-2.500000e-01> : tensor<4xf32>
// CHECK-DAG: %[[T:.*]] = rep.constant dense<[2.500000e-01, 5.000000e-01, 7.500000e-01, 1.000000e+00]>
// CHECK: %[[A:.*]] = rep.channel_affine %arg0, %[[S]], %[[T]] {axis = 1 : i64}
// CHECK-NEXT: return %[[A]]
func.func @sub_div(%x: tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %c = rep.constant dense<[[[1.0]], [[2.0]], [[3.0]], [[4.0]]]> : tensor<4x1x1xf32>
  %d = rep.constant dense<4.0> : tensor<f32>
  %0 = rep.sub %c, %x : (tensor<4x1x1xf32>, tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>
  %1 = rep.div %0, %d : (tensor<2x4x3x3xf32>, tensor<f32>) -> tensor<2x4x3x3xf32>
  return %1 : tensor<2x4x3x3xf32>
}

// -----

// c / x is not affine, and a constant that varies along two axes is not
// per-channel: both stay.
// CHECK-LABEL: func @not_affine
// CHECK: rep.div
// CHECK: rep.add
// WHY-DAG: rep-normalize-linear: refused at 'recip': c / x is not affine
// WHY-DAG: rep-normalize-linear: refused at 'map': the constant varies along more than one axis
func.func @not_affine(%x: tensor<2x2x2xf32>) -> tensor<2x2x2xf32> {
  %c = rep.constant dense<2.0> : tensor<f32>
  %m = rep.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %0 = rep.div %c, %x : (tensor<f32>, tensor<2x2x2xf32>) -> tensor<2x2x2xf32> loc("recip")
  %1 = rep.add %0, %m : (tensor<2x2x2xf32>, tensor<2x2xf32>) -> tensor<2x2x2xf32> loc("map")
  return %1 : tensor<2x2x2xf32>
}

// -----

// Two affines on one axis combine, with a fused location.
// CHECK-LABEL: func @combine
// CHECK-DAG: %[[S:.*]] = rep.constant dense<[6.000000e+00, -2.000000e+00]>
// CHECK-DAG: %[[T:.*]] = rep.constant dense<[7.000000e+00, 1.000000e+00]>
// CHECK: rep.channel_affine %arg0, %[[S]], %[[T]] {axis = 1 : i64} {{.*}} loc(#[[F:.*]])
// CHECK: #[[F]] = loc(fused<"fold-batch-norm">[#{{.*}}, #{{.*}}])
func.func @combine(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %s1 = rep.constant dense<[2.0, -1.0]> : tensor<2xf32>
  %t1 = rep.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %s2 = rep.constant dense<[3.0, 2.0]> : tensor<2xf32>
  %t2 = rep.constant dense<[4.0, 1.0]> : tensor<2xf32>
  %0 = rep.channel_affine %x, %s1, %t1 {axis = 1 : i64} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32> loc("a1")
  %1 = rep.channel_affine %0, %s2, %t2 {axis = 1 : i64} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32> loc("a2")
  return %1 : tensor<3x2xf32>
}

// -----

// timm's ResMLP Affine, torch.addcmul(beta, alpha, x) with (1,1,dim)
// parameters, exports as alpha * x, then * 1 (addcmul's value), then
// beta + _: the `* 1` vanishes and the rest is one affine on axis 2.
// CHECK-LABEL: func @addcmul_affine
// CHECK-DAG: %[[S:.*]] = rep.constant dense<[5.000000e-01, 2.000000e+00, 1.500000e+00]>
// CHECK-DAG: %[[T:.*]] = rep.constant dense<[1.000000e-01, 0.000000e+00, -1.000000e-01]>
// CHECK: %[[A:.*]] = rep.channel_affine %arg0, %[[S]], %[[T]] {axis = 2 : i64}
// CHECK-NEXT: return %[[A]]
func.func @addcmul_affine(%x: tensor<2x5x3xf32>) -> tensor<2x5x3xf32> {
  %alpha = rep.constant dense<[[[0.5, 2.0, 1.5]]]> : tensor<1x1x3xf32>
  %one = rep.constant dense<1.0> : tensor<1xf32>
  %beta = rep.constant dense<[[[0.1, 0.0, -0.1]]]> : tensor<1x1x3xf32>
  %0 = rep.mul %alpha, %x : (tensor<1x1x3xf32>, tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %1 = rep.mul %0, %one : (tensor<2x5x3xf32>, tensor<1xf32>) -> tensor<2x5x3xf32>
  %2 = rep.add %beta, %1 : (tensor<1x1x3xf32>, tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  return %2 : tensor<2x5x3xf32>
}

// -----

// A scalar scale (an attention scale) is the same map on every axis: it
// combines with an affine on the last axis, on either side of it. Two
// affines on different axes that both vary stay two.
// CHECK-LABEL: func @uniform_any_axis
// CHECK-DAG: %[[S:.*]] = rep.constant dense<[1.000000e+00, 4.000000e+00, 3.000000e+00]>
// CHECK-DAG: %[[T:.*]] = rep.constant dense<[1.000000e+00, 0.000000e+00, 5.000000e-01]>
// CHECK: %[[A:.*]] = rep.channel_affine %arg0, %[[S]], %[[T]] {axis = 2 : i64}
// CHECK: %[[B:.*]] = rep.channel_affine %[[A]], %{{.*}}, %{{.*}} {axis = 1 : i64}
// CHECK-NEXT: return %[[B]]
// WHY: rep-normalize-linear: refused at 'per_token': the affines are on different axes and neither is uniform
func.func @uniform_any_axis(%x: tensor<2x5x3xf32>) -> tensor<2x5x3xf32> {
  %two = rep.constant dense<2.0> : tensor<f32>
  %alpha = rep.constant dense<[0.5, 2.0, 1.5]> : tensor<3xf32>
  %beta = rep.constant dense<[1.0, 0.0, 0.5]> : tensor<3xf32>
  %tok = rep.constant dense<[[1.0], [2.0], [3.0], [4.0], [5.0]]> : tensor<5x1xf32>
  %0 = rep.mul %x, %two : (tensor<2x5x3xf32>, tensor<f32>) -> tensor<2x5x3xf32>
  %1 = rep.mul %0, %alpha : (tensor<2x5x3xf32>, tensor<3xf32>) -> tensor<2x5x3xf32>
  %2 = rep.add %1, %beta : (tensor<2x5x3xf32>, tensor<3xf32>) -> tensor<2x5x3xf32>
  %3 = rep.mul %2, %tok : (tensor<2x5x3xf32>, tensor<5x1xf32>) -> tensor<2x5x3xf32> loc("per_token")
  return %3 : tensor<2x5x3xf32>
}

// -----

// A MatMul by a constant (nn.Linear on 3-D input) is an fc with the
// transposed weight.
// CHECK-LABEL: func @matmul
// CHECK: %[[W:.*]] = rep.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00, 5.000000e+00], [2.000000e+00, 4.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK: rep.fc %arg0, %[[W]] : (tensor<2x5x3xf32>, tensor<2x3xf32>) -> tensor<2x5x2xf32>
func.func @matmul(%x: tensor<2x5x3xf32>) -> tensor<2x5x2xf32> {
  %w = rep.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %y = rep.matmul %x, %w : (tensor<2x5x3xf32>, tensor<3x2xf32>) -> tensor<2x5x2xf32>
  return %y : tensor<2x5x2xf32>
}

// -----

// A zero pad of H and W moves into the conv's pads (asymmetric, stride 2).
// CHECK-LABEL: func @pad_into_conv
// CHECK: rep.conv2d %arg0, %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 2, 1, 1, 3>, strides = array<i64: 2, 2>}
// CHECK-NOT: rep.pad
func.func @pad_into_conv(%x: tensor<1x2x5x4xf32>) -> tensor<1x3x3x3xf32> {
  %w = rep.constant dense<0.25> : tensor<3x2x3x3xf32>
  %p = rep.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 3>, value = 0.0 : f32} : (tensor<1x2x5x4xf32>) -> tensor<1x2x7x8xf32>
  %y = rep.conv2d %p, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x7x8xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  return %y : tensor<1x3x3x3xf32>
}

// -----

// A pad with a nonzero value stays.
// CHECK-LABEL: func @pad_value
// CHECK: rep.pad
// WHY-DAG: rep-normalize-linear: refused at 'padded_conv': the pad value is not zero
func.func @pad_value(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = rep.constant dense<0.5> : tensor<2x2x3x3xf32>
  %p = rep.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 1.0 : f32} : (tensor<1x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  %y = rep.conv2d %p, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x5x5xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x3x3xf32> loc("padded_conv")
  return %y : tensor<1x2x3x3xf32>
}

// -----

// An avg-pool on a branch is a depthwise conv of 1/(kh*kw) when padding
// counts (or there is none); without count_include_pad it stays.
// CHECK-LABEL: func @avg_pool
// CHECK-DAG: %[[K:.*]] = rep.constant dense<0.166666672> : tensor<3x1x3x2xf32>
// CHECK-DAG: rep.conv2d %arg0, %[[K]] {dilations = array<i64: 1, 1>, groups = 3 : i64, pads = array<i64: 1, 0, 1, 1>, strides = array<i64: 1, 2>}
// CHECK-DAG: rep.avg_pool %arg0 {ceil_mode = false, count_include_pad = false
// WHY-DAG: rep-normalize-linear: refused at 'exclusive': count_include_pad=0 with padding divides border windows by fewer elements: not a conv
func.func @avg_pool(%x: tensor<2x3x5x5xf32>) -> tensor<2x3x5x3xf32> {
  %a = rep.avg_pool %x {ceil_mode = false, count_include_pad = true, kernel = array<i64: 3, 2>, pads = array<i64: 1, 0, 1, 1>, strides = array<i64: 1, 2>} : (tensor<2x3x5x5xf32>) -> tensor<2x3x5x3xf32>
  %b = rep.avg_pool %x {ceil_mode = false, count_include_pad = false, kernel = array<i64: 3, 2>, pads = array<i64: 1, 0, 1, 1>, strides = array<i64: 1, 2>} : (tensor<2x3x5x5xf32>) -> tensor<2x3x5x3xf32> loc("exclusive")
  %y = rep.add %a, %b : (tensor<2x3x5x3xf32>, tensor<2x3x5x3xf32>) -> tensor<2x3x5x3xf32>
  return %y : tensor<2x3x5x3xf32>
}

// -----

// A pool whose one unpadded window covers the 7x5 map, read by the SE
// conv, is a global average (a reduction), not a 7x5 depthwise conv; the
// same pool feeding an add stays for AvgPoolToConv (a merge may need it).
// CHECK-LABEL: func @whole_map_pool
// CHECK: %[[G:.*]] = rep.global_avg_pool %arg0 {{.*}} loc(#[[SE:.*]])
// CHECK: rep.conv2d %[[G]]
// CHECK: rep.conv2d %arg0, %{{.*}} {dilations = array<i64: 1, 1>, groups = 3 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK: #[[SE]] = loc("se_pool")
// WHY-DAG: rep-normalize-linear: refused at 'branch_pool': feeds a branch merge: kept for AvgPoolToConv
func.func @whole_map_pool(%x: tensor<2x3x7x5xf32>) -> (tensor<2x3x1x1xf32>, tensor<2x3x1x1xf32>) {
  %p = rep.avg_pool %x {ceil_mode = false, count_include_pad = false, kernel = array<i64: 7, 5>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x3x7x5xf32>) -> tensor<2x3x1x1xf32> loc("se_pool")
  %w = rep.constant dense<[[[[0.5]], [[-1.0]], [[2.0]]], [[[1.0]], [[0.25]], [[-0.5]]], [[[0.0]], [[1.5]], [[1.0]]]]> : tensor<3x3x1x1xf32>
  %c = rep.conv2d %p, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x3x1x1xf32>, tensor<3x3x1x1xf32>) -> tensor<2x3x1x1xf32>
  %q = rep.avg_pool %x {ceil_mode = false, count_include_pad = false, kernel = array<i64: 7, 5>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x3x7x5xf32>) -> tensor<2x3x1x1xf32> loc("branch_pool")
  %y = rep.add %q, %c : (tensor<2x3x1x1xf32>, tensor<2x3x1x1xf32>) -> tensor<2x3x1x1xf32>
  return %c, %y : tensor<2x3x1x1xf32>, tensor<2x3x1x1xf32>
}
