//===- RaiseDecomposedOps.cpp - recognise GELU and LayerNorm chains -------===//
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
#define GEN_PASS_DEF_RAISEDECOMPOSEDOPS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// The single value of a one-element constant, if `v` is one.
std::optional<double> scalarConstant(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c || cast<RankedTensorType>(c.getType()).getNumElements() != 1)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense)
    return std::nullopt;
  return (double)*dense.getValues<float>().begin();
}

bool isScalar(Value v, double expected) {
  auto c = scalarConstant(v);
  // sqrt(2) and 1/sqrt(2) arrive rounded to float.
  return c && std::abs(*c - expected) <= 1e-6 * std::abs(expected);
}

/// Matches `op(a, b)` in either operand order, with `b` matching `pred`;
/// returns `a`.
template <typename OpTy, typename Pred>
Value matchCommutative(Operation *op, Pred pred, OpTy &matched) {
  matched = dyn_cast_or_null<OpTy>(op);
  if (!matched)
    return nullptr;
  if (pred(matched.getRhs()))
    return matched.getLhs();
  if (pred(matched.getLhs()))
    return matched.getRhs();
  return nullptr;
}

/// x * (1 + erf(x / sqrt(2))) * 0.5 -> gelu(x).
struct RaiseGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    auto isHalf = [](Value v) { return isScalar(v, 0.5); };
    MulOp inner;
    Value product = matchCommutative(root, isHalf, inner);
    if (!product)
      return rewriter.notifyMatchFailure(root, "not a multiply by 0.5");
    inner = product.getDefiningOp<MulOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(root, "0.5 does not scale a product");
    for (auto [x, other] : {std::pair(inner.getLhs(), inner.getRhs()),
                            std::pair(inner.getRhs(), inner.getLhs())}) {
      AddOp add;
      Value erfOut = matchCommutative(
          other.getDefiningOp(), [](Value v) { return isScalar(v, 1.0); }, add);
      auto erf = erfOut ? erfOut.getDefiningOp<ErfOp>() : ErfOp();
      if (!erf)
        continue;
      Operation *scaleOp = erf.getInput().getDefiningOp();
      bool scaled = false;
      if (auto div = dyn_cast_or_null<DivOp>(scaleOp))
        scaled = div.getLhs() == x && isScalar(div.getRhs(), std::sqrt(2.0));
      else if (auto mul = dyn_cast_or_null<MulOp>(scaleOp))
        scaled = (mul.getLhs() == x && isScalar(mul.getRhs(), M_SQRT1_2)) ||
                 (mul.getRhs() == x && isScalar(mul.getLhs(), M_SQRT1_2));
      if (!scaled || x.getType() != root.getType())
        continue;
      Location loc =
          rewriter.getFusedLoc({scaleOp->getLoc(), erf.getLoc(), add.getLoc(),
                                inner.getLoc(), root.getLoc()});
      auto gelu = rewriter.create<GeluOp>(loc, x.getType(), x);
      rewriter.replaceOp(root, gelu);
      return success();
    }
    return rewriter.notifyMatchFailure(
        root, "product is not x * (1 + erf(x / sqrt(2)))");
  }
};

/// Trailing axes [axis, rank) of a keepdims reduce_mean, if it is one.
std::optional<int64_t> trailingAxis(ReduceMeanOp op) {
  int64_t rank = cast<RankedTensorType>(op.getInput().getType()).getRank();
  SmallVector<int64_t> axes(op.getAxes());
  llvm::sort(axes);
  if (!op.getKeepdims() || axes.empty() || axes.back() != rank - 1)
    return std::nullopt;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return std::nullopt;
  return axes.front();
}

