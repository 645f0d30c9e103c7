//===- Passes.h - rep transformation passes ---------------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_TRANSFORMS_PASSES_H
#define REP_TRANSFORMS_PASSES_H

#include "rep/Dialect/RepDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir {
class RewritePatternSet;
namespace rep {

#define GEN_PASS_DECL
#include "rep/Transforms/Passes.h.inc"

void populateRaiseGeluPatterns(RewritePatternSet &patterns);
void populateRaiseLayerNormPatterns(RewritePatternSet &patterns);

/// What runs right after import: recognise decomposed ops.
void buildImportCleanupPipeline(OpPassManager &pm);

#define GEN_PASS_REGISTRATION
#include "rep/Transforms/Passes.h.inc"

} // namespace rep
} // namespace mlir

#endif // REP_TRANSFORMS_PASSES_H
