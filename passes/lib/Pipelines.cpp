//===- Pipelines.cpp - pass pipelines of repc -----------------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"

using namespace mlir;

void rep::buildImportCleanupPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createRaiseDecomposedOps());
}
