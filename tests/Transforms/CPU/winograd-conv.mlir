// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-winograd-conv{min-channels=1}))" -split-input-file | FileCheck %s
// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-winograd-conv{min-channels=1}))" -split-input-file -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY

// A padded conv with a bias: the input transform over (k, n, th, tw, c)
// from 16 stride-2 views, one batch of 16 matmuls with the transformed
// filter, the output transform over (i, j, n, th, tw, f) adding the bias
// vector, read as a vector, into NHWC.
// CHECK-LABEL: func.func @bias
// CHECK-DAG: %[[U:.*]] = arith.constant dense<{{.*}}> : tensor<16x4x8xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<{{.*}}> : tensor<8xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 3, 3, 0] [1, 3, 4, 4] [1, 2, 2, 1] : tensor<1x8x10x4xf32> to tensor<1x3x4x4xf32>
// CHECK: %[[V:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME: outs(%{{.*}} : tensor<16x1x3x4x4xf32>)
// CHECK: %[[VC:.*]] = tensor.collapse_shape %[[V]] {{\[}}[0], [1, 2, 3], [4]] : tensor<16x1x3x4x4xf32> into tensor<16x12x4xf32>
// CHECK: %[[M:.*]] = linalg.batch_matmul ins(%[[VC]], %[[U]] : tensor<16x12x4xf32>, tensor<16x4x8xf32>)
// CHECK: linalg.generic
// CHECK-SAME: %[[B]] : {{.*}}tensor<8xf32>)
// CHECK-SAME: outs(%{{.*}} : tensor<1x3x2x4x2x8xf32>)
// CHECK: %[[Y:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2], [3, 4], [5]] : tensor<1x3x2x4x2x8xf32> into tensor<1x6x8x8xf32>
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK: return %[[Y]]
func.func @bias(%x: tensor<1x8x10x4xf32>) -> tensor<1x6x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x4x8xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %e = tensor.empty() : tensor<1x6x8x8xf32>
  %i = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e : tensor<1x6x8x8xf32>) dimensions = [0, 1, 2]
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x10x4xf32>, tensor<3x3x4x8xf32>) outs(%i : tensor<1x6x8x8xf32>) -> tensor<1x6x8x8xf32>
  return %y : tensor<1x6x8x8xf32>
}

// -----

