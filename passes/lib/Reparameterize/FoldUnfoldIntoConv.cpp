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

/// The single non-constant leaf of the data-movement sub-graph behind `v`,
/// collecting its ops; nothing when other leaves or ops appear. With
/// `stopAtMaps`, a 4-D view (RaftMLP's tokens reshaped back into a map
/// before the next level's unfold) is a leaf.
Value gatherSource(Value v, SetVector<Operation *> &ops, bool stopAtMaps) {
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

/// Patches `[N, L, F]` gathered from one NCHW map `x`: feature j reads
/// channel `taps[j].ch` at offset `(dy, dx)` from output position p of an
/// `oh x ow` grid with strides `(sy, sx)`, and a zero where that offset
/// leaves the map; as a conv, a `kh x kw` window with these pads.
struct PatchGrid {
  struct Tap {
    int64_t ch = -1, dy = 0, dx = 0;
  };
  Value x;
  std::vector<Tap> taps;
  SmallVector<Operation *> order; // the gather's ops, in program order
  int64_t oh, ow, sy, sx, kh, kw, top, left, pt, pl, pb, pr, convH, convW;
};

/// Traces the gather behind `patches` ([N, L, F]) by running it on the
/// source's element indices, finds the grid and checks every element.
FailureOr<PatchGrid> findPatchGrid(Value patches, std::string &why) {
  ArrayRef<int64_t> u = shapeOf(patches);
  if (u.size() != 3)
    return why = "the patches are not [N, L, F]", failure();
  SetVector<Operation *> ops;
  Value x = gatherSource(patches, ops, /*stopAtMaps=*/false);
  if (x && shapeOf(x).size() != 4) {
    ops.clear();
    x = gatherSource(patches, ops, /*stopAtMaps=*/true);
  }
  if (!x || ops.empty())
    return why = "the input is not gathered from one tensor", failure();
  // Reshapes and transposes alone only relayout (attention heads merged
  // back): patches need a slice, a pad or a concat.
  if (llvm::none_of(ops, [](Operation *op) {
        return isa<SliceOp, ConcatOp, PadOp>(op);
      }))
    return why = "the input is a relayout of one tensor, not patches",
           failure();
  ArrayRef<int64_t> xs = shapeOf(x);
  if (xs.size() != 4 || xs[0] != u[0])
    return why = "the source is not an NCHW map", failure();
  int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3];
  int64_t numel = n * c * h * w;
  if (numel >= kMaxIndex)
    return why = "the source is too large to trace", failure();

  llvm::DenseMap<Value, Tensor> known;
  Tensor ids = filledTensor(xs, 0.0f);
  for (int64_t i = 0; i < numel; ++i)
    ids.data[i] = i + 1;
  known[x] = std::move(ids);
  SmallVector<Operation *> order(ops.begin(), ops.end());
  llvm::sort(order,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  Block *block = patches.getDefiningOp()->getBlock();
  for (Operation *op : order) {
    if (op->getBlock() != block)
      return why = "the gather spans blocks", failure();
    SmallVector<const Tensor *> in;
    for (Value operand : op->getOperands())
      in.push_back(&known[operand]);
    auto out = evaluate(op, in);
    if (failed(out))
      return why = "a gather op cannot be traced", failure();
    known[op->getResult(0)] = std::move(*out);
  }
  const Tensor &map = known[patches];
  int64_t l = u[1], f = u[2];

  // Find an output grid (oh x ow = L, strides) under which every feature
  // reads one fixed offset (channel, dy, dx) from each output position,
  // and a zero exactly where that offset falls outside the map.
  using Tap = PatchGrid::Tap;
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
      return why = "the patches read nothing", failure();
    int64_t kh = bottom - top + 1, kw = right - left + 1;
    if (kh * kw == 1)
      return why = "the patches are single pixels (a 1x1 conv is no gain)",
             failure();
    if (top > 0 || left > 0)
      return why = "the windows skip their first rows or columns", failure();
    // Pads that give the same grid: the window of output (i, j) starts at
    // (i * sy + top, j * sx + left).
    PatchGrid g;
    g.x = x;
    g.taps = std::move(taps);
    g.order = std::move(order);
    g.oh = oh, g.ow = ow, g.sy = sy, g.sx = sx, g.kh = kh, g.kw = kw;
    g.top = top, g.left = left;
    g.pt = -top, g.pl = -left;
    g.pb = std::max<int64_t>(0, (oh - 1) * sy + kh - h - g.pt);
    g.pr = std::max<int64_t>(0, (ow - 1) * sx + kw - w - g.pl);
    g.convH = (h + g.pt + g.pb - kh) / sy + 1;
    g.convW = (w + g.pl + g.pr - kw) / sx + 1;
    return g;
  }
  return why = "the gathered features are not conv windows on one grid",
         failure();
}

