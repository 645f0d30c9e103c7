// Pointwise convs compiled as matmuls vs the reference interpreter at the
// borders: odd sizes (batch 2, 5x3 maps), output channels that are not
// whole vectors (20, groups of 5), a padded 1x1 conv (its output is larger
// than its input), a strided one (still a conv), grouped ones with 3 and 7
// groups and a bias, and ReLU and batch-norm epilogues.
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.random.RandomState(3).randn(2, 21, 5, 3).astype(np.float32))"
// RUN: repc %s --no-fold --run --input=%t.x.npy --output=%t.ref.npy
// RUN: repc %s --no-fold -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.1.npy --threads=1
// RUN: %compare %t.1.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.2.npy --threads=2
// RUN: %compare %t.2.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// CHECK: OK
// The epilogue of the last pointwise conv reads the matmul in 2-D, and the
// schedule fuses it into the matmul's tiles.
// RUN: repc %s --no-fold --emit=linalg | FileCheck %s --check-prefix=LINALG
// LINALG: %[[MM:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<24x14xf32>, tensor<14x32xf32>)
// LINALG-NEXT: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[MM]]
// RUN: repc %s --no-fold -o %t.sched.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=SCHED
// SCHED: transform.structured.match attributes{rep.epilogue = [[ID:[0-9]+]] : i64}
// SCHED: transform.structured.fuse_into_containing_op
func.func @main(%x: tensor<2x21x5x3xf32>) -> tensor<2x32x1x1xf32> {
  %w1 = rep.constant dense<[[[[0.5]], [[-0.25]], [[0.125]], [[0.3]], [[-0.7]], [[0.2]], [[0.9]]], [[[-0.1]], [[0.4]], [[0.6]], [[-0.3]], [[0.05]], [[0.8]], [[-0.5]]], [[[0.2]], [[0.2]], [[-0.6]], [[0.1]], [[0.7]], [[-0.4]], [[0.3]]], [[[0.35]], [[-0.15]], [[0.45]], [[0.25]], [[-0.55]], [[0.65]], [[-0.05]]], [[[0.11]], [[0.22]], [[-0.33]], [[0.44]], [[-0.55]], [[0.66]], [[0.77]]], [[[-0.9]], [[0.8]], [[-0.7]], [[0.6]], [[-0.5]], [[0.4]], [[-0.3]]], [[[0.15]], [[0.25]], [[0.35]], [[-0.45]], [[0.55]], [[-0.65]], [[0.75]]], [[[0.01]], [[-0.02]], [[0.03]], [[-0.04]], [[0.05]], [[-0.06]], [[0.07]]], [[[1.0]], [[-1.0]], [[0.5]], [[-0.5]], [[0.25]], [[-0.25]], [[0.125]]]]> : tensor<9x7x1x1xf32>
  %b1 = rep.constant dense<[0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8, 0.9]> : tensor<9xf32>
  // 3 groups of 7 -> 3: grouped pointwise with a bias.
  %g = rep.conv2d %x, %w1, %b1 {dilations = array<i64: 1, 1>, groups = 3 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x21x5x3xf32>, tensor<9x7x1x1xf32>, tensor<9xf32>) -> tensor<2x9x5x3xf32>
  %r = rep.relu %g : tensor<2x9x5x3xf32>
  // Padded pointwise: 9 -> 20 channels on a 7x5 map.
  %w2 = rep.constant dense<0.15> : tensor<20x9x1x1xf32>
  %b2 = rep.constant dense<-0.05> : tensor<20xf32>
  %p = rep.conv2d %r, %w2, %b2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x9x5x3xf32>, tensor<20x9x1x1xf32>, tensor<20xf32>) -> tensor<2x20x7x5xf32>
  // Strided pointwise stays a conv.
  %w3 = rep.constant dense<0.1> : tensor<14x20x1x1xf32>
  %s = rep.conv2d %p, %w3 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<2x20x7x5xf32>, tensor<14x20x1x1xf32>) -> tensor<2x14x4x3xf32>
  // 7 groups of 2 -> 2, then a dense pointwise to 32.
  %w4 = rep.constant dense<[[[[0.5]], [[-0.5]]], [[[0.25]], [[0.75]]], [[[-0.3]], [[0.6]]], [[[0.9]], [[0.1]]], [[[0.2]], [[-0.8]]], [[[0.4]], [[0.4]]], [[[-0.6]], [[0.3]]], [[[0.7]], [[-0.2]]], [[[0.15]], [[0.35]]], [[[-0.45]], [[0.55]]], [[[0.65]], [[-0.75]]], [[[0.85]], [[0.95]]], [[[-0.05]], [[0.25]]], [[[0.33]], [[-0.66]]]]> : tensor<14x2x1x1xf32>
  %q = rep.conv2d %s, %w4 {dilations = array<i64: 1, 1>, groups = 7 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x14x4x3xf32>, tensor<14x2x1x1xf32>) -> tensor<2x14x4x3xf32>
  %w5 = rep.constant dense<0.05> : tensor<32x14x1x1xf32>
  %o = rep.conv2d %q, %w5 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x14x4x3xf32>, tensor<32x14x1x1xf32>) -> tensor<2x32x4x3xf32>
  // Its epilogue, a ReLU and a batch norm, runs on the matmul's 2-D shape.
  %or = rep.relu %o : tensor<2x32x4x3xf32>
  %bs = rep.constant dense<[1.0, 2.0, 0.5, -1.0, 1.5, 0.25, 3.0, -0.5, 1.0, 2.0, 0.5, -1.0, 1.5, 0.25, 3.0, -0.5, 1.0, 2.0, 0.5, -1.0, 1.0, 2.0, 0.5, -1.0, 1.5, 0.25, 3.0, -0.5, 1.0, 2.0, 0.5, -1.0]> : tensor<32xf32>
  %bb = rep.constant dense<0.3> : tensor<32xf32>
  %bm = rep.constant dense<0.1> : tensor<32xf32>
  %bv = rep.constant dense<0.8> : tensor<32xf32>
  %bn = rep.batch_norm %or, %bs, %bb, %bm, %bv {epsilon = 1.0e-05 : f32} : (tensor<2x32x4x3xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<2x32x4x3xf32>
  %m = rep.reduce_mean %bn {axes = array<i64: 2, 3>, keepdims = true} : (tensor<2x32x4x3xf32>) -> tensor<2x32x1x1xf32>
  return %m : tensor<2x32x1x1xf32>
}
