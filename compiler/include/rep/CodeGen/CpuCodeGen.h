//===- CpuCodeGen.h - folded rep graph to native CPU code -------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The CPU back end: rep -> linalg on tensors -> per-kernel transform-dialect
// schedules -> bufferized loops and vectors -> LLVM dialect -> LLVM IR with
// the model ABI (runtime/include/rep/model_abi.h) -> object code for the host
// CPU -> shared library or executable through the system C compiler driver.
//
//===----------------------------------------------------------------------===//

#ifndef REP_CODEGEN_CPUCODEGEN_H
#define REP_CODEGEN_CPUCODEGEN_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>

namespace mlir::rep {

/// Every dialect, interface model and translation the back end uses.
void registerCodeGenDialects(DialectRegistry &registry);

/// Registers every pass the pipelines run (upstream's and rep's), so that
/// a tool's `--mlir-print-ir-after=PASS` can name them.
void registerCodeGenPasses();

/// Names and shapes of a model's inputs and outputs (float32, row-major).
struct ModelSignature {
  struct Tensor {
    std::string name;
    llvm::SmallVector<int64_t> shape;
  };
  llvm::SmallVector<Tensor> inputs, outputs;
  /// Bytes of scratch memory one run needs (rep-plan-memory's workspace),
  /// known after lowering; the runtime keeps it across runs.
  int64_t workspaceBytes = 0;
  /// With external weights (`CpuCodeGenOptions::weightsFile`): the weights
  /// file's contents, header included, and its fingerprint.
  std::string weights;
  uint64_t weightsFingerprint = 0;
};

/// The signature of a rep function, names from its `rep.name` attributes.
ModelSignature signatureOf(func::FuncOp func);

struct CpuCodeGenOptions {
  /// C symbol prefix of the generated entry points (`SYM_run`, ...).
  std::string symbol = "model";
  /// Target CPU name (`--cpu=`); empty means the host CPU and its features.
  std::string cpu;
  /// Emit `rep_model_entry`, the fixed symbol rep-run and the exe look up.
  bool fixedEntry = true;
  /// Independent work items the top-level loops are split into (OpenMP
  /// threads share them; the count actually used is set at run time).
  int parallelChunks = 8;
  /// Non-empty: the weights go to a file of this name (`--weights=FILE`,
  /// recorded in the descriptor so that the runtime finds it beside the
  /// library) instead of into the code; rep-externalize-weights.
  std::string weightsFile;
  /// Use the tuned kernel schedules (off: plain loops, for debugging).
  bool schedules = true;
  /// Compute stride-1 3x3 convs as Winograd F(2x2, 3x3) (rep-winograd-conv;
  /// with the schedules only).
  bool winograd = true;
  /// Called with what the back end did other than planned (a kernel whose
  /// schedule failed runs as plain loops); repc prints it under -v.
  std::function<void(const llvm::Twine &)> note;
  /// Called as the kernel schedules are applied, with the kernels done so
  /// far and their count (repc's status line), and once more when all are.
  std::function<void(size_t done, size_t total)> progress;
  /// Called on every PassManager the back end runs, so that a tool can
  /// apply its IR printing and timing options.
  std::function<LogicalResult(PassManager &)> configurePassManager;
};

/// Fails, with the reason in `error`, unless `cpu` (`--cpu=`) names an
/// x86-64 CPU LLVM knows; empty means the host.
LogicalResult checkTargetCpu(llvm::StringRef cpu, std::string &error);

/// rep (folded) -> linalg on tensors, elementwise chains fused; for the
/// CPU (`cpu`), grouped convs split into a dense conv per group first.
void buildLowerToLinalgPipeline(OpPassManager &pm, bool cpu = true);

/// linalg on tensors -> LLVM dialect: runs buildCpuCodegenPipeline
/// (rep/CodeGen/Passes.h), then takeModelArtifacts into `sig`.
LogicalResult lowerLinalgToLLVM(ModuleOp module,
                                const CpuCodeGenOptions &options,
                                ModelSignature *sig = nullptr);

/// Runs buildBufferizePipeline, then takeModelArtifacts into `sig`.
LogicalResult bufferizeAndPlanMemory(ModuleOp module,
                                     const CpuCodeGenOptions &options,
                                     ModelSignature *sig,
                                     bool liveThroughEpilogues = false);

/// Moves what the pipelines recorded in the IR into `sig` and drops those
/// attributes, which the LLVM IR translation does not know: the workspace
/// size (rep-plan-memory's `rep.workspace_size`) and the weights file
/// (rep-externalize-weights' `rep.weights` and its fingerprint).
void takeModelArtifacts(ModuleOp module, ModelSignature &sig);

/// Runs the passes `build` adds on a PassManager configured by
/// `options.configurePassManager` (IR printing, timing).
LogicalResult
runCodeGenPipeline(ModuleOp module, const CpuCodeGenOptions &options,
                   llvm::function_ref<LogicalResult(OpPassManager &)> build);

/// Runs the textual `pipeline`, then `pass`, the same way.
LogicalResult runCodeGenPipeline(ModuleOp module,
                                 const CpuCodeGenOptions &options,
                                 llvm::StringRef pipeline,
                                 std::unique_ptr<Pass> pass = nullptr);

/// Adds the model descriptor (`rep_model_abi`, runtime/include/rep/model_abi.h)
/// and its getters `SYM_abi` and, with `fixedEntry`, `rep_model_entry`.
/// `run` is the CPU entry (null for CUDA models); `cuda` the
/// `rep_cuda_program` of a CUDA model.
void addModelDescriptor(llvm::Module &m, const ModelSignature &sig,
                        const CpuCodeGenOptions &options, llvm::Function *run,
                        uint32_t device, llvm::Constant *cuda);

/// A private NUL-terminated string global.
llvm::Constant *stringConstant(llvm::Module &m, llvm::StringRef s);

/// LLVM dialect -> LLVM IR with the model ABI glue, for the target CPU,
/// each top-level loop of the model function in a noinline function of its
/// own, and optimized at -O3 unless `optimize` is false (emitObjectFiles
/// then optimizes each part). The glue calls `SYM_impl(in..., out...,
/// workspace, weights)` (the workspace only when `sig.workspaceBytes` is
/// non-zero, the weights only when they are external).
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &ctx,
                  const ModelSignature &sig, const CpuCodeGenOptions &options,
                  bool optimize = true);

