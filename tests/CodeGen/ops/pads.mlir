// Padded buffers: three 3x3 convs on same-shaped padded tensors (odd 7x5
// maps, batch 2, 32 channels), the second one's input also feeding a
// residual add, compiled vs the reference interpreter on one and two
// threads.
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.random.RandomState(5).randn(2, 32, 7, 5).astype(np.float32))"
// RUN: repc %s --no-fold --run --input=%t.x.npy --output=%t.ref.npy
// RUN: repc %s --no-fold -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.1.npy --threads=1
// RUN: %compare %t.1.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.2.npy --threads=2
// RUN: %compare %t.2.npy %t.ref.npy --tolerance=1e-5 | FileCheck %s
// CHECK: OK
// Each padded tensor has a buffer of its own: no whole-buffer copies
// between kernels (CSE once merged the same-shaped fills, and
// bufferization copied them apart). The residual-fed value is copied into
// its padded buffer by a threaded copy, not by one thread.
// RUN: repc %s --no-fold -o %t.ir.so --mlir-print-ir-after=rep-plan-memory 2>&1 | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func private @pads_impl
// IR-NOT: memref.copy {{.*}} : memref<2x9x7x32xf32>
// IR-NOT: memref.copy {{.*}} : memref<2x7x5x32xf32
// IR: scf.forall
// IR: memref.copy %{{.*}}, %{{.*}} : memref<1x1x1x32xf32, strided<[1120, 160, 32, 1], offset: ?>> to memref<1x1x1x32xf32, strided<[2016, 224, 32, 1], offset: ?>>
// IR-NOT: memref.copy {{.*}} : memref<2x9x7x32xf32>
// IR-NOT: memref.copy {{.*}} : memref<2x7x5x32xf32
// IR: return
func.func @main(%x: tensor<2x32x7x5xf32>) -> tensor<2x32x7x5xf32> {
  %w = rep.constant dense<0.02> : tensor<32x32x3x3xf32>
  %b = rep.constant dense<0.1> : tensor<32xf32>
  %c1 = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x32x7x5xf32>, tensor<32x32x3x3xf32>, tensor<32xf32>) -> tensor<2x32x7x5xf32>
  %r1 = rep.relu %c1 : tensor<2x32x7x5xf32>
  %c2 = rep.conv2d %r1, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x32x7x5xf32>, tensor<32x32x3x3xf32>, tensor<32xf32>) -> tensor<2x32x7x5xf32>
  %r2 = rep.relu %c2 : tensor<2x32x7x5xf32>
  %c3 = rep.conv2d %r2, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x32x7x5xf32>, tensor<32x32x3x3xf32>) -> tensor<2x32x7x5xf32>
  %s = rep.add %c3, %r2 : (tensor<2x32x7x5xf32>, tensor<2x32x7x5xf32>) -> tensor<2x32x7x5xf32>
  return %s : tensor<2x32x7x5xf32>
}
