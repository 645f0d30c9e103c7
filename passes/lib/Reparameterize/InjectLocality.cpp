//===- InjectLocality.cpp - fold partition convs into the FC (RepMLP) -----===//
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
#include <numeric>

namespace mlir::rep {
#define GEN_PASS_DEF_INJECTLOCALITY
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// `v` with reshapes stripped.
Value viewRoot(Value v) {
  while (auto r = v.getDefiningOp<ReshapeOp>())
    v = r.getInput();
  return v;
}

/// The conv behind `v`, looking through one single-use reshape.
Conv2dOp convBehind(Value v) {
  if (auto r = v.getDefiningOp<ReshapeOp>()) {
    if (!r->hasOneUse())
      return {};
    v = r.getInput();
  }
  auto conv = v.getDefiningOp<Conv2dOp>();
  return conv && conv->hasOneUse() ? conv : Conv2dOp();
}

bool isFcLike(Conv2dOp conv) {
  ArrayRef<int64_t> in = shapeOf(conv.getInput()), w = shapeOf(conv.getWeight());
  return in[2] == 1 && in[3] == 1 && w[2] == 1 && w[3] == 1 &&
         llvm::all_of(conv.getPads(), [](int64_t p) { return !p; });
}

struct InjectConvIntoFc : OpRewritePattern<AddOp> {
  InjectConvIntoFc(MLIRContext *ctx, bool force)
      : OpRewritePattern(ctx), force(force) {}
  bool force;

  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getLhs().getType() != op.getType() ||
        op.getRhs().getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "the add broadcasts");
    for (auto [fcSide, convSide] : {std::pair(op.getLhs(), op.getRhs()),
                                    std::pair(op.getRhs(), op.getLhs())}) {
      Conv2dOp fc = convBehind(fcSide), conv = convBehind(convSide);
      if (!fc || !conv || !isFcLike(fc) || isFcLike(conv))
        continue;
      std::string why;
      if (succeeded(inject(op, fc, conv, rewriter, why)))
        return success();
      return rewriter.notifyMatchFailure(op, why);
    }
    return rewriter.notifyMatchFailure(
        op, "not an FC on (N', K, 1, 1) plus a conv on (N', S, h, w)");
  }

  LogicalResult inject(AddOp op, Conv2dOp fc, Conv2dOp conv,
                       PatternRewriter &rewriter, std::string &why) const {
    ArrayRef<int64_t> v1 = shapeOf(fc.getInput()), v2 = shapeOf(conv.getInput());
    ArrayRef<int64_t> y1 = shapeOf(fc), y2 = shapeOf(conv);
    auto numel = [](ArrayRef<int64_t> s) {
      return std::accumulate(s.begin(), s.end(), int64_t(1),
                             std::multiplies<>());
    };
    if (viewRoot(fc.getInput()) != viewRoot(conv.getInput()) ||
        v1[0] != v2[0] || numel(v1) != numel(v2) || y1[0] != y2[0] ||
        numel(y1) != numel(y2)) {
      why = "the conv and the FC do not read and write the same partitions";
      return failure();
    }
    auto wf = constantTensor(fc.getWeight()), wc = constantTensor(conv.getWeight());
    auto bf = constantTensor(fc.getBias()), bc = constantTensor(conv.getBias());
    if (!wf || !wc || (fc.getBias() && !bf) || (conv.getBias() && !bc)) {
      why = "weights are not constants";
      return failure();
    }
    int64_t s = v2[1], h = v2[2], w = v2[3], hw = h * w;
    int64_t so = y2[1], ho = y2[2], wo = y2[3], hwo = ho * wo;
    int64_t gc = conv.getGroups(), gf = fc.getGroups();
    int64_t sg = s / gc;
    int64_t kh = wc->shape[2], kw = wc->shape[3];
    auto st = conv.getStrides(), p = conv.getPads(), d = conv.getDilations();

    // The conv as a grouped 1x1 conv over the flattened partitions: feed
    // each input position through the kernel taps.
    Tensor eq = filledTensor({so * hwo, sg * hw, 1, 1}, 0.0f);
    for (int64_t oc = 0; oc < so; ++oc)
      for (int64_t il = 0; il < sg; ++il)
        for (int64_t oy = 0; oy < ho; ++oy)
          for (int64_t ox = 0; ox < wo; ++ox)
            for (int64_t ky = 0; ky < kh; ++ky) {
              int64_t iy = oy * st[0] - p[0] + ky * d[0];
              if (iy < 0 || iy >= h)
                continue;
              for (int64_t kx = 0; kx < kw; ++kx) {
                int64_t ix = ox * st[1] - p[1] + kx * d[1];
                if (ix < 0 || ix >= w)
                  continue;
                eq.data[(oc * hwo + oy * wo + ox) * sg * hw + il * hw +
                        iy * w + ix] +=
                    wc->data[((oc * sg + il) * kh + ky) * kw + kx];
              }
            }
    int64_t g = std::gcd(gc, gf);
    if (g != gf && !force) {
      why = "the conv has " + std::to_string(gc) + " groups, the FC " +
            std::to_string(gf) +
            ": merging would make the FC denser (use force to merge anyway)";
      return failure();
    }
    Tensor merged = regroupWeight(*wf, gf, g);
    Tensor add = regroupWeight(eq, gc, g);
    for (size_t i = 0; i < merged.data.size(); ++i)
      merged.data[i] += add.data[i];
    int64_t k = y1[1];
    Tensor bias = filledTensor({k}, 0.0f);
    for (int64_t r = 0; r < k; ++r)
      bias.data[r] = (bf ? bf->data[r] : 0.0f) + (bc ? bc->data[r / hwo] : 0.0f);

    Location loc = foldedLoc(kInjectLocality, fc.getLoc(),
                             {conv.getLoc(), op.getLoc()});
    rewriter.setInsertionPoint(op);
    Value y = rewriter.create<Conv2dOp>(
        loc, fc.getType(), fc.getInput(), createConstant(rewriter, loc, merged),
        createConstant(rewriter, loc, bias), fc.getStridesAttr(),
        fc.getPadsAttr(), fc.getDilationsAttr(), rewriter.getI64IntegerAttr(g));
    if (y.getType() != op.getType())
      y = rewriter.create<ReshapeOp>(
          op.getLoc(), op.getType(), y,
          rewriter.getDenseI64ArrayAttr(shapeOf(op)));
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct InjectLocalityPass : rep::impl::InjectLocalityBase<InjectLocalityPass> {
  using InjectLocalityBase::InjectLocalityBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateInjectLocalityPatterns(patterns, force);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void mlir::rep::populateInjectLocalityPatterns(RewritePatternSet &patterns,
                                               bool force) {
  patterns.add<InjectConvIntoFc>(patterns.getContext(), force);
}
