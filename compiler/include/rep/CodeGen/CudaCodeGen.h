//===- CudaCodeGen.h - folded rep graph to PTX and a launch table -*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The NVIDIA back end: linalg on tensors -> bufferized, memory-planned
// loops (shared with the CPU back end) -> one GPU kernel per loop nest ->
// NVVM -> PTX. The host part of the model function becomes data: the
// launch table the runtime (runtime/lib/cuda.c) plays through the CUDA
// driver, with every kernel argument resolved to a buffer and an offset.
//
//===----------------------------------------------------------------------===//

#ifndef REP_CODEGEN_CUDACODEGEN_H
#define REP_CODEGEN_CUDACODEGEN_H

#include "rep/CodeGen/CpuCodeGen.h"

#include "mlir/IR/OwningOpRef.h"

#ifndef REPC_CUDA_TOOLKIT
#define REPC_CUDA_TOOLKIT "/usr/local/cuda"
#endif

namespace mlir::rep {

struct CudaCodeGenOptions {
  /// The PTX target (`--gpu-arch=`): sm_80 or sm_90.
  std::string arch = "sm_80";
  /// Threads per block of the elementwise mapping.
  int64_t blockSize = 256;
  /// The CUDA toolkit whose libdevice (erf, exp, tanh) kernels link.
  std::string toolkit = REPC_CUDA_TOOLKIT;
  /// Also compile every kernel for the host CPU, exported under its PTX
  /// name as `void K(void **params, uint32_t grid, uint32_t block)`: the
  /// CUDA driver emulator of the tests (tests/tools/cuda_emulator.c) runs
  /// those, so a machine without a GPU checks the launch table, the memory
  /// plan and the kernels' index mapping end to end.
  bool hostKernels = false;
};

/// The multiprocessors of the arch's data-centre GPU (A100, H100 SXM and
/// H200), which the GEMM kernels size their grids against.
int64_t multiprocessorsOf(llvm::StringRef arch);

/// What `repc --target=cuda` compiles a model into; mirrors
/// `rep_cuda_program` of runtime/include/rep/model_abi.h.
struct CudaProgram {
  enum Buffer : uint32_t { Input = 0, Output = 1, Workspace = 2, Weights = 3 };
  struct Arg {
    uint32_t buffer, index;
    uint64_t offset;
  };
  struct Launch {
    uint32_t kernel;
    uint32_t grid[3], block[3];
    uint32_t sharedBytes;
    uint32_t firstArg, numArgs;
  };
  std::string ptx;
  std::vector<std::string> kernels;
  std::vector<Launch> launches;
  std::vector<Arg> args;
  std::vector<char> weights;
  /// With `hostKernels`: the kernels as host functions `K_body(ptr...,
  /// i64 block, i64 thread, ptr shared, ptr barrier)`, in the LLVM dialect.
  OwningOpRef<ModuleOp> hostKernels;
};

/// Returns an error unless `arch` is a GPU architecture repc targets.
LogicalResult checkGpuArch(llvm::StringRef arch, std::string &error);

/// linalg on tensors -> PTX and launch table. Records the workspace size in
/// `sig`.
FailureOr<CudaProgram> lowerLinalgToCuda(ModuleOp module,
                                         const CpuCodeGenOptions &options,
                                         const CudaCodeGenOptions &cuda,
                                         ModelSignature &sig);

/// The host library of a CUDA model: the PTX, the launch table and the
/// weights as data, and the model descriptor, for the host CPU.
llvm::Expected<std::unique_ptr<llvm::Module>>
buildCudaHostModule(const CudaProgram &program, llvm::LLVMContext &ctx,
                    const ModelSignature &sig, const CudaCodeGenOptions &cuda,
                    const CpuCodeGenOptions &options);

} // namespace mlir::rep

#endif // REP_CODEGEN_CUDACODEGEN_H
