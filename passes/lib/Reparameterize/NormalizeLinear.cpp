//===- NormalizeLinear.cpp - one form per linear and affine op ------------===//
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
#include <cmath>

namespace mlir::rep {
#define GEN_PASS_DEF_NORMALIZELINEAR
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// batch_norm -> channel_affine along dim 1, with the node's own epsilon.
struct BatchNormToAffine : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    auto g = constantTensor(op.getScale()), b = constantTensor(op.getBias());
    auto m = constantTensor(op.getMean()), v = constantTensor(op.getVar());
    if (!g || !b || !m || !v)
      return rewriter.notifyMatchFailure(op, "statistics are not constants");
    double eps = op.getEpsilon().convertToDouble();
    size_t c = g->data.size();
    std::vector<float> scale(c), shift(c);
    for (size_t i = 0; i < c; ++i) {
      double t = g->data[i] / std::sqrt((double)v->data[i] + eps);
      scale[i] = t;
      shift[i] = b->data[i] - m->data[i] * t;
    }
    rewriter.replaceOp(op, createAffine(rewriter, op.getLoc(), op.getInput(),
                                        scale, shift, 1));
    return success();
  }
};

/// x * c, x + c, x - c, c - x, x / c with a constant c that varies along at
/// most one axis -> channel_affine.
template <typename OpTy> struct ElementwiseToAffine : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getLhs();
    auto c = constantTensor(op.getRhs());
    bool constantFirst = false;
    if (!c) {
      c = constantTensor(op.getLhs());
      x = op.getRhs();
      constantFirst = true;
    }
    if (!c || constantTensor(x))
      return rewriter.notifyMatchFailure(op, "not one value and a constant");
    if (x.getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "the constant broadcasts x");
    auto values = perAxisValues(*c, shapeOf(x));
    if (!values)
      return rewriter.notifyMatchFailure(
          op, "the constant varies along more than one axis");
    auto [axis, v] = *values;
    std::vector<float> scale(v.size(), 1.0f), shift(v.size(), 0.0f);
    for (size_t i = 0; i < v.size(); ++i) {
      if constexpr (std::is_same_v<OpTy, MulOp>) {
        scale[i] = v[i];
      } else if constexpr (std::is_same_v<OpTy, AddOp>) {
        shift[i] = v[i];
      } else if constexpr (std::is_same_v<OpTy, SubOp>) {
        scale[i] = constantFirst ? -1.0f : 1.0f;
        shift[i] = constantFirst ? v[i] : -v[i];
      } else {
        if (constantFirst)
          return rewriter.notifyMatchFailure(op, "c / x is not affine");
        scale[i] = 1.0 / (double)v[i];
      }
    }
    rewriter.replaceOp(
        op, createAffine(rewriter, op.getLoc(), x, scale, shift, axis));
    return success();
  }
};

/// channel_affine(channel_affine(x)) on one axis -> one channel_affine.
/// A uniform map (a scalar scale or shift, e.g. addcmul's `* 1`, an
/// attention scale) is the same map on every axis, so it combines with an
/// affine on any axis.
struct CombineAffines : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ChannelAffineOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(op, "input is no affine");
    if (!inner->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the inner affine has other uses");
    auto first = affineOf(inner), second = affineOf(op);
    if (!first || !second)
      return rewriter.notifyMatchFailure(op, "parameters are not constants");
    if (first->axis != second->axis) {
      ArrayRef<int64_t> shape = shapeOf(op.getInput());
      if (second->isUniform())
        second = second->uniformOn(first->axis, shape[first->axis]);
      else if (first->isUniform())
        first = first->uniformOn(second->axis, shape[second->axis]);
      else
        return rewriter.notifyMatchFailure(
            op, "the affines are on different axes and neither is uniform");
    }
    Affine both = first->then(*second);
    Location loc = foldedLoc(kFoldBatchNorm, inner.getLoc(), {op.getLoc()});
    rewriter.replaceOp(op, createAffine(rewriter, loc, inner.getInput(),
                                        both.scale, both.shift, both.axis));
    return success();
  }
};

/// channel_affine(x, 1, 0) -> x (addcmul's `value * t` with value 1).
struct DropIdentityAffine : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    auto a = affineOf(op);
    if (!a || !a->isIdentity())
      return rewriter.notifyMatchFailure(op, "not the identity map");
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

/// matmul(x, W) with a constant 2-D W -> fc(x, W^T).
struct MatmulToFc : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto w = constantTensor(op.getRhs());
    if (!w || w->shape.size() != 2 || constantTensor(op.getLhs()))
      return rewriter.notifyMatchFailure(op, "rhs is not a constant matrix");
    int64_t k = w->shape[0], m = w->shape[1];
    Tensor wt = filledTensor({m, k}, 0.0f);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < m; ++j)
        wt.data[j * k + i] = w->data[i * m + j];
    Value weight = createConstant(rewriter, op.getRhs().getLoc(), wt);
    rewriter.replaceOpWithNewOp<FcOp>(op, op.getType(), op.getLhs(), weight,
                                      Value());
    return success();
  }
};

