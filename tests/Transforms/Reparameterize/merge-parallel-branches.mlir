// RUN: rep-opt %s -rep-merge-parallel-branches -split-input-file -mlir-print-debuginfo | FileCheck %s
// RUN: rep-opt %s -rep-merge-parallel-branches -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// RUN: rep-opt %s -rep-merge-parallel-branches=force -split-input-file | FileCheck %s --check-prefix=FORCE
// Numerically: every case, through the whole pipeline, within 1e-5.
// RUN: repc %s --verify --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// NUM-COUNT-8: verify @

// RepVGG with groups: 3x3 + 1x1 + identity (an affine of the input) on an
// odd-sized input become one 3x3 conv (its taps are checked numerically
// below): the 1x1 lands on the centre tap, the identity adds its scale at
// the centre of each channel's own group, the biases and shift add up.
// CHECK-LABEL: func @repvgg
// CHECK-DAG: %[[W:.*]] = rep.constant dense_resource<folded_dense> : tensor<4x2x3x3xf32>
// CHECK-DAG: %[[B:.*]] = rep.constant dense<[1.500000e+00, 2.500000e+00, 3.500000e+00, 4.500000e+00]>
// CHECK: %[[Y:.*]] = rep.conv2d %arg0, %[[W]], %[[B]] {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} {{.*}} loc(#[[F:.*]])
// CHECK-NEXT: return %[[Y]]
// Both adds of the tree are recorded, the inner one too.
// CHECK-DAG: #[[INNER:loc[0-9]+]] = loc("inner_sum")
// CHECK-DAG: #[[SUM:loc[0-9]+]] = loc("sum")
// CHECK: #[[F]] = loc(fused<"merge-parallel-branches">[#{{.*}}, #{{.*}}, #{{.*}}, #[[INNER]], #[[SUM]]])
func.func @repvgg(%x: tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32> {
  %w3 = rep.constant dense<1.0> : tensor<4x2x3x3xf32>
  %b3 = rep.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w1 = rep.constant dense<2.0> : tensor<4x2x1x1xf32>
  %s = rep.constant dense<[2.0, 0.0, 1.0, 1.0]> : tensor<4xf32>
  %t = rep.constant dense<0.5> : tensor<4xf32>
  %a = rep.conv2d %x, %w3, %b3 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x4x5x3xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<2x4x5x3xf32> loc("dense")
  %b = rep.conv2d %x, %w1 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x4x5x3xf32>, tensor<4x2x1x1xf32>) -> tensor<2x4x5x3xf32> loc("one")
  %i = rep.channel_affine %x, %s, %t {axis = 1 : i64} : (tensor<2x4x5x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x5x3xf32> loc("identity")
  %0 = rep.add %a, %b : (tensor<2x4x5x3xf32>, tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32> loc("inner_sum")
  %1 = rep.add %0, %i : (tensor<2x4x5x3xf32>, tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32> loc("sum")
  return %1 : tensor<2x4x5x3xf32>
}

// -----

// Stride 2 with ACNet's non-square 1x3 and 3x1 branches (pads [0,1], [1,0])
// and the plain input as a fourth leaf that stays outside (no identity at
// stride 2: its shape differs, so it is not in the tree).
// CHECK-LABEL: func @acnet_stride2
// CHECK: %[[Y:.*]] = rep.conv2d %arg0, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x2x7x5xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>)
// CHECK-NEXT: return %[[Y]]
func.func @acnet_stride2(%x: tensor<1x2x7x5xf32>) -> tensor<1x3x4x3xf32> {
  %sq = rep.constant dense<1.0> : tensor<3x2x3x3xf32>
  %hor = rep.constant dense<2.0> : tensor<3x2x1x3xf32>
  %ver = rep.constant dense<3.0> : tensor<3x2x3x1xf32>
  %a = rep.conv2d %x, %sq {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x2x7x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x4x3xf32>
  %b = rep.conv2d %x, %hor {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 1, 0, 1>, strides = array<i64: 2, 2>} : (tensor<1x2x7x5xf32>, tensor<3x2x1x3xf32>) -> tensor<1x3x4x3xf32>
  %c = rep.conv2d %x, %ver {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 0, 1, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x7x5xf32>, tensor<3x2x3x1xf32>) -> tensor<1x3x4x3xf32>
  %0 = rep.add %a, %b : (tensor<1x3x4x3xf32>, tensor<1x3x4x3xf32>) -> tensor<1x3x4x3xf32>
  %1 = rep.add %0, %c : (tensor<1x3x4x3xf32>, tensor<1x3x4x3xf32>) -> tensor<1x3x4x3xf32>
  return %1 : tensor<1x3x4x3xf32>
}

// -----

// Branches with different dilations do not share taps.
// CHECK-LABEL: func @dilations
// CHECK-COUNT-2: rep.conv2d
// WHY: rep-merge-parallel-branches: refused at 'dilated_sum': branch dilations differ
func.func @dilations(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> {
  %w = rep.constant dense<1.0> : tensor<2x2x3x3xf32>
  %a = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x6x6xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  %b = rep.conv2d %x, %w {dilations = array<i64: 2, 2>, groups = 1 : i64, pads = array<i64: 2, 2, 2, 2>, strides = array<i64: 1, 1>} : (tensor<1x2x6x6xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  %0 = rep.add %a, %b : (tensor<1x2x6x6xf32>, tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> loc("dilated_sum")
  return %0 : tensor<1x2x6x6xf32>
}

// -----

// A depthwise 3x3 beside a dense 1x1 would become a dense 3x3: more FLOPs
// than both, so the cost model refuses unless forced.
// CHECK-LABEL: func @cost
// CHECK-COUNT-2: rep.conv2d
// WHY: rep-merge-parallel-branches: refused at 'costly_sum': the merged conv would cost 3888 FLOPs, the branches 1080 (use force to merge anyway)
// FORCE-LABEL: func @cost
// FORCE: rep.conv2d %arg0, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>
// FORCE-NOT: rep.conv2d
func.func @cost(%x: tensor<1x6x3x2xf32>) -> tensor<1x6x3x2xf32> {
  %dw = rep.constant dense<1.0> : tensor<6x1x3x3xf32>
  %pw = rep.constant dense<0.5> : tensor<6x6x1x1xf32>
  %a = rep.conv2d %x, %dw {dilations = array<i64: 1, 1>, groups = 6 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x6x3x2xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x3x2xf32>
  %b = rep.conv2d %x, %pw {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x6x3x2xf32>, tensor<6x6x1x1xf32>) -> tensor<1x6x3x2xf32>
  %0 = rep.add %a, %b : (tensor<1x6x3x2xf32>, tensor<1x6x3x2xf32>) -> tensor<1x6x3x2xf32> loc("costly_sum")
  return %0 : tensor<1x6x3x2xf32>
}

// -----

// A residual from elsewhere stays an add after the merged conv.
// CHECK-LABEL: func @other_leaf
// FORCE-LABEL: func @other_leaf
// CHECK: %[[C:.*]] = rep.conv2d %arg0
// CHECK-NEXT: %[[S:.*]] = rep.add %[[C]], %arg1
// CHECK-NEXT: return %[[S]]
func.func @other_leaf(%x: tensor<1x2x3x3xf32>, %r: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = rep.constant dense<1.0> : tensor<2x2x3x3xf32>
  %a = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %0 = rep.add %a, %r : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %1 = rep.add %0, %x : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %1 : tensor<1x2x3x3xf32>
}

// -----

// FastViT's RepMixer, x + gamma * (mixer(x) - norm(x)): a sub is a sum with
// a negative leaf. The dw 3x3 minus the BN affine of the same input is one
// dw 3x3 whose centre tap loses the affine's scale (2 - 0.5 = 1.5 for
// channel 0 here) and whose bias loses its shift (1 - 0.25).
// CHECK-LABEL: func @sub_branch
// CHECK-DAG: %[[B:.*]] = rep.constant dense<[7.500000e-01, -2.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = rep.conv2d %arg0, %{{.*}}, %[[B]] {{.*}}groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>
// CHECK-NEXT: return %[[Y]]
func.func @sub_branch(%x: tensor<1x2x5x7xf32>) -> tensor<1x2x5x7xf32> {
  %w = rep.constant dense<[[[[0.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]], [[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]]> : tensor<2x1x3x3xf32>
  %b = rep.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %s = rep.constant dense<[0.5, 3.0]> : tensor<2xf32>
  %t = rep.constant dense<[0.25, 1.0]> : tensor<2xf32>
  %m = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x5x7xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x5x7xf32>
  %n = rep.channel_affine %x, %s, %t {axis = 1 : i64} : (tensor<1x2x5x7xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x5x7xf32>
  %y = rep.sub %m, %n : (tensor<1x2x5x7xf32>, tensor<1x2x5x7xf32>) -> tensor<1x2x5x7xf32>
  return %y : tensor<1x2x5x7xf32>
}

// -----

// RepViT's first RepVggDw reads the stem conv directly: the stem conv's
// output, which the block also reads through a branch, is the identity
// branch of itself (it used to be taken for a conv branch of the stem's
// input and refused for its second use). The dw 3x3 and the identity
// merge; the stem conv stays.
// CHECK-LABEL: func @identity_of_conv
// CHECK: %[[S:.*]] = rep.conv2d %arg0
// CHECK: %[[Y:.*]] = rep.conv2d %[[S]], {{.*}}groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>
// CHECK-NEXT: return %[[Y]]
func.func @identity_of_conv(%x: tensor<1x3x5x5xf32>) -> tensor<1x2x5x5xf32> {
  %ws = rep.constant dense<0.25> : tensor<2x3x1x1xf32>
  %w = rep.constant dense<0.5> : tensor<2x1x3x3xf32>
  %s = rep.conv2d %x, %ws {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x5x5xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x5x5xf32>
  %d = rep.conv2d %s, %w {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x5x5xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x5x5xf32>
  %y = rep.add %d, %s : (tensor<1x2x5x5xf32>, tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32>
  return %y : tensor<1x2x5x5xf32>
}

// -----

// Two fc heads on one input (RepViT's classifier and distillation head)
// are one fc with the summed matrix and bias; an fc minus its input (the
// identity matrix) is one fc too.
// CHECK-LABEL: func @fc_branches
// CHECK-DAG: %[[W:.*]] = rep.constant dense<{{\[\[}}4.000000e+00, 2.000000e+00], [0.000000e+00, 6.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[B:.*]] = rep.constant dense<[1.500000e+00, 2.500000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = rep.fc %arg0, %[[W]], %[[B]]
// CHECK-NEXT: %[[V:.*]] = rep.fc %arg0
// CHECK-NEXT: return %[[Y]], %[[V]]
func.func @fc_branches(%x: tensor<3x5x2xf32>) -> (tensor<3x5x2xf32>, tensor<3x5x2xf32>) {
  %w1 = rep.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b1 = rep.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %w2 = rep.constant dense<[[3.0, 0.0], [-3.0, 2.0]]> : tensor<2x2xf32>
  %b2 = rep.constant dense<[0.5, 0.5]> : tensor<2xf32>
  %w3 = rep.constant dense<[[2.0, 1.0], [1.0, 2.0]]> : tensor<2x2xf32>
  %f1 = rep.fc %x, %w1, %b1 : (tensor<3x5x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x5x2xf32>
  %f2 = rep.fc %x, %w2, %b2 : (tensor<3x5x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x5x2xf32>
  %y = rep.add %f1, %f2 : (tensor<3x5x2xf32>, tensor<3x5x2xf32>) -> tensor<3x5x2xf32>
  %f3 = rep.fc %x, %w3 : (tensor<3x5x2xf32>, tensor<2x2xf32>) -> tensor<3x5x2xf32>
  %v = rep.sub %f3, %x : (tensor<3x5x2xf32>, tensor<3x5x2xf32>) -> tensor<3x5x2xf32>
  return %y, %v : tensor<3x5x2xf32>, tensor<3x5x2xf32>
}
