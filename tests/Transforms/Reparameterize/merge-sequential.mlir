// RUN: rep-opt %s -rep-merge-sequential -split-input-file -mlir-print-debuginfo | FileCheck %s
// RUN: rep-opt %s -rep-merge-sequential -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// RUN: rep-opt %s -rep-merge-sequential=force -split-input-file | FileCheck %s --check-prefix=FORCE
// Numerically: every case, through the whole pipeline, within 1e-5.
// RUN: repc %s --verify --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// RUN: repc %s --force-merge --verify --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// NUM-COUNT-9: verify @

// DBB's 1x1 then a padded, grouped 3x3 (no bias on the 1x1): one 3x3
// with K[e,c] = sum_d K2[e,d] K1[d,c] per group, named after both.
// CHECK-LABEL: func @one_by_one_then_kxk
// CHECK: %[[Y:.*]] = rep.conv2d %arg0, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x5x7xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x3x4xf32> loc(#[[F:.*]])
// CHECK-NEXT: return %[[Y]]
// CHECK: #[[F]] = loc(fused<"merge-sequential">[#{{.*}}, #{{.*}}])
func.func @one_by_one_then_kxk(%x: tensor<1x4x5x7xf32>) -> tensor<1x4x3x4xf32> {
  %k1 = rep.constant dense<[[[[1.0]], [[2.0]]], [[[0.5]], [[-1.0]]], [[[1.0]], [[0.0]]], [[[0.0]], [[3.0]]]]> : tensor<4x2x1x1xf32>
  %k2 = rep.constant dense<0.5> : tensor<4x2x3x3xf32>
  %b2 = rep.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %a = rep.conv2d %x, %k1 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x5x7xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x5x7xf32> loc("first")
  %y = rep.conv2d %a, %k2, %b2 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x5x7xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x3x4xf32> loc("second")
  return %y : tensor<1x4x3x4xf32>
}

// -----

// With a bias on the 1x1 and no padding on the kxk, the bias goes through
// every tap: b = b2 + sum K2 b1 = 1 + 9 * 0.5 * (1 + 2) = 14.5.
// CHECK-LABEL: func @bias_unpadded
// CHECK: %[[B:.*]] = rep.constant dense<1.450000e+01> : tensor<1xf32>
// CHECK: %[[Y:.*]] = rep.conv2d %arg0, %{{.*}}, %[[B]]
// CHECK-NEXT: return %[[Y]]
func.func @bias_unpadded(%x: tensor<2x2x5x5xf32>) -> tensor<2x1x3x3xf32> {
  %k1 = rep.constant dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %b1 = rep.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %k2 = rep.constant dense<0.5> : tensor<1x2x3x3xf32>
  %b2 = rep.constant dense<1.0> : tensor<1xf32>
  %a = rep.conv2d %x, %k1, %b1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x2x5x5xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<2x2x5x5xf32>
  %y = rep.conv2d %a, %k2, %b2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x2x5x5xf32>, tensor<1x2x3x3xf32>, tensor<1xf32>) -> tensor<2x1x3x3xf32>
  return %y : tensor<2x1x3x3xf32>
}

// -----

// With a bias on the 1x1 and a zero-padded kxk, the border sees less of
// the bias: the merge carries the exact per-position map as an add.
// CHECK-LABEL: func @bias_padded
// CHECK: %[[C:.*]] = rep.conv2d %arg0, %{{[^,]*}} {dilations
// CHECK-NEXT: %[[Y:.*]] = rep.add %[[C]], %{{.*}} : (tensor<2x1x4x3xf32>, tensor<1x1x4x3xf32>)
// CHECK-NEXT: return %[[Y]]
func.func @bias_padded(%x: tensor<2x2x4x3xf32>) -> tensor<2x1x4x3xf32> {
  %k1 = rep.constant dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %b1 = rep.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %k2 = rep.constant dense<0.5> : tensor<1x2x3x3xf32>
  %a = rep.conv2d %x, %k1, %b1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x2x4x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<2x2x4x3xf32>
  %y = rep.conv2d %a, %k2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x2x4x3xf32>, tensor<1x2x3x3xf32>) -> tensor<2x1x4x3xf32>
  return %y : tensor<2x1x4x3xf32>
}

