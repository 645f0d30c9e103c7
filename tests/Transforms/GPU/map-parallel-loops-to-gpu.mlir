// RUN: rep-opt %s -split-input-file -verify-diagnostics \
// RUN:   -pass-pipeline='builtin.module(func.func(rep-map-parallel-loops-to-gpu))' | FileCheck %s
// Numerically: tests/CodeGen/cuda runs every tiny model through these
// loops (host builds of the kernels, the real runtime) against PyTorch.

// A 4x100 loop becomes one dimension of 400, tiled by 256 threads over
// blocks, the last tile guarded; the indices come back row-major.
// CHECK-LABEL: func @collapse
// CHECK-DAG: %[[N:.*]] = arith.muli %{{.*}}, %c100
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%[[N]]) step (%[[T:.*]]) {
// CHECK:   scf.parallel (%[[X:.*]]) = (%{{.*}}) to (%[[T]])
// CHECK:     %[[I:.*]] = arith.addi %[[X]], %[[B]]
// CHECK:     arith.cmpi ult, %{{.*}}, %[[N]]
// CHECK:     scf.if
// CHECK:       %[[J:.*]] = arith.remsi %[[I]], %c100
// CHECK:       %[[K:.*]] = arith.divsi %[[I]], %c100
// CHECK:       memref.store %{{.*}}, %{{.*}}[%[[K]], %[[J]]]
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
func.func @collapse(%out: memref<4x100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c100 = arith.constant 100 : index
  %cst = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c100) step (%c1, %c1) {
    memref.store %cst, %out[%i, %j] : memref<4x100xf32>
  }
  return
}

// -----

// A small kernel gets one warp, not 256 threads; a parallel loop nested
// in a reduction loop runs sequentially in its thread.
// CHECK-LABEL: func @nested
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[T:.*]] = arith.muli %{{.*}}, %[[C32]]
// CHECK: scf.parallel
// CHECK:   scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[T]])
// CHECK:     scf.if
// CHECK:       scf.for
// CHECK-NEXT:    scf.for
// CHECK-NOT:     scf.parallel
// CHECK:           memref.store
// CHECK:   processor = thread_x
// CHECK: processor = block_x
func.func @nested(%in: memref<2x3x8xf32>, %out: memref<2x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%n) = (%c0) to (%c2) step (%c1) {
    scf.for %h = %c0 to %c3 step %c1 {
      scf.parallel (%c) = (%c0) to (%c8) step (%c1) {
        %x = memref.load %in[%n, %h, %c] : memref<2x3x8xf32>
        %a = memref.load %out[%n, %c] : memref<2x8xf32>
        %s = arith.addf %a, %x : f32
        memref.store %s, %out[%n, %c] : memref<2x8xf32>
      }
    }
  }
  return
}

// -----

// A store outside any loop runs in a one-thread kernel; views stay on the
// host.
// CHECK-LABEL: func @scalar
// CHECK: memref.subview
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c1) step (%c1) {
// CHECK-NEXT: memref.store
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
func.func @scalar(%out: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  %c2 = arith.constant 2 : index
  %v = memref.subview %out[1] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 1>>
  memref.store %cst, %v[%c2] : memref<2xf32, strided<[1], offset: 1>>
  return
}

// -----

func.func @dynamic(%out: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cst = arith.constant 1.0 : f32
  // expected-error @+1 {{cannot map a parallel loop with dynamic bounds to the GPU}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %cst, %out[%i] : memref<?xf32>
  }
  return
}

// -----

func.func @used_by_host(%in: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{cannot run on the GPU: its results are used by the host}}
  %x = memref.load %in[%c0] : memref<4xf32>
  return %x : f32
}

// -----

