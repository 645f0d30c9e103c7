//===- LowerVectors.cpp - vector ops to what the x86 back end selects -----===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/Passes.h"
#include "rep/CodeGen/Schedules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::rep {
#define GEN_PASS_DEF_LOWERVECTORS
#include "rep/CodeGen/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;

namespace {

struct LowerVectorsPass : rep::impl::LowerVectorsBase<LowerVectorsPass> {
  void runOnOperation() override {
    if (failed(rep::lowerVectors(getOperation())))
      signalPassFailure();
  }
};

} // namespace
