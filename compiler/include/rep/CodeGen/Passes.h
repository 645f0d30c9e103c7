//===- Passes.h - the back ends' passes and pipelines -----------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_CODEGEN_PASSES_H
#define REP_CODEGEN_PASSES_H

#include "rep/CodeGen/CpuCodeGen.h"
#include "rep/CodeGen/CudaCodeGen.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::rep {

#define GEN_PASS_DECL
#include "rep/CodeGen/Passes.h.inc"

/// rep-apply-kernel-schedules for `options` (its target CPU, chunks and
/// the note callback for a kernel left to plain loops).
std::unique_ptr<Pass>
createApplyKernelSchedulesPass(const CpuCodeGenOptions &options);

/// Bufferizes the model function and places its buffers in one workspace
/// (rep-plan-memory; the function gets `rep.workspace_size`). The GPU
/// pipeline keeps reductions' operands live through their epilogues, which
/// its kernels fuse.
void buildBufferizePipeline(OpPassManager &pm,
                            bool liveThroughEpilogues = false);

/// The CPU back end, linalg on tensors -> LLVM dialect: Winograd convs,
/// the kernel schedules, constant slabs, bufferization and the memory plan,
/// external weights (`options.weightsFile`), vector lowering, plain loops
/// for the rest, and the conversions to the LLVM and OpenMP dialects.
/// Registered as `rep-cpu-codegen`; repc runs the same function.
void buildCpuCodegenPipeline(OpPassManager &pm,
                             const CpuCodeGenOptions &options);

/// The CUDA back end after buildBufferizePipeline(liveThroughEpilogues):
/// buffers -> host function of `gpu.launch_func`s and outlined kernels
/// (tiled contractions, cooperative reductions, elementwise loops mapped to
/// blocks and threads). repc builds the launch table from its result.
void buildCudaKernelsPipeline(OpPassManager &pm,
                              const CudaCodeGenOptions &cuda);

/// The second half: the kernels to the NVVM and LLVM dialects for
/// `cuda.arch`, with `indexBits`-bit index arithmetic (32 where every
/// index the launch table found fits). gpu-module-to-binary follows.
void buildCudaToNVVMPipeline(OpPassManager &pm,
                             const CudaCodeGenOptions &cuda,
                             unsigned indexBits = 64);

/// Registers the back ends' passes and the `rep-cpu-codegen` and
/// `rep-cuda-codegen` pipelines (rep-opt).
void registerCodeGenPipelines();

#define GEN_PASS_REGISTRATION
#include "rep/CodeGen/Passes.h.inc"

} // namespace mlir::rep

#endif // REP_CODEGEN_PASSES_H
