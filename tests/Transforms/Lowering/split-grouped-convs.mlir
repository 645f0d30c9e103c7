// RUN: rep-opt %s -rep-split-grouped-convs | FileCheck %s
// RUN: rep-opt %s -rep-split-grouped-convs=max-groups=2 -debug -mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=WHY
// Numerically: compiled for the CPU (where repc splits them), every case
// matches the interpreter on one and two threads.
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.random.RandomState(7).randn(2, 9, 11, 7).astype(np.float32))"
// RUN: repc %s --no-fold --run --input=%t.x.npy --output=%t.ref0.npy --output=%t.ref1.npy --output=%t.ref2.npy
// RUN: repc %s --no-fold -o %t.so
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.a0.npy --output=%t.a1.npy --output=%t.a2.npy --threads=1
// RUN: %compare %t.a0.npy %t.ref0.npy --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// RUN: %compare %t.a1.npy %t.ref1.npy --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// RUN: rep-run %t.so --input=%t.x.npy --output=%t.b0.npy --output=%t.b1.npy --output=%t.b2.npy --threads=2
// RUN: %compare %t.b0.npy %t.ref0.npy --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// RUN: %compare %t.b1.npy %t.ref1.npy --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// RUN: %compare %t.b2.npy %t.ref2.npy --tolerance=1e-5 | FileCheck %s --check-prefix=NUM
// NUM: OK

