//===- FoldBatchNorm.cpp - fold per-channel affines into conv and fc ------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Eval/Evaluate.h"
#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::rep {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

/// The axis of `to` that a per-channel map along `axis` of `from` becomes
/// under a reshape, and how many times each channel repeats there; nothing
/// when the channels do not map onto one axis.
std::optional<std::pair<int64_t, int64_t>>
mapAxisThroughReshape(ArrayRef<int64_t> from, int64_t axis,
                      ArrayRef<int64_t> to) {
  int64_t outer = product(from.take_front(axis));
  int64_t inner = product(from.drop_front(axis + 1));
  for (size_t b = 0; b < to.size(); ++b) {
    if (product(to.take_front(b)) != outer)
      continue;
    int64_t innerTo = product(to.drop_front(b + 1));
    if (innerTo == 0 || inner % innerTo)
      continue;
    int64_t r = inner / innerTo;
    if (to[b] == from[axis] * r)
      return std::pair((int64_t)b, r);
  }
  return std::nullopt;
}

/// The affine a view's result carries when the view reads an affine value:
/// the view commutes with a per-channel map when it keeps the channels.
std::optional<Affine> throughView(Operation *view, const Affine &a) {
  ArrayRef<int64_t> in = shapeOf(view->getOperand(0));
  if (isa<ReshapeOp, FlattenOp>(view)) {
    auto m = mapAxisThroughReshape(in, a.axis, shapeOf(view->getResult(0)));
    if (!m)
      return std::nullopt;
    return a.repeated(m->first, m->second);
  }
  if (auto t = dyn_cast<TransposeOp>(view)) {
    for (auto [i, p] : llvm::enumerate(t.getPerm()))
      if (p == a.axis)
        return Affine{(int64_t)i, a.scale, a.shift};
    return std::nullopt;
  }
  if (isa<GlobalAvgPoolOp>(view))
    return a.axis == 1 ? std::optional(a) : std::nullopt;
  if (auto r = dyn_cast<ReduceMeanOp>(view)) {
    int64_t axis = a.axis;
    for (int64_t d : r.getAxes()) {
      if (d == a.axis)
        return std::nullopt;
      if (d < a.axis && !r.getKeepdims())
        --axis;
    }
    return Affine{axis, a.scale, a.shift};
  }
  if (auto s = dyn_cast<SliceOp>(view)) {
    Affine out{a.axis, {}, {}};
    int64_t start = s.getStarts()[a.axis], step = s.getSteps()[a.axis];
    for (int64_t j = 0; j < s.getSizes()[a.axis]; ++j) {
      out.scale.push_back(a.scale[start + j * step]);
      out.shift.push_back(a.shift[start + j * step]);
    }
    return out;
  }
  return std::nullopt;
}

/// Whether a use of an affine value can take the affine: a conv or fc
/// reading it on its reduction axis, or a view whose every use can.
bool absorbs(OpOperand &use, const Affine &a, int depth = 0) {
  Operation *user = use.getOwner();
  if (depth > 8)
    return false;
  if (isa<Conv2dOp, FcOp>(user)) {
    Value bias = user->getNumOperands() > 2 ? user->getOperand(2) : Value();
    if (use.getOperandNumber() != 0 || !isConstant(user->getOperand(1)) ||
        (bias && !isConstant(bias)))
      return false;
    if (auto conv = dyn_cast<Conv2dOp>(user))
      return a.axis == 1 &&
             (a.shiftIsZero() ||
              llvm::all_of(conv.getPads(), [](int64_t p) { return !p; }));
    return a.axis == (int64_t)shapeOf(use.get()).size() - 1;
  }
  if (auto other = dyn_cast<ChannelAffineOp>(user))
    return other.getInput() == use.get() &&
           (int64_t)other.getAxis() == a.axis && isConstant(other.getScale()) &&
           isConstant(other.getShift());
  auto next = throughView(user, a);
  if (!next || user->getResult(0).use_empty())
    return false;
  return llvm::all_of(user->getResult(0).getUses(), [&](OpOperand &u) {
    return absorbs(u, *next, depth + 1);
  });
}

/// view(channel_affine(x)) -> channel_affine'(view(x)) for one view user
/// of `op` whose channel mapping `throughView` accepted.
Value sinkBelowView(PatternRewriter &rewriter, ChannelAffineOp op,
                    Operation *view, const Affine &a) {
  Affine next = *throughView(view, a);
  rewriter.setInsertionPoint(view);
  IRMapping map;
  map.map(op.getResult(), op.getInput());
  Operation *moved = rewriter.clone(*view, map);
  return createAffine(rewriter, op.getLoc(), moved->getResult(0), next.scale,
                      next.shift, next.axis);
}

