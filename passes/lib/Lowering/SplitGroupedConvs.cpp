//===- SplitGroupedConvs.cpp - one dense conv per group -------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rep {
#define GEN_PASS_DEF_SPLITGROUPEDCONVS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

struct SplitGroupedConv : OpRewritePattern<Conv2dOp> {
  SplitGroupedConv(MLIRContext *ctx, int64_t maxGroups)
      : OpRewritePattern(ctx), maxGroups(maxGroups) {}

  LogicalResult matchAndRewrite(Conv2dOp op,
                                PatternRewriter &rewriter) const override {
    int64_t groups = op.getGroups();
    if (groups == 1)
      return rewriter.notifyMatchFailure(op, "not grouped");
    ArrayRef<int64_t> in = shapeOf(op.getInput());
    auto w = constantTensor(op.getWeight());
    std::optional<Tensor> bias;
    if (!w || (op.getBias() && !(bias = constantTensor(op.getBias()))))
      return rewriter.notifyMatchFailure(op, "weight or bias not constant");
    int64_t f = w->shape[0], cg = w->shape[1], kh = w->shape[2],
            kw = w->shape[3], fg = f / groups;
    if (cg == 1 && fg == 1)
      return rewriter.notifyMatchFailure(op, "depthwise: a kernel of its own");
    ArrayRef<int64_t> s = op.getStrides();
    if (kh == 1 && kw == 1 && s[0] == 1 && s[1] == 1)
      return rewriter.notifyMatchFailure(
          op, "pointwise: a batched matmul of its own");
    if (groups > maxGroups)
      return rewriter.notifyMatchFailure(op, "more groups than max-groups");
    Location loc = op.getLoc();
    SmallVector<Value> parts;
    int64_t per = cg * kh * kw;
    for (int64_t g = 0; g < groups; ++g) {
      SmallVector<int64_t> starts = {0, g * cg, 0, 0},
                           sizes = {in[0], cg, in[2], in[3]}, steps(4, 1);
      Value xg = rewriter.create<SliceOp>(
          loc, RankedTensorType::get(sizes, rewriter.getF32Type()), op.getInput(),
          rewriter.getDenseI64ArrayAttr(starts),
          rewriter.getDenseI64ArrayAttr(sizes),
          rewriter.getDenseI64ArrayAttr(steps));
      Tensor wg;
      wg.shape = {fg, cg, kh, kw};
      wg.data.assign(w->data.begin() + g * fg * per,
                     w->data.begin() + (g + 1) * fg * per);
      Value bg;
      if (bias) {
        Tensor t;
        t.shape = {fg};
        t.data.assign(bias->data.begin() + g * fg,
                      bias->data.begin() + (g + 1) * fg);
        bg = createConstant(rewriter, loc, t);
      }
      SmallVector<int64_t> outShape(shapeOf(op.getOutput()));
      outShape[1] = fg;
      parts.push_back(rewriter.create<Conv2dOp>(
          loc, RankedTensorType::get(outShape, rewriter.getF32Type()), xg,
          createConstant(rewriter, loc, wg), bg, op.getStridesAttr(),
          op.getPadsAttr(), op.getDilationsAttr(),
          rewriter.getI64IntegerAttr(1)));
    }
    rewriter.replaceOpWithNewOp<ConcatOp>(op, op.getType(), parts,
                                          rewriter.getI64IntegerAttr(1));
    return success();
  }

  int64_t maxGroups;
};

struct SplitGroupedConvsPass
    : rep::impl::SplitGroupedConvsBase<SplitGroupedConvsPass> {
  using SplitGroupedConvsBase::SplitGroupedConvsBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitGroupedConv>(&getContext(), maxGroups);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace
