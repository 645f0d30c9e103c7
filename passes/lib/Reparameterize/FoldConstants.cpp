//===- FoldConstants.cpp - evaluate weight-only sub-graphs ----------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Eval/Evaluate.h"
#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rep {
#define GEN_PASS_DEF_FOLDCONSTANTS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// Results larger than this stay ops: materializing them would cost more
/// memory than the op saves (a broadcast of a small weight, say).
constexpr int64_t kMaxFoldedElements = int64_t(1) << 26;

struct EvaluateConstantOp : RewritePattern {
  EvaluateConstantOp(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa_and_nonnull<RepDialect>(op->getDialect()) || isa<ConstantOp>(op) ||
        op->getNumResults() != 1 || op->getNumOperands() == 0)
      return rewriter.notifyMatchFailure(op, "not a rep compute op");
    SmallVector<Tensor> values;
    for (Value v : op->getOperands()) {
      auto t = constantTensor(v);
      if (!t)
        return rewriter.notifyMatchFailure(op, "an operand is not a constant");
      values.push_back(std::move(*t));
    }
    if (cast<RankedTensorType>(op->getResult(0).getType()).getNumElements() >
        kMaxFoldedElements)
      return rewriter.notifyMatchFailure(op, "result too large to fold");
    SmallVector<const Tensor *> operands;
    for (const Tensor &t : values)
      operands.push_back(&t);
    FailureOr<Tensor> result = evaluate(op, operands);
    if (failed(result))
      return rewriter.notifyMatchFailure(op, "the interpreter cannot run it");
    rewriter.replaceOp(op, createConstant(rewriter, op->getLoc(), *result));
    return success();
  }
};

struct FoldConstantsPass : rep::impl::FoldConstantsBase<FoldConstantsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFoldConstantsPatterns(patterns);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void mlir::rep::populateFoldConstantsPatterns(RewritePatternSet &patterns) {
  patterns.add<EvaluateConstantOp>(patterns.getContext());
}