/// channel_affine(conv(x)) or channel_affine(fc(x)) on the output channels
/// -> one conv or fc with scaled rows.
struct FoldAffineIntoProducer : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    Operation *def = op.getInput().getDefiningOp();
    if (!isa_and_nonnull<Conv2dOp, FcOp>(def))
      return rewriter.notifyMatchFailure(op, "input is not a conv or fc");
    if (!def->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the producer has other uses");
    int64_t channelAxis =
        isa<Conv2dOp>(def) ? 1 : shapeOf(op.getInput()).size() - 1;
    if ((int64_t)op.getAxis() != channelAxis)
      return rewriter.notifyMatchFailure(op, "not along the output channels");
    auto a = affineOf(op);
    auto w = constantTensor(def->getOperand(1));
    Value biasVal = def->getNumOperands() > 2 ? def->getOperand(2) : Value();
    auto b = constantTensor(biasVal);
    if (!a || !w || (biasVal && !b))
      return rewriter.notifyMatchFailure(op, "weights are not constants");
    int64_t o = w->shape[0], per = w->numel() / o;
    Tensor bias = filledTensor({o}, 0.0f);
    for (int64_t i = 0; i < o; ++i) {
      for (int64_t j = 0; j < per; ++j)
        w->data[i * per + j] *= a->scale[i];
      bias.data[i] =
          (double)(b ? b->data[i] : 0.0f) * a->scale[i] + a->shift[i];
    }
    Location loc = foldedLoc(kFoldBatchNorm, def->getLoc(), {op.getLoc()});
    Value nw = createConstant(rewriter, loc, *w);
    Value nb = createConstant(rewriter, loc, bias);
    Value input = def->getOperand(0);
    Operation *folded;
    if (auto conv = dyn_cast<Conv2dOp>(def))
      folded = rewriter.create<Conv2dOp>(loc, op.getType(), input, nw, nb,
                                         conv.getStrides(), conv.getPads(),
                                         conv.getDilations(), conv.getGroups());
    else
      folded = rewriter.create<FcOp>(loc, op.getType(), input, nw, nb);
    rewriter.replaceOp(op, folded->getResults());
    return success();
  }
};

/// A conv or fc reading channel_affine(x) on its reduction axis -> the same
/// op on x with scaled columns and a shifted bias.
Value foldIntoConsumer(PatternRewriter &rewriter, Operation *user, Value x,
                       const Affine &a, Location affineLoc) {
  auto w = constantTensor(user->getOperand(1));
  Value biasVal = user->getNumOperands() > 2 ? user->getOperand(2) : Value();
  auto b = constantTensor(biasVal);
  if (!w || (biasVal && !b))
    return nullptr;
  int64_t o = w->shape[0], cg = w->shape[1], k = w->numel() / (o * cg);
  int64_t groups = 1;
  if (auto conv = dyn_cast<Conv2dOp>(user))
    groups = conv.getGroups();
  int64_t og = o / groups;
  Tensor bias = filledTensor({o}, 0.0f);
  for (int64_t oc = 0; oc < o; ++oc) {
    double acc = b ? b->data[oc] : 0.0;
    for (int64_t i = 0; i < cg; ++i) {
      int64_t ch = (oc / og) * cg + i;
      float *row = &w->data[(oc * cg + i) * k];
      for (int64_t j = 0; j < k; ++j) {
        acc += (double)row[j] * a.shift[ch];
        row[j] *= a.scale[ch];
      }
    }
    bias.data[oc] = acc;
  }
  Location loc = foldedLoc(kFoldBatchNorm, user->getLoc(), {affineLoc});
  rewriter.setInsertionPoint(user);
  Value nw = createConstant(rewriter, loc, *w);
  Value nb = createConstant(rewriter, loc, bias);
  Type type = user->getResult(0).getType();
  if (auto conv = dyn_cast<Conv2dOp>(user))
    return rewriter.create<Conv2dOp>(loc, type, x, nw, nb, conv.getStrides(),
                                     conv.getPads(), conv.getDilations(),
                                     conv.getGroups());
  return rewriter.create<FcOp>(loc, type, x, nw, nb);
}

