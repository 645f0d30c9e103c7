//===- FusePadIntoProducers.cpp - compute padded tensors in place ---------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
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

/// The init operand of the op that starts the chain computing `v`: each op
/// of the chain writes into the next one's init, and this one's init is not
/// read (an empty tensor, or a payload that ignores it). Null when there
/// is no such chain: a value of it has other users (writing it into the
/// padded buffer would not save a copy), or is not computed by a
/// one-result linalg op in `block`.
OpOperand *chainBase(Value v, Block *block) {
  while (true) {
    if (!v.hasOneUse())
      return nullptr;
    auto op = v.getDefiningOp<linalg::LinalgOp>();
    if (!op || op->getNumResults() != 1 || op.getNumDpsInits() != 1 ||
        op->getBlock() != block)
      return nullptr;
    OpOperand *init = op.getDpsInitOperand(0);
    if (!op.payloadUsesValueFromOperand(init) ||
        init->get().getDefiningOp<tensor::EmptyOp>())
      return init;
    v = init->get();
  }
}

/// Fills `buffer` with `value` outside the box of shape `inner` at `low`:
/// for each padded dim d, the slabs before and after the box in d, over the
/// box in the dims before d and whole in the dims after. The box is written
/// by the pad's producers, so filling it too would write it twice (RepVGG's
/// padded buffers are 90% interior). Dynamic offsets fill everything.
Value fillBorder(OpBuilder &b, Location loc, Value buffer, Value value,
                 ArrayRef<int64_t> low, ArrayRef<int64_t> inner) {
  auto type = cast<RankedTensorType>(buffer.getType());
  ArrayRef<int64_t> outer = type.getShape();
  if (llvm::any_of(low, ShapedType::isDynamic))
    return b.create<linalg::FillOp>(loc, value, buffer).getResult(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> ones(rank, 1);
  Value t = buffer;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t high = outer[d] - low[d] - inner[d];
    for (auto [at, len] :
         {std::pair<int64_t, int64_t>{0, low[d]}, {low[d] + inner[d], high}}) {
      if (len <= 0)
        continue;
      SmallVector<int64_t> offsets(rank, 0), sizes(outer);
      for (int64_t e = 0; e < d; ++e) {
        offsets[e] = low[e];
        sizes[e] = inner[e];
      }
      offsets[d] = at;
      sizes[d] = len;
      Value slab = b.create<tensor::ExtractSliceOp>(
          loc, RankedTensorType::get(sizes, type.getElementType()), t,
          ValueRange{}, ValueRange{}, ValueRange{}, offsets, sizes, ones);
      Value filled = b.create<linalg::FillOp>(loc, value, slab).getResult(0);
      t = b.create<tensor::InsertSliceOp>(loc, filled, t, ValueRange{},
                                          ValueRange{}, ValueRange{}, offsets,
                                          sizes, ones);
    }
  }
  return t;
}

/// pad(chain(init)) -> insert_slice(chain(extract_slice(fill))): the ops
/// of the chain each write into the next one's init, the first one's init
/// is not read, so it can be the interior of the padded buffer. Without
/// such a chain (the source has other users, is an argument or a reshape),
/// a linalg.copy writes the interior: the same fill and copy the pad
/// bufferizes to, but as ops the kernel schedules split over the threads
/// and vectorize, where the bufferized pad's copy ran on one thread.
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

    // The fill goes before the chain, so the padding value must exist
    // there; a constant yielded from inside the pad's body is cloned out.
    OpOperand *base = chainBase(pad.getSource(), pad->getBlock());
    Operation *first = base ? base->getOwner() : pad.getOperation();
    Operation *def = padValue.getDefiningOp();
    if (base && def && def->getBlock() == first->getBlock() &&
        !def->isBeforeInBlock(first)) {
      base = nullptr;
      first = pad;
    }

    Location loc = pad.getLoc();
    rewriter.setInsertionPoint(first);
    if (def && pad.getRegion().isAncestor(def->getParentRegion()))
      padValue = rewriter.clone(*def)->getResult(0);
    // A fresh buffer per pad: CSE would merge equal tensor.empty ops, and
    // with them the fills of every same-shaped padded tensor (RepVGG's
    // stages), which bufferization then untangles with whole-buffer copies.
    Value buffer =
        rewriter.create<bufferization::AllocTensorOp>(loc, type, ValueRange{});
    Value filled =
        fillBorder(rewriter, loc, buffer, padValue, pad.getStaticLow(),
                   pad.getSourceType().getShape());
    SmallVector<OpFoldResult> offsets = pad.getMixedLowPad();
    SmallVector<OpFoldResult> sizes, strides;
    for (int64_t d : pad.getSourceType().getShape()) {
      sizes.push_back(rewriter.getIndexAttr(d));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    Value slice = rewriter.create<tensor::ExtractSliceOp>(
        loc, pad.getSourceType(), filled, offsets, sizes, strides);
    Value interior = pad.getSource();
    if (base)
      rewriter.modifyOpInPlace(base->getOwner(), [&] { base->set(slice); });
    else
      interior =
          rewriter.create<linalg::CopyOp>(loc, interior, slice).getResult(0);
    rewriter.setInsertionPoint(pad);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(pad, interior, filled,
                                                       offsets, sizes, strides);
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
