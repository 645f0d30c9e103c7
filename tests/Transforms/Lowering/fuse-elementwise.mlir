// RUN: rep-opt %s -rep-fuse-elementwise -split-input-file | FileCheck %s
// RUN: rep-opt %s -rep-fuse-elementwise -split-input-file -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// Numerically: CodeGen/ops/pointwise.mlir compiles a pointwise conv with a
// ReLU and batch-norm epilogue through this pass and compares it with the
// reference interpreter; every model test fuses GELU/BN/residual chains.

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3, 0, 0)>

// A pointwise conv's epilogue (ReLU then a per-channel scale, two ops that
// also fuse into one) runs on the matmul's 2-D shape; the [C, 1, 1]
// constant is read as [C]; the result is expanded back.
// CHECK-LABEL: func @matmul_epilogue
// CHECK: %[[M:.*]] = linalg.matmul
// CHECK: %[[S:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : tensor<32x1x1xf32> into tensor<32xf32>
// CHECK: %[[G:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[M]], %[[S]] : tensor<24x32xf32>, tensor<32xf32>)
// CHECK: arith.maximumf
// CHECK: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: tensor.expand_shape %[[G]] {{\[}}[0, 1, 2], [3]] output_shape [2, 4, 3, 32]
func.func @matmul_epilogue(%x: tensor<24x14xf32>, %w: tensor<14x32xf32>, %b: tensor<24x32xf32>, %scale: tensor<32x1x1xf32>) -> tensor<2x4x3x32xf32> {
  %zero = arith.constant 0.0 : f32
  %m = linalg.matmul ins(%x, %w : tensor<24x14xf32>, tensor<14x32xf32>) outs(%b : tensor<24x32xf32>) -> tensor<24x32xf32>
  %e = tensor.expand_shape %m [[0, 1, 2], [3]] output_shape [2, 4, 3, 32] : tensor<24x32xf32> into tensor<2x4x3x32xf32>
  %o = tensor.empty() : tensor<2x4x3x32xf32>
  %r = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e : tensor<2x4x3x32xf32>) outs(%o : tensor<2x4x3x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.maximumf %in, %zero : f32
    linalg.yield %v : f32
  } -> tensor<2x4x3x32xf32>
  %s = linalg.generic {indexing_maps = [#id4, #ch, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%r, %scale : tensor<2x4x3x32xf32>, tensor<32x1x1xf32>) outs(%o : tensor<2x4x3x32xf32>) {
  ^bb0(%in: f32, %c: f32, %out: f32):
    %v = arith.mulf %in, %c : f32
    linalg.yield %v : f32
  } -> tensor<2x4x3x32xf32>
  return %s : tensor<2x4x3x32xf32>
}

// -----

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, 0)>

// Kept on its 4-D shape: the reshaped value is not a matmul's, or another
// operand is neither full-size nor per channel (per batch item here).
// CHECK-LABEL: func @kept
// CHECK-COUNT-2: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// WHY-DAG: rep-fuse-elementwise: refused at ?: reads no reshaped matmul
// WHY-DAG: rep-fuse-elementwise: refused at ?: an operand is neither full nor per channel
func.func @kept(%x: tensor<24x32xf32>, %a: tensor<24x14xf32>, %w: tensor<14x32xf32>, %per: tensor<2x1x1x1xf32>) -> (tensor<2x4x3x32xf32>, tensor<2x4x3x32xf32>) {
  %e = tensor.expand_shape %x [[0, 1, 2], [3]] output_shape [2, 4, 3, 32] : tensor<24x32xf32> into tensor<2x4x3x32xf32>
  %o = tensor.empty() : tensor<2x4x3x32xf32>
  %r = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e : tensor<2x4x3x32xf32>) outs(%o : tensor<2x4x3x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.negf %in : f32
    linalg.yield %v : f32
  } -> tensor<2x4x3x32xf32>
  %m = linalg.matmul ins(%a, %w : tensor<24x14xf32>, tensor<14x32xf32>) outs(%x : tensor<24x32xf32>) -> tensor<24x32xf32>
  %me = tensor.expand_shape %m [[0, 1, 2], [3]] output_shape [2, 4, 3, 32] : tensor<24x32xf32> into tensor<2x4x3x32xf32>
  %s = linalg.generic {indexing_maps = [#id4, #row, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%me, %per : tensor<2x4x3x32xf32>, tensor<2x1x1x1xf32>) outs(%o : tensor<2x4x3x32xf32>) {
  ^bb0(%in: f32, %c: f32, %out: f32):
    %v = arith.mulf %in, %c : f32
    linalg.yield %v : f32
  } -> tensor<2x4x3x32xf32>
  return %r, %s : tensor<2x4x3x32xf32>, tensor<2x4x3x32xf32>
}