// A pooling generic iterates (n, h, w, c) with h and w reduced: lowered
// with both parallel dims outermost, each of the 16 outputs is one thread
// (not 2 threads each summing all of c), and h, w keep their order.
// CHECK-LABEL: func @pool
// CHECK-NOT: linalg.generic
// CHECK: %[[NC:.*]] = arith.muli %{{.*}}, %c8
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     arith.cmpi ult, %{{.*}}, %[[NC]]
// CHECK:     scf.if
// CHECK:       arith.remsi %{{.*}}, %c8
// CHECK:       arith.divsi %{{.*}}, %c8
// CHECK:       scf.for %{{.*}} = %{{.*}} to %c3
// CHECK:         scf.for %{{.*}} = %{{.*}} to %c5
// CHECK:           memref.load %arg0
// CHECK:           memref.store %{{.*}}, %arg1
// CHECK:   processor = thread_x
// CHECK: processor = block_x
#in = affine_map<(n, h, w, c) -> (n, h, w, c)>
#out = affine_map<(n, h, w, c) -> (n, c)>
func.func @pool(%in: memref<2x3x5x8xf32>, %out: memref<2x8xf32>) {
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
      ins(%in : memref<2x3x5x8xf32>) outs(%out : memref<2x8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

func.func @on_tensors(%t: tensor<4xf32>) -> tensor<4xf32> {
  %cst = arith.constant 0.0 : f32
  // expected-error @+1 {{cannot map an op on tensors to the GPU; bufferize first}}
  %r = linalg.fill ins(%cst : f32) outs(%t : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @nested_reduction(%in: memref<2x8xf32>, %out: memref<2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%n) = (%c0) to (%c2) step (%c1) {
    // expected-error @+1 {{cannot run a parallel reduction in one GPU thread}}
    %s = scf.parallel (%c) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
      %x = memref.load %in[%n, %c] : memref<2x8xf32>
      scf.reduce(%x : f32) {
      ^bb0(%a: f32, %b: f32):
        %r = arith.addf %a, %b : f32
        scf.reduce.return %r : f32
      }
    }
    memref.store %s, %out[%n] : memref<2xf32>
  }
  return
}

// -----

// The four border slabs of a padded buffer, with views between them, fill
// in one kernel: one loop over their 24 + 24 + 16 + 16 elements, where
// each element picks its slab by the running totals, and takes its fill's
// value; a copy between fills ends the run, so the fill after it is a
// kernel of its own.
// CHECK-LABEL: func @fills
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     %[[T:.*]] = arith.addi
// CHECK:     arith.cmpi ult, %{{.*}}, %c80
// CHECK:     scf.if
// CHECK:       arith.cmpi ult, %[[T]], %c24
// CHECK:       scf.if
// CHECK:         memref.store %[[Z:[^,]*]], %{{.*}} : memref<1x1x6x4xf32, strided<[144, 24, 4, 1]>>
// CHECK:       } else {
// CHECK:         arith.cmpi ult, %[[T]], %c48
// CHECK:         scf.if
// CHECK:           arith.subi %[[T]], %c24
// CHECK:           memref.store %[[Z]], %{{.*}} : memref<1x1x6x4xf32, strided<[144, 24, 4, 1], offset: 120>>
// CHECK:         } else {
// CHECK:           arith.cmpi ult, %[[T]], %c64
// CHECK:           scf.if
// CHECK:             arith.subi %[[T]], %c48
// CHECK:             memref.store %[[Z]], %{{.*}} : memref<1x4x1x4xf32, strided<[144, 24, 4, 1], offset: 24>>
// CHECK:           } else {
// CHECK:             arith.subi %[[T]], %c64
// CHECK:             memref.store %[[ONE:[^,]*]], %{{.*}} : memref<1x4x1x4xf32, strided<[144, 24, 4, 1], offset: 44>>
// CHECK: processor = block_x
// CHECK: scf.parallel
// CHECK: memref.load %arg1
// CHECK: memref.store %{{.*}}, %arg2
// CHECK: processor = block_x
// CHECK: scf.parallel
// CHECK: memref.store %[[Z]], %arg2
// CHECK: processor = block_x
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @fills(%padded: memref<1x6x6x4xf32>, %x: memref<8xf32>, %y: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %top = memref.subview %padded[0, 0, 0, 0] [1, 1, 6, 4] [1, 1, 1, 1] : memref<1x6x6x4xf32> to memref<1x1x6x4xf32, strided<[144, 24, 4, 1]>>
  linalg.fill ins(%zero : f32) outs(%top : memref<1x1x6x4xf32, strided<[144, 24, 4, 1]>>)
  %bottom = memref.subview %padded[0, 5, 0, 0] [1, 1, 6, 4] [1, 1, 1, 1] : memref<1x6x6x4xf32> to memref<1x1x6x4xf32, strided<[144, 24, 4, 1], offset: 120>>
  linalg.fill ins(%zero : f32) outs(%bottom : memref<1x1x6x4xf32, strided<[144, 24, 4, 1], offset: 120>>)
  %left = memref.subview %padded[0, 1, 0, 0] [1, 4, 1, 4] [1, 1, 1, 1] : memref<1x6x6x4xf32> to memref<1x4x1x4xf32, strided<[144, 24, 4, 1], offset: 24>>
  linalg.fill ins(%zero : f32) outs(%left : memref<1x4x1x4xf32, strided<[144, 24, 4, 1], offset: 24>>)
  %right = memref.subview %padded[0, 1, 5, 0] [1, 4, 1, 4] [1, 1, 1, 1] : memref<1x6x6x4xf32> to memref<1x4x1x4xf32, strided<[144, 24, 4, 1], offset: 44>>
  linalg.fill ins(%one : f32) outs(%right : memref<1x4x1x4xf32, strided<[144, 24, 4, 1], offset: 44>>)
  linalg.copy ins(%x : memref<8xf32>) outs(%y : memref<8xf32>)
  linalg.fill ins(%zero : f32) outs(%y : memref<8xf32>)
  return
}
