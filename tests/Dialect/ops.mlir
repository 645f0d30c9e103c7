// RUN: rep-opt %s | rep-opt | FileCheck %s
// Every rep op prints and parses back unchanged.

// CHECK-LABEL: func @linear
func.func @linear(%x: tensor<2x4x9x9xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>,
                  %c: tensor<4xf32>, %m: tensor<5x81xf32>) -> tensor<2x4x5xf32> {
  // CHECK: rep.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 0, 1, 0>, strides = array<i64: 2, 1>} : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x5x7xf32>
  %0 = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 0, 1, 0>, strides = array<i64: 2, 1>} : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x5x7xf32>
  // CHECK: rep.conv2d %{{.*}}, %{{.*}} {{.*}} : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>) -> tensor<2x6x7x7xf32>
  %1 = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>) -> tensor<2x6x7x7xf32>
  // CHECK: rep.batch_norm {{.*}} {epsilon = 1.000000e-03 : f32}
  %2 = rep.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-3 : f32} : (tensor<2x4x9x9xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x9x9xf32>
  // CHECK: rep.channel_affine {{.*}} {axis = 1 : i64}
  %3 = rep.channel_affine %x, %c, %c {axis = 1 : i64} : (tensor<2x4x9x9xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x9x9xf32>
  // CHECK: rep.reshape {{.*}} {shape = array<i64: 2, 4, 81>}
  %4 = rep.reshape %3 {shape = array<i64: 2, 4, 81>} : (tensor<2x4x9x9xf32>) -> tensor<2x4x81xf32>
  // CHECK: rep.fc {{.*}} : (tensor<2x4x81xf32>, tensor<5x81xf32>) -> tensor<2x4x5xf32>
  %5 = rep.fc %4, %m : (tensor<2x4x81xf32>, tensor<5x81xf32>) -> tensor<2x4x5xf32>
  return %5 : tensor<2x4x5xf32>
}

// CHECK-LABEL: func @elementwise
func.func @elementwise(%a: tensor<2x3x4xf32>, %b: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  // CHECK: rep.add {{.*}} : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %0 = rep.add %a, %b : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: rep.sub
  %1 = rep.sub %0, %b : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: rep.mul
  %2 = rep.mul %1, %a : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: rep.div
  %3 = rep.div %2, %b : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: rep.pow
  %4 = rep.pow %3, %b : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: rep.relu %{{.*}} : tensor<2x3x4xf32>
  %5 = rep.relu %4 : tensor<2x3x4xf32>
  // CHECK: rep.gelu
  %6 = rep.gelu %5 : tensor<2x3x4xf32>
  // CHECK: rep.sigmoid
  %7 = rep.sigmoid %6 : tensor<2x3x4xf32>
  // CHECK: rep.erf
  %8 = rep.erf %7 : tensor<2x3x4xf32>
  // CHECK: rep.sqrt
  %9 = rep.sqrt %8 : tensor<2x3x4xf32>
  return %9 : tensor<2x3x4xf32>
}

// CHECK-LABEL: func @norms_and_pools
func.func @norms_and_pools(%x: tensor<2x4x9x9xf32>, %g: tensor<9x9xf32>) -> tensor<2x4x1x1xf32> {
  // CHECK: rep.layer_norm {{.*}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
  %0 = rep.layer_norm %x, %g, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x4x9x9xf32>, tensor<9x9xf32>, tensor<9x9xf32>) -> tensor<2x4x9x9xf32>
  // CHECK: rep.reduce_mean {{.*}} {axes = array<i64: 1, 3>, keepdims = false} : (tensor<2x4x9x9xf32>) -> tensor<2x9xf32>
  %1 = rep.reduce_mean %0 {axes = array<i64: 1, 3>, keepdims = false} : (tensor<2x4x9x9xf32>) -> tensor<2x9xf32>
  // CHECK: rep.max_pool {{.*}} -> tensor<2x4x5x5xf32>
  %2 = rep.max_pool %0 {ceil_mode = true, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<2x4x9x9xf32>) -> tensor<2x4x5x5xf32>
  // CHECK: rep.avg_pool {{.*}}count_include_pad = true{{.*}} -> tensor<2x4x3x3xf32>
  %3 = rep.avg_pool %2 {ceil_mode = false, count_include_pad = true, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<2x4x5x5xf32>) -> tensor<2x4x3x3xf32>
  // CHECK: rep.global_avg_pool {{.*}} -> tensor<2x4x1x1xf32>
  %4 = rep.global_avg_pool %3 : (tensor<2x4x3x3xf32>) -> tensor<2x4x1x1xf32>
  return %4 : tensor<2x4x1x1xf32>
}

// CHECK-LABEL: func @views
func.func @views(%x: tensor<2x3x4xf32>, %y: tensor<2x5x4xf32>, %m: tensor<4x6xf32>) -> tensor<2x1x4xf32> {
  // CHECK: rep.transpose {{.*}} {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  %0 = rep.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  // CHECK: rep.flatten {{.*}} {axis = 1 : i64} : (tensor<2x4x3xf32>) -> tensor<2x12xf32>
  %1 = rep.flatten %0 {axis = 1 : i64} : (tensor<2x4x3xf32>) -> tensor<2x12xf32>
  // CHECK: rep.concat {{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  %2 = rep.concat %x, %y {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: rep.slice {{.*}} -> tensor<2x3x4xf32>
  %3 = rep.slice %2 {sizes = array<i64: 2, 3, 4>, starts = array<i64: 0, 1, 0>, steps = array<i64: 1, 2, 1>} : (tensor<2x8x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: rep.pad {{.*}} {pads = array<i64: 0, 1, 0, 0, 2, 0>, value = 0.000000e+00 : f32} : (tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  %4 = rep.pad %3 {pads = array<i64: 0, 1, 0, 0, 2, 0>, value = 0.0 : f32} : (tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  // CHECK: rep.matmul {{.*}} : (tensor<2x6x4xf32>, tensor<4x6xf32>) -> tensor<2x6x6xf32>
  %5 = rep.matmul %4, %m : (tensor<2x6x4xf32>, tensor<4x6xf32>) -> tensor<2x6x6xf32>
  // CHECK: rep.constant dense<1.000000e+00> : tensor<2x1x4xf32>
  %6 = rep.constant dense<1.0> : tensor<2x1x4xf32>
  return %6 : tensor<2x1x4xf32>
}

// CHECK-LABEL: func @resource_weights
func.func @resource_weights() -> tensor<2xf32> {
  // CHECK: rep.constant dense_resource<w> : tensor<2xf32>
  %0 = rep.constant dense_resource<w> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F00000040"
    }
  }
#-}
