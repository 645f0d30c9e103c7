// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-tile-contractions-for-gpu))" -split-input-file | FileCheck %s
// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-tile-contractions-for-gpu))" -split-input-file -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-tile-contractions-for-gpu{multiprocessors=132}))" -split-input-file | FileCheck %s --check-prefix=SPLIT
// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-tile-contractions-for-gpu{multiprocessors=10}))" -split-input-file | FileCheck %s --check-prefix=WIDE
// Numerically: tests/CodeGen/cuda/contractions.test runs these kernels at
// the borders (host builds, the CUDA driver emulator) against the
// interpreter.

// A 200x40 by 40x64 matmul: two 128-row tiles of 64 columns, 128 threads
// of 8 x 8 accumulators, two buffers each of a 16x132 and a 16x64 slice in
// shared memory, also viewed as vectors of 4; the accumulators start from
// the output. Each thread stores its 16 + 8 elements of the first slices
// into buffer 0 before the loop, then three 16-deep rounds, one barrier
// each: a round loads the next round's elements (if any), then its 16
// steps, each of which loads two vectors of a and two of b out of the
// round's buffer for 64 FMAs, then stores what it loaded into the other
// buffer; the last row tile and the last round are guarded.
// CHECK-LABEL: func.func @matmul
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c2, %{{.*}} = %c1, %{{.*}} = %c1) threads({{.*}}) in (%{{.*}} = %c128, %{{.*}} = %c1, %{{.*}} = %c1) dynamic_shared_memory_size %c25088_i32
// CHECK: %[[SMEM:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: %[[A:.*]] = memref.view %[[SMEM]][%c0][] : {{.*}} to memref<2x16x132xf32, #gpu.address_space<workgroup>>
// CHECK: %[[B:.*]] = memref.view %[[SMEM]][%c16896][] : {{.*}} to memref<2x16x64xf32, #gpu.address_space<workgroup>>
// CHECK: %[[VA:.*]] = memref.view %[[SMEM]][%c0][] : {{.*}} to memref<2x16x33xvector<4xf32>, #gpu.address_space<workgroup>>
// CHECK: %[[VB:.*]] = memref.view %[[SMEM]][%c16896][] : {{.*}} to memref<2x16x16xvector<4xf32>, #gpu.address_space<workgroup>>
// CHECK: arith.cmpi ult, %{{.*}}, %c200
// CHECK: memref.load %arg2
// CHECK: arith.cmpi ult, %{{.*}}, %c40
// CHECK: memref.load %arg0
// CHECK: memref.load %arg1
// CHECK: memref.store %{{.*}}, %[[A]][%c0,
// CHECK: memref.store %{{.*}}, %[[B]][%c0,
// CHECK: gpu.barrier
// CHECK: scf.for %[[K:.*]] = %c0 to %c48 step %c16 iter_args({{.*}}) -> ({{(f32, ){63}f32}}) {
// CHECK-NOT: memref.store
// CHECK:   %[[ROUND:.*]] = arith.divui %[[K]], %c16
// CHECK:   %[[BUF:.*]] = arith.remui %[[ROUND]], %c2
// CHECK:   %[[NEXT:.*]] = arith.addi %[[K]], %c16
// CHECK:   %[[MORE:.*]] = arith.cmpi ult, %[[NEXT]], %c48
// CHECK:   scf.if %[[MORE]] -> ({{(f32, ){23}f32}}) {
// CHECK:     arith.cmpi ult, %{{.*}}, %c40
// CHECK:     memref.load %arg0
// CHECK:     memref.load %arg1
// CHECK-COUNT-2: memref.load %[[VA]][%[[BUF]], %c0,
// CHECK-COUNT-2: memref.load %[[VB]][%[[BUF]], %c0,
// CHECK-COUNT-64: arith.mulf
// CHECK-COUNT-2: memref.load %[[VA]][%[[BUF]], %c15,
// CHECK-COUNT-2: memref.load %[[VB]][%[[BUF]], %c15,
// CHECK-COUNT-64: arith.mulf
// CHECK-NOT: memref.load
// CHECK:   %[[NROUND:.*]] = arith.divui %[[NEXT]], %c16
// CHECK:   %[[OTHER:.*]] = arith.remui %[[NROUND]], %c2
// CHECK:   memref.store %{{.*}}, %[[A]][%[[OTHER]],
// CHECK:   memref.store %{{.*}}, %[[B]][%[[OTHER]],
// CHECK-NOT: memref.load
// CHECK:   gpu.barrier
// CHECK:   scf.yield
// CHECK: memref.store %{{.*}}, %arg2
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<200x40xf32>, %b: memref<40x64xf32>, %c: memref<200x64xf32>) {
  linalg.matmul ins(%a, %b : memref<200x40xf32>, memref<40x64xf32>) outs(%c : memref<200x64xf32>)
  return
}

