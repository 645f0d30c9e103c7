// RUN: rep-opt %s -rep-approximate-math | FileCheck %s
// Numerically: every GELU model test (ConvMixer, ConvMLP, RepMLPNet,
// ResMLP) runs its compiled GELU through this pass and matches PyTorch
// within 1e-4 relative.

// erf and exp on vectors become arith ops: no call, no math op left.
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
