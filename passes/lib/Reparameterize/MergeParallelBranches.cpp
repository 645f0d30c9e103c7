//===- MergeParallelBranches.cpp - sum parallel branches into one conv ----===//
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
#define GEN_PASS_DEF_MERGEPARALLELBRANCHES
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// One leaf of an add tree, as a conv of `input`: a real conv, the input
/// itself (identity) or a per-channel affine of it (a 1x1 depthwise conv).
struct Branch {
  Value value; // what the add tree reads
  float sign;  // -1 for the subtrahend of a sub
  Value input;
  Tensor weight;
  std::optional<Tensor> bias;
  SmallVector<int64_t> strides, pads, dilations;
  int64_t groups;
  std::optional<Location> loc; // none for the identity
  int64_t flops = 0;
};

/// A conv read by the add tree alone is a conv branch; any other value
/// (a conv output the block also reads elsewhere, an activation) is the
/// identity branch of itself.
std::optional<Branch> asBranch(Value v, float sign) {
  ArrayRef<int64_t> shape = shapeOf(v);
  if (shape.size() != 4)
    return std::nullopt;
  Operation *def = v.getDefiningOp();
  auto conv = dyn_cast_or_null<Conv2dOp>(def);
  auto w = conv ? constantTensor(conv.getWeight()) : std::nullopt;
  auto b = conv ? constantTensor(conv.getBias()) : std::nullopt;
  if (conv && w && (!conv.getBias() || b) && def->hasOneUse()) {
    return Branch{v,
                  sign,
                  conv.getInput(),
                  *w,
                  b,
                  SmallVector<int64_t>(conv.getStrides()),
                  SmallVector<int64_t>(conv.getPads()),
                  SmallVector<int64_t>(conv.getDilations()),
                  (int64_t)conv.getGroups(),
                  conv.getLoc(),
                  convFlops(shape, w->shape)};
  }
  int64_t c = shape[1];
  Branch id{v,
            sign,
            v,
            filledTensor({c, 1, 1, 1}, 1.0f),
            std::nullopt,
            {1, 1},
            {0, 0, 0, 0},
            {1, 1},
            c,
            std::nullopt,
            0};
  if (auto affine = dyn_cast_or_null<ChannelAffineOp>(def)) {
    auto s = constantTensor(affine.getScale());
    auto t = constantTensor(affine.getShift());
    if (affine.getAxis() != 1 || !s || !t || !def->hasOneUse())
      return id;
    id.input = affine.getInput();
    id.weight.data = s->data;
    id.bias = *t;
    id.loc = affine.getLoc();
    return id;
  }
  return id;
}

bool isOneByOne(const Branch &b) {
  return b.weight.shape[2] == 1 && b.weight.shape[3] == 1;
}

/// Whether `op` is an add or sub whose operands and result share one type.
bool isSumNode(Operation *op) {
  if (!isa_and_nonnull<AddOp, SubOp>(op))
    return false;
  Type t = op->getResult(0).getType();
  return op->getOperand(0).getType() == t && op->getOperand(1).getType() == t;
}

/// The leaves of the add/sub tree rooted at `root`, each with its sign:
/// operands of single-use adds and subs of the same type, recursively.
void collectLeaves(Operation *node, float sign,
                   SmallVectorImpl<std::pair<Value, float>> &leaves,
                   SmallVectorImpl<Operation *> &nodes) {
  nodes.push_back(node);
  float signs[2] = {sign, isa<SubOp>(node) ? -sign : sign};
  for (int i = 0; i < 2; ++i) {
    Value v = node->getOperand(i);
    Operation *inner = v.getDefiningOp();
    if (inner && inner->hasOneUse() && isSumNode(inner) &&
        v.getType() == node->getResult(0).getType())
      collectLeaves(inner, signs[i], leaves, nodes);
    else
      leaves.push_back({v, signs[i]});
  }
}