// -----

// A stride-2 NHWC conv is an implicit im2col: rows (n, oh, ow), depth
// (kh, kw, c) read at oh * 2 + kh; its 32 rows fit a 32-row tile (no
// padding rows), 16 columns, so 32 threads of 4 x 4, read as vectors of 2.
// CHECK-DAG: #[[H:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1 * 2 + d4)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d2 * 2 + d5)>
// CHECK-LABEL: func.func @conv
// CHECK: gpu.launch {{.*}} in (%{{.*}} = %c1, {{.*}} threads({{.*}}) in (%{{.*}} = %c32,
// CHECK: %[[OH:.*]] = affine.apply #[[H]](
// CHECK: %[[OW:.*]] = affine.apply #[[W]](
// CHECK: memref.load %arg0[%{{.*}}, %[[OH]], %[[OW]], %{{.*}}] : memref<2x9x9x8xf32>
// CHECK: scf.for
// CHECK:   memref.load {{.*}} : memref<2x16x18xvector<2xf32>, #gpu.address_space<workgroup>>
// CHECK:   memref.load {{.*}} : memref<2x16x8xvector<2xf32>, #gpu.address_space<workgroup>>
// CHECK:   gpu.barrier
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
func.func @conv(%x: memref<2x9x9x8xf32>, %w: memref<3x3x8x16xf32>, %y: memref<2x4x4x16xf32>) {
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : memref<2x9x9x8xf32>, memref<3x3x8x16xf32>) outs(%y : memref<2x4x4x16xf32>)
  return
}

// -----