/// Moves channel_affine(x) below every view it feeds, and into every conv
/// or fc it reaches, when all of them can take it.
struct FoldAffineIntoConsumers : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    auto a = affineOf(op);
    if (!a)
      return rewriter.notifyMatchFailure(op, "parameters are not constants");
    if (op->use_empty())
      return rewriter.notifyMatchFailure(op, "no uses");
    for (OpOperand &use : op->getUses())
      if (!absorbs(use, *a))
        return rewriter.notifyMatchFailure(
            op, "a use reaches no conv or fc that can take it (a "
                "nonlinearity, a residual, or a zero-padded conv and a "
                "nonzero shift)");
    Value x = op.getInput();
    for (Operation *user : llvm::make_early_inc_range(op->getUsers())) {
      Value replacement;
      if (isa<Conv2dOp, FcOp>(user)) {
        replacement = foldIntoConsumer(rewriter, user, x, *a, op.getLoc());
      } else if (auto other = dyn_cast<ChannelAffineOp>(user)) {
        // absorbs() checked the parameters are constants.
        Affine both = a->then(*affineOf(other));
        rewriter.setInsertionPoint(user);
        replacement = createAffine(
            rewriter, foldedLoc(kFoldBatchNorm, op.getLoc(), {user->getLoc()}),
            x, both.scale, both.shift, both.axis);
      } else {
        replacement = sinkBelowView(rewriter, op, user, *a);
      }
      rewriter.replaceOp(user, replacement);
    }
    return success();
  }
};

/// channel_affine(view(y)) where y is a conv or fc only the view reads ->
/// view(channel_affine'(y)), when the channels map onto y's output axis:
/// RepMLPNet's fc3 BN behind its Reshape.
struct HoistAffineAboveView : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;

  /// `a` on the input of `view` (a reshape or transpose) instead of its
  /// output.
  static std::optional<Affine> throughView(Operation *view, const Affine &a) {
    // A uniform map is the same on any axis of the view's input.
    if (a.isUniform())
      return a.uniformOn(0, shapeOf(view->getOperand(0))[0]);
    if (isa<ReshapeOp>(view)) {
      if (auto m = mapAxisThroughReshape(shapeOf(view->getResult(0)), a.axis,
                                         shapeOf(view->getOperand(0))))
        return a.repeated(m->first, m->second);
      return std::nullopt;
    }
    return Affine{cast<TransposeOp>(view).getPerm()[a.axis], a.scale, a.shift};
  }

  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    Operation *view = op.getInput().getDefiningOp();
    if (!isa_and_nonnull<ReshapeOp, TransposeOp>(view) || !view->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is no single-use view");
    auto a = affineOf(op);
    if (!a)
      return rewriter.notifyMatchFailure(op, "parameters are not constants");
    // Follow single-use views (an unfold-to-conv's reshape and transpose)
    // down to what produces them; hoist one view at a time.
    std::optional<Affine> first;
    Affine cur = *a;
    for (Operation *v = view;;) {
      std::optional<Affine> up = throughView(v, cur);
      if (!up)
        return rewriter.notifyMatchFailure(
            op, "the channels do not map onto the producer's output channels");
      if (!first)
        first = up;
      cur = *up;
      Value y = v->getOperand(0);
      Operation *def = y.getDefiningOp();
      if (!def || !def->hasOneUse())
        return rewriter.notifyMatchFailure(op,
                                           "the view's input has other uses");
      if (isa<ReshapeOp, TransposeOp>(def)) {
        v = def;
        continue;
      }
      // An add of a constant to an affine: the affines meet above it.
      std::optional<int64_t> channelAxis;
      bool scale = cur.isUniform() && cur.shiftIsZero();
      if (scale && isa<SliceOp>(def))
        break; // FoldScaleIntoSlicedFc takes it from there.
      if (isa<Conv2dOp>(def))
        channelAxis = 1;
      else if (isa<FcOp>(def))
        channelAxis = shapeOf(y).size() - 1;
      else if (auto add = dyn_cast<AddOp>(def))
        for (Value w : {add.getLhs(), add.getRhs()})
          if (auto inner = w.getDefiningOp<ChannelAffineOp>())
            if (constantTensor(add.getLhs() == w ? add.getRhs() : add.getLhs()))
              channelAxis = inner.getAxis();
      if (!channelAxis)
        return rewriter.notifyMatchFailure(
            op, "the view reads no conv, fc or affine-plus-constant");
      if (cur.axis != *channelAxis && !cur.isUniform())
        return rewriter.notifyMatchFailure(
            op, "the channels do not map onto the producer's output channels");
      break;
    }
    Value y = view->getOperand(0);
    if (first->isUniform()) {
      // On the axis the producer folds along when it is next.
      int64_t axis = y.getDefiningOp<Conv2dOp>() ? 1 : shapeOf(y).size() - 1;
      first = first->uniformOn(axis, shapeOf(y)[axis]);
    }
    rewriter.setInsertionPoint(view);
    Value moved = createAffine(rewriter, op.getLoc(), y, first->scale,
                               first->shift, first->axis);
    IRMapping map;
    map.map(y, moved);
    rewriter.setInsertionPoint(op);
    Operation *newView = rewriter.clone(*view, map);
    rewriter.replaceOp(op, newView->getResults());
    return success();
  }
};

