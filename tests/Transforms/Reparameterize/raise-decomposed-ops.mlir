// RUN: rep-opt %s -rep-raise-decomposed-ops -split-input-file -mlir-print-debuginfo | FileCheck %s

// The chain PyTorch exports for nn.GELU becomes one gelu whose location
// fuses every node it replaced.
// CHECK-LABEL: func @gelu
// CHECK-NEXT: %[[G:.*]] = rep.gelu %arg0 : tensor<2x3xf32> loc(#[[LOC:.*]])
// CHECK-NEXT: return %[[G]]
// CHECK-DAG: #[[L1:.*]] = loc("div")
// CHECK-DAG: #[[L2:.*]] = loc("erf")
// CHECK-DAG: #[[L3:.*]] = loc("add")
// CHECK-DAG: #[[L4:.*]] = loc("mul")
// CHECK-DAG: #[[L5:.*]] = loc("half")
// CHECK: #[[LOC]] = loc(fused[#[[L1]], #[[L2]], #[[L3]], #[[L4]], #[[L5]]])
func.func @gelu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %s = rep.constant dense<1.41421354> : tensor<f32>
  %one = rep.constant dense<1.0> : tensor<f32>
  %h = rep.constant dense<0.5> : tensor<f32>
  %0 = rep.div %x, %s : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32> loc("div")
  %1 = rep.erf %0 : tensor<2x3xf32> loc("erf")
  %2 = rep.add %1, %one : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32> loc("add")
  %3 = rep.mul %x, %2 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32> loc("mul")
  %4 = rep.mul %3, %h : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32> loc("half")
  return %4 : tensor<2x3xf32>
}

// -----

