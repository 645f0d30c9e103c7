// Layout-sensitive ops compiled vs the reference interpreter: a conv
// output (channels-last inside) transposed, sliced with a step, padded,
// concatenated on the channel axis, reshaped, normalized over its last dim
// and multiplied by a broadcast batched matmul.
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.random.RandomState(1).randn(1, 3, 7, 7).astype(np.float32))"
// RUN: repc %s --run --input=%t.x.npy --output=%t.ref.npy
// RUN: repc %s -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.npy
// RUN: %compare %t.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// CHECK: OK
func.func @main(%x: tensor<1x3x7x7xf32>) -> tensor<1x10x5xf32> {
  %w = rep.constant dense<[[[[0.5]], [[-1.0]], [[0.25]]], [[[1.0]], [[0.5]], [[2.0]]]]> : tensor<2x3x1x1xf32>
  %c = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x7x7xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x7x7xf32>
  %t = rep.transpose %c {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x7x7xf32>) -> tensor<1x7x2x7xf32>
  %s = rep.slice %t {starts = array<i64: 0, 1, 0, 0>, sizes = array<i64: 1, 3, 2, 7>, steps = array<i64: 1, 2, 1, 1>} : (tensor<1x7x2x7xf32>) -> tensor<1x3x2x7xf32>
  %p = rep.pad %s {pads = array<i64: 0, 0, 0, 1, 0, 2, 0, 0>, value = 0.5 : f32} : (tensor<1x3x2x7xf32>) -> tensor<1x5x2x8xf32>
  %k = rep.concat %p, %p {axis = 1 : i64} : (tensor<1x5x2x8xf32>, tensor<1x5x2x8xf32>) -> tensor<1x10x2x8xf32>
  %r = rep.reshape %k {shape = array<i64: 1, 10, 16>} : (tensor<1x10x2x8xf32>) -> tensor<1x10x16xf32>
  %g = rep.constant dense<1.5> : tensor<16xf32>
  %be = rep.constant dense<0.1> : tensor<16xf32>
  %n = rep.layer_norm %r, %g, %be {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<1x10x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x10x16xf32>
  %sg = rep.sigmoid %n : tensor<1x10x16xf32>
  %m = rep.constant dense<0.2> : tensor<16x5xf32>
  %y = rep.matmul %sg, %m : (tensor<1x10x16xf32>, tensor<16x5xf32>) -> tensor<1x10x5xf32>
  return %y : tensor<1x10x5xf32>
}
