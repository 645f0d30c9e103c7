// RUN: rep-opt %s -rep-outline-gpu-kernels | FileCheck %s
// Numerically: tests/CodeGen/cuda runs the outlined kernels of every tiny
// model through the runtime's launch table against PyTorch.

// Both launches of @model land in one module as @model_k0 and @model_k1,
// in program order; the constants they use are rematerialized in the
// kernels, so each kernel takes buffers only.
// CHECK: module attributes {gpu.container_module}
// CHECK-LABEL: func.func @model
// CHECK: gpu.launch_func @model_kernels::@model_k0 blocks in (%c2, %c1, %c1) threads in (%c32, %c1, %c1) args(%arg0 : memref<64xf32>, %arg1 : memref<64xf32>)
// CHECK: gpu.launch_func @model_kernels::@model_k1 blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1) args(%arg1 : memref<64xf32>)
// CHECK-NOT: gpu.launch
// CHECK: gpu.module @model_kernels {
// CHECK: gpu.func @model_k0(%{{.*}}: memref<64xf32>, %{{.*}}: memref<64xf32>) kernel
// CHECK-DAG: arith.constant 32 : index
// CHECK-DAG: arith.constant 2.000000e+00 : f32
// CHECK: arith.mulf
// CHECK: gpu.func @model_k1(%{{.*}}: memref<64xf32>) kernel
// CHECK: arith.constant 2.000000e+00 : f32
func.func @model(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  %cst = arith.constant 2.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %i = arith.muli %bx, %c32 : index
    %j = arith.addi %i, %tx : index
    %x = memref.load %in[%j] : memref<64xf32>
    %y = arith.mulf %x, %cst : f32
    memref.store %y, %out[%j] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    memref.store %cst, %out[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