// Commuted operands and x * (1/sqrt(2)) are the same function.
// CHECK-LABEL: func @gelu_commuted
// CHECK-NEXT: rep.gelu %arg0
// CHECK-NEXT: return
func.func @gelu_commuted(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = rep.constant dense<0.707106769> : tensor<1xf32>
  %one = rep.constant dense<1.0> : tensor<1xf32>
  %h = rep.constant dense<0.5> : tensor<1xf32>
  %0 = rep.mul %s, %x : (tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = rep.erf %0 : tensor<4xf32>
  %2 = rep.add %one, %1 : (tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = rep.mul %2, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = rep.mul %h, %3 : (tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// A chain with another constant (x / 2) is a different function: kept.
// CHECK-LABEL: func @not_gelu
// CHECK-NOT: rep.gelu
// CHECK: rep.erf
func.func @not_gelu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = rep.constant dense<2.0> : tensor<f32>
  %one = rep.constant dense<1.0> : tensor<f32>
  %h = rep.constant dense<0.5> : tensor<f32>
  %0 = rep.div %x, %s : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = rep.erf %0 : tensor<4xf32>
  %2 = rep.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = rep.mul %x, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = rep.mul %3, %h : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// The opset < 17 LayerNorm chain over the last dim becomes layer_norm with
// the chain's epsilon; its location fuses all nine nodes.
// CHECK-LABEL: func @layer_norm
// CHECK-NEXT: %[[G:.*]] = rep.constant
// CHECK-NEXT: %[[B:.*]] = rep.constant
// CHECK-NEXT: %[[LN:.*]] = rep.layer_norm %arg0, %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32> loc(#[[LOC:.*]])
// CHECK-NEXT: return %[[LN]]
// CHECK-DAG: #[[M1:.*]] = loc("m1")
// CHECK-DAG: #[[SHIFT:.*]] = loc("shift")
// CHECK: #[[LOC]] = loc(fused[#[[M1]], {{.*}}, #[[SHIFT]]])
func.func @layer_norm(%x: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  %g = rep.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %b = rep.constant dense<[0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0]> : tensor<8xf32>
  %two = rep.constant dense<2.0> : tensor<f32>
  %eps = rep.constant dense<1.0e-5> : tensor<f32>
  %0 = rep.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<2x5x8xf32>) -> tensor<2x5x1xf32> loc("m1")
  %1 = rep.sub %x, %0 : (tensor<2x5x8xf32>, tensor<2x5x1xf32>) -> tensor<2x5x8xf32> loc("sub")
  %2 = rep.pow %1, %two : (tensor<2x5x8xf32>, tensor<f32>) -> tensor<2x5x8xf32> loc("pow")
  %3 = rep.reduce_mean %2 {axes = array<i64: 2>, keepdims = true} : (tensor<2x5x8xf32>) -> tensor<2x5x1xf32> loc("m2")
  %4 = rep.add %3, %eps : (tensor<2x5x1xf32>, tensor<f32>) -> tensor<2x5x1xf32> loc("eps")
  %5 = rep.sqrt %4 : tensor<2x5x1xf32> loc("sqrt")
  %6 = rep.div %1, %5 : (tensor<2x5x8xf32>, tensor<2x5x1xf32>) -> tensor<2x5x8xf32> loc("div")
  %7 = rep.mul %6, %g : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32> loc("scale")
  %8 = rep.add %7, %b : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32> loc("shift")
  return %8 : tensor<2x5x8xf32>
}

// -----

// Without a bias (timm's LayerNorm2d(bias=False), PoolFormerV2) the chain
// ends at the `* gamma`: a layer_norm with a zero bias, its location the
// eight nodes.
// CHECK-LABEL: func @layer_norm_no_bias
// CHECK-DAG: %[[G:.*]] = rep.constant dense<{{.*}}> : tensor<8xf32>
// CHECK-DAG: %[[Z:.*]] = rep.constant dense<0.000000e+00> : tensor<8xf32>
// CHECK: %[[LN:.*]] = rep.layer_norm %arg0, %[[G]], %[[Z]] {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: return %[[LN]]
func.func @layer_norm_no_bias(%x: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  %g = rep.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %two = rep.constant dense<2.0> : tensor<f32>
  %eps = rep.constant dense<1.0e-6> : tensor<f32>
  %0 = rep.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<2x5x8xf32>) -> tensor<2x5x1xf32>
  %1 = rep.sub %x, %0 : (tensor<2x5x8xf32>, tensor<2x5x1xf32>) -> tensor<2x5x8xf32>
  %2 = rep.pow %1, %two : (tensor<2x5x8xf32>, tensor<f32>) -> tensor<2x5x8xf32>
  %3 = rep.reduce_mean %2 {axes = array<i64: 2>, keepdims = true} : (tensor<2x5x8xf32>) -> tensor<2x5x1xf32>
  %4 = rep.add %3, %eps : (tensor<2x5x1xf32>, tensor<f32>) -> tensor<2x5x1xf32>
  %5 = rep.sqrt %4 : tensor<2x5x1xf32>
  %6 = rep.div %1, %5 : (tensor<2x5x8xf32>, tensor<2x5x1xf32>) -> tensor<2x5x8xf32>
  %7 = rep.mul %6, %g : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  return %7 : tensor<2x5x8xf32>
}

// -----

// Normalizing over a leading dim (axes = [1] of 3) is not a LayerNorm.
// CHECK-LABEL: func @not_trailing
// CHECK-NOT: rep.layer_norm
// CHECK: rep.sqrt
// CHECK: rep.div
func.func @not_trailing(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>) -> tensor<2x5x8xf32> {
  %two = rep.constant dense<2.0> : tensor<f32>
  %eps = rep.constant dense<1.0e-5> : tensor<f32>
  %0 = rep.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<2x5x8xf32>) -> tensor<2x1x8xf32>
  %1 = rep.sub %x, %0 : (tensor<2x5x8xf32>, tensor<2x1x8xf32>) -> tensor<2x5x8xf32>
  %2 = rep.pow %1, %two : (tensor<2x5x8xf32>, tensor<f32>) -> tensor<2x5x8xf32>
  %3 = rep.reduce_mean %2 {axes = array<i64: 1>, keepdims = true} : (tensor<2x5x8xf32>) -> tensor<2x1x8xf32>
  %4 = rep.add %3, %eps : (tensor<2x1x8xf32>, tensor<f32>) -> tensor<2x1x8xf32>
  %5 = rep.sqrt %4 : tensor<2x1x8xf32>
  %6 = rep.div %1, %5 : (tensor<2x5x8xf32>, tensor<2x1x8xf32>) -> tensor<2x5x8xf32>
  %7 = rep.mul %6, %g : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  %8 = rep.add %7, %g : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  return %8 : tensor<2x5x8xf32>
}

// -----

// A gamma that is a function argument (not a constant over the normalized
// dims) is refused: the chain stays as it is.
// CHECK-LABEL: func @gamma_not_constant
// CHECK-NOT: rep.layer_norm
// CHECK: rep.sqrt
// CHECK: rep.div
func.func @gamma_not_constant(%x: tensor<2x8xf32>, %g: tensor<8xf32>) -> tensor<2x8xf32> {
  %two = rep.constant dense<2.0> : tensor<f32>
  %eps = rep.constant dense<1.0e-5> : tensor<f32>
  %0 = rep.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %1 = rep.sub %x, %0 : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %2 = rep.pow %1, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %3 = rep.reduce_mean %2 {axes = array<i64: 1>, keepdims = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %4 = rep.add %3, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %5 = rep.sqrt %4 : tensor<2x1xf32>
  %6 = rep.div %1, %5 : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %7 = rep.mul %6, %g : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %8 = rep.add %7, %g : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %8 : tensor<2x8xf32>
}
