// rep-inspect reads rep IR as well as ONNX, and reports the cost model's
// refusal with the pass's own reason; --force-merge applies it.
// RUN: rep-inspect %s | FileCheck %s
// RUN: rep-inspect %s --force-merge | FileCheck %s --check-prefix=FORCE

// A dense 1x1 before a depthwise 3x3 would make a dense 3x3.
// CHECK-LABEL: == @dense_then_depthwise: kernels: 2, 0 built by folds ==
// CHECK: k0 conv2d 'pw' flops 288 params 16
// CHECK-NEXT: k1 conv2d 'dw' flops 648 params 36
// CHECK-LABEL: == @dense_then_depthwise: refused folds: 1 ops stay ==
// CHECK-NEXT: conv2d 'dw' stays:
// CHECK-NEXT: rep-merge-sequential: the merged conv would cost 2592 FLOPs, the pair 936 (use force to merge anyway)
// FORCE-LABEL: == @dense_then_depthwise: kernels: 1, 1 built by folds ==
// FORCE-NEXT: k0 conv2d 'dw' flops 2592 params 144
// FORCE-NEXT: folds: merge-sequential
// FORCE-NEXT: from 2 ONNX nodes:
// FORCE-NEXT: dw
// FORCE-NEXT: pw
// FORCE: refused folds: 0 ops stay
func.func @dense_then_depthwise(%x: tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %pw = rep.constant dense<0.5> : tensor<4x4x1x1xf32>
  %dw = rep.constant dense<0.25> : tensor<4x1x3x3xf32>
  %a = rep.conv2d %x, %pw {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32> loc("pw")
  %y = rep.conv2d %a, %dw {dilations = array<i64: 1, 1>, groups = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x3x3xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x3x3xf32> loc("dw")
  return %y : tensor<1x4x3x3xf32>
}
