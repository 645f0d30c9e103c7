// Conv kinds compiled vs the reference interpreter at the borders: grouped
// with stride 2, dilation and asymmetric padding on odd sizes; depthwise;
// a channel multiplier; an unfolded batch norm; 20 output channels (not
// whole vectors); a mean over the spatial dims.
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.random.RandomState(2).randn(2, 4, 11, 9).astype(np.float32))"
// RUN: repc %s --no-fold --run --input=%t.x.npy --output=%t.ref.npy
// RUN: repc %s --no-fold -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.npy --threads=2
// RUN: %compare %t.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// CHECK: OK
// The threads share the output rows of both images, image-major: one
// forall over (n, oh) for the first conv's 2x5 rows.
// RUN: repc %s --no-fold -o %t.sched.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=SCHED
// SCHED: transform.structured.tile_using_forall %{{.*}} num_threads [2, 5, 0, 0, 0, 0, 0]
func.func @main(%x: tensor<2x4x11x9xf32>) -> tensor<2x20x1x1xf32> {
  %w1 = rep.constant dense<0.1> : tensor<6x2x3x3xf32>
  %b1 = rep.constant dense<[0.1, -0.2, 0.3, 0.0, 0.5, -0.6]> : tensor<6xf32>
  %g = rep.conv2d %x, %w1, %b1 {dilations = array<i64: 2, 1>, groups = 2 : i64, pads = array<i64: 1, 0, 2, 1>, strides = array<i64: 2, 2>} : (tensor<2x4x11x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x5x4xf32>
  %w2 = rep.constant dense<[[[[1.0, -1.0, 0.5]]], [[[0.2, 0.3, 0.4]]], [[[-0.5, 0.5, 1.0]]], [[[1.0, 1.0, 1.0]]], [[[0.0, 2.0, 0.0]]], [[[0.1, 0.1, -0.1]]]]> : tensor<6x1x1x3xf32>
  %d = rep.conv2d %g, %w2 {dilations = array<i64: 1, 1>, groups = 6 : i64, pads = array<i64: 0, 1, 0, 1>, strides = array<i64: 1, 1>} : (tensor<2x6x5x4xf32>, tensor<6x1x1x3xf32>) -> tensor<2x6x5x4xf32>
  %w3 = rep.constant dense<0.3> : tensor<12x1x3x3xf32>
  %m = rep.conv2d %d, %w3 {dilations = array<i64: 1, 1>, groups = 6 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x6x5x4xf32>, tensor<12x1x3x3xf32>) -> tensor<2x12x5x4xf32>
  %s = rep.constant dense<1.5> : tensor<12xf32>
  %sh = rep.constant dense<0.25> : tensor<12xf32>
  %mu = rep.constant dense<0.1> : tensor<12xf32>
  %var = rep.constant dense<2.0> : tensor<12xf32>
  %bn = rep.batch_norm %m, %s, %sh, %mu, %var {epsilon = 1.0e-05 : f32} : (tensor<2x12x5x4xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<2x12x5x4xf32>
  %w4 = rep.constant dense<0.05> : tensor<20x12x3x3xf32>
  %c = rep.conv2d %bn, %w4 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x12x5x4xf32>, tensor<20x12x3x3xf32>) -> tensor<2x20x5x4xf32>
  %r = rep.reduce_mean %c {axes = array<i64: 2, 3>, keepdims = true} : (tensor<2x20x5x4xf32>) -> tensor<2x20x1x1xf32>
  return %r : tensor<2x20x1x1xf32>
}
