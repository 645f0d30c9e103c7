//===- MergeSequential.cpp - compose a 1x1 conv with the conv after it ----===//
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
#include <numeric>

namespace mlir::rep {
#define GEN_PASS_DEF_MERGESEQUENTIAL
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// Whether `v` is summed, in a tree of adds, with a conv of `x` whose
/// kernel covers `kh x kw` with `groups` groups: a merge into `v` that costs
/// more than its parts is then absorbed by that conv (DBB's 1x1 -> avg
/// branch next to its kxk conv).
bool absorbedBySibling(Value v, Value x, int64_t groups, int64_t kh,
                       int64_t kw) {
  Value node = v;
  SmallVector<AddOp> chain;
  while (node.hasOneUse()) {
    auto add = dyn_cast<AddOp>(*node.getUsers().begin());
    if (!add || add.getType() != v.getType())
      break;
    chain.push_back(add);
    node = add.getResult();
  }
  SmallVector<Value> stack;
  for (AddOp add : chain)
    stack.append({add.getLhs(), add.getRhs()});
  while (!stack.empty()) {
    Value leaf = stack.pop_back_val();
    if (auto add = leaf.getDefiningOp<AddOp>()) {
      if (add->hasOneUse() && !llvm::is_contained(chain, add))
        stack.append({add.getLhs(), add.getRhs()});
      continue;
    }
    auto conv = leaf.getDefiningOp<Conv2dOp>();
    if (leaf != v && conv && conv.getInput() == x &&
        conv.getGroups() == groups &&
        shapeOf(conv.getWeight())[2] >= kh && shapeOf(conv.getWeight())[3] >= kw)
      return true;
  }
  return false;
}

/// A 1x1, stride-1, unpadded conv: it maps each position on its own.
bool isPositionwise(Conv2dOp op) {
  ArrayRef<int64_t> w = shapeOf(op.getWeight());
  return w[2] == 1 && w[3] == 1 && op.getStrides() == ArrayRef<int64_t>{1, 1} &&
         llvm::all_of(op.getPads(), [](int64_t p) { return p == 0; });
}

/// conv_kxk(conv_1x1(x)) -> conv_kxk'(x) (+ a bias map when the 1x1 bias
/// meets a zero-padded border unevenly).
struct ComposeConvs : OpRewritePattern<Conv2dOp> {
  ComposeConvs(MLIRContext *ctx, bool force)
      : OpRewritePattern(ctx), force(force) {}
  bool force;

