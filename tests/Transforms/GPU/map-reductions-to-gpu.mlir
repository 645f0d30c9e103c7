// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-map-reductions-to-gpu))" -split-input-file | FileCheck %s
// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-map-reductions-to-gpu))" -split-input-file -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// Numerically: tests/CodeGen/cuda/reductions.test runs these kernels at
// the borders (host builds, the CUDA driver emulator) against the
// interpreter.

// Rows: the reduced loop runs along the inputs' memory.
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
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %c0
// CHECK: %[[SMEM:.*]] = gpu.dynamic_shared_memory
// CHECK: %[[PARTIALS:.*]] = memref.view %[[SMEM]][%c0][] : {{.*}} to memref<256xf32, #gpu.address_space<workgroup>>
// CHECK: %[[P:.*]] = scf.for %[[K:.*]] = %[[LANE]] to %c128 step %c32 iter_args(%[[ACC:.*]] = %cst) -> (f32) {
// CHECK:   %[[X:.*]] = memref.load %arg0[%[[ROW]], %[[K]]]
// CHECK:   %[[S:.*]] = arith.addf %[[X]], %[[ACC]]
// CHECK:   scf.yield %[[S]]
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
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %c0
// CHECK: %[[P:.*]] = scf.if %[[INSIDE]] -> (f32) {
// CHECK:   scf.for %[[K:.*]] = %[[LANE]] to %c40 step %c32 iter_args(%[[ACC:.*]] = %[[NEG]]) -> (f32) {
// CHECK:     memref.load %arg0[%[[ROW]], %[[K]]]
// CHECK:     memref.load %arg1[%[[ROW]]]
// CHECK:     arith.subf
// CHECK:     arith.maximumf %{{.*}}, %[[ACC]]
// CHECK: } else {
// CHECK:   scf.yield %[[NEG]]
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
// CHECK: memref.view {{.*}} to memref<96xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for {{.*}} to %c64 step %c32 iter_args(%{{.*}} = %cst) -> (f32) {
// CHECK: arith.mulf
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

