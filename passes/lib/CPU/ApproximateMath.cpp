//===- ApproximateMath.cpp - erf and exp as vectorizable polynomials ------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rep {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;

namespace {

/// erf(x) = x P(x^2) / Q(x^2) on [-4, 4], clamped outside (erf(4) rounds
/// to 1 in f32): 10 FMAs, 2 multiplies and one division, no branches and
/// no selects.
/// Upstream's approximation picks one of three rational pieces per lane
/// with selects and costs about twice as much, which a GELU epilogue
/// (ConvMixer, ResMLP, ConvMLP) pays once per activation. The
/// coefficients are a relative minimax fit on [0, 4] with the slope at 0
/// fixed to 2/sqrt(pi) (7e-8 in exact arithmetic); in f32 the result is
/// within 3.8e-7 of erf, absolute and relative, everywhere.
struct ErfRational : OpRewritePattern<math::ErfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::ErfOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return rewriter.notifyMatchFailure(op, "only f32 has these coefficients");
    Location loc = op.getLoc();
    auto cst = [&](double v) -> Value {
      Attribute a = rewriter.getF32FloatAttr(v);
      if (auto vt = dyn_cast<VectorType>(type))
        a = DenseElementsAttr::get(vt, a);
      return rewriter.create<arith::ConstantOp>(loc, cast<TypedAttr>(a));
    };
    // Horner in x^2, highest coefficient first.
    auto poly = [&](Value x2, ArrayRef<double> c) {
      Value acc = cst(c.front());
      for (double k : c.drop_front())
        acc = rewriter.create<math::FmaOp>(loc, acc, x2, cst(k));
      return acc;
    };
    Value x = rewriter.create<arith::MaximumFOp>(
        loc, rewriter.create<arith::MinimumFOp>(loc, op.getOperand(), cst(4.0)),
        cst(-4.0));
    Value x2 = rewriter.create<arith::MulFOp>(loc, x, x);
    Value p = rewriter.create<arith::MulFOp>(
        loc, x,
        poly(x2,
             {1.8991686445701816e-08, -1.934250803969917e-06,
              0.0001470076822442934, 0.003993846941739321, 0.05155139043927193,
              0.20729908347129822, 1.128379225730896}));
    Value q = poly(x2, {0.0010206145234405994, 0.014971739612519741,
                        0.11804430186748505, 0.5170458555221558, 1.0});
    rewriter.replaceOpWithNewOp<arith::DivFOp>(op, p, q);
    return success();
  }
};

struct ApproximateMathPass
    : rep::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Ahead of upstream's erf.
    patterns.add<ErfRational>(&getContext(), /*benefit=*/2);
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
