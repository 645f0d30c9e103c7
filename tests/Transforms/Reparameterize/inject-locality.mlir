// RUN: rep-opt %s -rep-inject-locality -split-input-file -mlir-print-debuginfo | FileCheck %s
// RUN: rep-opt %s -rep-inject-locality -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// RUN: rep-opt %s -rep-inject-locality=force -split-input-file | FileCheck %s --check-prefix=FORCE
// Numerically: every case, through the whole pipeline, within 1e-5.
// RUN: repc %s --verify --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// RUN: repc %s --force-merge --verify --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// NUM-COUNT-3: verify @

// RepMLP: partitions (N' = 4, S = 2, h = w = 3) feed fc3, a grouped 1x1
// conv over (N', S*h*w, 1, 1), and a 3x3 conv with S groups over
// (N', S, h, w). The conv is a block-diagonal 18x9 matrix: it joins fc3's
// weight and its bias repeats over the h*w positions.
// CHECK-LABEL: func @repmlp
// CHECK: %[[V:.*]] = rep.reshape %arg0 {shape = array<i64: 4, 18, 1, 1>}
// CHECK: %[[F:.*]] = rep.conv2d %[[V]], %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<4x18x1x1xf32>, tensor<18x9x1x1xf32>, tensor<18xf32>) -> tensor<4x18x1x1xf32> loc(#[[L:.*]])
// CHECK-NEXT: %[[Y:.*]] = rep.reshape %[[F]] {shape = array<i64: 4, 2, 3, 3>}
// CHECK-NEXT: return %[[Y]]
// CHECK: #[[L]] = loc(fused<"inject-locality">[#{{.*}}, #{{.*}}, #{{.*}}])
func.func @repmlp(%t: tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32> {
  %w3 = rep.constant dense<0.1> : tensor<18x9x1x1xf32>
  %k = rep.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]], [[[0.5, 0.0, -0.5], [1.0, 0.0, -1.0], [0.5, 0.0, -0.5]]]]> : tensor<2x1x3x3xf32>
  %b = rep.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %v1 = rep.reshape %t {shape = array<i64: 4, 18, 1, 1>} : (tensor<4x2x3x3xf32>) -> tensor<4x18x1x1xf32>
  %f = rep.conv2d %v1, %w3 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<4x18x1x1xf32>, tensor<18x9x1x1xf32>) -> tensor<4x18x1x1xf32> loc("fc3")
  %r = rep.reshape %f {shape = array<i64: 4, 2, 3, 3>} : (tensor<4x18x1x1xf32>) -> tensor<4x2x3x3xf32>
  %c = rep.conv2d %t, %k, %b {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<4x2x3x3xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<4x2x3x3xf32> loc("repconv")
  %y = rep.add %r, %c : (tensor<4x2x3x3xf32>, tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32> loc("sum")
  return %y : tensor<4x2x3x3xf32>
}

// -----

// A conv mixing the S sharesets (1 group) would make fc3 dense: refused by
// default, merged with one group under force.
// CHECK-LABEL: func @denser
// CHECK-COUNT-2: rep.conv2d
// WHY: rep-inject-locality: refused at 'dense_sum': the conv has 1 groups, the FC 2: merging would make the FC denser (use force to merge anyway)
// FORCE-LABEL: func @denser
// FORCE: rep.conv2d %{{.*}}, %{{.*}}, %{{.*}} {{{.*}}groups = 1 : i64{{.*}}} : (tensor<4x18x1x1xf32>, tensor<18x18x1x1xf32>, tensor<18xf32>)
// FORCE-NOT: rep.conv2d
func.func @denser(%t: tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32> {
  %w3 = rep.constant dense<0.1> : tensor<18x9x1x1xf32>
  %k = rep.constant dense<0.25> : tensor<2x2x3x3xf32>
  %v1 = rep.reshape %t {shape = array<i64: 4, 18, 1, 1>} : (tensor<4x2x3x3xf32>) -> tensor<4x18x1x1xf32>
  %f = rep.conv2d %v1, %w3 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<4x18x1x1xf32>, tensor<18x9x1x1xf32>) -> tensor<4x18x1x1xf32>
  %r = rep.reshape %f {shape = array<i64: 4, 2, 3, 3>} : (tensor<4x18x1x1xf32>) -> tensor<4x2x3x3xf32>
  %c = rep.conv2d %t, %k {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<4x2x3x3xf32>, tensor<2x2x3x3xf32>) -> tensor<4x2x3x3xf32>
  %y = rep.add %r, %c : (tensor<4x2x3x3xf32>, tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32> loc("dense_sum")
  return %y : tensor<4x2x3x3xf32>
}

// -----

// A conv on a view of another tensor is not the FC's partition.
// CHECK-LABEL: func @other_tensor
// FORCE-LABEL: func @other_tensor
// CHECK-COUNT-2: rep.conv2d
// WHY: rep-inject-locality: refused at 'foreign_sum': the conv and the FC do not read and write the same partitions
func.func @other_tensor(%t: tensor<4x2x3x3xf32>, %u: tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32> {
  %w3 = rep.constant dense<0.1> : tensor<18x9x1x1xf32>
  %k = rep.constant dense<0.25> : tensor<2x1x3x3xf32>
  %v1 = rep.reshape %t {shape = array<i64: 4, 18, 1, 1>} : (tensor<4x2x3x3xf32>) -> tensor<4x18x1x1xf32>
  %f = rep.conv2d %v1, %w3 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<4x18x1x1xf32>, tensor<18x9x1x1xf32>) -> tensor<4x18x1x1xf32>
  %r = rep.reshape %f {shape = array<i64: 4, 2, 3, 3>} : (tensor<4x18x1x1xf32>) -> tensor<4x2x3x3xf32>
  %c = rep.conv2d %u, %k {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<4x2x3x3xf32>, tensor<2x1x3x3xf32>) -> tensor<4x2x3x3xf32>
  %y = rep.add %r, %c : (tensor<4x2x3x3xf32>, tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32> loc("foreign_sum")
  return %y : tensor<4x2x3x3xf32>
}
