// RUN: rep-opt %s -pass-pipeline="builtin.module(gpu.module(rep-allow-gpu-contraction))" | FileCheck %s

// Every arithmetic op of a kernel may contract (a * b + c as one fma.rn):
// the flag is set on ops with and without other flags; ops outside the
// kernels (the host) keep theirs.
// CHECK-LABEL: gpu.func @k
// CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<contract> : f32
// CHECK: arith.subf %{{.*}}, %{{.*}} fastmath<contract> : f32
// CHECK-LABEL: func.func @host
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%a: f32, %b: f32, %c: f32, %out: memref<f32>) kernel {
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %p, %c fastmath<nnan> : f32
      %d = arith.subf %s, %a : f32
      memref.store %d, %out[] : memref<f32>
      gpu.return
    }
  }
  func.func @host(%a: f32) -> f32 {
    %p = arith.mulf %a, %a : f32
    return %p : f32
  }
}
