//===- FuseElementwise.cpp - elementwise fusion for the kernels -----------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::rep {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// An elementwise op reading a matmul through the expand_shape back to
/// [N, H, W, C] (a pointwise conv) runs on the matmul's [N*H*W, C] instead,
/// so that the schedules can fuse it into the matmul's tiles. Its other
/// operands are either of the full shape (collapsed the same way, a view)
/// or per-channel constants (reshaped to [C]).
struct CollapseMatmulEpilogue : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    int64_t rank = g.getNumLoops();
    if (g.getNumReductionLoops() || g->getNumResults() != 1 || rank < 3)
      return rewriter.notifyMatchFailure(g, "not an elementwise op of rank >= 3");
    OpOperand *mm = nullptr;
    for (OpOperand *in : g.getDpsInputOperands()) {
      auto e = in->get().getDefiningOp<tensor::ExpandShapeOp>();
      if (e && e->hasOneUse() && e.getSrc().getDefiningOp<linalg::MatmulOp>() &&
          g.getMatchingIndexingMap(in).isIdentity() &&
          e.getReassociationIndices().size() == 2 &&
          e.getReassociationIndices()[1].size() == 1)
        mm = in;
    }
    if (!mm)
      return rewriter.notifyMatchFailure(g, "reads no reshaped matmul");
    SmallVector<int64_t> bounds = g.getStaticLoopRanges();
    int64_t n = bounds.back();
    MLIRContext *ctx = g.getContext();
    AffineMap full = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap channel = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
    SmallVector<ReassociationIndices> rows = {
        llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)), {rank - 1}};
    Location loc = g.getLoc();
    SmallVector<Value> operands;
    SmallVector<AffineMap> maps;
    for (OpOperand &o : g->getOpOperands()) {
      AffineMap map = g.getMatchingIndexingMap(&o);
      auto type = dyn_cast<RankedTensorType>(o.get().getType());
      if (!type || !type.hasStaticShape())
        return rewriter.notifyMatchFailure(g, "an operand is not a static tensor");
      if (map.isIdentity()) {
        operands.push_back(&o == mm ? o.get().getDefiningOp<tensor::ExpandShapeOp>().getSrc()
                                    : rewriter.create<tensor::CollapseShapeOp>(loc, o.get(), rows).getResult());
        maps.push_back(full);
        continue;
      }
      // Per channel: the map reads the last loop dim only, the rest of the
      // operand's dims are 1.
      bool perChannel = type.getNumElements() == n &&
                        llvm::count_if(map.getResults(), [&](AffineExpr e) {
                          return e == getAffineDimExpr(rank - 1, ctx);
                        }) == 1 &&
                        llvm::all_of(map.getResults(), [&](AffineExpr e) {
                          return e == getAffineDimExpr(rank - 1, ctx) ||
                                 e == getAffineConstantExpr(0, ctx);
                        });
      if (!perChannel)
        return rewriter.notifyMatchFailure(g, "an operand is neither full nor per channel");
      Value v = o.get();
      if (type.getRank() != 1) {
        ReassociationIndices all = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
        v = rewriter.create<tensor::CollapseShapeOp>(loc, v, ArrayRef<ReassociationIndices>{all});
      }
      operands.push_back(v);
      maps.push_back(channel);
    }
    size_t nIn = g.getNumDpsInputs();
    SmallVector<utils::IteratorType> iters(2, utils::IteratorType::parallel);
    auto flat = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{operands.back().getType()},
        ArrayRef<Value>(operands).take_front(nIn),
        ArrayRef<Value>(operands).drop_front(nIn), maps, iters);
    rewriter.inlineRegionBefore(g.getRegion(), flat.getRegion(),
                                flat.getRegion().begin());
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        g, g.getResultTypes()[0], flat.getResult(0), rows);
    return success();
  }
};

struct FuseElementwisePass
    : rep::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseElementwisePatterns(patterns);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void rep::populateFuseElementwisePatterns(RewritePatternSet &patterns) {
  // Producer-consumer fusion of elementwise generics only: upstream's
  // linalg-fuse-elementwise-ops also folds reshapes into named ops, which
  // turns a matmul into a generic no schedule recognises.
  linalg::populateElementwiseOpsFusionPatterns(
      patterns, [](OpOperand *operand) {
        Operation *producer = operand->get().getDefiningOp();
        return producer && producer->hasOneUse();
      });
  patterns.add<CollapseMatmulEpilogue>(patterns.getContext());
}