/// One leaf of a sum as an fc of `input` (any rank, features last): a
/// real fc, a per-channel affine on the last axis (a diagonal fc), or the
/// input itself (the identity matrix).
struct FcBranch {
  Value value;
  float sign;
  Value input;
  Tensor weight; // [out, in]
  std::optional<Tensor> bias;
  std::optional<Location> loc;
  bool isFc;
};

FcBranch asFcBranch(Value v, float sign) {
  ArrayRef<int64_t> shape = shapeOf(v);
  int64_t n = shape.empty() ? 1 : shape.back();
  Operation *def = v.getDefiningOp();
  if (auto fc = dyn_cast_or_null<FcOp>(def)) {
    auto w = constantTensor(fc.getWeight());
    auto b = constantTensor(fc.getBias());
    if (w && (!fc.getBias() || b) && def->hasOneUse())
      return FcBranch{v, sign, fc.getInput(), *w, b, fc.getLoc(), true};
  }
  FcBranch id{
      v,    sign, v, filledTensor({n, n}, 0.0f), std::nullopt, std::nullopt,
      false};
  for (int64_t i = 0; i < n; ++i)
    id.weight.data[i * n + i] = 1.0f;
  if (auto affine = dyn_cast_or_null<ChannelAffineOp>(def)) {
    auto s = constantTensor(affine.getScale());
    auto t = constantTensor(affine.getShift());
    if (!shape.empty() && affine.getAxis() == shape.size() - 1 && s && t &&
        def->hasOneUse()) {
      id.input = affine.getInput();
      for (int64_t i = 0; i < n; ++i)
        id.weight.data[i * n + i] = s->data[i];
      id.bias = *t;
      id.loc = affine.getLoc();
    }
  }
  return id;
}

using Leaves = ArrayRef<std::pair<Value, float>>;

/// Sums the leaves of `root` that were not merged onto `merged`, with
/// their signs, and replaces the tree.
void replaceTree(Operation *root, Value merged, Leaves leaves,
                 function_ref<bool(Value)> isMerged,
                 PatternRewriter &rewriter) {
  Value sum = merged;
  Type t = root->getResult(0).getType();
  for (auto [leaf, sign] : leaves) {
    if (isMerged(leaf))
      continue;
    if (sign > 0)
      sum = rewriter.create<AddOp>(root->getLoc(), t, sum, leaf);
    else
      sum = rewriter.create<SubOp>(root->getLoc(), t, sum, leaf);
  }
  rewriter.replaceOp(root, sum);
}

/// The add/sub trees of parallel branches, rooted at an add or a sub.
template <typename OpTy> struct MergeBranches : OpRewritePattern<OpTy> {
  MergeBranches(MLIRContext *ctx, bool force)
      : OpRewritePattern<OpTy>(ctx), force(force) {}
  bool force;

  LogicalResult matchAndRewrite(OpTy root,
                                PatternRewriter &rewriter) const override {
    if (!isSumNode(root))
      return rewriter.notifyMatchFailure(root, "the add broadcasts");
    // Work on whole trees: the parent add sees every leaf.
    if (root->hasOneUse() && isSumNode(*root->getUsers().begin()) &&
        root.getType() == (*root->getUsers().begin())->getResult(0).getType())
      return rewriter.notifyMatchFailure(root, "not the root of the tree");
    SmallVector<std::pair<Value, float>> leaves;
    SmallVector<Operation *> adds;
    collectLeaves(root, 1.0f, leaves, adds);
    std::string why = "fewer than two branches read one input";
    std::vector<Branch> branches;
    for (auto [v, sign] : leaves)
      if (auto b = asBranch(v, sign))
        branches.push_back(std::move(*b));

    // Group the branches by input; merge the first group that can merge.
    DenseSet<Value> seen;
    for (const Branch &first : branches) {
      if (!seen.insert(first.input).second)
        continue;
      SmallVector<const Branch *> group;
      for (const Branch &b : branches)
        if (b.input == first.input)
          group.push_back(&b);
      if (group.size() >= 2 &&
          succeeded(merge(root, group, leaves, adds, rewriter, why)))
        return success();
    }
    if (succeeded(mergeFcs(root, leaves, adds, rewriter, why)))
      return success();
    return rewriter.notifyMatchFailure(root, why);
  }

  /// fc branches of one input (with an affine on the features or the input
  /// itself beside them): one fc with the signed sum of the matrices.
  LogicalResult mergeFcs(Operation *root, Leaves leaves,
                         ArrayRef<Operation *> adds, PatternRewriter &rewriter,
                         std::string &why) const {
    std::vector<FcBranch> branches;
    for (auto [v, sign] : leaves)
      branches.push_back(asFcBranch(v, sign));
    DenseSet<Value> seen;
    for (const FcBranch &first : branches) {
      if (!seen.insert(first.input).second)
        continue;
      SmallVector<const FcBranch *> group;
      for (const FcBranch &b : branches)
        if (b.input == first.input)
          group.push_back(&b);
      // Without an fc, an affine plus its input is an affine's job.
      if (group.size() < 2 ||
          llvm::none_of(group, [](const FcBranch *b) { return b->isFc; }))
        continue;
      ArrayRef<int64_t> wshape = group.front()->weight.shape;
      if (llvm::any_of(group, [&](const FcBranch *b) {
            return ArrayRef<int64_t>(b->weight.shape) != wshape;
          })) {
        why = "the fc branches' matrices differ in shape";
        continue;
      }
      Tensor w = filledTensor(wshape, 0.0f);
      Tensor bias = filledTensor({wshape[0]}, 0.0f);
      SmallVector<Location> from;
      for (const FcBranch *b : group) {
        for (size_t i = 0; i < w.data.size(); ++i)
          w.data[i] += b->sign * b->weight.data[i];
        if (b->bias)
          for (int64_t o = 0; o < wshape[0]; ++o)
            bias.data[o] += b->sign * b->bias->data[o];
        if (b->loc)
          from.push_back(*b->loc);
      }
      for (Operation *add : llvm::reverse(adds))
        from.push_back(add->getLoc());
      Location loc =
          foldedLoc(kMergeParallel, from.front(), ArrayRef(from).drop_front());
      rewriter.setInsertionPoint(root);
      Value merged =
          rewriter.create<FcOp>(loc, root->getResult(0).getType(), first.input,
                                createConstant(rewriter, loc, w),
                                createConstant(rewriter, loc, bias));
      replaceTree(
          root, merged, leaves,
          [&](Value leaf) {
            return llvm::any_of(
                group, [&](const FcBranch *b) { return b->value == leaf; });
          },
          rewriter);
      return success();
    }
    return failure();
  }

  LogicalResult merge(OpTy root, ArrayRef<const Branch *> group, Leaves leaves,
                      ArrayRef<Operation *> adds, PatternRewriter &rewriter,
                      std::string &why) const {
    // A conv branch fixes stride and dilation; 1x1 branches adapt.
    const Branch *lead = group.front();
    for (const Branch *b : group)
      if (!isOneByOne(*b) || b->strides != SmallVector<int64_t>{1, 1})
        lead = b;
    SmallVector<int64_t> strides = lead->strides, dil = lead->dilations;
    int64_t groups = 0;
    // Window of each branch relative to the output position, in taps.
    int64_t top = INT64_MAX, left = INT64_MAX, bottom = INT64_MIN,
            right = INT64_MIN;
    int64_t flopsBefore = 0;
    for (const Branch *b : group) {
      if (b->strides != strides) {
        why = "branch strides differ";
        return failure();
      }
      bool oneByOne = isOneByOne(*b);
      if (!oneByOne && b->dilations != dil) {
        why = "branch dilations differ";
        return failure();
      }
      for (int d = 0; d < 2; ++d)
        if (b->pads[d] % dil[d]) {
          why = "a padding is not a whole number of dilated taps";
          return failure();
        }
      top = std::min(top, -b->pads[0] / dil[0]);
      left = std::min(left, -b->pads[1] / dil[1]);
      bottom = std::max(bottom, -b->pads[0] / dil[0] + b->weight.shape[2] - 1);
      right = std::max(right, -b->pads[1] / dil[1] + b->weight.shape[3] - 1);
      groups = std::gcd(groups, b->groups);
      flopsBefore += b->flops;
    }
    ArrayRef<int64_t> in = shapeOf(lead->input), out = shapeOf(root);
    int64_t kh = bottom - top + 1, kw = right - left + 1;
    SmallVector<int64_t> pads{-top * dil[0], -left * dil[1], 0, 0};
    // The end pads that give the common output size.
    pads[2] =
        (out[2] - 1) * strides[0] + dil[0] * (kh - 1) + 1 - in[2] - pads[0];
    pads[3] =
        (out[3] - 1) * strides[1] + dil[1] * (kw - 1) + 1 - in[3] - pads[1];
    if (llvm::any_of(pads, [](int64_t p) { return p < 0; })) {
      why = "the merged window would need negative padding";
      return failure();
    }
    int64_t o = out[1], cg = in[1] / groups;
    SmallVector<int64_t> wshape{o, cg, kh, kw};
    int64_t flopsAfter = convFlops(out, wshape);
    // Identity and affine branches count no conv FLOPs: they merge for
    // free into a conv of the same cost, never into a bigger one.
    if (flopsAfter > flopsBefore && !force) {
      why = "the merged conv would cost " + std::to_string(flopsAfter) +
            " FLOPs, the branches " + std::to_string(flopsBefore) +
            " (use force to merge anyway)";
      return failure();
    }

    Tensor w = filledTensor(wshape, 0.0f);
    Tensor bias = filledTensor({o}, 0.0f);
    SmallVector<Location> from;
    for (const Branch *b : group) {
      Tensor bw = regroupWeight(b->weight, b->groups, groups);
      int64_t dy = -b->pads[0] / dil[0] - top, dx = -b->pads[1] / dil[1] - left;
      int64_t bh = bw.shape[2], bwid = bw.shape[3];
      for (int64_t oc = 0; oc < o; ++oc)
        for (int64_t ic = 0; ic < cg; ++ic)
          for (int64_t y = 0; y < bh; ++y)
            for (int64_t x = 0; x < bwid; ++x)
              w.data[((oc * cg + ic) * kh + y + dy) * kw + x + dx] +=
                  b->sign * bw.data[((oc * cg + ic) * bh + y) * bwid + x];
      if (b->bias)
        for (int64_t oc = 0; oc < o; ++oc)
          bias.data[oc] += b->sign * b->bias->data[oc];
      if (b->loc)
        from.push_back(*b->loc);
    }
    // Every add of the tree is consumed (leaves left out are re-added
    // below), so each one is part of the merge's provenance.
    for (Operation *add : llvm::reverse(adds))
      from.push_back(add->getLoc());
    Location into = from.front();
    Location loc = foldedLoc(kMergeParallel, into, ArrayRef(from).drop_front());
    rewriter.setInsertionPoint(root);
    Value merged = rewriter.create<Conv2dOp>(
        loc, root.getType(), lead->input, createConstant(rewriter, loc, w),
        createConstant(rewriter, loc, bias),
        rewriter.getDenseI64ArrayAttr(strides),
        rewriter.getDenseI64ArrayAttr(pads), rewriter.getDenseI64ArrayAttr(dil),
        rewriter.getI64IntegerAttr(groups));
    // Re-add the leaves that were not merged.
    replaceTree(
        root, merged, leaves,
        [&](Value leaf) {
          return llvm::any_of(
              group, [&](const Branch *b) { return b->value == leaf; });
        },
        rewriter);
    return success();
  }
};

struct MergeParallelBranchesPass
    : rep::impl::MergeParallelBranchesBase<MergeParallelBranchesPass> {
  using MergeParallelBranchesBase::MergeParallelBranchesBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMergeParallelBranchesPatterns(patterns, force);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace

void mlir::rep::populateMergeParallelBranchesPatterns(
    RewritePatternSet &patterns, bool force) {
  patterns.add<MergeBranches<AddOp>, MergeBranches<SubOp>>(
      patterns.getContext(), force);
}
