// RUN: rep-opt %s -rep-lower-to-loops -cse -split-input-file | FileCheck %s
// Numerically: every compiled model's unscheduled ops (a 3-channel input's
// fill and transpose, global pools, odd-sized elementwise ops) run through
// this pass; CodeGen/Models and CodeGen/ops compare them with PyTorch and
// the reference interpreter.

// A fill of a 3-channel padded input: one parallel loop over its rows,
// which only a one-iteration loop encloses; sequential loops inside.
// CHECK-LABEL: func @fill
// CHECK-NOT: linalg.
// CHECK: scf.for %{{.*}} = %c0 to %c1 step %c1
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0) to (%c225) step (%c1)
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c225 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK: memref.store
// CHECK-NOT: scf.parallel
func.func @fill(%p: memref<1x225x225x3xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%p : memref<1x225x225x3xf32>)
  return
}

// -----

// A global pool: the reduction comes before the channels, so no loop is
// parallel (upstream's lowering forked once per window position).
// CHECK-LABEL: func @pool
// CHECK-NOT: scf.parallel
// CHECK-COUNT-4: scf.for
// CHECK-NOT: scf.parallel
#in = affine_map<(n, h, w, c) -> (n, h, w, c)>
#out = affine_map<(n, h, w, c) -> (n, 0, 0, c)>
func.func @pool(%x: memref<1x7x7x1280xf32>, %y: memref<1x1x1x1280xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%x : memref<1x7x7x1280xf32>) outs(%y : memref<1x1x1x1280xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Inside a kernel's thread split the loops stay sequential: a parallel
// loop there would be a nested OpenMP region forked per iteration.
// CHECK-LABEL: func @nested
// CHECK: scf.forall
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK-NOT: scf.parallel
func.func @nested(%x: memref<2x5x3xf32>, %y: memref<2x5x3xf32>) {
  scf.forall (%i) in (2) {
    %a = memref.subview %x[%i, 0, 0] [1, 5, 3] [1, 1, 1] : memref<2x5x3xf32> to memref<5x3xf32, strided<[3, 1], offset: ?>>
    %b = memref.subview %y[%i, 0, 0] [1, 5, 3] [1, 1, 1] : memref<2x5x3xf32> to memref<5x3xf32, strided<[3, 1], offset: ?>>
    linalg.copy ins(%a : memref<5x3xf32, strided<[3, 1], offset: ?>>) outs(%b : memref<5x3xf32, strided<[3, 1], offset: ?>>)
  }
  return
}

// -----

// A matmul's rows run in parallel; its reduction stays inside.
// CHECK-LABEL: func @matmul
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c64) step (%c1)
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c48 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c8 step %c1
func.func @matmul(%a: memref<64x8xf32>, %b: memref<8x48xf32>, %c: memref<64x48xf32>) {
  linalg.matmul ins(%a, %b : memref<64x8xf32>, memref<8x48xf32>) outs(%c : memref<64x48xf32>)
  return
}

// -----

// Under 16384 iterations the nest stays on one thread: waking the other
// costs more than it saves.
// CHECK-LABEL: func @small
// CHECK-NOT: scf.parallel
// CHECK-COUNT-3: scf.for
// CHECK-NOT: scf.parallel
func.func @small(%a: memref<64x8xf32>, %b: memref<8x16xf32>, %c: memref<64x16xf32>) {
  linalg.matmul ins(%a, %b : memref<64x8xf32>, memref<8x16xf32>) outs(%c : memref<64x16xf32>)
  return
}