/// ((x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)) * gamma + beta
///   -> layer_norm(x, gamma, beta).
/// The decomposed LayerNorm `(x - mean) / sqrt(var + eps) * gamma (+ beta)`
/// rooted at the `+ beta` add, or at the `* gamma` mul when the export has
/// no bias (timm's LayerNorm2d without bias, PoolFormerV2): beta is zero.
template <typename RootOp> struct RaiseLayerNorm : OpRewritePattern<RootOp> {
  using OpRewritePattern<RootOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(RootOp root,
                                PatternRewriter &rewriter) const override {
    if constexpr (std::is_same_v<RootOp, MulOp>) {
      // A bias after it makes the add the root.
      if (root->hasOneUse())
        if (auto add = dyn_cast<AddOp>(*root->getUsers().begin()))
          if (add.getLhs().template getDefiningOp<ConstantOp>() ||
              add.getRhs().template getDefiningOp<ConstantOp>())
            return rewriter.notifyMatchFailure(root, "a bias follows");
      for (auto [normVal, gamma] : {std::pair(root.getLhs(), root.getRhs()),
                                    std::pair(root.getRhs(), root.getLhs())})
        if (succeeded(raise(root, normVal.template getDefiningOp<DivOp>(), root,
                            gamma, Value(), rewriter)))
          return success();
      return rewriter.notifyMatchFailure(root, "not normalized * gamma");
    } else {
      for (auto [scaledVal, beta] : {std::pair(root.getLhs(), root.getRhs()),
                                     std::pair(root.getRhs(), root.getLhs())}) {
        auto scaled = scaledVal.template getDefiningOp<MulOp>();
        if (!scaled)
          continue;
        for (auto [normVal, gamma] :
             {std::pair(scaled.getLhs(), scaled.getRhs()),
              std::pair(scaled.getRhs(), scaled.getLhs())}) {
          if (succeeded(raise(root, normVal.template getDefiningOp<DivOp>(),
                              scaled, gamma, beta, rewriter)))
            return success();
        }
      }
      return rewriter.notifyMatchFailure(root,
                                         "not (normalized * gamma) + beta");
    }
  }

  LogicalResult raise(RootOp root, DivOp div, MulOp scaled, Value gamma,
                      Value beta, PatternRewriter &rewriter) const {
    if (!div)
      return failure();
    auto centered = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!centered || !sqrt)
      return failure();
    Value x = centered.getLhs();
    auto mean = centered.getRhs().getDefiningOp<ReduceMeanOp>();
    auto addEps = sqrt.getInput().getDefiningOp<AddOp>();
    if (!mean || mean.getInput() != x || !addEps)
      return failure();
    auto epsilon = scalarConstant(addEps.getRhs());
    auto var = addEps.getLhs().getDefiningOp<ReduceMeanOp>();
    if (!epsilon || !var)
      return failure();
    auto square = var.getInput().getDefiningOp<PowOp>();
    if (!square || square.getLhs() != centered.getResult() ||
        !isScalar(square.getRhs(), 2.0))
      return failure();
    auto axis = trailingAxis(mean);
    if (!axis || trailingAxis(var) != axis)
      return failure();

    // gamma and beta must be constants over the normalized dims only.
    auto xType = cast<RankedTensorType>(x.getType());
    ArrayRef<int64_t> normalized = xType.getShape().drop_front(*axis);
    auto fits = [&](Value p) {
      auto shape = cast<RankedTensorType>(p.getType()).getShape();
      if (!p.getDefiningOp<ConstantOp>() || shape.size() > xType.getRank())
        return false;
      size_t lead = xType.getRank() - shape.size();
      for (size_t i = 0; i < shape.size(); ++i) {
        int64_t want =
            lead + i >= (size_t)*axis ? normalized[lead + i - *axis] : 1;
        if (shape[i] != want)
          return false;
      }
      return true;
    };
    if (!fits(gamma) || (beta && !fits(beta)) || root.getType() != xType)
      return rewriter.notifyMatchFailure(
          root, "gamma/beta are not constants over the normalized dims");

    SmallVector<Location> locs = {
        mean.getLoc(),   centered.getLoc(), square.getLoc(), var.getLoc(),
        addEps.getLoc(), sqrt.getLoc(),     div.getLoc(),    scaled.getLoc()};
    if (root.getOperation() != scaled.getOperation())
      locs.push_back(root.getLoc());
    Location loc = rewriter.getFusedLoc(locs);
    auto paramType = RankedTensorType::get(normalized, xType.getElementType());
    if (!beta)
      beta = rewriter.create<ConstantOp>(
          loc, paramType,
          DenseElementsAttr::get(paramType, rewriter.getF32FloatAttr(0.0f)));
    auto reshape = [&](Value p) -> Value {
      if (p.getType() == paramType)
        return p;
      return rewriter.create<ReshapeOp>(
          p.getLoc(), paramType, p, rewriter.getDenseI64ArrayAttr(normalized));
    };
    auto ln = rewriter.create<LayerNormOp>(
        loc, xType, x, reshape(gamma), reshape(beta),
        rewriter.getI64IntegerAttr(*axis),
        rewriter.getF32FloatAttr((float)*epsilon));
    rewriter.replaceOp(root, ln);
    return success();
  }
};

struct RaiseDecomposedOpsPass
    : rep::impl::RaiseDecomposedOpsBase<RaiseDecomposedOpsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRaiseGeluPatterns(patterns);
    populateRaiseLayerNormPatterns(patterns);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void mlir::rep::populateRaiseGeluPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseGelu>(patterns.getContext());
}

void mlir::rep::populateRaiseLayerNormPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseLayerNorm<AddOp>, RaiseLayerNorm<MulOp>>(
      patterns.getContext());
}
