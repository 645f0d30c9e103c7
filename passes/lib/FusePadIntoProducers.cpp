//===- FusePadIntoProducers.cpp - compute padded tensors in place ---------===//
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
#define GEN_PASS_DEF_FUSEPADINTOPRODUCERS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// pad(chain(init)) -> insert_slice(chain(extract_slice(fill))): the ops
/// of the chain each write into the next one's init, the first one's init
/// is not read, so it can be the interior of the padded buffer.
struct FusePadIntoProducer : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::PadOp pad,
                                PatternRewriter &rewriter) const override {
    Value padValue = pad.getConstantPaddingValue();
    if (!padValue)
      return rewriter.notifyMatchFailure(pad, "the padding value is not a constant");
    if (pad.getNofold())
      return rewriter.notifyMatchFailure(pad, "the pad is marked nofold");
    RankedTensorType type = pad.getResultType();
    if (!type.hasStaticShape() || !pad.getSourceType().hasStaticShape())
      return rewriter.notifyMatchFailure(pad, "dynamic shapes");

    // Walk the chain back to the op whose init is not read.
    OpOperand *base = nullptr;
    Value v = pad.getSource();
    while (!base) {
      if (!v.hasOneUse())
        return rewriter.notifyMatchFailure(
            pad, "a value of the chain has other users");
      auto op = v.getDefiningOp<linalg::LinalgOp>();
      if (!op || op->getNumResults() != 1 || op.getNumDpsInits() != 1)
        return rewriter.notifyMatchFailure(
            pad, "the source is not computed by a one-result linalg op");
      OpOperand *init = op.getDpsInitOperand(0);
      if (!op.payloadUsesValueFromOperand(init) ||
          init->get().getDefiningOp<tensor::EmptyOp>())
        base = init;
      else
        v = init->get();
    }

    // The fill goes before the chain, so the padding value must exist there.
    Operation *first = base->getOwner();
    if (first->getBlock() != pad->getBlock())
      return rewriter.notifyMatchFailure(pad, "the chain is in another block");
    if (Operation *def = padValue.getDefiningOp();
        def && def->getBlock() == first->getBlock() &&
        !def->isBeforeInBlock(first))
      return rewriter.notifyMatchFailure(
          pad, "the padding value is defined after the chain starts");

    Location loc = pad.getLoc();
    rewriter.setInsertionPoint(first);
    Value empty = rewriter.create<tensor::EmptyOp>(loc, type.getShape(),
                                                   type.getElementType());
    Value filled =
        rewriter.create<linalg::FillOp>(loc, padValue, empty).getResult(0);
    SmallVector<OpFoldResult> offsets = pad.getMixedLowPad();
    SmallVector<OpFoldResult> sizes, strides;
    for (int64_t d : pad.getSourceType().getShape()) {
      sizes.push_back(rewriter.getIndexAttr(d));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    Value slice = rewriter.create<tensor::ExtractSliceOp>(
        loc, pad.getSourceType(), filled, offsets, sizes, strides);
    rewriter.modifyOpInPlace(base->getOwner(), [&] { base->set(slice); });
    rewriter.setInsertionPoint(pad);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        pad, pad.getSource(), filled, offsets, sizes, strides);
    return success();
  }
};

struct FusePadIntoProducersPass
    : rep::impl::FusePadIntoProducersBase<FusePadIntoProducersPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFusePadIntoProducersPatterns(patterns);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void rep::populateFusePadIntoProducersPatterns(RewritePatternSet &patterns) {
  patterns.add<FusePadIntoProducer>(patterns.getContext());
}