// A grouped conv (n, oh, ow, g, f): the group indexes both inputs, so each
// of the 3 groups is its own GEMM, a block each; 24 filters per group, 16
// rows in a 32-row tile: 6 x 16 threads (whole warps) of 2 x 4, whose
// rows are single words.
// CHECK-LABEL: func.func @grouped
// CHECK: gpu.launch {{.*}} in (%{{.*}} = %c3, {{.*}} threads({{.*}}) in (%{{.*}} = %c96,
// CHECK: memref.view {{.*}} to memref<2x16x36xf32, #gpu.address_space<workgroup>>
// CHECK: memref.load {{.*}} : memref<2x16x36xf32, #gpu.address_space<workgroup>>
// CHECK: memref.load {{.*}} : memref<2x16x12xvector<2xf32>, #gpu.address_space<workgroup>>
func.func @grouped(%x: memref<1x6x6x3x4xf32>, %w: memref<3x3x3x4x24xf32>, %y: memref<1x4x4x3x24xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1 + d5, d2 + d6, d3, d7)>, affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d3, d5, d6, d7, d4)>, affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x6x6x3x4xf32>, memref<3x3x3x4x24xf32>) outs(%y : memref<1x4x4x3x24xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Two 128-row tiles would leave 130 of 132 multiprocessors idle: with
// multiprocessors=132, two 64-row tiles, and the 520-deep sum split into
// 11 of 48 (3 rounds; the last 40 deep, guarded at 520), 22 blocks that
// store partial sums from 0; a second kernel, a thread per output, adds
// the 11 in order to the output's value and stores it. Without the
// option, one kernel as before.
// CHECK-LABEL: func.func @split
// CHECK-NOT: memref.alloc
// CHECK: gpu.launch {{.*}} in (%{{.*}} = %c1, {{.*}} threads({{.*}}) in (%{{.*}} = %c128,
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: return
// SPLIT-LABEL: func.func @split
// SPLIT: %[[P:.*]] = memref.alloc() : memref<11x100x64xf32>
// SPLIT: gpu.launch blocks(%[[BLOCK:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c22, {{.*}} threads({{.*}}) in (%{{.*}} = %c64,
// SPLIT: %[[S:.*]] = arith.divui %[[BLOCK]], %c2
// SPLIT: memref.view {{.*}} to memref<2x16x68xf32, #gpu.address_space<workgroup>>
// SPLIT-NOT: memref.load %arg2
// SPLIT: %[[K0:.*]] = arith.muli %[[S]], %c48
// SPLIT: %[[K1:.*]] = arith.addi %[[K0]], %c48
// SPLIT: %[[END:.*]] = arith.minui %[[K1]], %c528
// SPLIT: scf.for %{{.*}} = %[[K0]] to %[[END]] step %c16 iter_args
// SPLIT:   arith.cmpi ult, %{{.*}}, %c520
// SPLIT: memref.store %{{.*}}, %[[P]][%[[S]], %{{.*}}, %{{.*}}] : memref<11x100x64xf32>
// SPLIT-NOT: memref.store %{{.*}}, %arg2
// SPLIT: gpu.terminator
// SPLIT: gpu.launch {{.*}} in (%{{.*}} = %c25, {{.*}} threads({{.*}}) in (%{{.*}} = %c256,
// SPLIT: %[[START:.*]] = memref.load %arg2[
// SPLIT: %[[SUM:.*]] = scf.for %[[I:.*]] = %c0 to %c11 step %c1 iter_args(%[[ACC:.*]] = %[[START]]) -> (f32) {
// SPLIT:   %[[X:.*]] = memref.load %[[P]][%[[I]],
// SPLIT:   %[[ADD:.*]] = arith.addf %[[ACC]], %[[X]] : f32
// SPLIT:   scf.yield %[[ADD]]
// SPLIT: memref.store %[[SUM]], %arg2[
// SPLIT-NOT: linalg.matmul
func.func @split(%a: memref<100x520xf32>, %b: memref<520x64xf32>, %c: memref<100x64xf32>) {
  linalg.matmul ins(%a, %b : memref<100x520xf32>, memref<520x64xf32>) outs(%c : memref<100x64xf32>)
  return
}

// -----

// A 32-row fc of depth 2048 is one block of 96 threads: split 64 ways,
// 32 deep each. The bias broadcast is the second kernel's start value and
// the ReLU applies to its sum; the split kernel reads neither.
// SPLIT-LABEL: func.func @split_fused
// SPLIT-NOT: linalg.broadcast
// SPLIT: %[[P:.*]] = memref.alloc() : memref<64x32x48xf32>
// SPLIT: gpu.launch {{.*}} in (%{{.*}} = %c64, {{.*}} threads({{.*}}) in (%{{.*}} = %c96,
// SPLIT-NOT: memref.load %arg2
// SPLIT-NOT: arith.maximumf
// SPLIT: memref.store %{{.*}}, %[[P]]
// SPLIT: gpu.terminator
// SPLIT: gpu.launch {{.*}} in (%{{.*}} = %c6, {{.*}} threads({{.*}}) in (%{{.*}} = %c256,
// SPLIT: memref.load %arg2[%{{.*}}] : memref<48xf32>
// SPLIT: %[[SUM:.*]] = scf.for
// SPLIT: memref.store %[[SUM]], %[[OUT:.*]][
// SPLIT-NEXT: %[[R:.*]] = arith.maximumf %[[SUM]], %{{.*}} : f32
// SPLIT-NEXT: memref.store %[[R]], %arg3[
// SPLIT-NOT: linalg.generic
// SPLIT: return
func.func @split_fused(%x: memref<32x2048xf32>, %w: memref<2048x48xf32>, %b: memref<48xf32>, %y: memref<32x48xf32>, %ws: memref<6144xi8>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = memref.view %ws[%c0][] : memref<6144xi8> to memref<32x48xf32>
  linalg.broadcast ins(%b : memref<48xf32>) outs(%t : memref<32x48xf32>) dimensions = [0]
  linalg.matmul ins(%x, %w : memref<32x2048xf32>, memref<2048x48xf32>) outs(%t : memref<32x48xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t : memref<32x48xf32>) outs(%y : memref<32x48xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// With multiprocessors=132, a 1-row fc of depth 512 is one block too, but
// its threads have 512 multiply-adds each to do: not worth the kernel
// that would add the splits.
// SPLIT-LABEL: func.func @too_small_to_split
// SPLIT-NOT: memref.alloc
// SPLIT: gpu.launch {{.*}} in (%{{.*}} = %c1, {{.*}} threads({{.*}}) in (%{{.*}} = %c64,
// SPLIT: gpu.terminator
// SPLIT-NOT: gpu.launch
// SPLIT: return
func.func @too_small_to_split(%x: memref<1x512xf32>, %w: memref<512x64xf32>, %y: memref<1x64xf32>) {
  linalg.matmul ins(%x, %w : memref<1x512xf32>, memref<512x64xf32>) outs(%y : memref<1x64xf32>)
  return
}

// -----

// A depthwise conv: one thread per channel and 5 consecutive output
// columns (10 = 2 x 5: no guard), 1 x 9 x 2 x 16 = 288 threads; its 3x3
// taps unrolled, with 9 weight loads and each input element the 5 windows
// share loaded once: 3 rows of 5 + 2, 21 loads for 45 multiply-adds.
// CHECK-LABEL: func.func @depthwise
// CHECK: gpu.launch {{.*}} in (%{{.*}} = %c2, {{.*}} threads({{.*}}) in (%{{.*}} = %c256,
// CHECK: arith.cmpi ult, %{{.*}}, %c288
// CHECK-COUNT-5: memref.load %arg2
// CHECK: memref.load %arg1[%c0, %c0,
// CHECK-COUNT-21: memref.load %arg0
// CHECK-NOT: memref.load
// CHECK-COUNT-5: memref.store %{{.*}}, %arg2
// CHECK-NOT: linalg.depthwise_conv_2d_nhwc_hwc
func.func @depthwise(%x: memref<1x11x12x16xf32>, %w: memref<3x3x16xf32>, %y: memref<1x9x10x16xf32>) {
  linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x11x12x16xf32>, memref<3x3x16xf32>) outs(%y : memref<1x9x10x16xf32>)
  return
}

// -----

// Left to rep-map-parallel-loops-to-gpu: a depthwise conv with more taps
// than either kernel takes, a channel-wise dot product (no window), too
// few columns, tensors, dynamic shapes and anything that is not a
// multiply-accumulate.
// CHECK-LABEL: func.func @kept
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK: linalg.generic
// CHECK: linalg.matmul {{.*}} outs(%{{.*}} : memref<8x4xf32>)
// CHECK: linalg.matmul {{.*}} -> tensor<8x16xf32>
// CHECK: linalg.matmul {{.*}} outs(%{{.*}} : memref<?x16xf32>)
// CHECK: linalg.generic
// CHECK-NOT: gpu.launch
// WHY-DAG: rep-tile-contractions-for-gpu: refused at {{.*}}: both inputs are indexed by the output's last dimension (depthwise)
// WHY-DAG: rep-tile-contractions-for-gpu: refused at {{.*}}: more than 128 taps to unroll
// WHY-DAG: rep-tile-contractions-for-gpu: refused at {{.*}}: the output's second-last dimension indexes both inputs or neither: no window to share
// WHY-DAG: rep-tile-contractions-for-gpu: refused at {{.*}}: not a depthwise conv: the output's last dimension does not index both inputs
// WHY-DAG: rep-tile-contractions-for-gpu: refused at {{.*}}: fewer than 16 output columns
// WHY-DAG: rep-tile-contractions-for-gpu: refused at {{.*}}: not on buffers
// WHY-DAG: rep-tile-contractions-for-gpu: refused at {{.*}}: not static f32
// WHY-DAG: rep-tile-contractions-for-gpu: refused at {{.*}}: not a multiply-accumulate
func.func @kept(%x: memref<1x14x14x16xf32>, %dw: memref<12x12x16xf32>, %dy: memref<1x3x3x16xf32>,
                %p: memref<4x16x8xf32>, %q: memref<4x16x8xf32>, %pq: memref<4x16xf32>,
                %a: memref<8x8xf32>, %b: memref<8x4xf32>, %c: memref<8x4xf32>,
                %ta: tensor<8x8xf32>, %tb: tensor<8x16xf32>, %tc: tensor<8x16xf32>,
                %da: memref<?x8xf32>, %db: memref<8x16xf32>, %dc: memref<?x16xf32>,
                %e: memref<8x16xf32>) -> tensor<8x16xf32> {
  linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %dw : memref<1x14x14x16xf32>, memref<12x12x16xf32>) outs(%dy : memref<1x3x3x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%p, %q : memref<4x16x8xf32>, memref<4x16x8xf32>) outs(%pq : memref<4x16xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  linalg.matmul ins(%a, %b : memref<8x8xf32>, memref<8x4xf32>) outs(%c : memref<8x4xf32>)
  %t = linalg.matmul ins(%ta, %tb : tensor<8x8xf32>, tensor<8x16xf32>) outs(%tc : tensor<8x16xf32>) -> tensor<8x16xf32>
  linalg.matmul ins(%da, %db : memref<?x8xf32>, memref<8x16xf32>) outs(%dc : memref<?x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%db, %db : memref<8x16xf32>, memref<8x16xf32>) outs(%e : memref<8x16xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    linalg.yield %0 : f32
  }
  return %t : tensor<8x16xf32>
}

// -----

// The bias broadcast before the conv becomes the accumulators' start and
// the ReLU after it is applied to them, past the zero border of the next
// conv's padded input (left in place: it touches neither buffer), into its
// interior; the conv's output is still written for other readers. Neither
// op remains as a kernel of its own.
// CHECK-LABEL: func.func @fused
// CHECK-NOT: linalg.broadcast
// CHECK: gpu.launch
// CHECK-NOT: memref.load %arg3
// CHECK: memref.load %arg2[%{{.*}}] : memref<16xf32>
// CHECK: scf.for
// CHECK: memref.store %[[ACC:.*]], %[[OUT:.*]][{{.*}}] : memref<2x4x4x16xf32>
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[ACC]], %{{.*}} : f32
// CHECK-NEXT: memref.store %[[R]], %{{.*}} : memref<2x4x4x16xf32, strided<[576, 96, 16, 1], offset: 112>>
// CHECK: gpu.terminator
// CHECK-NEXT: }
// CHECK-NEXT: linalg.fill
// CHECK-NOT: linalg.generic
func.func @fused(%x: memref<2x9x9x8xf32>, %w: memref<3x3x8x16xf32>, %b: memref<16xf32>, %ws: memref<8192xi8>, %next: memref<2x6x6x16xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.view %ws[%c0][] : memref<8192xi8> to memref<2x4x4x16xf32>
  linalg.broadcast ins(%b : memref<16xf32>) outs(%y : memref<2x4x4x16xf32>) dimensions = [0, 1, 2]
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : memref<2x9x9x8xf32>, memref<3x3x8x16xf32>) outs(%y : memref<2x4x4x16xf32>)
  %border = memref.subview %next[0, 0, 0, 0] [2, 1, 6, 16] [1, 1, 1, 1] : memref<2x6x6x16xf32> to memref<2x1x6x16xf32, strided<[576, 96, 16, 1]>>
  linalg.fill ins(%zero : f32) outs(%border : memref<2x1x6x16xf32, strided<[576, 96, 16, 1]>>)
  %inner = memref.subview %next[0, 1, 1, 0] [2, 4, 4, 16] [1, 1, 1, 1] : memref<2x6x6x16xf32> to memref<2x4x4x16xf32, strided<[576, 96, 16, 1], offset: 112>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<2x4x4x16xf32>) outs(%inner : memref<2x4x4x16xf32, strided<[576, 96, 16, 1], offset: 112>>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// ConvMixer's block: the ReLU's output is copied, through a reshape, into
// the interior of the next conv's padded input (the residual reads it
// unpadded). The kernel stores each ReLU value there too, at the same
// row-major position, past the border fills (left in place); the copy
// goes.
// CHECK-LABEL: func.func @copied
// CHECK: %[[INNER:.*]] = memref.subview %{{.*}}[0, 1, 1, 0] [2, 4, 4, 16]
// CHECK: gpu.launch
// CHECK: memref.store %[[ACC:[^,]*]], %{{.*}} : memref<32x16xf32>
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[ACC]], %{{.*}} : f32
// CHECK-NEXT: memref.store %[[R]], %{{.*}} : memref<32x16xf32>
// CHECK: memref.store %[[R]], %[[INNER]][{{.*}}] : memref<2x4x4x16xf32, strided<[576, 96, 16, 1], offset: 112>>
// CHECK: gpu.terminator
// CHECK-NEXT: }
// CHECK-NEXT: linalg.fill
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @copied(%x: memref<32x8xf32>, %w: memref<8x16xf32>, %ws: memref<4096xi8>, %next: memref<2x6x6x16xf32>) {
  %c0 = arith.constant 0 : index
  %c2048 = arith.constant 2048 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.view %ws[%c0][] : memref<4096xi8> to memref<32x16xf32>
  linalg.matmul ins(%x, %w : memref<32x8xf32>, memref<8x16xf32>) outs(%y : memref<32x16xf32>)
  %r = memref.view %ws[%c2048][] : memref<4096xi8> to memref<32x16xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y : memref<32x16xf32>) outs(%r : memref<32x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  %border = memref.subview %next[0, 0, 0, 0] [2, 1, 6, 16] [1, 1, 1, 1] : memref<2x6x6x16xf32> to memref<2x1x6x16xf32, strided<[576, 96, 16, 1]>>
  linalg.fill ins(%zero : f32) outs(%border : memref<2x1x6x16xf32, strided<[576, 96, 16, 1]>>)
  %e = memref.expand_shape %r [[0, 1, 2], [3]] output_shape [2, 4, 4, 16] : memref<32x16xf32> into memref<2x4x4x16xf32>
  %inner = memref.subview %next[0, 1, 1, 0] [2, 4, 4, 16] [1, 1, 1, 1] : memref<2x6x6x16xf32> to memref<2x4x4x16xf32, strided<[576, 96, 16, 1], offset: 112>>
  linalg.copy ins(%e : memref<2x4x4x16xf32>) outs(%inner : memref<2x4x4x16xf32, strided<[576, 96, 16, 1], offset: 112>>)
  return
}

