//===- Pipelines.cpp - pass pipelines of repc -----------------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void rep::buildImportCleanupPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createRaiseDecomposedOps());
}

void rep::buildReparameterizePipeline(OpPassManager &pm,
                                      const ReparameterizeOptions &options) {
  OpPassManager &f = pm.nest<func::FuncOp>();
  for (int round = 0; round < 2; ++round) {
    f.addPass(createFoldConstants());
    f.addPass(createNormalizeLinear());
    f.addPass(createFoldUnfoldIntoConv({options.force}));
    f.addPass(createSimplifyViews());
    f.addPass(createFoldBatchNorm());
    f.addPass(createMergeSequential({options.force}));
    f.addPass(createNormalizeLinear());
    f.addPass(createFoldBatchNorm());
    f.addPass(createMergeParallelBranches({options.force}));
    f.addPass(createSimplifyViews());
    f.addPass(createInjectLocality({options.force}));
  }
  f.addPass(createFoldConstants());
  f.addPass(createCSEPass());
  // Drops the weights every fold left behind.
  f.addPass(createCanonicalizerPass());
}

namespace {
struct PipelineOptions : PassPipelineOptions<PipelineOptions> {
  Option<bool> force{*this, "force",
                     llvm::cl::desc("Apply merges that raise FLOPs or params"),
                     llvm::cl::init(false)};
};
} // namespace

void rep::registerReparameterizePipeline() {
  PassPipelineRegistration<PipelineOptions>(
      "rep-reparameterize", "Fold BN, merge branches, inject locality",
      [](OpPassManager &pm, const PipelineOptions &o) {
        buildReparameterizePipeline(pm, {o.force});
      });
}