/// The conv of `g` with kernel `k` (groups `groups`) and `bias`, cropped to
/// the grid and laid out as the `[N, L, O]` patches' result.
Value buildGridConv(PatternRewriter &rewriter, Location loc,
                    const PatchGrid &g, const Tensor &k,
                    const std::optional<Tensor> &bias, int64_t groups) {
  int64_t n = shapeOf(g.x)[0], o = k.shape[0], l = g.oh * g.ow;
  auto f32 = rewriter.getF32Type();
  Value y = rewriter.create<Conv2dOp>(
      loc, RankedTensorType::get({n, o, g.convH, g.convW}, f32), g.x,
      createConstant(rewriter, loc, k),
      bias ? createConstant(rewriter, loc, *bias) : Value(),
      rewriter.getDenseI64ArrayAttr({g.sy, g.sx}),
      rewriter.getDenseI64ArrayAttr({g.pt, g.pl, g.pb, g.pr}),
      rewriter.getDenseI64ArrayAttr({1, 1}), rewriter.getI64IntegerAttr(groups));
  if (g.convH != g.oh || g.convW != g.ow)
    y = rewriter.create<SliceOp>(
        loc, RankedTensorType::get({n, o, g.oh, g.ow}, f32), y,
        rewriter.getDenseI64ArrayAttr({0, 0, 0, 0}),
        rewriter.getDenseI64ArrayAttr({n, o, g.oh, g.ow}),
        rewriter.getDenseI64ArrayAttr({1, 1, 1, 1}));
  y = rewriter.create<ReshapeOp>(loc, RankedTensorType::get({n, o, l}, f32), y,
                                 rewriter.getDenseI64ArrayAttr({n, o, l}));
  return rewriter.create<TransposeOp>(loc,
                                      RankedTensorType::get({n, l, o}, f32), y,
                                      rewriter.getDenseI64ArrayAttr({0, 2, 1}));
}

SmallVector<Location> locsOf(ArrayRef<Operation *> ops) {
  SmallVector<Location> from;
  for (Operation *op : ops)
    from.push_back(op->getLoc());
  return from;
}

struct FcOverPatchesToConv : OpRewritePattern<FcOp> {
  FcOverPatchesToConv(MLIRContext *ctx, bool force)
      : OpRewritePattern(ctx), force(force) {}
  bool force;

