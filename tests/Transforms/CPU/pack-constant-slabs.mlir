// RUN: rep-opt %s -pass-pipeline='builtin.module(func.func(rep-pack-constant-slabs))' -split-input-file | FileCheck %s
// Numerically: CodeGen/ops/slabs.mlir compiles a filter-split conv and a
// column-split fc with packed weights against the interpreter.

// A thread's slab of 4 columns at 4 * i becomes slab i of a [2, 2, 4]
// constant: columns 0-3 of both rows, then columns 4-7.
// CHECK: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func @forall_slabs
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00], [1.000000e+01, 1.100000e+01, 1.200000e+01, 1.300000e+01]], {{\[\[}}4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00], [1.400000e+01, 1.500000e+01, 1.600000e+01, 1.700000e+01]]]> : tensor<2x2x4xf32>
// CHECK: scf.forall (%[[I:.*]]) in (2)
// CHECK: %[[J:.*]] = affine.apply #[[ID]](%[[I]])
// CHECK: tensor.extract_slice %[[W]][%[[J]], 0, 0] [1, 2, 4] [1, 1, 1] : tensor<2x2x4xf32> to tensor<2x4xf32>
#map = affine_map<(d0) -> (d0 * 4)>
func.func @forall_slabs(%out: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]]> : tensor<2x8xf32>
  %r = scf.forall (%i) in (2) shared_outs(%o = %out) -> (tensor<2x8xf32>) {
    %c = affine.apply #map(%i)
    %s = tensor.extract_slice %w[0, %c] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %o[0, %c] [2, 4] [1, 1] : tensor<2x4xf32> into tensor<2x8xf32>
    }
  }
  return %r : tensor<2x8xf32>
}

// -----

// A 4-D conv filter [kh, kw, c, f] sliced by 2 filters with a stride-6
// offset (a multiple of 2): slabs of [1, 2, 3, 2] behind the slab index,
// which is 3 * i.
// CHECK: #[[THREE:.*]] = affine_map<(d0) -> (d0 * 3)>
// CHECK-LABEL: func @filter_slabs
// CHECK: arith.constant dense<{{.*}}> : tensor<3x1x2x3x2xf32>
// CHECK: affine.apply #[[THREE]]
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}, 0, 0, 0, 0] [1, 1, 2, 3, 2] [1, 1, 1, 1, 1] : tensor<3x1x2x3x2xf32> to tensor<1x2x3x2xf32>
#six = affine_map<(d0) -> (d0 * 6)>
func.func @filter_slabs(%i: index) -> tensor<1x2x3x2xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0, 11.0], [12.0, 13.0, 14.0, 15.0, 16.0, 17.0]], [[18.0, 19.0, 20.0, 21.0, 22.0, 23.0], [24.0, 25.0, 26.0, 27.0, 28.0, 29.0], [30.0, 31.0, 32.0, 33.0, 34.0, 35.0]]]]> : tensor<1x2x3x6xf32>
  %c = affine.apply #six(%i)
  %s = tensor.extract_slice %w[0, 0, 0, %c] [1, 2, 3, 2] [1, 1, 1, 1] : tensor<1x2x3x6xf32> to tensor<1x2x3x2xf32>
  return %s : tensor<1x2x3x2xf32>
}

// -----

// A cache tile loop's counter (from 0, by 4) takes slab iv / 4 of the
// packed [2, 2, 4] constant, as the forall's index does.
// CHECK: #[[QUARTER:.*]] = affine_map<(d0) -> (d0 floordiv 4)>
// CHECK-LABEL: func @loop_slabs
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00], [1.000000e+01, 1.100000e+01, 1.200000e+01, 1.300000e+01]], {{\[\[}}4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00], [1.400000e+01, 1.500000e+01, 1.600000e+01, 1.700000e+01]]]> : tensor<2x2x4xf32>
// CHECK: scf.for %[[IV:.*]] = %c0 to %c8 step %c4
// CHECK: %[[J:.*]] = affine.apply #[[QUARTER]](%[[IV]])
// CHECK: tensor.extract_slice %[[W]][%[[J]], 0, 0] [1, 2, 4] [1, 1, 1] : tensor<2x2x4xf32> to tensor<2x4xf32>
func.func @loop_slabs(%out: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]]> : tensor<2x8xf32>
  %r = scf.for %i = %c0 to %c8 step %c4 iter_args(%o = %out) -> (tensor<2x8xf32>) {
    %s = tensor.extract_slice %w[0, %i] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    %n = tensor.insert_slice %s into %o[0, %i] [2, 4] [1, 1] : tensor<2x4xf32> into tensor<2x8xf32>
    scf.yield %n : tensor<2x8xf32>
  }
  return %r : tensor<2x8xf32>
}

