// RUN: rep-opt %s -rep-plan-memory -split-input-file | FileCheck %s
// RUN: rep-opt %s -rep-plan-memory -split-input-file -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// RUN: rep-opt %s --pass-pipeline="builtin.module(rep-plan-memory{live-through-epilogues})" -split-input-file | FileCheck %s --check-prefix=EPI
// Numerically: every model test under CodeGen/Models runs through this
// pass and compares its compiled outputs with PyTorch's.

// A chain of three buffers: the third reuses the first one's bytes, the
// second sits beside them (both are live while it is written).
// CHECK-LABEL: func @chain
// CHECK-SAME: %[[WS:[a-z0-9]+]]: memref<512xi8> {rep.workspace}) attributes {rep.workspace_size = 512 : i64}
// CHECK-NOT: memref.alloc
// CHECK: %[[A:.*]] = memref.view %[[WS]][%c0{{.*}}][] : memref<512xi8> to memref<64xf32>
// CHECK: %[[B:.*]] = memref.view %[[WS]][%c256{{.*}}][] : memref<512xi8> to memref<64xf32>
// CHECK: %[[C:.*]] = memref.view %[[WS]][%c0{{.*}}][] : memref<512xi8> to memref<64xf32>
// CHECK-NOT: memref.dealloc
// WHY: rep-plan-memory: @chain: 3 buffers, 768 bytes, in a workspace of 512 bytes
func.func @chain(%arg0: memref<64xf32>, %arg1: memref<64xf32>) {
  %a = memref.alloc() : memref<64xf32>
  linalg.copy ins(%arg0 : memref<64xf32>) outs(%a : memref<64xf32>)
  %b = memref.alloc() : memref<64xf32>
  linalg.copy ins(%a : memref<64xf32>) outs(%b : memref<64xf32>)
  %c = memref.alloc() : memref<64xf32>
  linalg.copy ins(%b : memref<64xf32>) outs(%c : memref<64xf32>)
  linalg.copy ins(%c : memref<64xf32>) outs(%arg1 : memref<64xf32>)
  memref.dealloc %a : memref<64xf32>
  return
}

// -----

// A view keeps its buffer alive: %a is read through a subview after %b is
// written, so %b may not take %a's bytes. Sizes that are not multiples of
// 64 bytes are rounded up (odd sizes, 17 and 3 floats).
// CHECK-LABEL: func @view_extends_life
// CHECK-SAME: memref<192xi8> {rep.workspace}
// CHECK: memref.view %{{.*}}[%c0{{.*}}][] : memref<192xi8> to memref<17xf32>
// CHECK: memref.view %{{.*}}[%c128{{.*}}][] : memref<192xi8> to memref<3xf32>
func.func @view_extends_life(%arg0: memref<17xf32>, %arg1: memref<3xf32>) {
  %a = memref.alloc() : memref<17xf32>
  linalg.copy ins(%arg0 : memref<17xf32>) outs(%a : memref<17xf32>)
  %s = memref.subview %a[2] [3] [1] : memref<17xf32> to memref<3xf32, strided<[1], offset: 2>>
  %b = memref.alloc() : memref<3xf32>
  linalg.copy ins(%arg1 : memref<3xf32>) outs(%b : memref<3xf32>)
  linalg.add ins(%s, %b : memref<3xf32, strided<[1], offset: 2>>, memref<3xf32>) outs(%arg1 : memref<3xf32>)
  return
}

// -----

// A use inside a loop counts at the loop: %a is live for the whole loop.
// CHECK-LABEL: func @loop_use
// CHECK-SAME: memref<512xi8> {rep.workspace}
// CHECK: memref.view %{{.*}}[%c0{{.*}}][] : memref<512xi8> to memref<64xf32>
// CHECK: memref.view %{{.*}}[%c256{{.*}}][] : memref<512xi8> to memref<64xf32>
func.func @loop_use(%arg0: memref<64xf32>, %arg1: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<64xf32>
  linalg.copy ins(%arg0 : memref<64xf32>) outs(%a : memref<64xf32>)
  %b = memref.alloc() : memref<64xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    linalg.copy ins(%a : memref<64xf32>) outs(%b : memref<64xf32>)
    linalg.add ins(%a, %b : memref<64xf32>, memref<64xf32>) outs(%arg1 : memref<64xf32>)
  }
  return
}

// -----

