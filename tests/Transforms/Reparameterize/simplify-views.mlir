// RUN: rep-opt %s -rep-simplify-views -split-input-file | FileCheck %s
// Numerically: every case, through the whole pipeline, within 1e-5.
// RUN: repc %s --verify --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// NUM-COUNT-3: verify @

// Reshapes compose (RepMLPNet's fc3 output is reshaped twice), flatten is
// a reshape, a zero pad is nothing: one reshape is left.
// CHECK-LABEL: func @reshapes
// CHECK-NEXT: %[[R:.*]] = rep.reshape %arg0 {shape = array<i64: 2, 72>} : (tensor<8x18x1x1xf32>)
// CHECK-NEXT: return %[[R]]
func.func @reshapes(%x: tensor<8x18x1x1xf32>) -> tensor<2x72xf32> {
  %p = rep.pad %x {pads = array<i64: 0, 0, 0, 0, 0, 0, 0, 0>, value = 0.0 : f32} : (tensor<8x18x1x1xf32>) -> tensor<8x18x1x1xf32>
  %a = rep.reshape %p {shape = array<i64: 8, 2, 3, 3>} : (tensor<8x18x1x1xf32>) -> tensor<8x2x3x3xf32>
  %b = rep.reshape %a {shape = array<i64: 2, 2, 2, 2, 3, 3>} : (tensor<8x2x3x3xf32>) -> tensor<2x2x2x2x3x3xf32>
  %f = rep.flatten %b {axis = 1 : i64} : (tensor<2x2x2x2x3x3xf32>) -> tensor<2x72xf32>
  return %f : tensor<2x72xf32>
}

// -----

// A reshape back to the input's shape cancels.
// CHECK-LABEL: func @round_trip
// CHECK-NEXT: return %arg0
func.func @round_trip(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %a = rep.reshape %x {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %b = rep.reshape %a {shape = array<i64: 2, 3, 4>} : (tensor<6x4xf32>) -> tensor<2x3x4xf32>
  return %b : tensor<2x3x4xf32>
}

// -----

// Transposes compose; inverse ones cancel (ResMLP's token mixing once the
// affine between them is gone).
// CHECK-LABEL: func @transposes
// CHECK-NEXT: %[[T:.*]] = rep.transpose %arg0 {perm = array<i64: 2, 0, 1>}
// CHECK-NEXT: return %[[T]], %arg0
func.func @transposes(%x: tensor<2x3x5xf32>) -> (tensor<5x2x3xf32>, tensor<2x3x5xf32>) {
  %a = rep.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<2x3x5xf32>) -> tensor<2x5x3xf32>
  %b = rep.transpose %a {perm = array<i64: 1, 0, 2>} : (tensor<2x5x3xf32>) -> tensor<5x2x3xf32>
  %c = rep.transpose %a {perm = array<i64: 0, 2, 1>} : (tensor<2x5x3xf32>) -> tensor<2x3x5xf32>
  return %b, %c : tensor<5x2x3xf32>, tensor<2x3x5xf32>
}
