// RUN: rep-opt %s -rep-copy-to-linalg -split-input-file | FileCheck %s
// RUN: rep-opt %s -rep-copy-to-linalg=loops=false -split-input-file | FileCheck %s --check-prefix=GPU
// Numerically: every compiled model whose bufferization copies (pads of
// values with other users, views) runs these copies; CodeGen/Models and
// CodeGen/ops compare their outputs.

// A copy inside a kernel's loops (a tile written into a padded buffer)
// becomes sequential loops too, not a call into MLIR's runner utilities
// and not a parallel loop (a nested OpenMP region per tile); for the GPU a
// linalg.copy.
// CHECK-LABEL: func @in_a_loop
// GPU-LABEL: func @in_a_loop
// GPU: linalg.copy
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.load %{{.*}} : memref<4x8xf32, strided<[16, 1]>>
// CHECK: memref.store %{{.*}} : memref<4x8xf32>
func.func @in_a_loop(%a: memref<4x8xf32, strided<[16, 1]>>, %b: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    memref.copy %a, %b : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  }
  return
}

// -----

// A whole-buffer copy and fill between kernels become sequential loops,
// which LLVM vectorizes (as parallel loops they would become one collapsed
// OpenMP loop).
// CHECK-LABEL: func @top_level
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.store %{{.*}} : memref<4x8xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.load %{{.*}} : memref<4x8xf32, strided<[16, 1]>>
// CHECK: memref.store
// For the GPU (loops=false) both stay linalg ops, which become parallel
// loops and then kernels.
// GPU-LABEL: func @top_level
// GPU: linalg.map outs(%{{.*}} : memref<4x8xf32>)
// GPU: linalg.copy ins(%{{.*}} : memref<4x8xf32, strided<[16, 1]>>) outs(%{{.*}} : memref<4x8xf32>)
// GPU-NOT: scf.for
func.func @top_level(%a: memref<4x8xf32, strided<[16, 1]>>, %b: memref<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.map outs(%b : memref<4x8xf32>)
    () {
      linalg.yield %zero : f32
    }
  memref.copy %a, %b : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  return
}
