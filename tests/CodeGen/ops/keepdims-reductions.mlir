// Reductions that keep their reduced dims (x / (1 + mean(x, -1, keepdim))
// with 32 and 64 lanes, EANet's L1 normalization of a sigmoid after an fc,
// a max over two middle axes and a sum over all) compile and match the
// interpreter on one and two threads. They lower as reductions to the
// kept dims and a reshape: with the ones in the reduction's output map
// (d0, d1, 0), MLIR's tileReductionUsingScf crashed on the 64-lane mean
// after the fc and the vectorizer refused the 32- and 64-lane ones.
// RUN: %python -c "import numpy as np; r = np.random.RandomState(5); [np.save('%t.%%s.npy' %% n, r.randn(*s).astype(np.float32)) for n, s in (('x', (2, 10, 32)), ('y', (2, 10, 64)), ('z', (3, 5, 7, 9)))]"
// RUN: repc %s --no-fold --run --input=%t.x.npy --input=%t.y.npy --input=%t.z.npy --output=%t.r0.npy --output=%t.r1.npy --output=%t.r2.npy --output=%t.r3.npy --output=%t.r4.npy
// RUN: repc %s --no-fold -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --input=%t.y.npy --input=%t.z.npy --output=%t.a0.npy --output=%t.a1.npy --output=%t.a2.npy --output=%t.a3.npy --output=%t.a4.npy --threads=1
// RUN: %compare %t.a0.npy %t.r0.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.a1.npy %t.r1.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.a2.npy %t.r2.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.a3.npy %t.r3.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.a4.npy %t.r4.npy --tolerance=1e-5 | FileCheck %s
// RUN: rep-run %t.so --input=%t.x.npy --input=%t.y.npy --input=%t.z.npy --output=%t.b0.npy --output=%t.b1.npy --output=%t.b2.npy --output=%t.b3.npy --output=%t.b4.npy --threads=2
// RUN: %compare %t.b0.npy %t.r0.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.b1.npy %t.r1.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.b2.npy %t.r2.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.b3.npy %t.r3.npy --tolerance=1e-5 | FileCheck %s
// RUN: %compare %t.b4.npy %t.r4.npy --tolerance=1e-5 | FileCheck %s
// CHECK: OK
func.func @main(%x: tensor<2x10x32xf32>, %y: tensor<2x10x64xf32>, %z: tensor<3x5x7x9xf32>) -> (tensor<2x10x32xf32>, tensor<2x10x64xf32>, tensor<2x10x64xf32>, tensor<3x1x1x9xf32>, tensor<f32>) {
  %one = rep.constant dense<1.0> : tensor<f32>
  %mx = rep.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<2x10x32xf32>) -> tensor<2x10x1xf32>
  %dx = rep.add %mx, %one : (tensor<2x10x1xf32>, tensor<f32>) -> tensor<2x10x1xf32>
  %r0 = rep.div %x, %dx : (tensor<2x10x32xf32>, tensor<2x10x1xf32>) -> tensor<2x10x32xf32>
  %my = rep.reduce_mean %y {axes = array<i64: 2>, keepdims = true} : (tensor<2x10x64xf32>) -> tensor<2x10x1xf32>
  %dy = rep.add %my, %one : (tensor<2x10x1xf32>, tensor<f32>) -> tensor<2x10x1xf32>
  %r1 = rep.div %y, %dy : (tensor<2x10x64xf32>, tensor<2x10x1xf32>) -> tensor<2x10x64xf32>
  %w = rep.constant dense<0.03> : tensor<64x32xf32>
  %b = rep.constant dense<-0.1> : tensor<64xf32>
  %f = rep.fc %x, %w, %b : (tensor<2x10x32xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<2x10x64xf32>
  %s = rep.sigmoid %f : tensor<2x10x64xf32>
  %ms = rep.reduce_mean %s {axes = array<i64: 2>, keepdims = true} : (tensor<2x10x64xf32>) -> tensor<2x10x1xf32>
  %eps = rep.constant dense<1.0e-9> : tensor<f32>
  %ds = rep.add %ms, %eps : (tensor<2x10x1xf32>, tensor<f32>) -> tensor<2x10x1xf32>
  %r2 = rep.div %s, %ds : (tensor<2x10x64xf32>, tensor<2x10x1xf32>) -> tensor<2x10x64xf32>
  %r3 = rep.reduce_max %z {axes = array<i64: 1, 2>, keepdims = true} : (tensor<3x5x7x9xf32>) -> tensor<3x1x1x9xf32>
  %r4 = rep.reduce_sum %z {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<3x5x7x9xf32>) -> tensor<f32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<2x10x32xf32>, tensor<2x10x64xf32>, tensor<2x10x64xf32>, tensor<3x1x1x9xf32>, tensor<f32>
}