/// conv(pad(x, 0)) over the spatial dims -> conv(x) with larger pads.
struct FoldPadIntoConv : OpRewritePattern<Conv2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2dOp op,
                                PatternRewriter &rewriter) const override {
    auto pad = op.getInput().getDefiningOp<PadOp>();
    if (!pad)
      return rewriter.notifyMatchFailure(op, "input is not a pad");
    if (!pad.getValue().isZero())
      return rewriter.notifyMatchFailure(op, "the pad value is not zero");
    ArrayRef<int64_t> p = pad.getPads();
    if (p[0] || p[1] || p[4] || p[5])
      return rewriter.notifyMatchFailure(op, "the pad touches N or C");
    if (llvm::any_of(p, [](int64_t v) { return v < 0; }))
      return rewriter.notifyMatchFailure(op, "the pad crops");
    ArrayRef<int64_t> cp = op.getPads();
    SmallVector<int64_t> pads{cp[0] + p[2], cp[1] + p[3], cp[2] + p[6],
                              cp[3] + p[7]};
    rewriter.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(pad.getInput());
      op.setPads(pads);
      op->setLoc(FusedLoc::get(getContext(), {op.getLoc(), pad.getLoc()}));
    });
    return success();
  }
};

/// avg_pool whose one unpadded window covers the whole map (a
/// squeeze-excitation's pool) -> global_avg_pool: a reduction, not a
/// kh x kw depthwise conv with a weight per tap (MobileOne-S4's 14x14 SE
/// pools became 175,616-weight convs). Left to AvgPoolToConv where it
/// feeds an add or affine and a merge with its siblings may need the conv.
struct WholeMapAvgPool : OpRewritePattern<AvgPoolOp> {
  WholeMapAvgPool(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(AvgPoolOp op,
                                PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> in = shapeOf(op.getInput()),
                      out = shapeOf(op.getOutput());
    if (llvm::any_of(op.getPads(), [](int64_t p) { return p != 0; }) ||
        op.getKernel()[0] != in[2] || op.getKernel()[1] != in[3] ||
        out[2] != 1 || out[3] != 1)
      return rewriter.notifyMatchFailure(op, "not one window over the map");
    if (llvm::any_of(op->getUsers(), [](Operation *u) {
          return isa<AddOp, ChannelAffineOp, BatchNormOp>(u);
        }))
      return rewriter.notifyMatchFailure(
          op, "feeds a branch merge: kept for AvgPoolToConv");
    rewriter.replaceOpWithNewOp<GlobalAvgPoolOp>(op, op.getType(),
                                                 op.getInput());
    return success();
  }
};

/// avg_pool that is exactly a depthwise conv (padding counted in the
/// divisor, or no padding) -> conv, when it sits on a linear branch (feeds
/// an add or affine, or reads a conv or pad), where the merges can use it.
struct AvgPoolToConv : OpRewritePattern<AvgPoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AvgPoolOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getCeilMode())
      return rewriter.notifyMatchFailure(op, "ceil_mode windows are clipped");
    bool padded = llvm::any_of(op.getPads(), [](int64_t p) { return p != 0; });
    if (padded && !op.getCountIncludePad())
      return rewriter.notifyMatchFailure(
          op, "count_include_pad=0 with padding divides border windows by "
              "fewer elements: not a conv");
    bool linearUse = llvm::any_of(op->getUsers(), [](Operation *u) {
      return isa<AddOp, ChannelAffineOp, BatchNormOp>(u);
    });
    Operation *def = op.getInput().getDefiningOp();
    if (!linearUse && !isa_and_nonnull<Conv2dOp, PadOp>(def))
      return rewriter.notifyMatchFailure(op, "not on a linear branch");
    ArrayRef<int64_t> k = op.getKernel();
    int64_t c = shapeOf(op.getInput())[1];
    Tensor w = filledTensor({c, 1, k[0], k[1]}, 1.0f / (k[0] * k[1]));
    Value weight = createConstant(rewriter, op.getLoc(), w);
    rewriter.replaceOpWithNewOp<Conv2dOp>(
        op, op.getType(), op.getInput(), weight, Value(), op.getStrides(),
        op.getPads(), ArrayRef<int64_t>{1, 1}, c);
    return success();
  }
};

struct NormalizeLinearPass
    : rep::impl::NormalizeLinearBase<NormalizeLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateNormalizeLinearPatterns(patterns);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void mlir::rep::populateNormalizeLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormToAffine, ElementwiseToAffine<MulOp>,
               ElementwiseToAffine<AddOp>, ElementwiseToAffine<SubOp>,
               ElementwiseToAffine<DivOp>, CombineAffines, DropIdentityAffine,
               MatmulToFc, FoldPadIntoConv, WholeMapAvgPool, AvgPoolToConv>(
      patterns.getContext());
}
