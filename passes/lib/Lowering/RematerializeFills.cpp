//===- RematerializeFills.cpp - a fill for each destination ---------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::rep {
#define GEN_PASS_DEF_REMATERIALIZEFILLS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;

namespace {

/// A fill of an empty tensor that several ops use, some writing over it
/// (CSE merged the zero inits of a LayerNorm's two sums): each writer gets
/// its own fill, right before it, and the fill stays for the readers, if
/// any. One-shot bufferization would otherwise fill one buffer and copy it
/// into each writer's.
struct RematerializeFill : OpRewritePattern<linalg::FillOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::FillOp fill,
                                PatternRewriter &rewriter) const override {
    if (!fill.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(fill, "not on tensors");
    auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
    if (!empty)
      return rewriter.notifyMatchFailure(fill, "does not fill an empty tensor");
    Value filled = fill.getResult(0);
    if (filled.hasOneUse())
      return rewriter.notifyMatchFailure(fill, "one user");
    SmallVector<OpOperand *> writers;
    for (OpOperand &use : filled.getUses()) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
      if (dps && dps.isDpsInit(&use))
        writers.push_back(&use);
    }
    if (writers.empty())
      return rewriter.notifyMatchFailure(fill, "no user writes over it");
    // All at once: a fill CSE shared among a model's LayerNorms has
    // dozens of writers, more than the driver's iterations.
    for (OpOperand *writer : writers) {
      Operation *user = writer->getOwner();
      rewriter.setInsertionPoint(user);
      IRMapping map;
      map.map(empty.getResult(), rewriter.clone(*empty)->getResult(0));
      Operation *own = rewriter.clone(*fill, map);
      rewriter.modifyOpInPlace(user, [&] { writer->set(own->getResult(0)); });
    }
    return success();
  }
};

struct RematerializeFillsPass
    : rep::impl::RematerializeFillsBase<RematerializeFillsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    rep::populateRematerializeFillsPatterns(patterns);
    if (failed(rep::applyRepPatterns(getOperation(), std::move(patterns),
                                     getArgument())))
      return signalPassFailure();
  }
};

} // namespace

void rep::populateRematerializeFillsPatterns(RewritePatternSet &patterns) {
  patterns.add<RematerializeFill>(patterns.getContext());
}