// -----

// Not fused: a copy of the ReLU's output into where the matmul reads its
// input (other blocks may still be reading it).
// CHECK-LABEL: func.func @copied_over_input
// CHECK: gpu.launch
// CHECK: gpu.terminator
// CHECK: linalg.copy
func.func @copied_over_input(%ws: memref<4096xi8>, %w: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1024 = arith.constant 1024 : index
  %c2048 = arith.constant 2048 : index
  %zero = arith.constant 0.0 : f32
  %x = memref.view %ws[%c0][] : memref<4096xi8> to memref<16x16xf32>
  %y = memref.view %ws[%c1024][] : memref<4096xi8> to memref<16x16xf32>
  linalg.matmul ins(%x, %w : memref<16x16xf32>, memref<16x16xf32>) outs(%y : memref<16x16xf32>)
  %r = memref.view %ws[%c2048][] : memref<4096xi8> to memref<16x16xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y : memref<16x16xf32>) outs(%r : memref<16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  linalg.copy ins(%r : memref<16x16xf32>) outs(%x : memref<16x16xf32>)
  return
}

// -----

// Not fused: a fill of the copy's target between the matmul and its
// epilogue, which stays behind and would run after the kernel's stores.
// The epilogue still fuses.
// CHECK-LABEL: func.func @copied_after_fill
// CHECK: gpu.launch
// CHECK: arith.maximumf
// CHECK: gpu.terminator
// CHECK-NEXT: }
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: linalg.copy
func.func @copied_after_fill(%x: memref<16x16xf32>, %w: memref<16x16xf32>, %ws: memref<2048xi8>, %t: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1024 = arith.constant 1024 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.view %ws[%c0][] : memref<2048xi8> to memref<16x16xf32>
  linalg.matmul ins(%x, %w : memref<16x16xf32>, memref<16x16xf32>) outs(%y : memref<16x16xf32>)
  linalg.fill ins(%zero : f32) outs(%t : memref<16x16xf32>)
  %r = memref.view %ws[%c1024][] : memref<2048xi8> to memref<16x16xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y : memref<16x16xf32>) outs(%r : memref<16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  linalg.copy ins(%r : memref<16x16xf32>) outs(%t : memref<16x16xf32>)
  return
}