  LogicalResult matchAndRewrite(Conv2dOp op,
                                PatternRewriter &rewriter) const override {
    // conv2 <- [add of a constant] <- [zero pad of H, W] <- conv1: DBB's
    // BN-and-pad writes its border as pad(bn(x)) + mask * value.
    Value v = op.getInput();
    std::optional<Tensor> addend;
    // The add and pad in between are consumed too: part of the provenance.
    SmallVector<Location> between;
    if (auto add = v.getDefiningOp<AddOp>(); add && add->hasOneUse()) {
      for (auto [u, c] : {std::pair(add.getLhs(), add.getRhs()),
                          std::pair(add.getRhs(), add.getLhs())})
        if (auto t = constantTensor(c); t && u.getType() == add.getType() &&
                                        !constantTensor(u)) {
          addend = t;
          v = u;
          between.push_back(add.getLoc());
          break;
        }
    }
    SmallVector<int64_t> extra{0, 0, 0, 0};
    if (auto pad = v.getDefiningOp<PadOp>(); pad && pad->hasOneUse()) {
      ArrayRef<int64_t> p = pad.getPads();
      if (pad.getValue().isZero() && !p[0] && !p[1] && !p[4] && !p[5] &&
          llvm::all_of(p, [](int64_t x) { return x >= 0; })) {
        extra = {p[2], p[3], p[6], p[7]};
        v = pad.getInput();
        between.push_back(pad.getLoc());
      }
    }
    // conv_1x1 <- reshape <- conv1: a reshape that keeps N and C only
    // regroups positions, and a 1x1 conv maps each position alone, so the
    // pair composes on the first conv's grid (EANet's conv1 -> view ->
    // Conv1d memory unit, and its Conv1d -> view -> conv2).
    ReshapeOp view;
    if (auto r = v.getDefiningOp<ReshapeOp>();
        r && r->hasOneUse() && between.empty() && isPositionwise(op)) {
      ArrayRef<int64_t> in = shapeOf(r.getInput()), out = shapeOf(r);
      if (in.size() == 4 && in[0] == out[0] && in[1] == out[1]) {
        view = r;
        v = r.getInput();
        between.push_back(r.getLoc());
      }
    }
    auto first = v.getDefiningOp<Conv2dOp>();
    if (!first)
      return rewriter.notifyMatchFailure(op, "input is not a conv");
    if (!first->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the first conv has other uses");
    ArrayRef<int64_t> w1Shape = shapeOf(first.getWeight());
    if (w1Shape[2] != 1 || w1Shape[3] != 1 ||
        llvm::any_of(first.getPads(), [](int64_t p) { return p; }) ||
        first.getStrides() != ArrayRef<int64_t>{1, 1})
      return rewriter.notifyMatchFailure(
          op, "the first conv is not 1x1, stride 1, unpadded");
    auto w1 = constantTensor(first.getWeight());
    auto w2 = constantTensor(op.getWeight());
    auto b1 = constantTensor(first.getBias());
    auto b2 = constantTensor(op.getBias());
    if (!w1 || !w2 || (first.getBias() && !b1) || (op.getBias() && !b2))
      return rewriter.notifyMatchFailure(op, "weights are not constants");

    int64_t g1 = first.getGroups(), g2 = op.getGroups();
    int64_t g = std::gcd(g1, g2);
    Tensor k1 = regroupWeight(*w1, g1, g), k2 = regroupWeight(*w2, g2, g);
    int64_t c = shapeOf(first.getInput())[1], d = k1.shape[0],
            e = k2.shape[0], kh = k2.shape[2], kw = k2.shape[3];
    int64_t cg = c / g, dg = d / g, eg = e / g, kk = kh * kw;
    Tensor k = filledTensor({e, cg, kh, kw}, 0.0f);

    int64_t before = convFlops(shapeOf(first), w1Shape) +
                     convFlops(shapeOf(op), shapeOf(op.getWeight()));
    int64_t after = convFlops(shapeOf(op), k.shape);
    if (after > before && !force &&
        !absorbedBySibling(op, first.getInput(), g, kh, kw))
      return rewriter.notifyMatchFailure(
          op, "the merged conv would cost " + std::to_string(after) +
                  " FLOPs, the pair " + std::to_string(before) +
                  " (use force to merge anyway)");

    for (int64_t oc = 0; oc < e; ++oc) {
      int64_t grp = oc / eg;
      for (int64_t dl = 0; dl < dg; ++dl) {
        const float *a = &k2.data[(oc * dg + dl) * kk];
        const float *b = &k1.data[(grp * dg + dl) * cg];
        for (int64_t ic = 0; ic < cg; ++ic) {
          float *dst = &k.data[(oc * cg + ic) * kk];
          for (int64_t t = 0; t < kk; ++t)
            dst[t] += (double)a[t] * b[ic];
        }
      }
    }

    // Everything constant between the convs (the first bias, padded, plus
    // the added constant) through the second conv, border included. Its
    // magnitude bounds the rounding a uniform map can show.
    ArrayRef<int64_t> mid = shapeOf(first);
    Tensor z = filledTensor({1, mid[1], mid[2] + extra[0] + extra[2],
                             mid[3] + extra[1] + extra[3]},
                            0.0f);
    int64_t zh = z.shape[2], zw = z.shape[3];
    for (int64_t ch = 0; ch < mid[1] && b1; ++ch)
      for (int64_t y = 0; y < mid[2]; ++y)
        for (int64_t x = 0; x < mid[3]; ++x)
          z.data[(ch * zh + y + extra[0]) * zw + x + extra[1]] = b1->data[ch];
    if (addend) {
      auto full = broadcastTo(*addend, z.shape);
      if (!full)
        return rewriter.notifyMatchFailure(op, "the constant varies over N");
      for (size_t i = 0; i < z.data.size(); ++i)
        z.data[i] += full->data[i];
    }
    Tensor zAbs = z, w2Abs = *w2;
    for (float &f : zAbs.data)
      f = std::abs(f);
    for (float &f : w2Abs.data)
      f = std::abs(f);
    std::optional<Tensor> map;
    if (b1 || addend) {
      map = conv2dReference(z, *w2, b2 ? &*b2 : nullptr, op.getStrides(),
                            op.getPads(), op.getDilations(), g2);
    }
    std::optional<Tensor> bias = b2;
    bool needsMap = false;
    if (map) {
      Tensor magnitude =
          conv2dReference(zAbs, w2Abs, nullptr, op.getStrides(), op.getPads(),
                          op.getDilations(), g2);
      if (auto uniform = uniformPerChannel(*map, magnitude)) {
        bias = Tensor{{e}, *uniform};
      } else {
        bias.reset();
        needsMap = true;
      }
    }
    // A positionwise second conv has no padded border for the first bias
    // to meet unevenly, and nothing sits between a reshaped pair.
    assert(!(needsMap && view) && "a reshaped pair needs no bias map");
    SmallVector<int64_t> pads;
    for (int d = 0; d < 4; ++d)
      pads.push_back(op.getPads()[d] + extra[d]);
    between.push_back(first.getLoc());
    Location loc = foldedLoc(kMergeSequential, op.getLoc(), between);
    Value weight = createConstant(rewriter, loc, k);
    Value biasVal = bias ? createConstant(rewriter, loc, *bias) : Value();
    auto mergedType =
        view ? RankedTensorType::get({mid[0], e, mid[2], mid[3]},
                                     op.getType().getElementType())
             : op.getType();
    Value merged = rewriter.create<Conv2dOp>(
        loc, mergedType, first.getInput(), weight, biasVal, op.getStrides(),
        pads, op.getDilations(), g);
    if (view)
      merged = rewriter.create<ReshapeOp>(
          loc, op.getType(), merged,
          rewriter.getDenseI64ArrayAttr(shapeOf(op.getResult())));
    if (needsMap)
      merged = rewriter.create<AddOp>(loc, op.getType(), merged,
                                      createConstant(rewriter, loc, *map));
    rewriter.replaceOp(op, merged);
    return success();
  }
};

struct MergeSequentialPass
    : rep::impl::MergeSequentialBase<MergeSequentialPass> {
  using MergeSequentialBase::MergeSequentialBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMergeSequentialPatterns(patterns, force);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void mlir::rep::populateMergeSequentialPatterns(RewritePatternSet &patterns,
                                                bool force) {
  patterns.add<ComposeConvs>(patterns.getContext(), force);
}
