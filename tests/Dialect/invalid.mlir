// RUN: rep-opt %s -split-input-file -verify-diagnostics
// Each verifier (shape rule) rejects what it must, with its message.

func.func @conv_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<6x3x3x3xf32>) {
  // expected-error @+2 {{weight expects 3 input channels, input has 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_not_divisible(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+2 {{channels 4 -> 6 are not divisible by groups 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 4 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+2 {{expects a bias of shape 6, got 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.conv2d %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>, tensor<5xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_stride(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{expects positive kernel, strides and dilations}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 0, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<1x6x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x6x8x8xf32>'}}
  %0 = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x8x8xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<1x4x2x2xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{window of 3x3 does not fit the padded input 1x4x2x2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.conv2d %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x2x2xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x1x1xf32>
  return
}

// -----

func.func @bn_channels(%x: tensor<1x4x8x8xf32>, %c: tensor<3xf32>, %d: tensor<4xf32>) {
  // expected-error @+2 {{expects a scale of shape 4, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.batch_norm %x, %c, %d, %d, %d {epsilon = 1.0e-5 : f32} : (tensor<1x4x8x8xf32>, tensor<3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @bn_epsilon(%x: tensor<1x4x8x8xf32>, %d: tensor<4xf32>) {
  // expected-error @+2 {{expects a non-negative epsilon}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.batch_norm %x, %d, %d, %d, %d {epsilon = -1.0 : f32} : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @fc_weight(%x: tensor<2x8xf32>, %w: tensor<4x7xf32>) {
  // expected-error @+2 {{expects a weight of shape Mx8, got 4x7}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.fc %x, %w : (tensor<2x8xf32>, tensor<4x7xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_contract(%a: tensor<2x3x4xf32>, %b: tensor<5x6xf32>) {
  // expected-error @+2 {{contracting dims differ: 2x3x4 and 5x6}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.matmul %a, %b : (tensor<2x3x4xf32>, tensor<5x6xf32>) -> tensor<2x3x6xf32>
  return
}

// -----

func.func @broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes 2x3 and 4 do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @affine_axis(%x: tensor<2x3xf32>, %s: tensor<3xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.channel_affine %x, %s, %s {axis = 2 : i64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_params(%x: tensor<2x3x4xf32>, %g: tensor<3xf32>) {
  // expected-error @+2 {{expects scale and bias of shape 4, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.layer_norm %x, %g, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @reduce_axes(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axes must be distinct and in [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.reduce_mean %x {axes = array<i64: 1, 1>, keepdims = true} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @pool_pads(%x: tensor<1x2x8x8xf32>) {
  // expected-error @+2 {{expects pads smaller than the kernel}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.max_pool %x {ceil_mode = false, kernel = array<i64: 2, 2>, pads = array<i64: 2, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x9x7xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<2x8x8xf32>) {
  // expected-error @+2 {{expects a 4-D NCHW input, got 2x8x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.avg_pool %x {ceil_mode = false, count_include_pad = false, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x8x8xf32>) -> tensor<2x7x7xf32>
  return
}

// -----

func.func @gap_rank(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{expects an input of rank >= 3, got 2x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.global_avg_pool %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{cannot reshape 2x3 (6 elements) to 7 (7 elements)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.reshape %x {shape = array<i64: 7>} : (tensor<2x3xf32>) -> tensor<7xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{perm is not a permutation of [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @flatten_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 3 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.flatten %x {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<6x1xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+2 {{inputs differ outside axis 1: 2x3 and 3x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<4xf32>) {
  // expected-error @+2 {{slice of dim 0 reads past its size 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.slice %x {sizes = array<i64: 3>, starts = array<i64: 1>, steps = array<i64: 2>} : (tensor<4xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @pad_count(%x: tensor<4xf32>) {
  // expected-error @+2 {{expects 2 pads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = rep.pad %x {pads = array<i64: 1>, value = 0.0 : f32} : (tensor<4xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @unary_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "rep.relu"(%x) : (tensor<4xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @constant_type() {
  // expected-error @+1 {{expects an f32 tensor value}}
  %0 = rep.constant dense<1> : tensor<2xi32>
  return
}