/// LLVM's -O3 pipeline for the target CPU.
llvm::Error optimizeModule(llvm::Module &module,
                           const CpuCodeGenOptions &options);

/// Sets the data layout and triple of the target CPU on `module`.
llvm::Error setHostTarget(llvm::Module &module,
                          const CpuCodeGenOptions &options);

/// Writes `module` as a relocatable object file.
llvm::Error emitObjectFile(llvm::Module &module, llvm::StringRef path,
                           const CpuCodeGenOptions &options);

/// Writes `module` as one relocatable object per path: its functions are
/// split between them (llvm::SplitModule), then each part is optimized
/// (with `optimize`) and code-generated on a thread of its own. The
/// module's local symbols become hidden globals so the objects link
/// together: for a library or executable, not for `--emit=obj`, where two
/// models' hidden names could meet in one app.
/// `onPartDone(n)` is called, from the part's thread, as the n-th part is
/// written.
llvm::Error
emitObjectFiles(llvm::Module &module, llvm::ArrayRef<std::string> paths,
                const CpuCodeGenOptions &options, bool optimize,
                std::function<void(size_t)> onPartDone = nullptr);

/// Links objects into a shared library or an executable with the system C
/// compiler driver (`$CC`, else `cc`), adding the OpenMP runtime.
/// `exportSymbols`: the executable's symbols are visible to dlsym.
llvm::Error linkShared(llvm::ArrayRef<std::string> objects,
                       llvm::StringRef output);
llvm::Error linkExecutable(llvm::ArrayRef<std::string> objects,
                           llvm::StringRef output, bool exportSymbols = false);

/// The C header for an `--emit=obj` model.
std::string generateHeader(const ModelSignature &sig,
                           const CpuCodeGenOptions &options);

} // namespace mlir::rep

#endif // REP_CODEGEN_CPUCODEGEN_H