/// The fc a single-use chain of views leads `v` to, with the axis the
/// affine has there, when that axis is not the fc's reduction axis.
std::optional<std::pair<FcOp, Affine>> rowsFcBelow(Value v, Affine a) {
  for (int depth = 0; depth < 8 && v.hasOneUse(); ++depth) {
    OpOperand &use = *v.getUses().begin();
    Operation *user = use.getOwner();
    if (auto fc = dyn_cast<FcOp>(user)) {
      if (use.getOperandNumber() != 0 ||
          a.axis == (int64_t)shapeOf(v).size() - 1)
        return std::nullopt;
      return std::pair(fc, a);
    }
    if (!isa<TransposeOp, ReshapeOp>(user))
      return std::nullopt;
    auto next = throughView(user, a);
    if (!next)
      return std::nullopt;
    a = *next;
    v = user->getResult(0);
  }
  return std::nullopt;
}

/// An affine on a non-reduction axis of an fc's input (ResMLP's pre-norm
/// Affine before the token-mixing Linear, behind a Transpose): the scale
/// commutes with the fc, the shift becomes a constant map, exactly:
///   fc(x * s + t) = fc_nobias(x) * s + (t (x) rowsum(W) + b).
struct FoldAffineThroughFcRows : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    auto a = affineOf(op);
    if (!a)
      return rewriter.notifyMatchFailure(op, "parameters are not constants");
    auto target = rowsFcBelow(op.getResult(), *a);
    if (!target)
      return rewriter.notifyMatchFailure(
          op, "no fc below a single-use chain reads it on another axis");
    Operation *user = *op->getUsers().begin();
    if (!isa<FcOp>(user)) {
      // Sink one view at a time; the next match continues below it.
      rewriter.replaceOp(user, sinkBelowView(rewriter, op, user, *a));
      return success();
    }
    auto fc = cast<FcOp>(user);
    auto w = constantTensor(fc.getWeight());
    auto b = constantTensor(fc.getBias());
    if (!w || (fc.getBias() && !b))
      return rewriter.notifyMatchFailure(op, "weights are not constants");
    int64_t m = w->shape[0], k = w->shape[1], c = a->scale.size();
    ArrayRef<int64_t> out = shapeOf(fc);
    SmallVector<int64_t> mapShape(out.size(), 1);
    mapShape[a->axis] = c;
    mapShape.back() = m;
    Tensor bias = filledTensor(mapShape, 0.0f);
    for (int64_t j = 0; j < m; ++j) {
      double rowsum = 0;
      for (int64_t i = 0; i < k; ++i)
        rowsum += w->data[j * k + i];
      for (int64_t ch = 0; ch < c; ++ch)
        bias.data[ch * m + j] = a->shift[ch] * rowsum + (b ? b->data[j] : 0.0);
    }
    Location loc = foldedLoc(kFoldBatchNorm, fc.getLoc(), {op.getLoc()});
    rewriter.setInsertionPoint(fc);
    Value y = rewriter.create<FcOp>(loc, fc.getType(), op.getInput(),
                                    fc.getWeight(), Value());
    std::vector<float> zero(c, 0.0f);
    y = createAffine(rewriter, op.getLoc(), y, a->scale, zero, a->axis);
    y = rewriter.create<AddOp>(loc, fc.getType(), y,
                               createConstant(rewriter, loc, bias));
    rewriter.replaceOp(fc, y);
    return success();
  }
};

