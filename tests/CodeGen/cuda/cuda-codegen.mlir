// rep-opt runs the CUDA back end that repc runs (buildBufferizePipeline,
// buildCudaKernelsPipeline, buildCudaToNVVMPipeline; repc builds the
// launch table between the last two), from linalg on tensors to a host
// function of kernel launches and kernels in the NVVM dialect.
// RUN: repc %s --no-fold --target=cuda --emit=linalg -o %t.linalg.mlir
// RUN: rep-opt %t.linalg.mlir -rep-cuda-codegen="arch=sm_90" | FileCheck %s
// RUN: rep-opt %t.linalg.mlir -rep-cuda-codegen="arch=sm_80 index-bitwidth=32" | FileCheck %s --check-prefix=I32

// The host function launches the kernel on its buffers; the kernels
// target sm_90, are LLVM functions reading NVVM thread ids, declare their
// dynamic shared memory external (rep-declare-dynamic-shared-memory), and
// their multiply-adds may contract (rep-allow-gpu-contraction).
// CHECK-LABEL: func.func private @cuda_codegen_impl(
// CHECK: gpu.launch_func @cuda_codegen_impl_kernels::@cuda_codegen_impl_k0
// CHECK: gpu.module @cuda_codegen_impl_kernels [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx78">]
// CHECK: llvm.mlir.global external @__dynamic_shmem__0()
// CHECK: llvm.func @cuda_codegen_impl_k0({{.*}}) attributes {gpu.kernel
// CHECK: nvvm.read.ptx.sreg.tid.x
// CHECK: llvm.sext
// CHECK: llvm.fmul {{.*}} {fastmathFlags = #llvm.fastmath<contract>} : f32

// With 32-bit indices (repc's choice when every index fits) the thread id
// is not widened and the address arithmetic stays in i32.
// I32: gpu.module @cuda_codegen_impl_kernels [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx78">]
// I32-NOT: llvm.sext
// I32-NOT: llvm.mul {{.*}} : i64
func.func @main(%x: tensor<24x64xf32>) -> tensor<24x48xf32> {
  %w = rep.constant dense<0.01> : tensor<48x64xf32>
  %b = rep.constant dense<0.5> : tensor<48xf32>
  %y = rep.fc %x, %w, %b : (tensor<24x64xf32>, tensor<48x64xf32>, tensor<48xf32>) -> tensor<24x48xf32>
  %r = rep.relu %y : tensor<24x48xf32>
  return %r : tensor<24x48xf32>
}
