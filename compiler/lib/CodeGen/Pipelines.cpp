//===- Pipelines.cpp - the back ends as pass pipelines --------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The back ends from linalg on tensors to the LLVM dialect, as pass
// pipelines that repc runs and rep-opt registers (`-rep-cpu-codegen`,
// `-rep-cuda-codegen`), so that a back-end bug cuts down to a lit test.
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/Passes.h"
#include "rep/CodeGen/Schedules.h"
#include "rep/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::rep;

void rep::buildBufferizePipeline(OpPassManager &pm,
                                 bool liveThroughEpilogues) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createRematerializeFills());
  bufferization::OneShotBufferizationOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsOpts outParams;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  // CSE first: a tile written in place is copied onto itself through two
  // equal subviews, which canonicalize then drops.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createPlanMemory(PlanMemoryOptions{liveThroughEpilogues}));
}

void rep::buildCpuCodegenPipeline(OpPassManager &pm,
                                  const CpuCodeGenOptions &options) {
  if (options.schedules) {
    if (options.winograd) {
      pm.addNestedPass<func::FuncOp>(createWinogradConv());
      pm.addPass(createCSEPass());
    }
    pm.addPass(createApplyKernelSchedulesPass(options));
    // Weights that threads or cache tiles read by columns: each slab
    // contiguous.
    pm.addNestedPass<func::FuncOp>(createPackConstantSlabs());
    if (printScheduled())
      pm.addPass(createPrintIRPass());
  }
  buildBufferizePipeline(pm);
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  if (!options.weightsFile.empty())
    pm.addPass(createExternalizeWeights());
  if (options.schedules)
    pm.addPass(createLowerVectors());
  pm.addPass(createCopyToLinalg());
  // Whatever no schedule claimed runs as plain loops, the outermost one
  // parallel when that pays.
  pm.addNestedPass<func::FuncOp>(createLowerToLoops());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createApproximateMath());

  // No canonicalize on the LLVM dialect: LLVM's O3 drops the same dead
  // code in a fraction of the time. MLIR's took 1.8 of RepVGG-A0's 8.3 s
  // compile (mostly in wouldOpBeTriviallyDead), to drop 48K of 109K lines;
  // the compiled model runs as fast without it.
  pm.addPass(createForallToParallelLoopPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertSCFToCFPass());
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.x86Vector = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createOutlineParallelRegions());
}

void rep::buildCudaKernelsPipeline(OpPassManager &pm,
                                   const CudaCodeGenOptions &cuda) {
  pm.addPass(createCopyToLinalg(CopyToLinalgOptions{/*loops=*/false}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  OpPassManager &f = pm.nest<func::FuncOp>();
  f.addPass(createTileContractionsForGpu(
      TileContractionsForGpuOptions{multiprocessorsOf(cuda.arch)}));
  f.addPass(createMapReductionsToGpu());
  f.addPass(
      createMapParallelLoopsToGpu(MapParallelLoopsToGpuOptions{cuda.blockSize}));
  pm.addPass(createParallelLoopToGpuPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createOutlineGpuKernels());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createAllowGpuContraction());
}

void rep::buildCudaToNVVMPipeline(OpPassManager &pm,
                                  const CudaCodeGenOptions &cuda,
                                  unsigned indexBits) {
  GpuNVVMAttachTargetOptions target;
  target.chip = cuda.arch;
  target.features = "+ptx78";
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createConvertSCFToCFPass());
  ConvertGpuOpsToNVVMOpsOptions toNVVM;
  toNVVM.useBarePtrCallConv = true;
  toNVVM.indexBitwidth = indexBits;
  kernels.addPass(createConvertGpuOpsToNVVMOps(toNVVM));
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createDeclareDynamicSharedMemory());
}

namespace {

struct CudaCodegenPipelineOptions
    : PassPipelineOptions<CudaCodegenPipelineOptions> {
  Option<std::string> arch{*this, "arch",
                           llvm::cl::desc("The PTX target: sm_80 or sm_90"),
                           llvm::cl::init("sm_80")};
  Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block of the elementwise mapping"),
      llvm::cl::init(256)};
  Option<unsigned> indexBitwidth{
      *this, "index-bitwidth",
      llvm::cl::desc("Bits of the kernels' index arithmetic (repc picks 32 "
                     "where every index fits)"),
      llvm::cl::init(64)};
};

struct CpuCodegenPipelineOptions
    : PassPipelineOptions<CpuCodegenPipelineOptions> {
  Option<std::string> cpu{*this, "cpu",
                          llvm::cl::desc("Target CPU (an LLVM CPU name; "
                                         "empty: the host)"),
                          llvm::cl::init("")};
  Option<int> parallelChunks{
      *this, "parallel-chunks",
      llvm::cl::desc("Work items the outer loops are split into"),
      llvm::cl::init(8)};
  Option<bool> schedules{*this, "schedules",
                         llvm::cl::desc("Use the kernel schedules (off: "
                                        "plain loops)"),
                         llvm::cl::init(true)};
  Option<bool> winograd{*this, "winograd",
                        llvm::cl::desc("Compute stride-1 3x3 convs as "
                                       "Winograd F(2x2, 3x3)"),
                        llvm::cl::init(true)};
  Option<std::string> weightsFile{
      *this, "weights-file",
      llvm::cl::desc("Move the constants into this weights file "
                     "(rep-externalize-weights)"),
      llvm::cl::init("")};
};

} // namespace

void rep::registerCodeGenPipelines() {
  registerRepCodeGenPasses();
  PassPipelineRegistration<CpuCodegenPipelineOptions>(
      "rep-cpu-codegen",
      "The CPU back end: linalg on tensors -> LLVM dialect (repc's own "
      "pipeline)",
      [](OpPassManager &pm, const CpuCodegenPipelineOptions &o) {
        CpuCodeGenOptions options;
        options.cpu = o.cpu;
        options.parallelChunks = o.parallelChunks;
        options.schedules = o.schedules;
        options.winograd = o.winograd;
        options.weightsFile = o.weightsFile;
        buildCpuCodegenPipeline(pm, options);
      });
  PassPipelineRegistration<CudaCodegenPipelineOptions>(
      "rep-cuda-codegen",
      "The CUDA back end: linalg on tensors -> host function and kernels "
      "in the NVVM dialect (repc's own pipeline, less the launch table)",
      [](OpPassManager &pm, const CudaCodegenPipelineOptions &o) {
        CudaCodeGenOptions cuda;
        cuda.arch = o.arch;
        cuda.blockSize = o.blockSize;
        buildBufferizePipeline(pm, /*liveThroughEpilogues=*/true);
        buildCudaKernelsPipeline(pm, cuda);
        buildCudaToNVVMPipeline(pm, cuda, o.indexBitwidth);
      });
}
