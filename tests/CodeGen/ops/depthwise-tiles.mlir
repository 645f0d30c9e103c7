// A depthwise conv's register block is one vector of channels wide and up
// to 8 output columns deep (as deep as divides the row), so each input
// vector serves up to 8 taps of the kernel row and a GELU epilogue runs on
// 8 registers. Both convs match the interpreter on 2 threads, built for
// the host and for AVX2; the schedules are checked for AVX-512 and AVX2
// targets whatever the host.
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.random.RandomState(3).randn(1, 48, 9, 24).astype(np.float32))"
// RUN: repc %s --run --input=%t.x.npy --output=%t.ref.npy
// RUN: repc %s --cpu=x86-64-v4 -o %t.v4.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=AVX512
// RUN: repc %s -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.npy --threads=2
// RUN: %compare %t.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// RUN: repc %s --cpu=x86-64-v3 -o %t.v3.so --rep-print-scheduled 2>&1 | FileCheck %s --check-prefix=AVX2
// RUN: rep-run %t.v3.so --input=%t.x.npy --output=%t.v3.npy --threads=2
// RUN: %compare %t.v3.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// CHECK: OK
// The 7x7 conv's 24 columns: 8 x 1 zmm (8 x 1 ymm on AVX2), with kw
// whole; the stride-2 3x3 conv's 12 columns: 6 deep (with no epilogue,
// its block and its kh step are one tiling).
// AVX512: tile_using_for %{{.*}} tile_sizes [0, 0, 8, 16]
// AVX512: tile_using_for %{{.*}} tile_sizes [0, 0, 0, 0, 1, 0]
// AVX512: tile_using_for %{{.*}} tile_sizes [0, 0, 6, 16, 1, 0]
// AVX2: tile_using_for %{{.*}} tile_sizes [0, 0, 8, 8]
// AVX2: tile_using_for %{{.*}} tile_sizes [0, 0, 6, 8, 1, 0]
func.func @main(%x: tensor<1x48x9x24xf32>) -> tensor<1x48x5x12xf32> {
  // Filters that differ by tap and by channel: taps times a per-channel
  // scale, folded to constants.
  %t7 = rep.constant dense<[[[[-0.034, 0.16, 0.099, -0.15, -0.196, 0.117, 0.11], [0.033, 0.068, 0.11, -0.142, 0.165, 0.089, -0.032], [0.072, -0.184, -0.058, -0.101, 0.188, -0.024, -0.128], [-0.191, -0.061, -0.119, -0.184, -0.044, -0.114, -0.155], [0.14, 0.104, -0.057, 0.108, 0.087, 0.106, 0.086], [0.171, -0.158, 0.077, 0.123, -0.07, -0.102, 0.084], [-0.138, 0.087, 0.103, -0.149, 0.094, -0.183, 0.052]]]]> : tensor<1x1x7x7xf32>
  %t3 = rep.constant dense<[[[[0.392, -0.053, -0.239], [-0.258, 0.075, 0.294], [-0.323, 0.423, -0.474]]]]> : tensor<1x1x3x3xf32>
  %s = rep.constant dense<[1.357, 0.534, 1.033, 1.297, 1.475, 0.774, 0.669, 1.377, 1.409, 0.698, 0.942, 1.219, 1.345, 0.668, 1.165, 1.308, 1.05, 0.665, 0.536, 0.782, 1.308, 0.545, 0.508, 0.862, 0.564, 0.649, 0.523, 1.025, 1.197, 0.927, 0.635, 0.831, 1.09, 1.441, 1.493, 0.742, 0.511, 1.331, 1.427, 0.959, 1.271, 1.366, 1.11, 1.373, 0.524, 0.772, 0.777, 0.621]> : tensor<48xf32>
  %s4 = rep.reshape %s {shape = array<i64: 48, 1, 1, 1>} : (tensor<48xf32>) -> tensor<48x1x1x1xf32>
  %w7 = rep.mul %t7, %s4 : (tensor<1x1x7x7xf32>, tensor<48x1x1x1xf32>) -> tensor<48x1x7x7xf32>
  %w3 = rep.mul %t3, %s4 : (tensor<1x1x3x3xf32>, tensor<48x1x1x1xf32>) -> tensor<48x1x3x3xf32>
  %b = rep.constant dense<[-0.183, -0.016, -0.138, 0.024, -0.079, 0.089, -0.044, -0.109, 0.112, 0.07, -0.15, 0.04, -0.047, 0.077, 0.082, 0.049, 0.185, -0.167, -0.03, 0.08, -0.054, 0.096, 0.063, -0.105, 0.185, -0.083, -0.134, 0.123, -0.153, 0.022, 0.152, 0.19, -0.125, 0.065, -0.138, -0.145, -0.135, 0.038, 0.195, 0.192, -0.091, -0.123, -0.018, -0.198, 0.166, -0.131, 0.155, -0.046]> : tensor<48xf32>
  %c = rep.conv2d %x, %w7, %b {dilations = array<i64: 1, 1>, groups = 48 : i64, pads = array<i64: 3, 3, 3, 3>, strides = array<i64: 1, 1>} : (tensor<1x48x9x24xf32>, tensor<48x1x7x7xf32>, tensor<48xf32>) -> tensor<1x48x9x24xf32>
  %g = rep.gelu %c : tensor<1x48x9x24xf32>
  %d = rep.conv2d %g, %w3 {dilations = array<i64: 1, 1>, groups = 48 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x48x9x24xf32>, tensor<48x1x3x3xf32>) -> tensor<1x48x5x12xf32>
  return %d : tensor<1x48x5x12xf32>
}