// Left alone, each with its reason: a returned buffer, a dynamic one, one
// aligned beyond the workspace's 64 bytes, one of sub-byte elements;
// and a function that is called (its caller would have to pass the
// workspace).
// CHECK-LABEL: func @kept
// CHECK-NOT: rep.workspace
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: memref.alloc() {alignment = 128 : i64} : memref<8xf32>
// CHECK: memref.alloc() : memref<8xi1>
// WHY: rep-plan-memory: keeps %{{.*}} = memref.alloc() : memref<8xf32>: returned from the function
// WHY: rep-plan-memory: keeps %{{.*}} = memref.alloc(%{{.*}}) : memref<?xf32>: dynamic shape
// WHY: rep-plan-memory: keeps %{{.*}} = memref.alloc() {alignment = 128 : i64} : memref<8xf32>: alignment above 64
// WHY: rep-plan-memory: keeps %{{.*}} = memref.alloc() : memref<8xi1>: element type is not a whole number of bytes
func.func @kept(%n: index) -> memref<8xf32> {
  %r = memref.alloc() : memref<8xf32>
  %d = memref.alloc(%n) : memref<?xf32>
  %a = memref.alloc() {alignment = 128 : i64} : memref<8xf32>
  %b = memref.alloc() : memref<8xi1>
  return %r : memref<8xf32>
}

// CHECK-LABEL: func @callee
// CHECK-NOT: rep.workspace
// CHECK: memref.alloc
// WHY: rep-plan-memory: @callee is called; its callers would need the workspace argument
func.func @callee(%arg0: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%arg0 : memref<4xf32>) outs(%a : memref<4xf32>)
  return
}
func.func @caller(%arg0: memref<4xf32>) {
  call @callee(%arg0) : (memref<4xf32>) -> ()
  return
}

// -----

// A tile's scratch buffer in a sequential loop nest serves every iteration:
// it moves out of the nest, to the function body, where it is planned. In
// a parallel loop each iteration keeps its own: it moves only to the
// parallel loop's body.
// CHECK-LABEL: func @hoisted
// CHECK-SAME: memref<64xi8> {rep.workspace}
// CHECK: memref.view %{{.*}}[%c0{{.*}}][] : memref<64xi8> to memref<4xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK-NOT: memref.alloc
// CHECK: scf.forall
// CHECK-NEXT: memref.alloc() : memref<2xf32>
// CHECK-NEXT: scf.for
func.func @hoisted(%arg0: memref<4xf32>, %arg1: memref<8x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.for %i = %c0 to %c3 step %c1 {
    scf.for %j = %c0 to %c3 step %c1 {
      %t = memref.alloc() : memref<4xf32>
      linalg.copy ins(%arg0 : memref<4xf32>) outs(%t : memref<4xf32>)
      linalg.copy ins(%t : memref<4xf32>) outs(%arg0 : memref<4xf32>)
    }
  }
  scf.forall (%k) in (8) {
    scf.for %j = %c0 to %c3 step %c1 {
      %u = memref.alloc() : memref<2xf32>
      %row = memref.subview %arg1[%k, 0] [1, 2] [1, 1] : memref<8x2xf32> to memref<2xf32, strided<[1], offset: ?>>
      linalg.copy ins(%row : memref<2xf32, strided<[1], offset: ?>>) outs(%u : memref<2xf32>)
      linalg.copy ins(%u : memref<2xf32>) outs(%row : memref<2xf32, strided<[1], offset: ?>>)
    }
  }
  return
}

// -----

// A buffer a loop carries to its next iteration stays in the loop: sharing
// one would let an iteration overwrite what the next one reads.
// CHECK-LABEL: func @carried
// CHECK-NOT: rep.workspace
// CHECK: scf.for
// CHECK-NEXT: memref.alloc() : memref<4xf32>
func.func @carried(%arg0: memref<4xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%prev = %arg0) -> (memref<4xf32>) {
    %t = memref.alloc() : memref<4xf32>
    linalg.add ins(%prev, %prev : memref<4xf32>, memref<4xf32>) outs(%t : memref<4xf32>)
    scf.yield %t : memref<4xf32>
  }
  return %r : memref<4xf32>
}

// -----