// -----

// Only a 1x1, stride-1, unpadded conv composes into the next one.
// CHECK-LABEL: func @first_not_1x1
// CHECK-COUNT-2: rep.conv2d
// WHY: rep-merge-sequential: refused at 'second3': the first conv is not 1x1, stride 1, unpadded
func.func @first_not_1x1(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x1x1xf32> {
  %k = rep.constant dense<0.5> : tensor<2x2x3x3xf32>
  %a = rep.conv2d %x, %k {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x5x5xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %y = rep.conv2d %a, %k {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x1x1xf32> loc("second3")
  return %y : tensor<1x2x1x1xf32>
}

// -----

// A dense 1x1 before a depthwise 3x3 would make a dense 3x3: refused by the
// cost model, merged under force.
// CHECK-LABEL: func @dense_then_depthwise
// CHECK-COUNT-2: rep.conv2d
// WHY: rep-merge-sequential: refused at 'dw': the merged conv would cost 2592 FLOPs, the pair 936 (use force to merge anyway)
// FORCE-LABEL: func @dense_then_depthwise
// FORCE: rep.conv2d %arg0, %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64
// FORCE-NOT: rep.conv2d
func.func @dense_then_depthwise(%x: tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %pw = rep.constant dense<0.25> : tensor<4x4x1x1xf32>
  %dw = rep.constant dense<0.5> : tensor<4x1x3x3xf32>
  %a = rep.conv2d %x, %pw {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %y = rep.conv2d %a, %dw {dilations = array<i64: 1, 1>, groups = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x3x3xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x3x3xf32> loc("dw")
  return %y : tensor<1x4x3x3xf32>
}

// -----

// DBB's BN-and-pad: conv_kxk(pad(conv_1x1(x)) + border) on an odd-sized
// input. The border constant goes into the bias map and the pad into the
// conv's padding; the pad and the add are recorded with the two convs.
// CHECK-LABEL: func @pad_and_border
// FORCE-LABEL: func @pad_and_border
// CHECK: %[[C:.*]] = rep.conv2d %arg0, %{{[^,]*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} {{.*}} loc(#[[F:.*]])
// CHECK-NEXT: %[[Y:.*]] = rep.add %[[C]], %{{.*}} loc(#[[F]])
// CHECK-NEXT: return %[[Y]]
// CHECK-DAG: #[[ADD:loc[0-9]+]] = loc("border_add")
// CHECK-DAG: #[[PAD:loc[0-9]+]] = loc("pad")
// CHECK: #[[F]] = loc(fused<"merge-sequential">[#{{.*}}, #[[ADD]], #[[PAD]], #{{.*}}])
func.func @pad_and_border(%x: tensor<1x2x5x3xf32>) -> tensor<1x2x5x3xf32> {
  %k1 = rep.constant dense<[[[[2.0]], [[1.0]]], [[[0.5]], [[-1.0]]]]> : tensor<2x2x1x1xf32>
  %b1 = rep.constant dense<[0.25, -0.5]> : tensor<2xf32>
  %k2 = rep.constant dense<0.5> : tensor<2x2x3x3xf32>
  %border = rep.constant dense<[[[[0.25]], [[-0.5]]]]> : tensor<1x2x1x1xf32>
  %a = rep.conv2d %x, %k1, %b1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x5x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x5x3xf32> loc("first")
  %p = rep.pad %a {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.000000e+00 : f32} : (tensor<1x2x5x3xf32>) -> tensor<1x2x7x5xf32> loc("pad")
  %m = rep.add %p, %border : (tensor<1x2x7x5xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x7x5xf32> loc("border_add")
  %y = rep.conv2d %m, %k2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x7x5xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x5x3xf32> loc("second")
  return %y : tensor<1x2x5x3xf32>
}

// -----

// EANet's conv1 -> view -> Conv1d: a reshape that keeps N and C between a
// 1x1 conv and a 1x1 conv only regroups positions. The pair composes on the
// first conv's odd 5x3 grid (bias b = K2 b1 + b2) and the reshape follows
// the merged conv; the reshape is recorded with the two convs.
// CHECK-LABEL: func @reshape_between
// CHECK: %[[C:.*]] = rep.conv2d %arg0, %{{.*}}, %{{.*}} {{.*}} : (tensor<2x3x5x3xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<2x4x5x3xf32> loc(#[[F:.*]])
// CHECK-NEXT: %[[Y:.*]] = rep.reshape %[[C]] {shape = array<i64: 2, 4, 1, 15>} : (tensor<2x4x5x3xf32>) -> tensor<2x4x1x15xf32> loc(#[[F]])
// CHECK-NEXT: return %[[Y]]
// CHECK-DAG: #[[VIEW:loc[0-9]+]] = loc("view")
// CHECK: #[[F]] = loc(fused<"merge-sequential">[#{{.*}}, #[[VIEW]], #{{.*}}])
func.func @reshape_between(%x: tensor<2x3x5x3xf32>) -> tensor<2x4x1x15xf32> {
  %k1 = rep.constant dense<[[[[1.0]], [[-2.0]], [[0.5]]], [[[0.25]], [[1.0]], [[0.0]]], [[[3.0]], [[0.5]], [[-1.0]]]]> : tensor<3x3x1x1xf32>
  %b1 = rep.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf32>
  %k2 = rep.constant dense<[[[[1.0]], [[0.5]], [[-0.25]]], [[[2.0]], [[0.0]], [[1.0]]], [[[-1.0]], [[1.5]], [[0.5]]], [[[0.75]], [[-0.5]], [[2.0]]]]> : tensor<4x3x1x1xf32>
  %b2 = rep.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %a = rep.conv2d %x, %k1, %b1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x3x5x3xf32>, tensor<3x3x1x1xf32>, tensor<3xf32>) -> tensor<2x3x5x3xf32> loc("conv1")
  %r = rep.reshape %a {shape = array<i64: 2, 3, 1, 15>} : (tensor<2x3x5x3xf32>) -> tensor<2x3x1x15xf32> loc("view")
  %y = rep.conv2d %r, %k2, %b2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x3x1x15xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<2x4x1x15xf32> loc("linear_0")
  return %y : tensor<2x4x1x15xf32>
}

// -----

// A reshape that moves values across channels (3x4x2 -> 4x3x2) is not a
// regrouping of positions: the convs stay apart.
// CHECK-LABEL: func @reshape_across_channels
// CHECK-COUNT-2: rep.conv2d
// WHY: rep-merge-sequential: refused at 'mixes': input is not a conv
func.func @reshape_across_channels(%x: tensor<1x3x4x2xf32>) -> tensor<1x2x3x2xf32> {
  %k1 = rep.constant dense<0.5> : tensor<3x3x1x1xf32>
  %k2 = rep.constant dense<0.25> : tensor<2x4x1x1xf32>
  %a = rep.conv2d %x, %k1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x2xf32>, tensor<3x3x1x1xf32>) -> tensor<1x3x4x2xf32>
  %r = rep.reshape %a {shape = array<i64: 1, 4, 3, 2>} : (tensor<1x3x4x2xf32>) -> tensor<1x4x3x2xf32>
  %y = rep.conv2d %r, %k2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x3x2xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x3x2xf32> loc("mixes")
  return %y : tensor<1x2x3x2xf32>
}

// -----

// After a reshape only a 1x1 conv composes: a 3x3 would mix positions the
// reshape has moved (here rows of 15 from a 5x3 grid).
// CHECK-LABEL: func @reshape_then_3x3
// CHECK-COUNT-2: rep.conv2d
// WHY: rep-merge-sequential: refused at 'wide': input is not a conv
func.func @reshape_then_3x3(%x: tensor<1x2x5x3xf32>) -> tensor<1x2x1x15xf32> {
  %k1 = rep.constant dense<0.5> : tensor<2x2x1x1xf32>
  %k2 = rep.constant dense<0.25> : tensor<2x2x3x3xf32>
  %a = rep.conv2d %x, %k1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x5x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x5x3xf32>
  %r = rep.reshape %a {shape = array<i64: 1, 2, 1, 15>} : (tensor<1x2x5x3xf32>) -> tensor<1x2x1x15xf32>
  %y = rep.conv2d %r, %k2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x1x15xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x1x15xf32> loc("wide")
  return %y : tensor<1x2x1x15xf32>
}