// Three groups of 3 channels, 2 filters each, padded 3x3 with a bias,
// stride 2 on odd 11x7 maps: three dense convs on channel slices 0-2, 3-5,
// 6-8, each with its group's filters and bias, concatenated in order. A
// 3x2 conv with dilation 2 and two groups of 2 filters likewise; the
// depthwise conv (a kernel of its own) is left alone.
// CHECK-LABEL: func @main
// CHECK: %[[X0:.*]] = rep.slice %arg0 {{.*}}sizes = array<i64: 2, 3, 11, 7>, starts = array<i64: 0, 0, 0, 0>
// CHECK: %[[Y0:.*]] = rep.conv2d %[[X0]], %{{.*}}, %{{.*}} {{.*}}groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>{{.*}} -> tensor<2x2x6x4xf32>
// CHECK: starts = array<i64: 0, 3, 0, 0>
// CHECK: starts = array<i64: 0, 6, 0, 0>
// CHECK: rep.concat %[[Y0]], %{{.*}}, %{{.*}} {axis = 1 : i64} {{.*}} -> tensor<2x6x6x4xf32>
// CHECK: rep.concat {{.*}} -> tensor<2x4x7x5xf32>
// CHECK: rep.conv2d %arg0, %{{.*}} {{.*}}groups = 9 : i64
// WHY: rep-split-grouped-convs: refused at {{.*}}: more groups than max-groups
// WHY: rep-split-grouped-convs: refused at {{.*}}: depthwise: a kernel of its own
func.func @main(%x: tensor<2x9x11x7xf32>) -> (tensor<2x6x6x4xf32>, tensor<2x4x7x5xf32>, tensor<2x9x11x7xf32>) {
  %w1 = rep.constant dense<[[[[0.537, 0.131, 0.029],
   [-0.559, -0.083, -0.106],
   [-0.025, -0.188, -0.013]],

  [[-0.143, -0.394, 0.265],
   [0.264, 0.513, 0.015],
   [-0.121, -0.164, -0.464]],

  [[0.295, -0.330, -0.356],
   [-0.062, 0.446, 0.071],
   [-0.307, -0.214, 0.188]]],


 [[[-0.048, -0.231, -0.069],
   [0.224, 0.593, -0.373],
   [-0.188, -0.241, -0.726]],

  [[-0.277, -0.307, 0.337],
   [-0.040, -0.487, 0.194],
   [-0.107, -0.523, -0.179]],

  [[-0.177, -0.262, 0.009],
   [-0.674, -0.080, 0.304],
   [0.256, 0.332, 0.336]]],


 [[[0.446, -0.335, 0.254],
   [-0.558, -0.181, -0.574],
   [0.314, 0.400, -0.059]],

  [[0.532, -0.202, 0.045],
   [0.046, -0.319, 0.131],
   [0.582, -0.307, 0.270]],

  [[-0.046, 0.531, 0.145],
   [0.203, 0.193, 0.075],
   [-0.419, 0.417, -0.411]]],


 [[[0.072, 0.184, -0.251],
   [0.044, 0.350, -0.007],
   [-0.267, -0.875, -0.292]],

  [[-0.177, -0.155, -0.288],
   [0.113, -0.172, -0.033],
   [0.204, -0.257, -0.090]],

  [[0.647, 0.262, -0.388],
   [-0.024, 0.169, 0.370],
   [0.045, -0.159, -0.219]]],


 [[[0.194, 0.094, -0.155],
   [-0.057, -0.125, 0.217],
   [-0.207, 0.146, 0.255]],

  [[0.146, -0.250, 0.403],
   [-0.203, 0.128, -0.226],
   [-0.523, 0.068, 0.086]],

  [[-0.023, 0.083, -0.195],
   [-0.221, -0.050, 0.573],
   [0.244, -0.156, 0.168]]],


 [[[-0.144, -0.137, 0.258],
   [-0.158, -0.503, -0.272],
   [0.027, 0.038, 0.372]],

  [[-0.215, 0.219, 0.128],
   [-0.045, 0.251, 0.148],
   [-0.259, 0.322, -0.366]],

  [[0.018, 0.001, 0.127],
   [-0.218, -0.010, -0.042],
   [0.299, -0.239, 0.022]]]]> : tensor<6x3x3x3xf32>
  %b1 = rep.constant dense<[-0.026, -0.130, 0.268, -0.007, -0.149, 0.141]> : tensor<6xf32>
  %y1 = rep.conv2d %x, %w1, %b1 {dilations = array<i64: 1, 1>, groups = 3 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<2x9x11x7xf32>, tensor<6x3x3x3xf32>, tensor<6xf32>) -> tensor<2x6x6x4xf32>
  %x8 = rep.slice %x {starts = array<i64: 0, 0, 0, 0>, sizes = array<i64: 2, 6, 11, 7>, steps = array<i64: 1, 1, 1, 1>} : (tensor<2x9x11x7xf32>) -> tensor<2x6x11x7xf32>
  %w2 = rep.constant dense<[[[[-0.321, 0.111],
   [0.259, -0.195],
   [-0.129, -0.162]],

  [[-0.039, -0.487],
   [-0.371, -0.042],
   [0.312, 0.190]],

  [[0.519, 0.208],
   [-0.153, -0.037],
   [-0.609, -0.288]]],


 [[[-0.306, 0.081],
   [0.194, -0.168],
   [-0.177, -0.464]],

  [[-0.038, 0.074],
   [0.134, -0.235],
   [0.597, 0.359]],

  [[-0.029, -0.158],
   [-0.096, 0.045],
   [-0.006, 0.145]]],


 [[[0.231, 0.410],
   [0.344, -0.033],
   [0.116, -0.116]],

  [[-0.176, 0.573],
   [-0.138, 0.597],
   [-0.105, 0.076]],

  [[0.327, 0.007],
   [0.118, -0.072],
   [-0.143, -0.050]]],


 [[[-0.195, 0.489],
   [-0.050, 0.517],
   [-0.806, 0.006]],

  [[0.169, -0.088],
   [0.328, 0.192],
   [-0.082, 0.131]],

  [[0.844, 0.076],
   [0.090, -0.132],
   [0.040, -0.387]]]]> : tensor<4x3x3x2xf32>
  %y2 = rep.conv2d %x8, %w2 {dilations = array<i64: 2, 2>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x6x11x7xf32>, tensor<4x3x3x2xf32>) -> tensor<2x4x7x5xf32>
  %wd = rep.constant dense<[[[[-0.059, 0.737, 0.320],
   [0.192, 0.331, 0.565],
   [0.178, 0.621, 0.321]]],


 [[[0.050, 0.516, -0.708],
   [-0.171, 0.080, -0.274],
   [-0.047, -0.192, -0.196]]],


 [[[0.814, 0.188, -0.016],
   [0.395, -0.071, 0.266],
   [0.105, 0.488, -0.426]]],


 [[[0.230, 0.037, -0.347],
   [0.320, -0.262, 0.486],
   [0.154, 0.209, 0.024]]],


 [[[0.271, -0.560, 0.022],
   [-0.188, 0.085, -0.014],
   [0.185, -0.251, 0.552]]],


 [[[0.695, -0.062, -0.004],
   [0.086, 0.379, 0.569],
   [-0.362, -0.185, -0.319]]],


 [[[-0.334, -0.492, 0.109],
   [-0.348, 0.451, 0.272],
   [-0.309, -0.309, -0.184]]],


 [[[0.420, -0.255, -0.448],
   [-0.015, 0.112, -0.197],
   [0.486, 0.072, 0.136]]],


 [[[-0.257, -0.012, -0.047],
   [-0.682, 0.086, -0.538],
   [-0.009, -0.442, 0.606]]]]> : tensor<9x1x3x3xf32>
  %yd = rep.conv2d %x, %wd {dilations = array<i64: 1, 1>, groups = 9 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x9x11x7xf32>, tensor<9x1x3x3xf32>) -> tensor<2x9x11x7xf32>
  return %y1, %y2, %yd : tensor<2x6x6x4xf32>, tensor<2x4x7x5xf32>, tensor<2x9x11x7xf32>
}