// A matmul's epilogue (the generic after it, past a fill) may become part
// of its GPU kernel, so with live-through-epilogues its input %a stays live
// through the generic and %c gets bytes of its own; otherwise %c reuses
// %a's.
// CHECK-LABEL: func @epilogue
// CHECK: %[[A:.*]] = memref.view %{{.*}}[%c0{{.*}}][] : memref<{{.*}}xi8> to memref<16x16xf32>
// CHECK: %[[C:.*]] = memref.view %{{.*}}[%c0{{.*}}][] : memref<{{.*}}xi8> to memref<16x16xf32>
// CHECK: linalg.generic {{.*}} outs(%[[C]]
// EPI-LABEL: func @epilogue
// EPI: memref.view %{{.*}}[%c0{{.*}}][] : memref<3072xi8> to memref<16x16xf32>
// EPI-NOT: memref.view %{{.*}}[%c0{{.*}}][]
// EPI: linalg.generic
func.func @epilogue(%arg0: memref<16x16xf32>, %w: memref<16x16xf32>, %arg1: memref<16xf32>, %arg2: memref<16x16xf32>) {
  %cst = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<16x16xf32>
  linalg.copy ins(%arg0 : memref<16x16xf32>) outs(%a : memref<16x16xf32>)
  %b = memref.alloc() : memref<16x16xf32>
  linalg.fill ins(%cst : f32) outs(%b : memref<16x16xf32>)
  linalg.matmul ins(%a, %w : memref<16x16xf32>, memref<16x16xf32>) outs(%b : memref<16x16xf32>)
  linalg.fill ins(%cst : f32) outs(%arg1 : memref<16xf32>)
  %c = memref.alloc() : memref<16x16xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%b : memref<16x16xf32>) outs(%c : memref<16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  linalg.copy ins(%c : memref<16x16xf32>) outs(%arg2 : memref<16x16xf32>)
  return
}

// -----

// The epilogue's output copied (through a reshape) into another buffer,
// the next conv's padded input: rep-tile-contractions-for-gpu fuses that
// copy into the kernel too, so with live-through-epilogues the matmul's
// operands %a and %b stay live up to the copy and %p gets bytes of its
// own; otherwise %c reuses %a's and %p %b's.
// CHECK-LABEL: func @epilogue_copy
// CHECK: memref.view %{{.*}}[%c0{{.*}}][] : memref<2048xi8> to memref<16x16xf32>
// CHECK: memref.view %{{.*}}[%c1024{{.*}}][] : memref<2048xi8> to memref<16x16xf32>
// CHECK: memref.view %{{.*}}[%c0{{.*}}][] : memref<2048xi8> to memref<16x16xf32>
// CHECK: memref.view %{{.*}}[%c1024{{.*}}][] : memref<2048xi8> to memref<2x8x16xf32>
// EPI-LABEL: func @epilogue_copy
// EPI: memref.view %{{.*}}[%c0{{.*}}][] : memref<4096xi8> to memref<16x16xf32>
// EPI: memref.view %{{.*}}[%c1024{{.*}}][] : memref<4096xi8> to memref<16x16xf32>
// EPI: memref.view %{{.*}}[%c2048{{.*}}][] : memref<4096xi8> to memref<16x16xf32>
// EPI: memref.view %{{.*}}[%c3072{{.*}}][] : memref<4096xi8> to memref<2x8x16xf32>
func.func @epilogue_copy(%arg0: memref<16x16xf32>, %w: memref<16x16xf32>, %arg2: memref<2x8x16xf32>) {
  %cst = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<16x16xf32>
  linalg.copy ins(%arg0 : memref<16x16xf32>) outs(%a : memref<16x16xf32>)
  %b = memref.alloc() : memref<16x16xf32>
  linalg.fill ins(%cst : f32) outs(%b : memref<16x16xf32>)
  linalg.matmul ins(%a, %w : memref<16x16xf32>, memref<16x16xf32>) outs(%b : memref<16x16xf32>)
  %c = memref.alloc() : memref<16x16xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%b : memref<16x16xf32>) outs(%c : memref<16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  %p = memref.alloc() : memref<2x8x16xf32>
  %e = memref.expand_shape %c [[0, 1], [2]] output_shape [2, 8, 16] : memref<16x16xf32> into memref<2x8x16xf32>
  linalg.copy ins(%e : memref<2x8x16xf32>) outs(%p : memref<2x8x16xf32>)
  linalg.copy ins(%p : memref<2x8x16xf32>) outs(%arg2 : memref<2x8x16xf32>)
  return
}
