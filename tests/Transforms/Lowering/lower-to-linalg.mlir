// RUN: rep-opt %s -rep-lower-to-linalg -split-input-file -verify-diagnostics | FileCheck %s

// A conv runs channels-last: one copy in, HWCF weights, the bias as the
// accumulator's start, relu in the conv's layout, one copy out.
// CHECK-LABEL: func.func @conv_relu
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x3x8x8xf32>) outs(%{{.*}} : tensor<1x8x8x3xf32>) permutation = [0, 2, 3, 1]
// CHECK: tensor.pad
// CHECK: linalg.broadcast ins(%{{.*}} : tensor<16xf32>) outs(%{{.*}} : tensor<1x8x8x16xf32>)
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}}ins(%{{.*}}, %{{.*}} : tensor<1x10x10x3xf32>, tensor<3x3x3x16xf32>)
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x8x8x16xf32>) outs(%{{.*}} : tensor<1x16x8x8xf32>) permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @conv_relu(%x: tensor<1x3x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %w = rep.constant dense<0.5> : tensor<16x3x3x3xf32>
  %b = rep.constant dense<0.1> : tensor<16xf32>
  %y = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x8x8xf32>
  %r = rep.relu %y : tensor<1x16x8x8xf32>
  return %r : tensor<1x16x8x8xf32>
}

// -----

// A pointwise conv is a matmul over all positions, rows from N, H and W
// together; the output channels are padded to a whole vector (20 -> 32)
// and sliced off after. A strided one stays a conv.
// CHECK-LABEL: func.func @pointwise
// CHECK: %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3]] : tensor<2x5x3x4xf32> into tensor<30x4xf32>
// CHECK: %[[B:.*]] = linalg.broadcast ins(%{{.*}} : tensor<32xf32>) outs(%{{.*}} : tensor<30x32xf32>)
// CHECK: %[[M:.*]] = linalg.matmul ins(%[[X]], %{{.*}} : tensor<30x4xf32>, tensor<4x32xf32>) outs(%[[B]] : tensor<30x32xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[M]] {{\[}}[0, 1, 2], [3]] output_shape [2, 5, 3, 32]
// CHECK: tensor.extract_slice %[[E]][0, 0, 0, 0] [2, 5, 3, 20]
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}}strides = dense<2>
func.func @pointwise(%x: tensor<2x4x5x3xf32>) -> (tensor<2x20x5x3xf32>, tensor<2x20x3x2xf32>) {
  %w = rep.constant dense<0.5> : tensor<20x4x1x1xf32>
  %b = rep.constant dense<0.1> : tensor<20xf32>
  %y = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x4x5x3xf32>, tensor<20x4x1x1xf32>, tensor<20xf32>) -> tensor<2x20x5x3xf32>
  %s = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<2x4x5x3xf32>, tensor<20x4x1x1xf32>, tensor<20xf32>) -> tensor<2x20x3x2xf32>
  return %y, %s : tensor<2x20x5x3xf32>, tensor<2x20x3x2xf32>
}

// -----

// Transposing a conv output to channels-last (ConvMLP) costs no copy: the
// data already is; the fc then reduces along the contiguous dim.
// CHECK-LABEL: func.func @free_transpose
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x16xf32>, tensor<16x16xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x16xf32>, tensor<16x32xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @free_transpose(%x: tensor<1x16x8x8xf32>) -> tensor<1x8x8x32xf32> {
  %w = rep.constant dense<0.5> : tensor<16x16x1x1xf32>
  %y = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x8x8xf32>
  %t = rep.transpose %y {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x16x8x8xf32>) -> tensor<1x8x8x16xf32>
  %fw = rep.constant dense<0.25> : tensor<32x16xf32>
  %f = rep.fc %t, %fw : (tensor<1x8x8x16xf32>, tensor<32x16xf32>) -> tensor<1x8x8x32xf32>
  return %f : tensor<1x8x8x32xf32>
}

// -----

// Token mixing (ResMLP): the fc over a transposed dim multiplies from the
// left, [tokens', tokens] x [tokens, channels], with no copy either way.
// CHECK-LABEL: func.func @token_mixing
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x8xf32>, tensor<8x32xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @token_mixing(%x: tensor<1x8x32xf32>) -> tensor<1x8x32xf32> {
  %t = rep.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<1x8x32xf32>) -> tensor<1x32x8xf32>
  %w = rep.constant dense<0.125> : tensor<8x8xf32>
  %f = rep.fc %t, %w : (tensor<1x32x8xf32>, tensor<8x8xf32>) -> tensor<1x32x8xf32>
  %u = rep.transpose %f {perm = array<i64: 0, 2, 1>} : (tensor<1x32x8xf32>) -> tensor<1x8x32xf32>
  return %u : tensor<1x8x32xf32>
}

