// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-rematerialize-fills))" -split-input-file | FileCheck %s
// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-rematerialize-fills))" -split-input-file -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// End to end: tests/CodeGen/cuda/reductions.test (LayerNorms whose sums
// start from their own fills) against the interpreter.

#row = affine_map<(d0, d1) -> (d0)>
#all = affine_map<(d0, d1) -> (d0, d1)>

// A LayerNorm's two sums share CSE's one zero fill: each gets its own
// empty tensor and fill right before it, and the shared one goes.
// CHECK-LABEL: func.func @two_writers
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.0
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<8xf32>
// CHECK-NEXT: %[[F1:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E1]] : tensor<8xf32>)
// CHECK-NEXT: %[[SUM:.*]] = linalg.generic {{.*}} outs(%[[F1]] : tensor<8xf32>)
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<8xf32>
// CHECK-NEXT: %[[F2:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E2]] : tensor<8xf32>)
// CHECK-NEXT: linalg.generic {{.*}} ins(%arg0, %[[SUM]] : {{.*}}) outs(%[[F2]] : tensor<8xf32>)
// CHECK-NOT: linalg.fill
// CHECK: return
func.func @two_writers(%x: tensor<8x40xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#all, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x40xf32>) outs(%z : tensor<8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %a = arith.addf %in, %o : f32
    linalg.yield %a : f32
  } -> tensor<8xf32>
  %v = linalg.generic {indexing_maps = [#all, #row, #row], iterator_types = ["parallel", "reduction"]} ins(%x, %s : tensor<8x40xf32>, tensor<8xf32>) outs(%z : tensor<8xf32>) {
  ^bb0(%in: f32, %m: f32, %o: f32):
    %d = arith.subf %in, %m : f32
    %a = arith.addf %d, %o : f32
    linalg.yield %a : f32
  } -> tensor<8xf32>
  return %s, %v : tensor<8xf32>, tensor<8xf32>
}

// -----

#row = affine_map<(d0, d1) -> (d0)>
#all = affine_map<(d0, d1) -> (d0, d1)>

// A fill that an op also reads (as an input) stays for it; the writer
// gets its own.
// CHECK-LABEL: func.func @reader_and_writer
// CHECK: %[[SHARED:.*]] = linalg.fill
// CHECK: %[[OWN:.*]] = linalg.fill
// CHECK-NEXT: linalg.generic {{.*}} ins(%arg0, %[[SHARED]] : {{.*}}) outs(%[[OWN]] : tensor<8xf32>)
func.func @reader_and_writer(%x: tensor<8x40xf32>) -> tensor<8xf32> {
  %cst = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#all, #row, #row], iterator_types = ["parallel", "reduction"]} ins(%x, %z : tensor<8x40xf32>, tensor<8xf32>) outs(%z : tensor<8xf32>) {
  ^bb0(%in: f32, %one: f32, %o: f32):
    %d = arith.mulf %in, %one : f32
    %a = arith.addf %d, %o : f32
    linalg.yield %a : f32
  } -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

#row = affine_map<(d0, d1) -> (d0)>
#all = affine_map<(d0, d1) -> (d0, d1)>

// Left alone: a fill with one user; a fill over a tensor with contents
// (cloning it would copy them); a fill only read.
// CHECK-LABEL: func.func @refused
// CHECK-COUNT-3: linalg.fill
// CHECK-NOT: linalg.fill
// WHY-DAG: rep-rematerialize-fills: refused at {{.*}}: one user
// WHY-DAG: rep-rematerialize-fills: refused at {{.*}}: does not fill an empty tensor
// WHY-DAG: rep-rematerialize-fills: refused at {{.*}}: no user writes over it
func.func @refused(%x: tensor<8x40xf32>, %t: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8x40xf32>, tensor<8x40xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#all, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x40xf32>) outs(%z : tensor<8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %a = arith.addf %in, %o : f32
    linalg.yield %a : f32
  } -> tensor<8xf32>
  %f = linalg.fill ins(%cst : f32) outs(%t : tensor<8xf32>) -> tensor<8xf32>
  %g = linalg.generic {indexing_maps = [#all, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x40xf32>) outs(%f : tensor<8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %a = arith.addf %in, %o : f32
    linalg.yield %a : f32
  } -> tensor<8xf32>
  %use = tensor.empty() : tensor<8x40xf32>
  %r = linalg.fill ins(%cst : f32) outs(%use : tensor<8x40xf32>) -> tensor<8x40xf32>
  %p = linalg.add ins(%x, %r : tensor<8x40xf32>, tensor<8x40xf32>) outs(%use : tensor<8x40xf32>) -> tensor<8x40xf32>
  return %s, %f, %p, %r : tensor<8xf32>, tensor<8xf32>, tensor<8x40xf32>, tensor<8x40xf32>
}