// -----

// Left alone: loops whose slices could straddle two slabs, one stepping
// by 2 and one starting at 2, with 4-column slices.
// CHECK-LABEL: func @loop_kept
// CHECK-COUNT-2: arith.constant {{.*}} : tensor<2x8xf32>
// CHECK-NOT: tensor<2x2x4xf32>
func.func @loop_kept(%out: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %step = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]> : tensor<2x8xf32>
  %r = scf.for %i = %c0 to %c4 step %c2 iter_args(%o = %out) -> (tensor<2x4xf32>) {
    %s = tensor.extract_slice %step[0, %i] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    scf.yield %s : tensor<2x4xf32>
  }
  %start = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]]> : tensor<2x8xf32>
  %q = scf.for %i = %c2 to %c4 step %c4 iter_args(%o = %out) -> (tensor<2x4xf32>) {
    %s = tensor.extract_slice %start[0, %i] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    scf.yield %s : tensor<2x4xf32>
  }
  return %r, %q : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Static offsets work too: columns 2-3 are slab 1.
// CHECK-LABEL: func @static_slabs
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00]], {{\[\[}}3.000000e+00, 4.000000e+00]]]> : tensor<2x1x2xf32>
// CHECK: tensor.extract_slice %[[W]][0, 0, 0] [1, 1, 2]
// CHECK: tensor.extract_slice %[[W]][1, 0, 0] [1, 1, 2]
func.func @static_slabs() -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>
  %a = tensor.extract_slice %w[0, 0] [1, 2] [1, 1] : tensor<1x4xf32> to tensor<1x2xf32>
  %b = tensor.extract_slice %w[0, 2] [1, 2] [1, 1] : tensor<1x4xf32> to tensor<1x2xf32>
  return %a, %b : tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// Left alone, one case each: a reader that takes the whole constant;
// slices of two widths; a slice of some rows only; an offset that is not
// a multiple of the width (columns 2-5 straddle two slabs); a splat
// (nothing to reorder).
// CHECK-LABEL: func @kept
// CHECK-COUNT-5: arith.constant {{.*}} : tensor<2x8xf32>
// CHECK-NOT: tensor<2x2x4xf32>
#two = affine_map<(d0) -> (d0 * 2)>
func.func @kept(%i: index) -> (tensor<2x8xf32>, tensor<2x4xf32>, tensor<2x2xf32>,
                                tensor<1x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %whole = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]> : tensor<2x8xf32>
  %s0 = tensor.extract_slice %whole[0, 4] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
  %widths = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]]> : tensor<2x8xf32>
  %s1 = tensor.extract_slice %widths[0, 0] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
  %s2 = tensor.extract_slice %widths[0, 4] [2, 2] [1, 1] : tensor<2x8xf32> to tensor<2x2xf32>
  %rows = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]]> : tensor<2x8xf32>
  %s3 = tensor.extract_slice %rows[1, 4] [1, 4] [1, 1] : tensor<2x8xf32> to tensor<1x4xf32>
  %straddle = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]]> : tensor<2x8xf32>
  %c = affine.apply #two(%i)
  %s4 = tensor.extract_slice %straddle[0, %c] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
  %splat = arith.constant dense<5.0> : tensor<2x8xf32>
  %s5 = tensor.extract_slice %splat[0, 4] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
  return %whole, %s0, %s2, %s3, %s4, %s5 : tensor<2x8xf32>, tensor<2x4xf32>, tensor<2x2xf32>, tensor<1x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