/// affine(affine'(u) + c) with constant c -> affine(affine'(u)) + s * c, so
/// the two affines meet (ResMLP's layer-scale after the token mixing).
struct DistributeAffineOverConstantAdd : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    auto add = op.getInput().getDefiningOp<AddOp>();
    if (!add || !add->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is no single-use add");
    Value u = add.getLhs();
    auto c = constantTensor(add.getRhs());
    if (!c) {
      u = add.getRhs();
      c = constantTensor(add.getLhs());
    }
    auto inner = u.getDefiningOp<ChannelAffineOp>();
    auto a = affineOf(op);
    if (!c || !a || u.getType() != add.getType() || !inner ||
        !inner->hasOneUse() || (int64_t)inner.getAxis() != a->axis)
      return rewriter.notifyMatchFailure(
          op, "not an affine of (affine on the same axis + constant)");
    // s * c, with c broadcast along the affine's axis.
    size_t rank = shapeOf(u).size();
    SmallVector<int64_t> shape(rank - c->shape.size(), 1);
    shape.append(c->shape.begin(), c->shape.end());
    shape[a->axis] = a->scale.size();
    Tensor scaled = *broadcastTo(*c, shape);
    forEachIndex(shape, [&](int64_t i, ArrayRef<int64_t> idx) {
      scaled.data[i] *= a->scale[idx[a->axis]];
    });
    Value y = rewriter.create<ChannelAffineOp>(op.getLoc(), op.getType(), u,
                                               op.getScale(), op.getShift(),
                                               op.getAxisAttr());
    rewriter.replaceOpWithNewOp<AddOp>(
        op, op.getType(), y, createConstant(rewriter, add.getLoc(), scaled));
    return success();
  }
};

/// layer_norm(x, g, b) over the last axis, when the affine it ends with can
/// go forward into every fc it reaches -> channel_affine(layer_norm(x, 1,
/// 0), g, b), which the patterns above fold on: LN(x) g + b into the next
/// Linear is exact, W' = W diag(g), b' = c + W b (the channel MLPs' pre-
/// norms of MLP-Mixer, gMLP and ConvMLP; the head through the token mean).
/// Not before a token-mixing fc: its weights mix tokens, so the scale would
/// only move behind it as a standalone affine plus a constant map, more
/// work than the norm's own multiply-add.
struct SplitLayerNormAffine : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    int64_t rank = shapeOf(op.getInput()).size();
    if ((int64_t)op.getAxis() != rank - 1)
      return rewriter.notifyMatchFailure(
          op, "normalizes more than the last axis: no per-channel affine");
    auto g = constantTensor(op.getScale()), b = constantTensor(op.getBias());
    if (!g || !b)
      return rewriter.notifyMatchFailure(op, "scale or bias not constant");
    if (llvm::all_of(g->data, [](float v) { return v == 1; }) &&
        llvm::all_of(b->data, [](float v) { return v == 0; }))
      return rewriter.notifyMatchFailure(op, "no affine left");
    Affine a{rank - 1, g->data, b->data};
    bool forward =
        !op->use_empty() && llvm::all_of(op->getUses(), [&](OpOperand &use) {
          return absorbs(use, a);
        });
    if (!forward)
      return rewriter.notifyMatchFailure(
          op, "a use reaches no fc that can take its affine");
    Location loc = op.getLoc();
    Tensor ones = filledTensor(g->shape, 1.0f),
           zeros = filledTensor(b->shape, 0.0f);
    Value plain = rewriter.create<LayerNormOp>(
        loc, op.getType(), op.getInput(), createConstant(rewriter, loc, ones),
        createConstant(rewriter, loc, zeros), op.getAxisAttr(),
        op.getEpsilonAttr());
    rewriter.replaceOp(
        op, createAffine(rewriter, loc, plain, g->data, b->data, rank - 1));
    return success();
  }
};

