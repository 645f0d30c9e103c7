//===- FoldUnfoldIntoConv.cpp - an fc over gathered patches is a conv -----===//
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
#include "llvm/ADT/SetVector.h"
#include <cmath>

namespace mlir::rep {
#define GEN_PASS_DEF_FOLDUNFOLDINTOCONV
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// Ops that only move elements (or add zeros): the gather sub-graph an
/// exported nn.Unfold is made of.
bool movesData(Operation *op) {
  if (auto pad = dyn_cast<PadOp>(op))
    return pad.getValue().isZero();
  return isa<SliceOp, ConcatOp, ReshapeOp, TransposeOp, FlattenOp>(op);
}

/// Largest source index the float evaluation carries exactly (indices are
/// stored as index + 1, 0 meaning a padded zero).
constexpr int64_t kMaxIndex = int64_t(1) << 24;
/// Ops one gather sub-graph may hold (RaftMLP-S's largest has ~300).
constexpr int64_t kMaxGatherOps = 4096;

struct FcOverPatchesToConv : OpRewritePattern<FcOp> {
  FcOverPatchesToConv(MLIRContext *ctx, bool force)
      : OpRewritePattern(ctx), force(force) {}
  bool force;

  /// The single non-constant leaf of the data-movement sub-graph behind
  /// `v`, collecting its ops; nothing when other leaves or ops appear.
  /// With `stopAtMaps`, a 4-D view (RaftMLP's tokens reshaped back into a
  /// map before the next level's unfold) is a leaf.
  static Value gatherSource(Value v, SetVector<Operation *> &ops,
                            bool stopAtMaps) {
    Value source;
    SmallVector<Value> work{v};
    while (!work.empty()) {
      Value cur = work.pop_back_val();
      Operation *def = cur.getDefiningOp();
      bool map = stopAtMaps && shapeOf(cur).size() == 4 &&
                 isa_and_nonnull<ReshapeOp, TransposeOp, FlattenOp>(def);
      if (def && movesData(def) && !map) {
        if (!ops.insert(def))
          continue;
        if ((int64_t)ops.size() > kMaxGatherOps)
          return {};
        for (Value operand : def->getOperands())
          work.push_back(operand);
        continue;
      }
      if (source && source != cur)
        return {};
      source = cur;
    }
    return source;
  }

  LogicalResult matchAndRewrite(FcOp fc,
                                PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> u = shapeOf(fc.getInput());
    if (u.size() != 3)
      return rewriter.notifyMatchFailure(fc, "the fc input is not [N, L, F]");
    SetVector<Operation *> ops;
    Value x = gatherSource(fc.getInput(), ops, /*stopAtMaps=*/false);
    if (x && shapeOf(x).size() != 4) {
      ops.clear();
      x = gatherSource(fc.getInput(), ops, /*stopAtMaps=*/true);
    }
    if (!x || ops.empty())
      return rewriter.notifyMatchFailure(
          fc, "the fc input is not gathered from one tensor");
    // Reshapes and transposes alone only relayout (attention heads merged
    // back): patches need a slice, a pad or a concat.
    if (llvm::none_of(ops, [](Operation *op) {
          return isa<SliceOp, ConcatOp, PadOp>(op);
        }))
      return rewriter.notifyMatchFailure(
          fc, "the fc reads a relayout of one tensor, not patches");
    ArrayRef<int64_t> xs = shapeOf(x);
    if (xs.size() != 4 || xs[0] != u[0])
      return rewriter.notifyMatchFailure(fc, "the source is not an NCHW map");
    int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3];
    int64_t numel = n * c * h * w;
    if (numel >= kMaxIndex)
      return rewriter.notifyMatchFailure(fc,
                                         "the source is too large to trace");
    auto weight = constantTensor(fc.getWeight());
    auto bias = constantTensor(fc.getBias());
    if (!weight || (fc.getBias() && !bias))
      return rewriter.notifyMatchFailure(fc, "weights are not constants");

