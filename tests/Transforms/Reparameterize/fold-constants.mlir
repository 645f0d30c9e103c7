// RUN: rep-opt %s -rep-fold-constants -split-input-file | FileCheck %s
// RUN: rep-opt %s -rep-fold-constants -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// Numerically: every case, folded by the whole pipeline, within 1e-5.
// RUN: repc %s --verify --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// NUM-COUNT-2: verify @

// A weight-only chain (DBB's identity added to a 1x1 kernel, then a
// transposed view of it) becomes one constant with the computed values.
// CHECK-LABEL: func @weight_chain
// CHECK-DAG: %[[W:.*]] = rep.constant dense<{{\[\[\[\[}}2.500000e+00]], {{\[\[}}-1.000000e+00]]], {{\[\[\[}}3.000000e+00]], {{\[\[}}1.500000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK: rep.conv2d %arg0, %[[W]]
// CHECK-NOT: rep.add
func.func @weight_chain(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %k = rep.constant dense<[[[[1.5]], [[3.0]]], [[[-1.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %id = rep.constant dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %sum = rep.add %k, %id : (tensor<2x2x1x1xf32>, tensor<2x2x1x1xf32>) -> tensor<2x2x1x1xf32>
  %w = rep.transpose %sum {perm = array<i64: 1, 0, 2, 3>} : (tensor<2x2x1x1xf32>) -> tensor<2x2x1x1xf32>
  %y = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// An op reading the graph input is not folded.
// CHECK-LABEL: func @reads_input
// CHECK: rep.mul %arg0
// WHY: rep-fold-constants: refused at 'scale': an operand is not a constant
func.func @reads_input(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c = rep.constant dense<2.0> : tensor<f32>
  %y = rep.mul %x, %c : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32> loc("scale")
  return %y : tensor<2x3xf32>
}