/// A scalar scale after a matmul of two activations (attention's
/// `q @ k^T * d^-0.5`) moves onto the operand that a conv or fc produces,
/// through single-use views and a slice: `(s q) @ k = s (q @ k)`. There
/// FoldAffineIntoProducer, HoistAffineAboveView and FoldScaleIntoSlicedFc
/// fold it into the Q projection.
struct MoveScaleToMatmulOperand : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;

  /// Whether `v` is computed by a conv or fc through single-use views and
  /// at most one slice of (a view of) it.
  static bool reachesLinear(Value v) {
    for (int depth = 0; depth < 8; ++depth) {
      Operation *def = v.getDefiningOp();
      if (isa_and_nonnull<Conv2dOp, FcOp>(def))
        return true;
      if (isa_and_nonnull<SliceOp>(def)) {
        // The projection's output may have other readers (a conv branch
        // on the v channels): FoldScaleIntoSlicedFc checks they are
        // slices of other channels.
        Value in = def->getOperand(0);
        for (int n = 0; n < 8 && isa_and_nonnull<ReshapeOp, TransposeOp>(
                                     in.getDefiningOp());
             ++n) {
          Value next = in.getDefiningOp()->getOperand(0);
          if (!next.hasOneUse() &&
              !isa_and_nonnull<Conv2dOp, FcOp>(next.getDefiningOp()))
            return false;
          in = next;
        }
        return isa_and_nonnull<Conv2dOp, FcOp>(in.getDefiningOp());
      }
      if (!isa_and_nonnull<ReshapeOp, TransposeOp>(def) || !v.hasOneUse())
        return false;
      v = def->getOperand(0);
    }
    return false;
  }

  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    auto mm = op.getInput().getDefiningOp<MatmulOp>();
    if (!mm || !mm->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is no single-use matmul");
    auto a = affineOf(op);
    if (!a || !a->isUniform() || !a->shiftIsZero())
      return rewriter.notifyMatchFailure(op, "not a scalar scale");
    for (int i = 0; i < 2; ++i) {
      Value side = mm->getOperand(i);
      if (!side.hasOneUse() || !reachesLinear(side))
        continue;
      rewriter.setInsertionPoint(mm);
      ArrayRef<int64_t> shape = shapeOf(side);
      int64_t axis = shape.size() - 1;
      Affine moved = a->uniformOn(axis, shape[axis]);
      Value scaled = createAffine(rewriter, op.getLoc(), side, moved.scale,
                                  moved.shift, axis);
      SmallVector<Value> operands = {mm.getLhs(), mm.getRhs()};
      operands[i] = scaled;
      rewriter.replaceOpWithNewOp<MatmulOp>(op, op.getType(), operands[0],
                                            operands[1]);
      return success();
    }
    return rewriter.notifyMatchFailure(
        op, "no operand of the matmul comes from a conv or fc");
  }
};