// -----

// Not fused: the ReLU writes where the conv reads its input (the memory
// plan reused it), which other blocks may still be reading; nor the
// broadcast into a buffer its input overlaps.
// CHECK-LABEL: func.func @overlapping
// CHECK: gpu.launch
// CHECK: gpu.terminator
// CHECK: linalg.generic
func.func @overlapping(%ws: memref<16384xi8>, %w: memref<3x3x8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c8192 = arith.constant 8192 : index
  %zero = arith.constant 0.0 : f32
  %x = memref.view %ws[%c0][] : memref<16384xi8> to memref<2x9x9x8xf32>
  %y = memref.view %ws[%c8192][] : memref<16384xi8> to memref<2x4x4x16xf32>
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : memref<2x9x9x8xf32>, memref<3x3x8x16xf32>) outs(%y : memref<2x4x4x16xf32>)
  %r = memref.view %ws[%c0][] : memref<16384xi8> to memref<2x4x4x16xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<2x4x4x16xf32>) outs(%r : memref<2x4x4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// 256 columns of 520 rows: 128 x 128 tiles make 10 blocks, enough for
// multiprocessors=10, so each block takes 128 columns: 16 x 16 threads of
// 8 x 8, whose columns are 4 at 4 x tx and 4 at 64 + 4 x tx (vectors tx
// and tx + 16 of b's slice); two buffers of a 16x132 and a 16x128 slice.
// Without the option, or with 11 multiprocessors, 128 x 64 tiles (20
// blocks of 128 threads).
// WIDE-LABEL: func.func @wide
// WIDE: gpu.launch blocks({{.*}}) in (%{{.*}} = %c10, {{.*}} threads({{.*}}) in (%{{.*}} = %c256, {{.*}} dynamic_shared_memory_size %c33280_i32
// WIDE: %[[TX:.*]] = arith.remui %[[TID:.*]], %c16
// WIDE: %[[TY:.*]] = arith.divui %[[TID]], %c16
// WIDE: memref.view {{.*}} to memref<2x16x132xf32, #gpu.address_space<workgroup>>
// WIDE: memref.view {{.*}} to memref<2x16x128xf32, #gpu.address_space<workgroup>>
// WIDE: %[[VA:.*]] = memref.view {{.*}} to memref<2x16x33xvector<4xf32>, #gpu.address_space<workgroup>>
// WIDE: %[[VB:.*]] = memref.view {{.*}} to memref<2x16x32xvector<4xf32>, #gpu.address_space<workgroup>>
// WIDE: scf.for
// WIDE: memref.load %[[VA]][%{{.*}}, %c0, %[[TY]]]
// WIDE: memref.load %[[VA]][%{{.*}}, %c0, %{{.*}}]
// WIDE: memref.load %[[VB]][%{{.*}}, %c0, %[[TX]]]
// WIDE: memref.load %[[VB]][%{{.*}}, %c0, %{{.*}}]
// WIDE-COUNT-64: arith.mulf
// CHECK-LABEL: func.func @wide
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c20, {{.*}} threads({{.*}}) in (%{{.*}} = %c128,
func.func @wide(%a: memref<520x40xf32>, %b: memref<40x256xf32>, %c: memref<520x256xf32>) {
  linalg.matmul ins(%a, %b : memref<520x40xf32>, memref<40x256xf32>) outs(%c : memref<520x256xf32>)
  return
}
