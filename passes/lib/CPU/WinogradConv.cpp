//===- WinogradConv.cpp - stride-1 3x3 convs as Winograd F(2x2, 3x3) ------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Each 2x2 output tile of a 3x3 conv is A^T [(G g G^T) . (B^T d B)] A for
// its 4x4 input tile d: 16 multiplies per input and output channel pair
// instead of 36. The elementwise products over all tiles and channels are
// 16 matmuls [tiles, C] x [C, F], which run at the matmul kernels' speed.
// F(2x2, 3x3) and not F(4x4, 3x3): its B and A hold only 0 and +-1, so the
// transforms only add and subtract (G halves, exactly); F(4x4)'s constants
// (1/6, 1/24, ...) round and its sums grow.
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace mlir::rep {
#define GEN_PASS_DEF_WINOGRADCONV
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

// F(2x2, 3x3), as in Lavin and Gray, "Fast Algorithms for Convolutional
// Neural Networks" (2016).
constexpr int kBT[4][4] = {
    {1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
constexpr double kG[4][3] = {
    {1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr int kAT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

/// sum_k coeffs[k] * values[k] for coefficients in {-1, 0, 1}, at least one
/// of them 1: adds and subtracts only.
Value combine(OpBuilder &b, Location loc, ArrayRef<int> coeffs,
              ArrayRef<Value> values) {
  Value acc;
  for (auto [c, v] : llvm::zip(coeffs, values))
    if (c == 1)
      acc = acc ? b.create<arith::AddFOp>(loc, acc, v) : v;
  for (auto [c, v] : llvm::zip(coeffs, values))
    if (c == -1)
      acc = b.create<arith::SubFOp>(loc, acc, v);
  return acc;
}

/// In a generic's body: `choices[i]` where i is the loop index `dim`.
Value pickBy(OpBuilder &b, Location loc, unsigned dim,
             ArrayRef<Value> choices) {
  Value index = b.create<linalg::IndexOp>(loc, dim);
  Value picked = choices.back();
  for (int64_t k = choices.size() - 2; k >= 0; --k)
    picked = b.create<arith::SelectOp>(
        loc,
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, index,
                                b.create<arith::ConstantIndexOp>(loc, k)),
        choices[k], picked);
  return picked;
}

using OffsetFn = function_ref<SmallVector<int64_t>(int64_t)>;

/// Slices `count` rank-reduced `[shape]` tensors out of `whole` at
/// `offsetOf(k)` (unit sizes where `shape` has no dim), with `strides`
/// (default 1). The transforms read them through identity maps, the only
/// kind the vectorizer takes.
SmallVector<Value> slicesOf(OpBuilder &b, Location loc, Value whole,
                            int64_t count, ArrayRef<int64_t> shape,
                            OffsetFn offsetOf, ArrayRef<int64_t> sizes,
                            ArrayRef<int64_t> strides = {}) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  SmallVector<int64_t> steps(strides);
  if (steps.empty())
    steps.assign(sizes.size(), 1);
  SmallVector<Value> slices;
  for (int64_t k = 0; k < count; ++k)
    slices.push_back(b.create<tensor::ExtractSliceOp>(
        loc, type, whole, getAsIndexOpFoldResult(b.getContext(), offsetOf(k)),
        getAsIndexOpFoldResult(b.getContext(), sizes),
        getAsIndexOpFoldResult(b.getContext(), steps)));
  return slices;
}

struct ConvToWinograd : OpRewritePattern<linalg::Conv2DNhwcHwcfOp> {
  ConvToWinograd(MLIRContext *ctx, int64_t minChannels)
      : OpRewritePattern(ctx), minChannels(minChannels) {}

  LogicalResult matchAndRewrite(linalg::Conv2DNhwcHwcfOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not on tensors");
    if (!llvm::all_of(op.getStrides().getValues<int64_t>(),
                      [](int64_t s) { return s == 1; }) ||
        !llvm::all_of(op.getDilations().getValues<int64_t>(),
                      [](int64_t d) { return d == 1; }))
      return rewriter.notifyMatchFailure(op, "strided or dilated");
    auto xType = cast<RankedTensorType>(op.getDpsInputs()[0].getType());
    auto wType = cast<RankedTensorType>(op.getDpsInputs()[1].getType());
    auto yType = cast<RankedTensorType>(op.getDpsInits()[0].getType());
    if (!xType.hasStaticShape() || !wType.hasStaticShape() ||
        !yType.hasStaticShape() || !xType.getElementType().isF32() ||
        !wType.getElementType().isF32() || !yType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "not static f32");
    ArrayRef<int64_t> w = wType.getShape(), y = yType.getShape();
    if (w[0] != 3 || w[1] != 3)
      return rewriter.notifyMatchFailure(op, "not a 3x3 filter");
    // Output tiles must cover the output exactly; odd sizes stay direct.
    if (y[1] % 2 || y[2] % 2)
      return rewriter.notifyMatchFailure(op, "odd output height or width");
    int64_t c = w[2], f = w[3], n = y[0], th = y[1] / 2, tw = y[2] / 2;
    if (std::min(c, f) < minChannels)
      return rewriter.notifyMatchFailure(
          op, "too few channels for the transforms to pay");
    DenseElementsAttr filter;
    if (!matchPattern(op.getDpsInputs()[1], m_Constant(&filter)))
      return rewriter.notifyMatchFailure(op, "filter is not a constant");

    Location loc = op.getLoc();
    Value x = op.getDpsInputs()[0];
    auto filterValues = llvm::to_vector(filter.getValues<float>());

    // U = G g G^T per channel pair, [16, C, F], in double then rounded.
    std::vector<float> u(16 * c * f);
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t fi = 0; fi < f; ++fi) {
        double g[3][3], gg[4][3] = {};
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j)
            g[i][j] = filterValues[((i * 3 + j) * c + ci) * f + fi];
        for (int a = 0; a < 4; ++a)
          for (int j = 0; j < 3; ++j)
            for (int i = 0; i < 3; ++i)
              gg[a][j] += kG[a][i] * g[i][j];
        for (int a = 0; a < 4; ++a)
          for (int bb = 0; bb < 4; ++bb) {
            double s = 0;
            for (int j = 0; j < 3; ++j)
              s += gg[a][j] * kG[bb][j];
            u[((a * 4 + bb) * c + ci) * f + fi] = s;
          }
      }

    /// Element k = i * size + j of every tile of an NHWC tensor: a
    /// [N, tH, tW, ch] view with steps of 2.
    auto tileElements = [&](Value nhwc, int64_t size, int64_t ch) {
      return slicesOf(rewriter, loc, nhwc, size * size, {n, th, tw, ch},
                      [&](int64_t k) {
                        return SmallVector<int64_t>{0, k / size, k % size, 0};
                      },
                      {n, th, tw, ch}, {1, 2, 2, 1});
    };

    // 1. V = B^T d B into [16, N, tH, tW, C], element k = a * 4 + b of
    // every tile; one generic over (k, n, th, tw, c) that computes all 16
    // and picks by k. (An output per k would need 16 tensors, or copies:
    // bufferization cannot see that writes to 16 slices are disjoint.)
    // The kernel schedule keeps k whole in the vector, so each lane's pick
    // is a constant and LLVM drops the 15 unpicked sums.
    auto f32 = rewriter.getF32Type();
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr e0, e1, e2, e3, e4, e5;
    bindDims(ctx, e0, e1, e2, e3, e4, e5);
    SmallVector<AffineMap> vMaps(16,
                                 AffineMap::get(5, 0, {e1, e2, e3, e4}, ctx));
    vMaps.push_back(rewriter.getMultiDimIdentityMap(5));
    Value vInit = rewriter.create<tensor::EmptyOp>(
        loc, ArrayRef<int64_t>{16, n, th, tw, c}, f32);
    auto vOp = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{vInit.getType()}, tileElements(x, 4, c),
        ValueRange{vInit}, vMaps,
        SmallVector<utils::IteratorType>(5, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          // t = B^T d (rows), then v = t B (columns).
          Value t[4][4], v[16];
          for (int a = 0; a < 4; ++a)
            for (int j = 0; j < 4; ++j)
              t[a][j] =
                  combine(b, l, kBT[a],
                          {args[j], args[4 + j], args[8 + j], args[12 + j]});
          for (int a = 0; a < 4; ++a)
            for (int bb = 0; bb < 4; ++bb)
              v[a * 4 + bb] = combine(b, l, kBT[bb], t[a]);
          b.create<linalg::YieldOp>(l, pickBy(b, l, 0, v));
        });

    // 2. M = V U, 16 matmuls [tiles, C] x [C, F] in one batch.
    int64_t tiles = n * th * tw;
    SmallVector<ReassociationIndices> byTile = {{0}, {1, 2, 3}, {4}};
    Value v =
        rewriter.create<tensor::CollapseShapeOp>(loc, vOp.getResult(0), byTile);
    Value uConst = rewriter.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get({16, c, f}, f32),
                                    ArrayRef<float>(u)));
    Value zero =
        rewriter.create<arith::ConstantOp>(loc, rewriter.getF32FloatAttr(0.0f));
    Value mInit = rewriter
                      .create<linalg::FillOp>(
                          loc, zero,
                          rewriter
                              .create<tensor::EmptyOp>(
                                  loc, ArrayRef<int64_t>{16, tiles, f}, f32)
                              .getResult())
                      .getResult(0);
    Value m = rewriter
                  .create<linalg::BatchMatmulOp>(
                      loc, TypeRange{mInit.getType()}, ValueRange{v, uConst},
                      ValueRange{mInit})
                  .getResult(0);
    m = rewriter.create<tensor::ExpandShapeOp>(
        loc, RankedTensorType::get({16, n, th, tw, f}, f32), m, byTile);
    SmallVector<Value> ms =
        slicesOf(rewriter, loc, m, 16, {n, th, tw, f},
                 [](int64_t k) {
                   return SmallVector<int64_t>{k, 0, 0, 0, 0};
                 },
                 {1, n, th, tw, f});

    // 3. Y = A^T M A + the accumulator, one generic over (i, j, n, th, tw,
    // f) into [N, tH, 2, tW, 2, F], which is NHWC [N, H, W, F] as it lies
    // in memory; the row and column i, j in the tile pick the sums. A bias
    // broadcast or a fill is read as the bias vector or scalar, not as a whole
    // tensor.
    SmallVector<Value> ins(ms);
    SmallVector<AffineMap> yMaps(16,
                                 AffineMap::get(6, 0, {e2, e3, e4, e5}, ctx));
    AffineMap yMap = AffineMap::get(6, 0, {e2, e3, e0, e4, e1, e5}, ctx);
    SmallVector<int64_t> tiled = {n, th, 2, tw, 2, f};
    auto tiledType = RankedTensorType::get(tiled, f32);
    SmallVector<ReassociationIndices> byRow = {{0}, {1, 2}, {3, 4}, {5}};
    Value init = op.getDpsInits()[0];
    Value scalarInit;
    enum { kNone, kScalar, kBias, kWhole } initKind = kWhole;
    if (auto bc = init.getDefiningOp<linalg::BroadcastOp>();
        bc && bc.getDimensions() == ArrayRef<int64_t>{0, 1, 2}) {
      initKind = kBias;
      ins.push_back(bc.getInput());
      yMaps.push_back(AffineMap::get(6, 0, {e5}, ctx));
    } else if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
      scalarInit = fill.getInputs()[0];
      initKind = matchPattern(scalarInit, m_AnyZeroFloat()) ? kNone : kScalar;
    } else {
      ins.push_back(
          rewriter.create<tensor::ExpandShapeOp>(loc, tiledType, init, byRow));
      yMaps.push_back(yMap);
    }
    yMaps.push_back(yMap);
    Value yInit = rewriter.create<tensor::EmptyOp>(loc, tiled, f32);
    auto yOp = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{tiledType}, ins, ValueRange{yInit}, yMaps,
        SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          // t = M A (columns), then y = A^T t (rows); A's two columns are
          // the two choices for the tile's column j, and A^T's rows for i.
          auto pick = [&](unsigned dim, ArrayRef<Value> values) {
            return pickBy(
                b, l, dim,
                {combine(b, l, kAT[0], values), combine(b, l, kAT[1], values)});
          };
          Value t[4];
          for (int a = 0; a < 4; ++a)
            t[a] = pick(1, SmallVector<Value>(args.slice(a * 4, 4)));
          Value s = pick(0, t);
          if (initKind == kScalar)
            s = b.create<arith::AddFOp>(l, scalarInit, s);
          else if (initKind != kNone)
            s = b.create<arith::AddFOp>(l, args[16], s);
          b.create<linalg::YieldOp>(l, s);
        });
    Value result = rewriter.create<tensor::CollapseShapeOp>(
        loc, yType, yOp.getResult(0), byRow);
    rewriter.replaceOp(op, result);
    return success();
  }

  int64_t minChannels;
};

struct WinogradConvPass : rep::impl::WinogradConvBase<WinogradConvPass> {
  using WinogradConvBase::WinogradConvBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ConvToWinograd>(&getContext(), minChannels);
    if (failed(applyRepPatterns(getOperation(), std::move(patterns),
                                getArgument())))
      signalPassFailure();
  }
};

} // namespace