/// A scalar scale on a slice of a conv's or fc's output (or of a view of
/// it), whose other readers are slices of other output channels (the q
/// part of a fused qkv projection; Container's MixBlock also reads the v
/// channels of its qkv 1x1 conv directly): the rows of the producer for
/// those channels take the scale.
struct FoldScaleIntoSlicedFc : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    auto slice = op.getInput().getDefiningOp<SliceOp>();
    if (!slice || !slice->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is no single-use slice");
    auto a = affineOf(op);
    if (!a || !a->isUniform() || !a->shiftIsZero())
      return rewriter.notifyMatchFailure(op, "not a scalar scale");
    // The slice reads x, a chain of single-use views of the producer's
    // output (the qkv projection reshaped and transposed into heads).
    Value x = slice.getInput();
    SmallVector<Operation *> views;
    Value out = x;
    while (isa_and_nonnull<ReshapeOp, TransposeOp>(out.getDefiningOp()) &&
           views.size() < 8) {
      views.push_back(out.getDefiningOp());
      out = views.back()->getOperand(0);
      if (!out.hasOneUse() &&
          !isa_and_nonnull<Conv2dOp, FcOp>(out.getDefiningOp()))
        return rewriter.notifyMatchFailure(op, "a view has other uses");
    }
    Operation *producer = out.getDefiningOp();
    if (!isa_and_nonnull<Conv2dOp, FcOp>(producer))
      return rewriter.notifyMatchFailure(op, "the slice reads no conv or fc");
    auto w = constantTensor(producer->getOperand(1));
    Value biasVal =
        producer->getNumOperands() > 2 ? producer->getOperand(2) : Value();
    auto b = constantTensor(biasVal);
    if (!w || (biasVal && !b))
      return rewriter.notifyMatchFailure(op, "weights are not constants");
    // The output channel of every element of the producer's output, traced
    // through the views.
    int64_t features = w->shape[0];
    ArrayRef<int64_t> outShape = shapeOf(out);
    int64_t inner = 1;
    if (isa<Conv2dOp>(producer))
      inner = product(outShape.drop_front(2));
    Tensor base = filledTensor(outShape, 0.0f);
    for (size_t i = 0; i < base.data.size(); ++i)
      base.data[i] = (i / inner) % features;
    Tensor ids = base;
    for (Operation *view : llvm::reverse(views)) {
      auto traced = evaluate(view, {&ids});
      if (failed(traced))
        return rewriter.notifyMatchFailure(op, "a view cannot be traced");
      ids = std::move(*traced);
    }
    auto featuresOf = [](Operation *user, const Tensor &at)
        -> std::optional<DenseSet<int64_t>> {
      auto read = evaluate(user, {&at});
      if (failed(read))
        return std::nullopt;
      DenseSet<int64_t> set;
      for (float f : read->data)
        set.insert((int64_t)f);
      return set;
    };
    auto mine = featuresOf(slice, ids);
    if (!mine)
      return rewriter.notifyMatchFailure(op, "the slice cannot be traced");
    // Every other reader, of x or of the producer's output beside the
    // views, is a slice of other channels.
    auto othersDisjoint = [&](Value v, Operation *skip,
                              const Tensor &at) -> const char * {
      for (Operation *user : v.getUsers()) {
        if (user == skip)
          continue;
        if (!isa<SliceOp>(user))
          return "the producer has readers other than slices";
        auto theirs = featuresOf(user, at);
        if (!theirs ||
            llvm::any_of(*theirs, [&](int64_t f) { return mine->contains(f); }))
          return "another slice reads the same features";
      }
      return nullptr;
    };
    const char *why = othersDisjoint(x, slice, ids);
    if (!why && !views.empty())
      why = othersDisjoint(out, views.back(), base);
    if (why)
      return rewriter.notifyMatchFailure(op, why);
    float s = a->scale[0];
    int64_t k = w->numel() / features;
    for (int64_t f : *mine) {
      for (int64_t j = 0; j < k; ++j)
        w->data[f * k + j] *= s;
      if (b)
        b->data[f] *= s;
    }
    Location loc = foldedLoc(kFoldBatchNorm, producer->getLoc(), {op.getLoc()});
    rewriter.setInsertionPoint(producer);
    Value nw = createConstant(rewriter, loc, *w);
    Value nb = b ? createConstant(rewriter, loc, *b) : Value();
    Operation *scaled;
    if (auto conv = dyn_cast<Conv2dOp>(producer))
      scaled = rewriter.create<Conv2dOp>(
          loc, conv.getType(), conv.getInput(), nw, nb, conv.getStrides(),
          conv.getPads(), conv.getDilations(), conv.getGroups());
    else
      scaled = rewriter.create<FcOp>(loc, producer->getResult(0).getType(),
                                     producer->getOperand(0), nw, nb);
    rewriter.replaceAllUsesWith(producer->getResult(0), scaled->getResult(0));
    rewriter.eraseOp(producer);
    rewriter.replaceOp(op, slice.getResult());
    return success();
  }
};

/// A scalar scale s on a value that reaches a conv or fc through a chain of
/// single-use views, matmuls of two activations and adds folds into that
/// conv or fc, exactly: a view and a matmul are linear, so they carry s
/// unchanged, and an add carries it when its other side w takes 1/s,
/// `s u + w = s (u + w / s)`: a constant is divided, a conv, fc or affine
/// only the add reads gets a `1/s` affine that folds into it. Container's
/// mixing coefficients: `conv2(sigmoid(a) sa + (1 - sigmoid(a)) dw(v))`
/// (the second scale already in the depthwise conv), and the full block's
/// `(alpha softmax(q k^T) + beta A_static) v`, through the matmul and the
/// heads' views, into the output 1x1 conv.
struct SinkScalarScaleIntoConsumer : OpRewritePattern<ChannelAffineOp> {
  using OpRewritePattern::OpRewritePattern;

  /// Whether `w` folds a scale it gets: a constant, or a conv, fc or affine
  /// with constant parameters that only the add reads.
  static bool takesScale(Value w) {
    if (constantTensor(w))
      return true;
    Operation *def = w.getDefiningOp();
    if (!def || !w.hasOneUse())
      return false;
    if (isa<Conv2dOp, FcOp>(def))
      return isConstant(def->getOperand(1)) &&
             (def->getNumOperands() < 3 || isConstant(def->getOperand(2)));
    if (auto aff = dyn_cast<ChannelAffineOp>(def))
      return affineOf(aff).has_value();
    return false;
  }