  LogicalResult matchAndRewrite(FcOp fc,
                                PatternRewriter &rewriter) const override {
    auto weight = constantTensor(fc.getWeight());
    auto bias = constantTensor(fc.getBias());
    if (!weight || (fc.getBias() && !bias))
      return rewriter.notifyMatchFailure(fc, "weights are not constants");
    std::string why;
    auto grid = findPatchGrid(fc.getInput(), why);
    if (failed(grid))
      return rewriter.notifyMatchFailure(fc, why);
    const PatchGrid &g = *grid;
    ArrayRef<int64_t> u = shapeOf(fc.getInput());
    int64_t n = u[0], l = u[1], f = u[2], o = weight->shape[0];
    int64_t c = shapeOf(g.x)[1];
    int64_t fcFlops = 2 * n * l * f * o;
    int64_t convFlopsAfter = 2 * n * g.convH * g.convW * o * c * g.kh * g.kw;
    if (convFlopsAfter > fcFlops && !force)
      return rewriter.notifyMatchFailure(
          fc, "the conv would cost " + std::to_string(convFlopsAfter) +
                  " FLOPs, the fc " + std::to_string(fcFlops) +
                  " (use force to fold anyway)");
    Tensor k = filledTensor({o, c, g.kh, g.kw}, 0.0f);
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t j = 0; j < f; ++j)
        if (const PatchGrid::Tap &t = g.taps[j]; t.ch >= 0)
          k.data[((oc * c + t.ch) * g.kh + t.dy - g.top) * g.kw + t.dx -
                 g.left] += weight->data[oc * f + j];
    // The gather's ops, in order, are what the conv absorbed.
    Location loc = foldedLoc(kFoldUnfold, fc.getLoc(), locsOf(g.order));
    rewriter.setInsertionPoint(fc);
    rewriter.replaceOp(fc, buildGridConv(rewriter, loc, g, k, bias, 1));
    return success();
  }
};

/// Patches no fc reads (a LayerNorm over each patch first: T2T-ViT's and
/// EAMLP's tokens-to-token stem) are a conv with one-hot kernels: feature j
/// is 1 at its tap. Each feature reads one input channel, so when the
/// features come in channel-major blocks (nn.Unfold's `c * k * k + t`)
/// the conv has one group per channel: `k * k` MACs an element instead of
/// a gather of many small slices, and exact (one product by 1, the rest
/// by 0).
struct PatchesToOneHotConv : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConcatOp concat,
                                PatternRewriter &rewriter) const override {
    // The top of the gather: follow single-use relayouts above the concat.
    Value top = concat.getResult();
    while (top.hasOneUse() &&
           isa<ReshapeOp, TransposeOp, FlattenOp>(*top.getUsers().begin()))
      top = top.getUsers().begin()->getResult(0);
    if (llvm::any_of(top.getUsers(), [](Operation *u) {
          return movesData(u) || isa<FcOp>(u);
        }))
      return rewriter.notifyMatchFailure(
          concat, "more gathering follows, or an fc (a conv of its own)");
    std::string why;
    auto grid = findPatchGrid(top, why);
    if (failed(grid))
      return rewriter.notifyMatchFailure(concat, why);
    const PatchGrid &g = *grid;
    int64_t f = g.taps.size(), c = shapeOf(g.x)[1];
    // One group per channel when feature j reads channel j / (f / c).
    bool perChannel = f % c == 0;
    for (int64_t j = 0; j < f && perChannel; ++j)
      perChannel = g.taps[j].ch < 0 || g.taps[j].ch == j / (f / c);
    if (!perChannel)
      return rewriter.notifyMatchFailure(
          concat, "the features are not channel-major blocks (a dense "
                  "one-hot conv would cost c times more)");
    int64_t groups = c, cg = 1;
    Tensor k = filledTensor({f, cg, g.kh, g.kw}, 0.0f);
    for (int64_t j = 0; j < f; ++j)
      if (const PatchGrid::Tap &t = g.taps[j]; t.ch >= 0)
        k.data[((j * cg + t.ch % cg) * g.kh + t.dy - g.top) * g.kw + t.dx -
               g.left] = 1.0f;
    Location loc = foldedLoc(kFoldUnfold, concat.getLoc(), locsOf(g.order));
    rewriter.setInsertionPointAfterValue(top);
    rewriter.replaceAllUsesWith(
        top, buildGridConv(rewriter, loc, g, k, std::nullopt, groups));
    return success();
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
  patterns.add<PatchesToOneHotConv>(patterns.getContext());
}