// -----

// An fc over 197 rows (prime: no register block of 4 to 8 rows divides
// it) multiplies 200 rows, the last 3 zero, and slices the 197 back.
// CHECK-LABEL: func.func @prime_rows
// CHECK: tensor.pad %{{.*}} low[0, 0] high[3, 0]
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<200x8xf32>, tensor<8x16xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [197, 4] [1, 1] : tensor<200x16xf32> to tensor<197x4xf32>
func.func @prime_rows(%x: tensor<197x8xf32>) -> tensor<197x4xf32> {
  %w = rep.constant dense<0.125> : tensor<4x8xf32>
  %y = rep.fc %x, %w : (tensor<197x8xf32>, tensor<4x8xf32>) -> tensor<197x4xf32>
  return %y : tensor<197x4xf32>
}

// -----

// Depthwise convs use the named depthwise op; other groupings a generic
// over [groups, channels per group]; grouped pointwise convs (RepMLPNet's
// FCs) a batch of matmuls, group-major, with the per-group output channels
// padded to a whole vector (5 -> 16) and sliced off after.
// CHECK-LABEL: func.func @groups
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK: tensor.expand_shape {{.*}} into tensor<1x6x6x2x8xf32>
// CHECK: linalg.generic
// CHECK-SAME: "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"
// CHECK: %[[X:.*]] = linalg.transpose ins(%{{.*}} : tensor<36x2x8xf32>) outs(%{{.*}} : tensor<2x36x8xf32>) permutation = [1, 0, 2]
// CHECK: %[[B:.*]] = linalg.broadcast ins(%{{.*}} : tensor<2x16xf32>) outs(%{{.*}} : tensor<2x36x16xf32>) dimensions = [1]
// CHECK: %[[M:.*]] = linalg.batch_matmul ins(%[[X]], %{{.*}} : tensor<2x36x8xf32>, tensor<2x8x16xf32>) outs(%[[B]] : tensor<2x36x16xf32>)
// CHECK: %[[S:.*]] = tensor.extract_slice %[[M]][0, 0, 0] [2, 36, 5] [1, 1, 1]
// CHECK: linalg.transpose ins(%[[S]] : tensor<2x36x5xf32>) outs(%{{.*}} : tensor<36x2x5xf32>) permutation = [1, 0, 2]
func.func @groups(%x: tensor<1x16x6x6xf32>) -> tensor<1x10x6x6xf32> {
  %w = rep.constant dense<0.5> : tensor<16x1x3x3xf32>
  %d = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 16 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x16x6x6xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x6x6xf32>
  %w2 = rep.constant dense<0.5> : tensor<16x8x3x3xf32>
  %g = rep.conv2d %d, %w2 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x16x6x6xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x6x6xf32>
  %w3 = rep.constant dense<0.25> : tensor<10x8x1x1xf32>
  %b3 = rep.constant dense<0.1> : tensor<10xf32>
  %p = rep.conv2d %g, %w3, %b3 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x16x6x6xf32>, tensor<10x8x1x1xf32>, tensor<10xf32>) -> tensor<1x10x6x6xf32>
  return %p : tensor<1x10x6x6xf32>
}

// -----

// Only constant weights compile.
func.func @runtime_weight(%x: tensor<1x3x4x4xf32>, %w: tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @+1 {{conv weight must be a constant to compile}}
  %y = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @runtime_fc(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{fc weight and bias must be constants to compile}}
  %y = rep.fc %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @runtime_affine(%x: tensor<1x2x4x4xf32>, %s: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  %t = rep.constant dense<0.0> : tensor<2xf32>
  // expected-error @+1 {{affine scale and shift must be constants to compile}}
  %y = rep.channel_affine %x, %s, %t {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @runtime_bn(%x: tensor<1x2x4x4xf32>, %v: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  %c = rep.constant dense<1.0> : tensor<2xf32>
  // expected-error @+1 {{batch norm statistics must be constants to compile}}
  %y = rep.batch_norm %x, %c, %c, %c, %v {epsilon = 1.0e-05 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @runtime_ln(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> {
  %b = rep.constant dense<0.0> : tensor<4xf32>
  // expected-error @+1 {{layer norm scale and bias must be constants to compile}}
  %y = rep.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