    // Trace where each element of the fc input comes from: run the gather
    // on the source's own indices (+1; a padded zero stays 0).
    llvm::DenseMap<Value, Tensor> known;
    Tensor ids = filledTensor(xs, 0.0f);
    for (int64_t i = 0; i < numel; ++i)
      ids.data[i] = i + 1;
    known[x] = std::move(ids);
    SmallVector<Operation *> order(ops.begin(), ops.end());
    llvm::sort(order, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    for (Operation *op : order) {
      if (op->getBlock() != fc->getBlock())
        return rewriter.notifyMatchFailure(fc, "the gather spans blocks");
      SmallVector<const Tensor *> in;
      for (Value operand : op->getOperands())
        in.push_back(&known[operand]);
      auto out = evaluate(op, in);
      if (failed(out))
        return rewriter.notifyMatchFailure(fc, "a gather op cannot be traced");
      known[op->getResult(0)] = std::move(*out);
    }
    const Tensor &map = known[fc.getInput()];
    int64_t l = u[1], f = u[2], o = weight->shape[0];

    // Find an output grid (oh x ow = L, strides) under which every feature
    // reads one fixed offset (channel, dy, dx) from each output position,
    // and a zero exactly where that offset falls outside the map.
    struct Tap {
      int64_t ch = -1, dy = 0, dx = 0;
    };
    auto decode = [&](float v, int64_t &b, int64_t &ch, int64_t &y,
                      int64_t &xx) {
      int64_t i = (int64_t)v - 1;
      xx = i % w;
      y = i / w % h;
      ch = i / (w * h) % c;
      b = i / (w * h * c);
    };
    for (int64_t oh = 1; oh <= l; ++oh) {
      if (l % oh)
        continue;
      int64_t ow = l / oh;
      // Strides from two in-bounds reads of one feature a step apart.
      int64_t sy = 0, sx = 0;
      for (int64_t j = 0; j < f && (!sy || !sx); ++j)
        for (int64_t p = 0; p < l && (!sy || !sx); ++p) {
          float a = map.data[p * f + j];
          if (!a)
            continue;
          int64_t b0, c0, y0, x0, b1, c1, y1, x1;
          decode(a, b0, c0, y0, x0);
          if (!sx && p % ow + 1 < ow && map.data[(p + 1) * f + j]) {
            decode(map.data[(p + 1) * f + j], b1, c1, y1, x1);
            sx = x1 - x0;
          }
          if (!sy && p / ow + 1 < oh && map.data[(p + ow) * f + j]) {
            decode(map.data[(p + ow) * f + j], b1, c1, y1, x1);
            sy = y1 - y0;
          }
        }
      if (oh == 1)
        sy = 1;
      if (ow == 1)
        sx = 1;
      if (sy <= 0 || sx <= 0)
        continue;
      std::vector<Tap> taps(f);
      bool ok = true;
      for (int64_t j = 0; j < f && ok; ++j)
        for (int64_t p = 0; p < l && ok; ++p) {
          float a = map.data[p * f + j];
          if (!a)
            continue;
          int64_t b0, ch, y, xx;
          decode(a, b0, ch, y, xx);
          Tap t{ch, y - p / ow * sy, xx - p % ow * sx};
          if (taps[j].ch < 0)
            taps[j] = t;
          ok = b0 == 0 && taps[j].ch == t.ch && taps[j].dy == t.dy &&
               taps[j].dx == t.dx;
        }
      if (!ok)
        continue;
      // Every element, every image: the read of its tap or a zero off the
      // map.
      for (int64_t b0 = 0; b0 < n && ok; ++b0)
        for (int64_t p = 0; p < l && ok; ++p)
          for (int64_t j = 0; j < f && ok; ++j) {
            float a = map.data[(b0 * l + p) * f + j];
            const Tap &t = taps[j];
            if (t.ch < 0) {
              ok = !a;
              continue;
            }
            int64_t y = p / ow * sy + t.dy, xx = p % ow * sx + t.dx;
            bool inside = y >= 0 && y < h && xx >= 0 && xx < w;
            ok = inside ? a == ((b0 * c + t.ch) * h + y) * w + xx + 1 : !a;
          }
      if (!ok)
        continue;
      int64_t top = INT64_MAX, left = INT64_MAX, bottom = INT64_MIN,
              right = INT64_MIN;
      for (const Tap &t : taps)
        if (t.ch >= 0) {
          top = std::min(top, t.dy);
          left = std::min(left, t.dx);
          bottom = std::max(bottom, t.dy);
          right = std::max(right, t.dx);
        }
      if (top == INT64_MAX)
        return rewriter.notifyMatchFailure(fc, "the patches read nothing");
      int64_t kh = bottom - top + 1, kw = right - left + 1;
      if (kh * kw == 1)
        return rewriter.notifyMatchFailure(
            fc, "the patches are single pixels (a 1x1 conv is no gain)");
      if (top > 0 || left > 0)
        return rewriter.notifyMatchFailure(
            fc, "the windows skip their first rows or columns");
      // Pads that give the same grid: the window of output (i, j) starts at
      // (i * sy + top, j * sx + left).
      int64_t pt = -top, pl = -left;
      int64_t pb = std::max<int64_t>(0, (oh - 1) * sy + kh - h - pt);
      int64_t pr = std::max<int64_t>(0, (ow - 1) * sx + kw - w - pl);
      int64_t convH = (h + pt + pb - kh) / sy + 1;
      int64_t convW = (w + pl + pr - kw) / sx + 1;
      int64_t fcFlops = 2 * n * l * f * o;
      int64_t convFlopsAfter = 2 * n * convH * convW * o * c * kh * kw;
      if (convFlopsAfter > fcFlops && !force)
        return rewriter.notifyMatchFailure(
            fc, "the conv would cost " + std::to_string(convFlopsAfter) +
                    " FLOPs, the fc " + std::to_string(fcFlops) +
                    " (use force to fold anyway)");

      Tensor k = filledTensor({o, c, kh, kw}, 0.0f);
      for (int64_t oc = 0; oc < o; ++oc)
        for (int64_t j = 0; j < f; ++j)
          if (taps[j].ch >= 0)
            k.data[((oc * c + taps[j].ch) * kh + taps[j].dy - top) * kw +
                   taps[j].dx - left] += weight->data[oc * f + j];
      // The gather's ops, in order, are what the conv absorbed.
      SmallVector<Location> from;
      for (Operation *op : order)
        from.push_back(op->getLoc());
      Location loc = foldedLoc(kFoldUnfold, fc.getLoc(), from);
      rewriter.setInsertionPoint(fc);
      auto convType =
          RankedTensorType::get({n, o, convH, convW}, rewriter.getF32Type());
      Value y = rewriter.create<Conv2dOp>(
          loc, convType, x, createConstant(rewriter, loc, k),
          bias ? createConstant(rewriter, loc, *bias) : Value(),
          rewriter.getDenseI64ArrayAttr({sy, sx}),
          rewriter.getDenseI64ArrayAttr({pt, pl, pb, pr}),
          rewriter.getDenseI64ArrayAttr({1, 1}), rewriter.getI64IntegerAttr(1));
      if (convH != oh || convW != ow)
        y = rewriter.create<SliceOp>(
            loc, RankedTensorType::get({n, o, oh, ow}, rewriter.getF32Type()),
            y, rewriter.getDenseI64ArrayAttr({0, 0, 0, 0}),
            rewriter.getDenseI64ArrayAttr({n, o, oh, ow}),
            rewriter.getDenseI64ArrayAttr({1, 1, 1, 1}));
      y = rewriter.create<ReshapeOp>(
          loc, RankedTensorType::get({n, o, l}, rewriter.getF32Type()), y,
          rewriter.getDenseI64ArrayAttr({n, o, l}));
      rewriter.replaceOpWithNewOp<TransposeOp>(
          fc, fc.getType(), y, rewriter.getDenseI64ArrayAttr({0, 2, 1}));
      return success();
    }
    return rewriter.notifyMatchFailure(
        fc, "the gathered features are not conv windows on one grid");
  }
};

struct FoldUnfoldIntoConvPass
    : rep::impl::FoldUnfoldIntoConvBase<FoldUnfoldIntoConvPass> {
  using FoldUnfoldIntoConvBase::FoldUnfoldIntoConvBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFoldUnfoldIntoConvPatterns(patterns, force);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void mlir::rep::populateFoldUnfoldIntoConvPatterns(RewritePatternSet &patterns,
                                                   bool force) {
  patterns.add<FcOverPatchesToConv>(patterns.getContext(), force);
}