// The transformed filter is G g G^T: a filter of ones gives, at the
// transform's corners, 1 (k = 0), 1.5 (k = 1) and 2.25 (k = 5).
// CHECK-LABEL: func.func @filter_transform
// CHECK: arith.constant dense<{{\[}}{{\[}}[1.000000e+00]], {{\[}}[1.500000e+00]], {{\[}}[5.000000e-01]], {{\[}}[1.000000e+00]], {{\[}}[1.500000e+00]], {{\[}}[2.250000e+00]], {{\[}}[7.500000e-01]], {{\[}}[1.500000e+00]], {{\[}}[5.000000e-01]], {{\[}}[7.500000e-01]], {{\[}}[2.500000e-01]], {{\[}}[5.000000e-01]], {{\[}}[1.000000e+00]], {{\[}}[1.500000e+00]], {{\[}}[5.000000e-01]], {{\[}}[1.000000e+00]]]> : tensor<16x1x1xf32>
func.func @filter_transform(%x: tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32> {
  %w = arith.constant dense<1.0> : tensor<3x3x1x1xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2x1xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x4x1xf32>, tensor<3x3x1x1xf32>) outs(%i : tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

// Any other accumulator (here an argument, as for a residual) is read
// whole through the output layout; a nonzero fill is added as its scalar.
// CHECK-LABEL: func.func @accumulators
// CHECK-SAME: (%{{[a-z0-9]+}}: tensor<1x6x6x4xf32>, %[[ACC:[a-z0-9]+]]: tensor<1x4x4x8xf32>)
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.500000e+00 : f32
// CHECK: %[[ACC6:.*]] = tensor.expand_shape %[[ACC]] {{\[}}[0], [1, 2], [3, 4], [5]] output_shape [1, 2, 2, 2, 2, 8]
// CHECK: linalg.generic {{.*}} ins({{.*}}, %[[ACC6]] : {{.*}}tensor<1x2x2x2x2x8xf32>)
// CHECK: linalg.batch_matmul
// CHECK: linalg.generic
// CHECK: arith.addf %{{.*}}, %[[ONE]] : f32
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
func.func @accumulators(%x: tensor<1x6x6x4xf32>, %acc: tensor<1x4x4x8xf32>) -> (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<3x3x4x8xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x6x6x4xf32>, tensor<3x3x4x8xf32>) outs(%acc : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %c = arith.constant 1.5 : f32
  %e = tensor.empty() : tensor<1x4x4x8xf32>
  %i = linalg.fill ins(%c : f32) outs(%e : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %z = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x6x6x4xf32>, tensor<3x3x4x8xf32>) outs(%i : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %y, %z : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>
}

// -----

// Left direct: stride 2, an odd output width, a filter that is not a
// constant, a 5x5 filter, and (at the default threshold) too few channels.
// CHECK-LABEL: func.func @refused
// CHECK-COUNT-4: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: linalg.batch_matmul
// WHY-DAG: rep-winograd-conv: refused at {{.*}}: strided or dilated
// WHY-DAG: rep-winograd-conv: refused at {{.*}}: odd output height or width
// WHY-DAG: rep-winograd-conv: refused at {{.*}}: filter is not a constant
// WHY-DAG: rep-winograd-conv: refused at {{.*}}: not a 3x3 filter
func.func @refused(%x: tensor<1x9x9x4xf32>, %wd: tensor<3x3x4x8xf32>) -> (tensor<1x4x4x8xf32>, tensor<1x7x7x8xf32>, tensor<1x6x6x8xf32>, tensor<1x4x4x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<3x3x4x8xf32>
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<1x4x4x8xf32>
  %i1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %s2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x9x9x4xf32>, tensor<3x3x4x8xf32>) outs(%i1 : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %e2 = tensor.empty() : tensor<1x7x7x8xf32>
  %i2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<1x7x7x8xf32>) -> tensor<1x7x7x8xf32>
  %odd = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x9x9x4xf32>, tensor<3x3x4x8xf32>) outs(%i2 : tensor<1x7x7x8xf32>) -> tensor<1x7x7x8xf32>
  %x8 = tensor.extract_slice %x[0, 0, 0, 0] [1, 8, 8, 4] [1, 1, 1, 1] : tensor<1x9x9x4xf32> to tensor<1x8x8x4xf32>
  %e3 = tensor.empty() : tensor<1x6x6x8xf32>
  %i3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xf32>
  %dyn = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x8, %wd : tensor<1x8x8x4xf32>, tensor<3x3x4x8xf32>) outs(%i3 : tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xf32>
  %w5 = arith.constant dense<0.5> : tensor<5x5x4x8xf32>
  %x5 = tensor.extract_slice %x[0, 0, 0, 0] [1, 8, 8, 4] [1, 1, 1, 1] : tensor<1x9x9x4xf32> to tensor<1x8x8x4xf32>
  %five = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x5, %w5 : tensor<1x8x8x4xf32>, tensor<5x5x4x8xf32>) outs(%i1 : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %s2, %odd, %dyn, %five : tensor<1x4x4x8xf32>, tensor<1x7x7x8xf32>, tensor<1x6x6x8xf32>, tensor<1x4x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @few_channels
// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-winograd-conv))" -split-input-file | FileCheck %s --check-prefix=DEFAULT
// DEFAULT-LABEL: func.func @few_channels
// DEFAULT: linalg.conv_2d_nhwc_hwcf
// RUN: rep-opt %s --pass-pipeline="builtin.module(func.func(rep-winograd-conv))" -split-input-file -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT-WHY
// DEFAULT-WHY: rep-winograd-conv: refused at {{.*}}: too few channels for the transforms to pay
func.func @few_channels(%x: tensor<1x8x8x32xf32>) -> tensor<1x6x6x64xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x32x64xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x6x6x64xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x6x6x64xf32>) -> tensor<1x6x6x64xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x8x32xf32>, tensor<3x3x32x64xf32>) outs(%i : tensor<1x6x6x64xf32>) -> tensor<1x6x6x64xf32>
  return %y : tensor<1x6x6x64xf32>
}
