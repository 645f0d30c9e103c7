// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-map-row-reductions-to-gpu))" -split-input-file | FileCheck %s
// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-map-row-reductions-to-gpu))" -split-input-file -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// Numerically: tests/CodeGen/cuda/reductions.test runs these kernels at
// the borders (host builds, the CUDA driver emulator) against the
// interpreter.

// A LayerNorm's sum over 128 channels of 784 rows: 98 blocks of 8 warps,
// a warp a row; lane l sums elements l, l + 32, ... from -0, the partials
// meet in 1 KiB of shared memory and halve 4 times, a barrier each; lane
// 0 takes lane 1's partial and adds the total to the row's start, which
// the copy before it (of a zero fill) gives, and the copy goes.
// CHECK-LABEL: func.func @layer_norm_sum
// CHECK-DAG: %cst = arith.constant -0.000000e+00 : f32
// CHECK-NOT: linalg.copy
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c98, %{{.*}} = %c1, %{{.*}} = %c1) threads({{.*}}) in (%{{.*}} = %c256, %{{.*}} = %c1, %{{.*}} = %c1) dynamic_shared_memory_size %c1024_i32
// CHECK: %[[LANE:.*]] = arith.remui %[[TID:.*]], %c32
// CHECK: %[[ROW:.*]] = arith.addi
// CHECK: %[[P:.*]] = scf.for %[[K:.*]] = %[[LANE]] to %c128 step %c32 iter_args(%[[ACC:.*]] = %cst) -> (f32) {
// CHECK:   %[[X:.*]] = memref.load %arg0[%[[ROW]], %[[K]]]
// CHECK:   %[[S:.*]] = arith.addf %[[X]], %[[ACC]]
// CHECK:   scf.yield %[[S]]
// CHECK: %[[SMEM:.*]] = gpu.dynamic_shared_memory
// CHECK: %[[PARTIALS:.*]] = memref.view %[[SMEM]][%c0][] : {{.*}} to memref<256xf32, #gpu.address_space<workgroup>>
// CHECK: memref.store %[[P]], %[[PARTIALS]][%[[TID]]]
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[LANE]], %c16
// CHECK: arith.addi %[[TID]], %c16
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[LANE]], %c8
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[LANE]], %c4
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[LANE]], %c2
// CHECK: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %c0
// CHECK: scf.if %[[FIRST]] {
// CHECK:   %[[MINE:.*]] = memref.load %[[PARTIALS]][%[[TID]]]
// CHECK:   %[[NEXT:.*]] = arith.addi %[[TID]], %c1
// CHECK:   %[[OTHER:.*]] = memref.load %[[PARTIALS]][%[[NEXT]]]
// CHECK:   %[[TOTAL:.*]] = arith.addf %[[OTHER]], %[[MINE]]
// CHECK:   %[[START:.*]] = memref.load %arg1[%[[ROW]]]
// CHECK:   %[[SUM:.*]] = arith.addf %[[TOTAL]], %[[START]]
// CHECK:   memref.store %[[SUM]], %arg2[%[[ROW]]]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @layer_norm_sum(%x: memref<784x128xf32>, %zeros: memref<784xf32>, %sum: memref<784xf32>) {
  linalg.copy ins(%zeros : memref<784xf32>) outs(%sum : memref<784xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<784x128xf32>) outs(%sum : memref<784xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A max over 40 of 10 rows, in (row, channel, column) loop order: 2 blocks,
// the second's spare warps guarded off the loads and the store; lanes
// start from -inf; the row starts from the output; the variance-like body
// (a second input read per row) is evaluated at each element.
// CHECK-LABEL: func.func @max_ragged_rows
// CHECK-DAG: %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c2, {{.*}} threads({{.*}}) in (%{{.*}} = %c256,
// CHECK: %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// CHECK: %[[ROW:.*]] = arith.addi
// CHECK: %[[INSIDE:.*]] = arith.cmpi ult, %[[ROW]], %c10
// CHECK: %[[P:.*]] = scf.if %[[INSIDE]] -> (f32) {
// CHECK:   scf.for %[[K:.*]] = %[[LANE]] to %c40 step %c32 iter_args(%[[ACC:.*]] = %[[NEG]]) -> (f32) {
// CHECK:     memref.load %arg0[%[[ROW]], %[[K]]]
// CHECK:     memref.load %arg1[%[[ROW]]]
// CHECK:     arith.subf
// CHECK:     arith.maximumf %{{.*}}, %[[ACC]]
// CHECK: } else {
// CHECK:   scf.yield %[[NEG]]
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %c0
// CHECK: %[[STORE:.*]] = arith.andi %[[FIRST]], %[[INSIDE]]
// CHECK: scf.if %[[STORE]] {
// CHECK:   memref.load %arg2[%[[ROW]]]
// CHECK:   arith.maximumf
// CHECK:   memref.store {{.*}}, %arg2[%[[ROW]]]
func.func @max_ragged_rows(%x: memref<10x40xf32>, %m: memref<10xf32>, %out: memref<10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x, %m : memref<10x40xf32>, memref<10xf32>) outs(%out : memref<10xf32>) {
  ^bb0(%in: f32, %mean: f32, %o: f32):
    %d = arith.subf %in, %mean : f32
    %s = arith.maximumf %d, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Three rows make one block of three warps (96 threads, 384 bytes of
// partials), no guard; a product's lanes start from 1; rows of a 3-D
// output delinearize over both its dimensions.
// CHECK-LABEL: func.func @few_rows
// CHECK-DAG: %cst = arith.constant 1.000000e+00 : f32
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c1, {{.*}} threads({{.*}}) in (%{{.*}} = %c96, {{.*}} dynamic_shared_memory_size %c384_i32
// CHECK-NOT: arith.cmpi ult, %{{.*}}, %c3
// CHECK: scf.for {{.*}} to %c64 step %c32 iter_args(%{{.*}} = %cst) -> (f32) {
// CHECK: arith.mulf
// CHECK: memref.view {{.*}} to memref<96xf32, #gpu.address_space<workgroup>>
func.func @few_rows(%x: memref<1x3x64xf32>, %out: memref<1x3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<1x3x64xf32>) outs(%out : memref<1x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A mean: the fill before the sum gives its start (0), the division after
// it fuses into lane 0's store, to its own buffer; both ops go.
// CHECK-LABEL: func.func @mean
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[N:.*]] = arith.constant 4.500000e+01 : f32
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch
// CHECK: arith.cmpi eq
// CHECK: scf.if
// CHECK:   %[[SUM:.*]] = arith.addf %{{.*}}, %[[ZERO]] : f32
// CHECK:   memref.store %[[SUM]], %arg1[
// CHECK:   %[[MEAN:.*]] = arith.divf %[[SUM]], %[[N]] : f32
// CHECK:   memref.store %[[MEAN]], %arg2[
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @mean(%x: memref<100x45xf32>, %sum: memref<100xf32>, %mean: memref<100xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 45.0 : f32
  linalg.fill ins(%zero : f32) outs(%sum : memref<100xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<100x45xf32>) outs(%sum : memref<100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%sum : memref<100xf32>) outs(%mean : memref<100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.divf %in, %n : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Left to a thread per output: rows shorter than a warp; a reduction
// across rows (a pooling over NHWC's h and w reads a row apart per
// step); rows whose elements are not neighbours; two reduced loops; a
// combiner that does not reassociate (out - x).
// CHECK-LABEL: func.func @refused
// CHECK-NOT: gpu.launch
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: gpu.launch
// WHY-DAG: rep-map-row-reductions-to-gpu: refused at {{.*}}: rows shorter than a warp
// WHY-DAG: rep-map-row-reductions-to-gpu: refused at {{.*}}: an input's rows are not its contiguous last dimension
// WHY-DAG: rep-map-row-reductions-to-gpu: refused at {{.*}}: not one reduction loop
// WHY-DAG: rep-map-row-reductions-to-gpu: refused at {{.*}}: its combiner is not an add, a multiply, a max or a min
func.func @refused(%short: memref<5x16xf32>, %o5: memref<5xf32>, %x: memref<64x48xf32>, %o48: memref<48xf32>, %o64: memref<64xf32>, %y: memref<4x40x40xf32>, %o4: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%short : memref<5x16xf32>) outs(%o5 : memref<5xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<64x48xf32>) outs(%o48 : memref<48xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  %cols = memref.subview %y[0, 0, 0] [4, 40, 1] [1, 1, 1] : memref<4x40x40xf32> to memref<4x40xf32, strided<[1600, 40]>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%cols : memref<4x40xf32, strided<[1600, 40]>>) outs(%o4 : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%y : memref<4x40x40xf32>) outs(%o4 : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<64x48xf32>) outs(%o64 : memref<64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.subf %o, %in : f32
    linalg.yield %s : f32
  }
  return
}
