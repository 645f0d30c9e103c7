// RUN: rep-opt %s -rep-approximate-math | FileCheck %s
// Numerically: tests/CodeGen/ops/erf.mlir holds erf to 4e-7 of the exact
// value on [-6, 6] and at the infinities, and every GELU model test
// (ConvMixer, ConvMLP, RepMLPNet, ResMLP) matches PyTorch within 1e-4.

// erf and exp on vectors become arith ops: no call, no math op but fma.
// CHECK-LABEL: func @gelu_parts
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK-NOT: call
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: return
func.func @gelu_parts(%x: vector<16xf32>) -> (vector<16xf32>, vector<16xf32>) {
  %e = math.erf %x : vector<16xf32>
  %p = math.exp %x : vector<16xf32>
  return %e, %p : vector<16xf32>, vector<16xf32>
}

// erf is one rational function on the clamped input: six FMAs for the
// numerator, four for the denominator, one division, no selects.
// CHECK-LABEL: func @erf_rational
// CHECK-SAME: (%[[X:.*]]: vector<16xf32>)
// CHECK: %[[LO:.*]] = arith.minimumf %[[X]], %{{.*}} : vector<16xf32>
// CHECK: %[[C:.*]] = arith.maximumf %[[LO]], %{{.*}} : vector<16xf32>
// CHECK: %[[X2:.*]] = arith.mulf %[[C]], %[[C]]
// CHECK-COUNT-6: math.fma {{.*}}, %[[X2]], {{.*}} : vector<16xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[C]], %{{.*}} : vector<16xf32>
// CHECK-COUNT-4: math.fma {{.*}}, %[[X2]], {{.*}} : vector<16xf32>
// CHECK: %[[R:.*]] = arith.divf %[[P]], %{{.*}} : vector<16xf32>
// CHECK-NOT: arith.select
// CHECK: return %[[R]]
func.func @erf_rational(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.erf %x : vector<16xf32>
  return %e : vector<16xf32>
}

// Scalars take the same rational function.
// CHECK-LABEL: func @erf_scalar
// CHECK-COUNT-10: math.fma {{.*}} : f32
// CHECK: arith.divf {{.*}} : f32
func.func @erf_scalar(%x: f32) -> f32 {
  %e = math.erf %x : f32
  return %e : f32
}

// f64 has no such coefficients here: upstream's approximation (or libm)
// keeps it.
// CHECK-LABEL: func @erf_f64
// CHECK-NOT: math.fma
// CHECK: return
func.func @erf_f64(%x: f64) -> f64 {
  %e = math.erf %x : f64
  return %e : f64
}