  LogicalResult matchAndRewrite(ChannelAffineOp op,
                                PatternRewriter &rewriter) const override {
    auto a = affineOf(op);
    if (!a || !a->isUniform() || !a->shiftIsZero() || a->isIdentity())
      return rewriter.notifyMatchFailure(op, "not a scalar scale");
    float s = a->scale[0], inv = 1.0f / s;
    if (s == 0 || !std::isfinite(inv))
      return rewriter.notifyMatchFailure(op, "a zero scale has no inverse");
    if (Operation *def = op.getInput().getDefiningOp();
        isa_and_nonnull<Conv2dOp, FcOp, ChannelAffineOp>(def) &&
        def->hasOneUse())
      return rewriter.notifyMatchFailure(op, "folds into its producer");
    // The path: every value on it has one use, and only the adds change.
    SmallVector<OpOperand *> adds;
    bool linear = false;
    Value v = op.getResult();
    Operation *consumer = nullptr;
    for (int depth = 0; depth < 32 && !consumer; ++depth) {
      if (!v.hasOneUse())
        return rewriter.notifyMatchFailure(op, "a value on the way has other "
                                               "uses");
      OpOperand &use = *v.getUses().begin();
      Operation *user = use.getOwner();
      if (isa<Conv2dOp, FcOp>(user)) {
        Value bias = user->getNumOperands() > 2 ? user->getOperand(2) : Value();
        if (use.getOperandNumber() != 0 || !isConstant(user->getOperand(1)) ||
            (bias && !isConstant(bias)))
          return rewriter.notifyMatchFailure(op, "the conv or fc has weights "
                                                 "that are not constants");
        consumer = user;
      } else if (isa<ReshapeOp, TransposeOp>(user)) {
        v = user->getResult(0);
      } else if (isa<MatmulOp>(user)) {
        linear = true;
        v = user->getResult(0);
      } else if (auto add = dyn_cast<AddOp>(user)) {
        OpOperand &other = add->getOpOperand(1 - use.getOperandNumber());
        if (!takesScale(other.get()))
          return rewriter.notifyMatchFailure(
              op, "an add's other side cannot take the inverse scale");
        adds.push_back(&other);
        linear = true;
        v = add.getResult();
      } else {
        return rewriter.notifyMatchFailure(
            op, "the path reaches no conv or fc (a nonlinearity or another "
                "op)");
      }
    }
    if (!consumer)
      return rewriter.notifyMatchFailure(op, "the path is too long");
    if (!linear)
      return rewriter.notifyMatchFailure(
          op, "views only: FoldAffineIntoConsumers takes it");
    // The other side of each add takes 1/s.
    for (OpOperand *other : adds) {
      Value w = other->get();
      Operation *add = other->getOwner();
      rewriter.setInsertionPoint(add);
      Value scaled;
      if (auto c = constantTensor(w)) {
        for (float &x : c->data)
          x /= s;
        scaled = createConstant(rewriter, op.getLoc(), *c);
      } else {
        Operation *def = w.getDefiningOp();
        int64_t rank = shapeOf(w).size();
        int64_t axis = isa<Conv2dOp>(def) ? 1
                       : isa<FcOp>(def)   ? rank - 1
                                          : cast<ChannelAffineOp>(def).getAxis();
        Affine back = a->uniformOn(axis, shapeOf(w)[axis]);
        std::fill(back.scale.begin(), back.scale.end(), inv);
        scaled = createAffine(rewriter, op.getLoc(), w, back.scale, back.shift,
                              axis);
      }
      rewriter.modifyOpInPlace(add, [&] { other->set(scaled); });
    }
    // The consumer takes s on its input channels.
    Value x = consumer->getOperand(0);
    int64_t rank = shapeOf(x).size();
    int64_t axis = isa<Conv2dOp>(consumer) ? 1 : rank - 1;
    Value folded = foldIntoConsumer(rewriter, consumer, x,
                                    a->uniformOn(axis, shapeOf(x)[axis]),
                                    op.getLoc());
    rewriter.replaceOp(consumer, folded);
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

struct FoldBatchNormPass : rep::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFoldBatchNormPatterns(patterns);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void mlir::rep::populateFoldBatchNormPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldAffineIntoProducer, FoldAffineIntoConsumers,
               HoistAffineAboveView, FoldAffineThroughFcRows,
               DistributeAffineOverConstantAdd, SplitLayerNormAffine,
               MoveScaleToMatmulOperand, FoldScaleIntoSlicedFc,
               SinkScalarScaleIntoConsumer>(
      patterns.getContext());
}
