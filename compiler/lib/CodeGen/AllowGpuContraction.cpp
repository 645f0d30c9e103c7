//===- AllowGpuContraction.cpp - fused multiply-adds in GPU kernels -------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::rep {
#define GEN_PASS_DEF_ALLOWGPUCONTRACTION
#include "rep/CodeGen/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;

namespace {

struct AllowGpuContractionPass
    : rep::impl::AllowGpuContractionBase<AllowGpuContractionPass> {
  void runOnOperation() override {
    auto contract = arith::FastMathFlagsAttr::get(
        &getContext(), arith::FastMathFlags::contract);
    getOperation().walk([&](arith::ArithFastMathInterface op) {
      op->setAttr(op.getFastMathAttrName(), contract);
    });
  }
};

} // namespace
