//===- ApplyKernelSchedules.cpp - per-kernel CPU schedules ----------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/Passes.h"
#include "rep/CodeGen/Schedules.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::rep {
#define GEN_PASS_DEF_APPLYKERNELSCHEDULES
#include "rep/CodeGen/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

struct ApplyKernelSchedulesPass
    : rep::impl::ApplyKernelSchedulesBase<ApplyKernelSchedulesPass> {
  using ApplyKernelSchedulesBase::ApplyKernelSchedulesBase;
  ApplyKernelSchedulesPass(const CpuCodeGenOptions &options)
      : ApplyKernelSchedulesBase(
            ApplyKernelSchedulesOptions{options.cpu, options.parallelChunks}),
        note(options.note), progress(options.progress) {}

  void runOnOperation() override {
    CpuCodeGenOptions options;
    options.cpu = cpu;
    options.parallelChunks = parallelChunks;
    options.note = note;
    options.progress = progress;
    // Without a callback (rep-opt) a kernel left to plain loops is a
    // remark on its op's location.
    if (!options.note)
      options.note = [&](const llvm::Twine &what) {
        emitRemark(getOperation().getLoc()) << what;
      };
    ModuleOp module = getOperation();
    if (printScheduled())
      llvm::errs() << buildScheduleScript(module, options) << "\n";
    if (failed(applyKernelSchedules(module, options)))
      signalPassFailure();
  }

  std::function<void(const llvm::Twine &)> note;
  std::function<void(size_t, size_t)> progress;
};

} // namespace

std::unique_ptr<Pass>
rep::createApplyKernelSchedulesPass(const CpuCodeGenOptions &options) {
  return std::make_unique<ApplyKernelSchedulesPass>(options);
}