// A global average pool over NHWC's h and w (14 x 14) of 40 channels: a
// column reduction. Blocks of 32 neighbouring channels (2 tiles, the
// second with 8 lanes, guarded) and 8 slices (196 / 16 elements a thread,
// rounded down to a power of 2), for each image: 4 blocks of 256 threads.
// Slice s combines pixels s, s + 8, ... (h and w from the linear index),
// the slices halve in shared memory 32 apart (4, then 2 slices: a barrier
// each), and slice 0 takes slice 1's, adds the fill's 0 and applies the
// division after it.
// CHECK-LABEL: func.func @global_avg_pool
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c4, {{.*}} threads({{.*}}) in (%[[T:.*]] = %c256, {{.*}} dynamic_shared_memory_size %c1024_i32
// CHECK: %[[LANE:.*]] = arith.remui %[[TID:.*]], %c32
// CHECK: %[[SLICE:.*]] = arith.divui %[[TID]], %c32
// CHECK: %[[TILE:.*]] = arith.remui %[[BID:.*]], %c2
// CHECK: %[[C0:.*]] = arith.muli %[[TILE]], %c32
// CHECK: %[[C:.*]] = arith.addi %[[C0]], %[[LANE]]
// CHECK: %[[INSIDE:.*]] = arith.cmpi ult, %[[C]], %c40
// CHECK: %[[N:.*]] = arith.divui %[[BID]], %c2
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[SLICE]], %c0
// CHECK: scf.if %[[INSIDE]] -> (f32) {
// CHECK:   scf.for %[[K:.*]] = %[[SLICE]] to %c196 step %c8 iter_args(
// CHECK:     %[[W:.*]] = arith.remui %[[K]], %c14
// CHECK:     %[[H:.*]] = arith.divui %[[K]], %c14
// CHECK:     memref.load %arg0[%[[N]], %[[H]], %[[W]], %[[C]]]
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[SLICE]], %c4
// CHECK: arith.addi %[[TID]], %c128
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[SLICE]], %c2
// CHECK: arith.addi %[[TID]], %c64
// CHECK: gpu.barrier
// CHECK: %[[STORE:.*]] = arith.andi %[[FIRST]], %[[INSIDE]]
// CHECK: scf.if %[[STORE]] {
// CHECK:   arith.addi %[[TID]], %c32
// CHECK:   %[[TOTAL:.*]] = arith.addf
// CHECK:   %[[SUM:.*]] = arith.addf %[[TOTAL]]
// CHECK:   memref.store %[[SUM]], %arg1[%[[N]], %c0, %c0, %[[C]]]
// CHECK:   %[[MEAN:.*]] = arith.divf %[[SUM]]
// CHECK:   memref.store %[[MEAN]], %arg2[%[[N]], %c0, %c0, %[[C]]]
// CHECK-NOT: linalg.
// CHECK: return
func.func @global_avg_pool(%x: memref<2x14x14x40xf32>, %sum: memref<2x1x1x40xf32>, %mean: memref<2x1x1x40xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 196.0 : f32
  linalg.fill ins(%zero : f32) outs(%sum : memref<2x1x1x40xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>], iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%x : memref<2x14x14x40xf32>) outs(%sum : memref<2x1x1x40xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sum : memref<2x1x1x40xf32>) outs(%mean : memref<2x1x1x40xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.divf %in, %n : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A sum down the 64 rows of a transposed 64 x 48 input, in (column, row)
// loop order: a column reduction of 4 slices (64 / 16), its 48 columns in
// 2 tiles.
// CHECK-LABEL: func.func @columns_transposed
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c2, {{.*}} threads({{.*}}) in (%{{.*}} = %c128,
// CHECK: scf.for %{{.*}} = %{{.*}} to %c64 step %c4
func.func @columns_transposed(%x: memref<64x48xf32>, %out: memref<48xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<64x48xf32>) outs(%out : memref<48xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Chains: a row reduction's kernel goes on with the row reductions and
// the elementwise op after it that read its output only at their row.
// A LayerNorm over 64 channels of 37 rows (5 blocks, the last guarded):
// the mean's sum, the variance's, the normalization, one kernel. After
// each sum's halvings lane 0 stores the row's total to its buffer and to
// the row's slot past the partials (264 floats), and after a barrier
// every lane reads it there: the variance's lanes subtract the mean of
// the slot's sum, never loading the sum's buffer, and lane l normalizes
// the row's elements l and l + 32 with both totals. The fills go (each
// is its sum's start) and the second view moves before the kernel.
// CHECK-LABEL: func.func @layer_norm
// CHECK-NOT: linalg.fill
// CHECK: %[[SUMBUF:.*]] = memref.view %arg3[%c0][]
// CHECK: %[[VARBUF:.*]] = memref.view %arg3[%c148][]
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c5, {{.*}} threads({{.*}}) in (%{{.*}} = %c256, {{.*}} dynamic_shared_memory_size %c1056_i32
// CHECK: %[[LANE:.*]] = arith.remui %[[TID:.*]], %c32
// CHECK: %[[WARP:.*]] = arith.divui %[[TID]], %c32
// CHECK: %[[ROW:.*]] = arith.addi %{{.*}}, %[[WARP]]
// CHECK: %[[INSIDE:.*]] = arith.cmpi ult, %[[ROW]], %c37
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %c0
// CHECK: %[[SLOTS:.*]] = memref.view {{.*}} to memref<264xf32, #gpu.address_space<workgroup>>
// CHECK: %[[SLOT:.*]] = arith.addi %[[WARP]], %c256
// CHECK: scf.for %{{.*}} = %[[LANE]] to %c64 step %c32
// CHECK:   memref.load %arg0[%[[ROW]],
// CHECK-COUNT-5: gpu.barrier
// CHECK: scf.if
// CHECK:   %[[SUM:.*]] = arith.addf %{{.*}}, %cst
// CHECK:   memref.store %[[SUM]], %[[SUMBUF]][%[[ROW]]]
// CHECK:   memref.store %[[SUM]], %[[SLOTS]][%[[SLOT]]]
// CHECK: gpu.barrier
// CHECK: %[[ROWSUM:.*]] = memref.load %[[SLOTS]][%[[SLOT]]]
// CHECK-NOT: memref.load %[[SUMBUF]]
// CHECK: scf.for %{{.*}} = %[[LANE]] to %c64 step %c32
// CHECK:   memref.load %arg0[%[[ROW]],
// CHECK:   arith.divf %[[ROWSUM]], %cst
// CHECK-COUNT-5: gpu.barrier
// CHECK: scf.if
// CHECK:   memref.store %[[VAR:.*]], %[[VARBUF]][%[[ROW]]]
// CHECK:   memref.store %[[VAR]], %[[SLOTS]][%[[SLOT]]]
// CHECK: gpu.barrier
// CHECK: %[[ROWVAR:.*]] = memref.load %[[SLOTS]][%[[SLOT]]]
// CHECK-NOT: gpu.barrier
// CHECK: scf.if %[[INSIDE]] {
// CHECK:   scf.for %[[C:.*]] = %[[LANE]] to %c64 step %c32 {
// CHECK:     memref.load %arg0[%[[ROW]], %[[C]]]
// CHECK:     memref.load %arg1[%[[C]]]
// CHECK:     arith.divf %[[ROWVAR]], %cst
// CHECK:     math.sqrt
// CHECK:     memref.store %{{.*}}, %arg4[%[[ROW]], %[[C]]]
// CHECK-NOT: gpu.launch
// CHECK-NOT: linalg.
// CHECK: return
// WHY: rep-map-reductions-to-gpu: refused at {{.*}}: the kernel of the row reduction before it computes it
func.func @layer_norm(%x: memref<37x64xf32>, %g: memref<64xf32>, %b: memref<64xf32>, %ws: memref<296xi8>, %y: memref<37x64xf32>) {
  %c0 = arith.constant 0 : index
  %c148 = arith.constant 148 : index
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %eps = arith.constant 1.0e-05 : f32
  %sum = memref.view %ws[%c0][] : memref<296xi8> to memref<37xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<37xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<37x64xf32>) outs(%sum : memref<37xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  %var = memref.view %ws[%c148][] : memref<296xi8> to memref<37xf32>
  linalg.fill ins(%zero : f32) outs(%var : memref<37xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x, %sum : memref<37x64xf32>, memref<37xf32>) outs(%var : memref<37xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %in, %m : f32
    %d2 = arith.mulf %d, %d : f32
    %v = arith.addf %out, %d2 : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %sum, %var, %g, %b : memref<37x64xf32>, memref<37xf32>, memref<37xf32>, memref<64xf32>, memref<64xf32>) outs(%y : memref<37x64xf32>) {
  ^bb0(%in: f32, %s: f32, %v: f32, %gi: f32, %bi: f32, %out: f32):
    %m = arith.divf %s, %n : f32
    %vm = arith.divf %v, %n : f32
    %ve = arith.addf %vm, %eps : f32
    %sd = math.sqrt %ve : f32
    %d = arith.subf %in, %m : f32
    %q = arith.divf %d, %sd : f32
    %r = arith.mulf %q, %gi : f32
    %o = arith.addf %r, %bi : f32
    linalg.yield %o : f32
  }
  return
}

// -----

// The normalization may write over its input: lane l writes the elements
// it alone read, after its reads.
// CHECK-LABEL: func.func @layer_norm_in_place
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %arg0[
// CHECK-NOT: gpu.launch
// CHECK-NOT: linalg.
// CHECK: return
func.func @layer_norm_in_place(%x: memref<37x64xf32>, %g: memref<64xf32>, %b: memref<64xf32>, %ws: memref<296xi8>) {
  %c0 = arith.constant 0 : index
  %c148 = arith.constant 148 : index
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %eps = arith.constant 1.0e-05 : f32
  %sum = memref.view %ws[%c0][] : memref<296xi8> to memref<37xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<37xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<37x64xf32>) outs(%sum : memref<37xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  %var = memref.view %ws[%c148][] : memref<296xi8> to memref<37xf32>
  linalg.fill ins(%zero : f32) outs(%var : memref<37xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x, %sum : memref<37x64xf32>, memref<37xf32>) outs(%var : memref<37xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %in, %m : f32
    %d2 = arith.mulf %d, %d : f32
    %v = arith.addf %out, %d2 : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %sum, %var, %g, %b : memref<37x64xf32>, memref<37xf32>, memref<37xf32>, memref<64xf32>, memref<64xf32>) outs(%x : memref<37x64xf32>) {
  ^bb0(%in: f32, %s: f32, %v: f32, %gi: f32, %bi: f32, %out: f32):
    %m = arith.divf %s, %n : f32
    %vm = arith.divf %v, %n : f32
    %ve = arith.addf %vm, %eps : f32
    %sd = math.sqrt %ve : f32
    %d = arith.subf %in, %m : f32
    %q = arith.divf %d, %sd : f32
    %r = arith.mulf %q, %gi : f32
    %o = arith.addf %r, %bi : f32
    linalg.yield %o : f32
  }
  return
}

// -----

// A normalization written over the sums it reads (other rows' lanes
// would read them overwritten) ends the chain before it: one kernel for
// both sums (12 barriers), the normalization left to the next pass.
// CHECK-LABEL: func.func @layer_norm_over_its_sums
// CHECK: gpu.launch
// CHECK-COUNT-12: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-NOT: gpu.launch
func.func @layer_norm_over_its_sums(%x: memref<37x64xf32>, %g: memref<64xf32>, %b: memref<64xf32>, %ws: memref<296xi8>, %big: memref<9472xi8>) {
  %c0 = arith.constant 0 : index
  %c148 = arith.constant 148 : index
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %eps = arith.constant 1.0e-05 : f32
  %sum = memref.view %ws[%c0][] : memref<296xi8> to memref<37xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<37xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<37x64xf32>) outs(%sum : memref<37xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  %var = memref.view %ws[%c148][] : memref<296xi8> to memref<37xf32>
  linalg.fill ins(%zero : f32) outs(%var : memref<37xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x, %sum : memref<37x64xf32>, memref<37xf32>) outs(%var : memref<37xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %in, %m : f32
    %d2 = arith.mulf %d, %d : f32
    %v = arith.addf %out, %d2 : f32
    linalg.yield %v : f32
  }
  %y = memref.view %ws[%c0][] : memref<296xi8> to memref<1x64xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %sum, %var, %g, %b : memref<37x64xf32>, memref<37xf32>, memref<37xf32>, memref<64xf32>, memref<64xf32>) outs(%y : memref<1x64xf32>) {
  ^bb0(%in: f32, %s: f32, %v: f32, %gi: f32, %bi: f32, %out: f32):
    %m = arith.divf %s, %n : f32
    %vm = arith.divf %v, %n : f32
    %ve = arith.addf %vm, %eps : f32
    %sd = math.sqrt %ve : f32
    %d = arith.subf %in, %m : f32
    %q = arith.divf %d, %sd : f32
    %r = arith.mulf %q, %gi : f32
    %o = arith.addf %r, %bi : f32
    linalg.yield %o : f32
  }
  return
}

// -----

// An op between the sums that writes what the second reads splits the
// chain there: the mean's sum a kernel alone, the copy, then the
// variance's sum and the normalization, which reads the first sum from
// memory.
// CHECK-LABEL: func.func @layer_norm_split
// CHECK: gpu.launch
// CHECK-COUNT-5: gpu.barrier
// CHECK: gpu.terminator
// CHECK: linalg.copy
// CHECK: gpu.launch
// CHECK: memref.load %[[SUMBUF:.*]][%{{.*}}] : memref<37xf32>
// CHECK: math.sqrt
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
func.func @layer_norm_split(%x: memref<37x64xf32>, %g: memref<64xf32>, %b: memref<64xf32>, %ws: memref<296xi8>, %y: memref<37x64xf32>, %z: memref<37x64xf32>) {
  %c0 = arith.constant 0 : index
  %c148 = arith.constant 148 : index
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %eps = arith.constant 1.0e-05 : f32
  %sum = memref.view %ws[%c0][] : memref<296xi8> to memref<37xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<37xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<37x64xf32>) outs(%sum : memref<37xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  linalg.copy ins(%z : memref<37x64xf32>) outs(%x : memref<37x64xf32>)
  %var = memref.view %ws[%c148][] : memref<296xi8> to memref<37xf32>
  linalg.fill ins(%zero : f32) outs(%var : memref<37xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x, %sum : memref<37x64xf32>, memref<37xf32>) outs(%var : memref<37xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %in, %m : f32
    %d2 = arith.mulf %d, %d : f32
    %v = arith.addf %out, %d2 : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %sum, %var, %g, %b : memref<37x64xf32>, memref<37xf32>, memref<37xf32>, memref<64xf32>, memref<64xf32>) outs(%y : memref<37x64xf32>) {
  ^bb0(%in: f32, %s: f32, %v: f32, %gi: f32, %bi: f32, %out: f32):
    %m = arith.divf %s, %n : f32
    %vm = arith.divf %v, %n : f32
    %ve = arith.addf %vm, %eps : f32
    %sd = math.sqrt %ve : f32
    %d = arith.subf %in, %m : f32
    %q = arith.divf %d, %sd : f32
    %r = arith.mulf %q, %gi : f32
    %o = arith.addf %r, %bi : f32
    linalg.yield %o : f32
  }
  return
}

// -----

// Left to a thread per output: fewer elements an output than a warp;
// inputs whose reduced elements and whose outputs' neighbours are both a
// stride apart; a reduction over two loops whose inputs run along the
// last reduced one (no row of one loop, no column); a combiner that does
// not reassociate (out - x); a body that reads a loop index.
// CHECK-LABEL: func.func @refused
// CHECK-NOT: gpu.launch
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: gpu.launch
// WHY-DAG: rep-map-reductions-to-gpu: refused at {{.*}}: fewer elements an output than a warp
// WHY-DAG: rep-map-reductions-to-gpu: refused at {{.*}}: its body reads loop indices
// WHY-DAG: rep-map-reductions-to-gpu: refused at {{.*}}: its inputs are read along memory neither by the reduced loop nor by the output's last
// WHY-DAG: rep-map-reductions-to-gpu: refused at {{.*}}: its combiner is not an add, a multiply, a max or a min
func.func @refused(%short: memref<5x16xf32>, %o5: memref<5xf32>, %x: memref<64x48xf32>, %o64: memref<64xf32>, %y: memref<4x40x40xf32>, %o4: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%short : memref<5x16xf32>) outs(%o5 : memref<5xf32>) {
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
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<64x48xf32>) outs(%o64 : memref<64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %k = linalg.index 1 : index
    %ki = arith.index_cast %k : index to i32
    %kf = arith.sitofp %ki : i32 to f32
    %p = arith.mulf %in, %kf : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}
