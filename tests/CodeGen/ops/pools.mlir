// Pools at the borders compiled vs the reference interpreter: ceil mode
// with a window hanging past the input, average pools with and without the
// padding in the divisor, on odd sizes.
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.random.RandomState(0).randn(2, 5, 9, 11).astype(np.float32))"
// RUN: repc %s --run --input=%t.x.npy --output=%t.ref.npy
// RUN: repc %s -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.npy --threads=2
// RUN: %compare %t.npy %t.ref.npy --tolerance=1e-6 | FileCheck %s
// CHECK: OK
func.func @main(%x: tensor<2x5x9x11xf32>) -> tensor<2x5x5x6xf32> {
  %m = rep.max_pool %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true} : (tensor<2x5x9x11xf32>) -> tensor<2x5x4x5xf32>
  %a = rep.avg_pool %m {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<2x5x4x5xf32>) -> tensor<2x5x4x5xf32>
  %b = rep.avg_pool %a {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = true} : (tensor<2x5x4x5xf32>) -> tensor<2x5x5x6xf32>
  return %b : tensor<2x5x5x6xf32>
}
