//===- LowerToLinalg.cpp - rep ops to linalg on tensors, with layouts ------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every rep value gets a physical layout: a permutation of its logical
// (NCHW, ONNX) dims. Convs and pools produce channels-last (NHWC), the layout
// the register-tiled kernels want; elementwise ops take the layout of their
// full-size operand and read the others through broadcasting maps; a
// transpose only relabels dims; an fc multiplies along whichever physical dim
// holds its reduced dim. A copy (linalg.transpose) is made only where an op
// needs a layout its operand does not have: at the function boundary,
// before reshapes, and before a conv whose input is not channels-last.
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>
#include <numeric>

namespace mlir::rep {
#define GEN_PASS_DEF_LOWERTOLINALG
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

using Perm = SmallVector<int64_t>;

Perm identity(int64_t rank) {
  Perm p(rank);
  std::iota(p.begin(), p.end(), 0);
  return p;
}

Perm inverse(ArrayRef<int64_t> p) {
  Perm inv(p.size());
  for (size_t i = 0; i < p.size(); ++i)
    inv[p[i]] = i;
  return inv;
}

const Perm kNhwc = {0, 2, 3, 1};

/// A lowered value: physical dim j holds logical dim perm[j].
struct Phys {
  Value value;
  Perm perm;
};

SmallVector<int64_t> permuted(ArrayRef<int64_t> logical, ArrayRef<int64_t> p) {
  SmallVector<int64_t> out;
  for (int64_t d : p)
    out.push_back(logical[d]);
  return out;
}

RankedTensorType f32Tensor(ArrayRef<int64_t> shape, MLIRContext *ctx) {
  return RankedTensorType::get(shape, Float32Type::get(ctx));
}

class Lowering {
public:
  Lowering(func::FuncOp func) : func(func), b(func.getContext()) {}

  LogicalResult run();

private:
  // Values and layouts.
  Phys lookup(Value v);
  Value inLayout(Location loc, Value v, ArrayRef<int64_t> perm);
  Value empty(Location loc, ArrayRef<int64_t> shape) {
    return b.create<tensor::EmptyOp>(loc, shape, b.getF32Type());
  }
  Value constant(Location loc, ArrayRef<int64_t> shape, ArrayRef<float> data);
  Value filled(Location loc, ArrayRef<int64_t> shape, float value);
  Value broadcastBias(Location loc, ArrayRef<float> bias,
                      ArrayRef<int64_t> shape);
  Value collapseAll(Location loc, Value v);
  Value sliceLast(Location loc, Value v, int64_t n);
  Value reshapeContiguous(Location loc, Value v, ArrayRef<int64_t> shape);

  using Body = function_ref<Value(OpBuilder &, Location, ValueRange)>;
  Phys elementwise(Location loc, ArrayRef<Value> operands,
                   ArrayRef<int64_t> outShape, Body body);
  /// y = x * scale + shift, per channel along the dims `shape` spans
  /// (the channel first, then ones).
  void scaleShift(Location loc, Value input, Value output,
                  ArrayRef<int64_t> shape, ArrayRef<float> scale,
                  ArrayRef<float> shift);

  // One lowering per op kind.
  LogicalResult lower(Operation *op);
  LogicalResult lowerConv(Conv2dOp op);
  LogicalResult lowerFc(FcOp op);
  LogicalResult lowerMatmul(MatmulOp op);
  LogicalResult lowerPool(Operation *op, Value input, ArrayRef<int64_t> kernel,
                          ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                          bool isMax, bool countPad);
  LogicalResult lowerGlobalAvgPool(GlobalAvgPoolOp op);
  LogicalResult lowerReduceMean(ReduceMeanOp op);
  LogicalResult lowerLayerNorm(LayerNormOp op);
  LogicalResult lowerConcat(ConcatOp op);
  template <typename ArithOp, typename RepOp>
  LogicalResult lowerBinary(RepOp op) {
    env[op.getOutput()] = elementwise(
        op.getLoc(), {op.getLhs(), op.getRhs()}, shapeOf(op.getOutput()),
        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return nb.create<ArithOp>(nl, a[0], a[1]);
        });
    return success();
  }
  /// An op that is one math op per element.
  template <typename MathOp> LogicalResult lowerMath(Operation *op) {
    env[op->getResult(0)] = elementwise(
        op->getLoc(), {op->getOperand(0)}, shapeOf(op->getResult(0)),
        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return nb.create<MathOp>(nl, a[0]);
        });
    return success();
  }
  LogicalResult lowerSlice(SliceOp op);
  LogicalResult lowerPad(PadOp op);
  Value reduceSum(Location loc, Value x, ArrayRef<bool> reduced,
                  ArrayRef<int64_t> outShape, bool keep, bool max = false);
  Value reduceKept(Location loc, Value x, ArrayRef<bool> reduced,
                   ArrayRef<int64_t> outShape, bool keep, bool max);
  template <typename RepOp> LogicalResult lowerReduce(RepOp op, bool max);

  func::FuncOp func;
  OpBuilder b;
  DenseMap<Value, Phys> env;
};

/// Constants are materialized where they are first read as activations;
/// weights are repacked by the op that owns them and never copied here.
Phys Lowering::lookup(Value v) {
  auto it = env.find(v);
  if (it != env.end())
    return it->second;
  auto t = constantTensor(v);
  assert(t && "operand lowered before use or a rep constant");
  Phys p{constant(v.getLoc(), t->shape, t->data), identity(t->shape.size())};
  env[v] = p;
  return p;
}

Value Lowering::inLayout(Location loc, Value v, ArrayRef<int64_t> perm) {
  Phys p = lookup(v);
  if (ArrayRef<int64_t>(p.perm) == perm)
    return p.value;
  // result dim i = input dim t[i]: the input dim holding logical perm[i].
  Perm where = inverse(p.perm), t;
  for (int64_t d : perm)
    t.push_back(where[d]);
  SmallVector<int64_t> shape = permuted(shapeOf(v), perm);
  return b.create<linalg::TransposeOp>(loc, p.value, empty(loc, shape), t)
      ->getResult(0);
}

Value Lowering::constant(Location loc, ArrayRef<int64_t> shape,
                         ArrayRef<float> data) {
  auto type = f32Tensor(shape, b.getContext());
  return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(type, data));
}

Value Lowering::filled(Location loc, ArrayRef<int64_t> shape, float value) {
  Value c = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(value));
  return b.create<linalg::FillOp>(loc, c, empty(loc, shape)).getResult(0);
}

/// `shape` filled with bias along its last dim.
Value Lowering::broadcastBias(Location loc, ArrayRef<float> bias,
                              ArrayRef<int64_t> shape) {
  if (bias.empty())
    return filled(loc, shape, 0.0f);
  Value c = constant(loc, {(int64_t)bias.size()}, bias);
  int64_t rank = shape.size();
  return b
      .create<linalg::BroadcastOp>(loc, c, empty(loc, shape),
                                   llvm::to_vector(llvm::seq<int64_t>(
                                       0, rank - 1)))
      ->getResult(0);
}

/// Channel counts the vector kernels want: whole 16-float vectors.
int64_t padToVector(int64_t n) { return n % 16 ? (n / 16 + 1) * 16 : n; }

/// The first `n` entries of the last dim.
Value Lowering::sliceLast(Location loc, Value v, int64_t n) {
  auto shape = cast<RankedTensorType>(v.getType()).getShape();
  SmallVector<OpFoldResult> off(shape.size(), b.getIndexAttr(0)), sizes,
      one(shape.size(), b.getIndexAttr(1));
  SmallVector<int64_t> out(shape);
  out.back() = n;
  for (int64_t d : out)
    sizes.push_back(b.getIndexAttr(d));
  return b.create<tensor::ExtractSliceOp>(loc, f32Tensor(out, b.getContext()),
                                          v, off, sizes, one);
}

Value Lowering::collapseAll(Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 1)
    return v;
  ReassociationIndices all = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  return b.create<tensor::CollapseShapeOp>(loc, v,
                                           ArrayRef<ReassociationIndices>{all});
}

/// A row-major reshape: a view once bufferized.
Value Lowering::reshapeContiguous(Location loc, Value v,
                                  ArrayRef<int64_t> shape) {
  if (cast<RankedTensorType>(v.getType()).getShape() == shape)
    return v;
  Value flat = collapseAll(loc, v);
  if (shape.size() == 1)
    return flat;
  if (shape.empty())
    return b.create<tensor::CollapseShapeOp>(
        loc, flat, ArrayRef<ReassociationIndices>{});
  ReassociationIndices all = llvm::to_vector(llvm::seq<int64_t>(0, shape.size()));
  return b.create<tensor::ExpandShapeOp>(loc, f32Tensor(shape, b.getContext()),
                                         flat,
                                         ArrayRef<ReassociationIndices>{all});
}

/// A linalg.generic over the output's physical dims; the output takes the
/// layout of the first operand with the full shape, the others are read
/// through broadcasting maps in whatever layout they have.
void Lowering::scaleShift(Location loc, Value input, Value output,
                          ArrayRef<int64_t> shape, ArrayRef<float> scale,
                          ArrayRef<float> shift) {
  Value scv = constant(loc, shape, scale), shv = constant(loc, shape, shift);
  env[scv] = {scv, identity(shape.size())};
  env[shv] = {shv, identity(shape.size())};
  env[output] = elementwise(
      loc, {input, scv, shv}, shapeOf(output),
      [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value m = nb.create<arith::MulFOp>(nl, a[0], a[1]);
        return nb.create<arith::AddFOp>(nl, m, a[2]);
      });
}

Phys Lowering::elementwise(Location loc, ArrayRef<Value> operands,
                           ArrayRef<int64_t> outShape, Body body) {
  int64_t rank = outShape.size();
  Perm outPerm = identity(rank);
  for (Value v : operands)
    if (shapeOf(v) == outShape) {
      outPerm = lookup(v).perm;
      break;
    }
  Perm where = inverse(outPerm); // logical dim -> loop dim
  SmallVector<AffineMap> maps;
  SmallVector<Value> ins;
  for (Value v : operands) {
    Phys p = lookup(v);
    ArrayRef<int64_t> shape = shapeOf(v);
    int64_t r = shape.size();
    SmallVector<AffineExpr> exprs;
    for (int64_t d : p.perm) {
      int64_t l = d + rank - r;
      exprs.push_back(shape[d] == 1 && outShape[l] != 1
                          ? b.getAffineConstantExpr(0)
                          : b.getAffineDimExpr(where[l]));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, b.getContext()));
    ins.push_back(p.value);
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{f32Tensor(permuted(outShape, outPerm), b.getContext())},
      ins, ValueRange{empty(loc, permuted(outShape, outPerm))}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        nb.create<linalg::YieldOp>(nl, body(nb, nl, args.drop_back()));
      });
  return {generic.getResult(0), outPerm};
}

LogicalResult Lowering::lowerConv(Conv2dOp op) {
  Location loc = op.getLoc();
  auto w = constantTensor(op.getWeight());
  std::optional<Tensor> bias;
  if (op.getBias() && !(bias = constantTensor(op.getBias())))
    return op.emitError("conv bias must be a constant to compile");
  if (!w)
    return op.emitError("conv weight must be a constant to compile");
  Value x = inLayout(loc, op.getInput(), kNhwc);
  ArrayRef<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op.getOutput());
  auto pads = op.getPads(), strides = op.getStrides(), dil = op.getDilations();
  int64_t groups = op.getGroups(), f = w->shape[0], cg = w->shape[1],
          kh = w->shape[2], kw = w->shape[3], c = in[1], fg = f / groups;
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
    SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(pads[0]),
                                     b.getIndexAttr(pads[1]), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> high = {b.getIndexAttr(0),
                                      b.getIndexAttr(pads[2]),
                                      b.getIndexAttr(pads[3]), b.getIndexAttr(0)};
    SmallVector<int64_t> padded = {in[0], in[2] + pads[0] + pads[2],
                                   in[3] + pads[1] + pads[3], c};
    Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0));
    x = b.create<tensor::PadOp>(loc, f32Tensor(padded, b.getContext()), x, low,
                                high, zero);
  }
  SmallVector<int64_t> outShape = permuted(out, kNhwc);
  Value init = broadcastBias(
      loc, bias ? ArrayRef<float>(bias->data) : ArrayRef<float>(), outShape);
  auto stridesAttr = b.getI64TensorAttr(strides);
  auto dilAttr = b.getI64TensorAttr(dil);
  Value result;
  if (groups == 1) {
    // OIHW -> HWIO, output channels padded with zero filters to whole
    // vectors and sliced off after.
    int64_t fp = padToVector(f);
    std::vector<float> hwcf(kh * kw * cg * fp, 0.0f), bp;
    for (int64_t o = 0; o < f; ++o)
      for (int64_t i = 0; i < cg; ++i)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t z = 0; z < kw; ++z)
            hwcf[((y * kw + z) * cg + i) * fp + o] =
                w->data[((o * cg + i) * kh + y) * kw + z];
    if (bias) {
      bp = bias->data;
      bp.resize(fp, 0.0f);
    }
    SmallVector<int64_t> padded = outShape;
    padded[3] = fp;
    if (kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1) {
      // Pointwise: a matmul over all positions, [N*H*W, C] x [C, F], whose
      // register tiles take rows from any of N, H, W (RepMLPNet's FCs run
      // on 64x1x1 maps, where a conv tile would have one row).
      SmallVector<ReassociationIndices> rows = {{0, 1, 2}, {3}};
      int64_t m = padded[0] * padded[1] * padded[2];
      Value x2 = b.create<tensor::CollapseShapeOp>(loc, x, rows);
      Value w2 = constant(loc, {cg, fp}, hwcf);
      Value init2 = broadcastBias(
          loc, bias ? ArrayRef<float>(fp == f ? bias->data : bp) : ArrayRef<float>(),
          {m, fp});
      Value mm = b.create<linalg::MatmulOp>(loc, TypeRange{init2.getType()},
                                            ValueRange{x2, w2},
                                            ValueRange{init2})
                     ->getResult(0);
      result = b.create<tensor::ExpandShapeOp>(
          loc, f32Tensor(padded, b.getContext()), mm, rows);
    } else {
      Value pinit = fp == f ? init : broadcastBias(loc, bp, padded);
      Value wc = constant(loc, {kh, kw, cg, fp}, hwcf);
      result = b.create<linalg::Conv2DNhwcHwcfOp>(
                    loc, TypeRange{pinit.getType()}, ValueRange{x, wc},
                    ValueRange{pinit}, stridesAttr, dilAttr)
                   ->getResult(0);
    }
    if (fp != f)
      result = sliceLast(loc, result, f);
  } else if (cg == 1 && fg == 1) {
    // Depthwise: OIHW with I = 1 -> HWC.
    std::vector<float> hwc(w->data.size());
    for (int64_t o = 0; o < f; ++o)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t z = 0; z < kw; ++z)
          hwc[(y * kw + z) * f + o] = w->data[(o * kh + y) * kw + z];
    Value wc = constant(loc, {kh, kw, f}, hwc);
    result = b.create<linalg::DepthwiseConv2DNhwcHwcOp>(
                  loc, TypeRange{init.getType()}, ValueRange{x, wc},
                  ValueRange{init}, stridesAttr, dilAttr)
                 ->getResult(0);
  } else if (kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1) {
    // Grouped pointwise (RepMLPNet's FCs with locality injected): a batch
    // of matmuls, one per group, [G, N*H*W, Cg] x [G, Cg, Fg], on copies
    // transposed group-major (activations are small next to the weights);
    // Fg padded to whole vectors with zero filters, sliced off after.
    auto xs = cast<RankedTensorType>(x.getType()).getShape();
    int64_t m = xs[0] * xs[1] * xs[2], fgp = padToVector(fg);
    Value xg = reshapeContiguous(loc, x, {m, groups, cg});
    Value xt = b.create<linalg::TransposeOp>(loc, xg,
                                             empty(loc, {groups, m, cg}),
                                             ArrayRef<int64_t>{1, 0, 2})
                   ->getResult(0);
    std::vector<float> gw(groups * cg * fgp, 0.0f), gb;
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t o = 0; o < fg; ++o)
        for (int64_t i = 0; i < cg; ++i)
          gw[(g * cg + i) * fgp + o] = w->data[(g * fg + o) * cg + i];
    Value bm;
    if (bias) {
      gb.assign(groups * fgp, 0.0f);
      for (int64_t g = 0; g < groups; ++g)
        for (int64_t o = 0; o < fg; ++o)
          gb[g * fgp + o] = bias->data[g * fg + o];
      Value c = constant(loc, {groups, fgp}, gb);
      bm = b.create<linalg::BroadcastOp>(loc, c, empty(loc, {groups, m, fgp}),
                                         ArrayRef<int64_t>{1})
               ->getResult(0);
    } else {
      bm = filled(loc, {groups, m, fgp}, 0.0f);
    }
    Value wc = constant(loc, {groups, cg, fgp}, gw);
    Value r = b.create<linalg::BatchMatmulOp>(loc, TypeRange{bm.getType()},
                                              ValueRange{xt, wc},
                                              ValueRange{bm})
                  ->getResult(0);
    if (fgp != fg)
      r = sliceLast(loc, r, fg);
    Value back = b.create<linalg::TransposeOp>(loc, r,
                                               empty(loc, {m, groups, fg}),
                                               ArrayRef<int64_t>{1, 0, 2})
                     ->getResult(0);
    result = reshapeContiguous(loc, back, outShape);
  } else {
    // Grouped: a generic over (n, oh, ow, g, f, kh, kw, c) on views that
    // split the channels into [groups, per group].
    auto xType = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> xs(xType.getShape());
    Value xg = b.create<tensor::ExpandShapeOp>(
        loc, f32Tensor({xs[0], xs[1], xs[2], groups, cg}, b.getContext()), x,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
    Value ig = b.create<tensor::ExpandShapeOp>(
        loc,
        f32Tensor({outShape[0], outShape[1], outShape[2], groups, fg},
                  b.getContext()),
        init, ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
    std::vector<float> gw(w->data.size()); // [G, KH, KW, Cg, Fg]
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t o = 0; o < fg; ++o)
        for (int64_t i = 0; i < cg; ++i)
          for (int64_t y = 0; y < kh; ++y)
            for (int64_t z = 0; z < kw; ++z)
              gw[(((g * kh + y) * kw + z) * cg + i) * fg + o] =
                  w->data[(((g * fg + o) * cg + i) * kh + y) * kw + z];
    Value wc = constant(loc, {groups, kh, kw, cg, fg}, gw);
    MLIRContext *ctx = b.getContext();
    AffineExpr n, oh, ow, g, o, y, z, i;
    bindDims(ctx, n, oh, ow, g, o, y, z, i);
    auto map = [&](ArrayRef<AffineExpr> e) {
      return AffineMap::get(8, 0, e, ctx);
    };
    SmallVector<AffineMap> maps = {
        map({n, oh * strides[0] + y * dil[0], ow * strides[1] + z * dil[1], g,
             i}),
        map({g, y, z, i, o}), map({n, oh, ow, g, o})};
    using utils::IteratorType;
    SmallVector<IteratorType> iters(5, IteratorType::parallel);
    iters.append(3, IteratorType::reduction);
    Value r = b.create<linalg::GenericOp>(
                   loc, TypeRange{ig.getType()}, ValueRange{xg, wc},
                   ValueRange{ig}, maps, iters,
                   [](OpBuilder &nb, Location nl, ValueRange a) {
                     Value m = nb.create<arith::MulFOp>(nl, a[0], a[1]);
                     nb.create<linalg::YieldOp>(
                         nl, ValueRange{nb.create<arith::AddFOp>(nl, a[2], m)});
                   })
                  .getResult(0);
    result = b.create<tensor::CollapseShapeOp>(
        loc, r, ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
  }
  env[op.getOutput()] = {result, kNhwc};
  return success();
}

/// `y[..., m] = sum_k x[..., k] w[m, k]`: a matmul along the physical dim
/// that holds k, with the dims before it as a batch and those after it as
/// columns, so a transposed activation (ResMLP's token mixing) needs no copy.
LogicalResult Lowering::lowerFc(FcOp op) {
  Location loc = op.getLoc();
  auto w = constantTensor(op.getWeight());
  std::optional<Tensor> bias;
  if (!w || (op.getBias() && !(bias = constantTensor(op.getBias()))))
    return op.emitError("fc weight and bias must be constants to compile");
  Phys x = lookup(op.getInput());
  ArrayRef<int64_t> inShape = shapeOf(op.getInput());
  int64_t rank = inShape.size(), m = w->shape[0], k = w->shape[1];
  auto split = [&](int64_t &j, int64_t &batch, int64_t &cols) {
    SmallVector<int64_t> phys = permuted(inShape, x.perm);
    j = inverse(x.perm)[rank - 1];
    batch = cols = 1;
    for (int64_t d = 0; d < j; ++d)
      batch *= phys[d];
    for (int64_t d = j + 1; d < rank; ++d)
      cols *= phys[d];
    return phys;
  };
  int64_t j, batch, cols;
  SmallVector<int64_t> phys = split(j, batch, cols);
  // The weight-on-the-left form vectorizes along the columns; when they are
  // not whole vectors, one copy to row-major is cheaper than scalar code.
  if (cols != 1 && cols % 16) {
    x = {inLayout(loc, op.getInput(), identity(rank)), identity(rank)};
    phys = split(j, batch, cols);
  }
  SmallVector<int64_t> outPhys = phys;
  outPhys[j] = m;
  Value result;
  if (cols == 1) {
    // Rows of x times w^T: [batch, k] x [k, mp], the columns padded with
    // zero weights to whole vectors and sliced off after.
    int64_t mp = padToVector(m);
    std::vector<float> wt(k * mp, 0.0f), bp;
    for (int64_t a = 0; a < m; ++a)
      for (int64_t c = 0; c < k; ++c)
        wt[c * mp + a] = w->data[a * k + c];
    if (bias) {
      bp = bias->data;
      bp.resize(mp, 0.0f);
    }
    Value x2 = reshapeContiguous(loc, x.value, {batch, k});
    // Rows whose count no register block of 4 to 8 rows divides (a ViT's
    // 197 tokens: prime) are padded with zero rows to a multiple of 8 when
    // that adds at most 1/16: a one-row block keeps 4 accumulators and is
    // FMA-latency bound (EAMLP-7's 197-row fcs, 1.46x behind ONNX Runtime
    // before).
    int64_t rows = batch;
    bool blocks = llvm::any_of(llvm::seq<int64_t>(4, 9),
                               [&](int64_t r) { return batch % r == 0; });
    if (!blocks && (8 - batch % 8) * 16 <= batch) {
      rows = (batch + 7) / 8 * 8;
      Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0));
      x2 = b.create<tensor::PadOp>(
          loc, f32Tensor({rows, k}, b.getContext()), x2,
          ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(rows - batch),
                                 b.getIndexAttr(0)},
          zero);
    }
    Value init = broadcastBias(loc, bp, {rows, mp});
    Value mm = b.create<linalg::MatmulOp>(
                    loc, TypeRange{init.getType()},
                    ValueRange{x2, constant(loc, {k, mp}, wt)}, ValueRange{init})
                   .getResult(0);
    if (rows != batch || mp != m) {
      SmallVector<OpFoldResult> zero(2, b.getIndexAttr(0)),
          one(2, b.getIndexAttr(1)),
          sizes = {b.getIndexAttr(batch), b.getIndexAttr(m)};
      mm = b.create<tensor::ExtractSliceOp>(
          loc, f32Tensor({batch, m}, b.getContext()), mm, zero, sizes, one);
    }
    result = reshapeContiguous(loc, mm, outPhys);
  } else {
    // w times each [k, cols] slab: [m, k] x [k, cols], once per batch row.
    Value wc = constant(loc, {m, k}, w->data);
    Value x3 = reshapeContiguous(loc, x.value, {batch, k, cols});
    Value init;
    if (bias) {
      Value bc = constant(loc, {m}, bias->data);
      init = b.create<linalg::BroadcastOp>(loc, bc, empty(loc, {m, cols}),
                                           ArrayRef<int64_t>{1})
                 ->getResult(0);
    } else {
      init = filled(loc, {m, cols}, 0.0f);
    }
    Value acc = empty(loc, {batch, m, cols});
    for (int64_t r = 0; r < batch; ++r) {
      SmallVector<OpFoldResult> off = {b.getIndexAttr(r), b.getIndexAttr(0),
                                       b.getIndexAttr(0)};
      SmallVector<OpFoldResult> one(3, b.getIndexAttr(1));
      SmallVector<OpFoldResult> inSize = {b.getIndexAttr(1), b.getIndexAttr(k),
                                          b.getIndexAttr(cols)};
      SmallVector<OpFoldResult> outSize = {
          b.getIndexAttr(1), b.getIndexAttr(m), b.getIndexAttr(cols)};
      Value slab = b.create<tensor::ExtractSliceOp>(
          loc, f32Tensor({k, cols}, b.getContext()), x3, off, inSize, one);
      Value mm = b.create<linalg::MatmulOp>(loc, TypeRange{init.getType()},
                                            ValueRange{wc, slab},
                                            ValueRange{init})
                     .getResult(0);
      acc = b.create<tensor::InsertSliceOp>(loc, mm, acc, off, outSize, one);
    }
    result = reshapeContiguous(loc, acc, outPhys);
  }
  env[op.getOutput()] = {result, x.perm};
  return success();
}

/// Batched matmul with broadcasting, both operands row-major.
LogicalResult Lowering::lowerMatmul(MatmulOp op) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> ls = shapeOf(op.getLhs()), rs = shapeOf(op.getRhs()),
                    os = shapeOf(op.getOutput());
  int64_t lr = ls.size(), rr = rs.size(), orank = os.size();
  Value l = inLayout(loc, op.getLhs(), identity(lr));
  Value r = inLayout(loc, op.getRhs(), identity(rr));
  // Loops: output dims then k.
  int64_t loops = orank + 1;
  AffineExpr kDim = b.getAffineDimExpr(orank);
  auto operandMap = [&](ArrayRef<int64_t> s, bool isLhs) {
    int64_t rank = s.size();
    SmallVector<AffineExpr> e;
    for (int64_t d = 0; d < rank - 2; ++d) {
      int64_t o = d + orank - rank;
      e.push_back(s[d] == 1 && os[o] != 1 ? b.getAffineConstantExpr(0)
                                          : b.getAffineDimExpr(o));
    }
    if (isLhs) {
      e.push_back(b.getAffineDimExpr(orank - 2));
      e.push_back(kDim);
    } else {
      e.push_back(kDim);
      e.push_back(b.getAffineDimExpr(orank - 1));
    }
    return AffineMap::get(loops, 0, e, b.getContext());
  };
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < orank; ++d)
    outExprs.push_back(b.getAffineDimExpr(d));
  SmallVector<AffineMap> maps = {
      operandMap(ls, true), operandMap(rs, false),
      AffineMap::get(loops, 0, outExprs, b.getContext())};
  SmallVector<utils::IteratorType> iters(orank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  Value res = b.create<linalg::GenericOp>(
                   loc, TypeRange{f32Tensor(os, b.getContext())},
                   ValueRange{l, r}, ValueRange{filled(loc, os, 0.0f)}, maps,
                   iters,
                   [](OpBuilder &nb, Location nl, ValueRange a) {
                     Value m = nb.create<arith::MulFOp>(nl, a[0], a[1]);
                     nb.create<linalg::YieldOp>(
                         nl, ValueRange{nb.create<arith::AddFOp>(nl, a[2], m)});
                   })
                  .getResult(0);
  env[op.getOutput()] = {res, identity(orank)};
  return success();
}

LogicalResult Lowering::lowerPool(Operation *op, Value input,
                                  ArrayRef<int64_t> kernel,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads, bool isMax,
                                  bool countPad) {
  Location loc = op->getLoc();
  ArrayRef<int64_t> in = shapeOf(input), out = shapeOf(op->getResult(0));
  Value x = inLayout(loc, input, kNhwc);
  // Pad so every window (ceil mode included) lies inside the tensor; the
  // extra rows never win a max and are not counted by an average.
  int64_t hNeed = (out[2] - 1) * strides[0] + kernel[0];
  int64_t wNeed = (out[3] - 1) * strides[1] + kernel[1];
  int64_t hiH = std::max<int64_t>(hNeed - in[2] - pads[0], 0);
  int64_t hiW = std::max<int64_t>(wNeed - in[3] - pads[1], 0);
  float padValue = isMax ? -std::numeric_limits<float>::infinity() : 0.0f;
  if (pads[0] || pads[1] || hiH || hiW) {
    SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(pads[0]),
                                     b.getIndexAttr(pads[1]), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(hiH),
                                      b.getIndexAttr(hiW), b.getIndexAttr(0)};
    Value pv = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(padValue));
    x = b.create<tensor::PadOp>(
        loc,
        f32Tensor({in[0], in[2] + pads[0] + hiH, in[3] + pads[1] + hiW, in[1]},
                  b.getContext()),
        x, low, high, pv);
  }
  SmallVector<int64_t> outShape = permuted(out, kNhwc);
  Value init = filled(loc, outShape, padValue);
  Value window = empty(loc, kernel);
  auto s = b.getI64TensorAttr(strides);
  auto d = b.getI64TensorAttr({1, 1});
  Value r;
  if (isMax)
    r = b.create<linalg::PoolingNhwcMaxOp>(loc, TypeRange{init.getType()},
                                           ValueRange{x, window},
                                           ValueRange{init}, s, d)
            ->getResult(0);
  else
    r = b.create<linalg::PoolingNhwcSumOp>(loc, TypeRange{init.getType()},
                                           ValueRange{x, window},
                                           ValueRange{init}, s, d)
            ->getResult(0);
  if (!isMax) {
    // The divisor of each output position, as the interpreter counts it.
    std::vector<float> div(out[2] * out[3]);
    for (int64_t oy = 0; oy < out[2]; ++oy)
      for (int64_t ox = 0; ox < out[3]; ++ox) {
        int64_t y0 = oy * strides[0] - pads[0], x0 = ox * strides[1] - pads[1];
        int64_t y1 = std::min(y0 + kernel[0], in[2] + pads[2]);
        int64_t x1 = std::min(x0 + kernel[1], in[3] + pads[3]);
        int64_t inner = (std::min(y1, in[2]) - std::max<int64_t>(y0, 0)) *
                        (std::min(x1, in[3]) - std::max<int64_t>(x0, 0));
        div[oy * out[3] + ox] =
            countPad ? (y1 - y0) * (x1 - x0) : std::max<int64_t>(inner, 1);
      }
    Value dv = constant(loc, {out[2], out[3]}, div);
    MLIRContext *ctx = b.getContext();
    AffineExpr n, h, w, c;
    bindDims(ctx, n, h, w, c);
    SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {n, h, w, c}, ctx),
                                   AffineMap::get(4, 0, {h, w}, ctx),
                                   AffineMap::get(4, 0, {n, h, w, c}, ctx)};
    SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
    r = b.create<linalg::GenericOp>(
             loc, TypeRange{init.getType()}, ValueRange{r, dv},
             ValueRange{empty(loc, outShape)}, maps, iters,
             [](OpBuilder &nb, Location nl, ValueRange a) {
               nb.create<linalg::YieldOp>(
                   nl, ValueRange{nb.create<arith::DivFOp>(nl, a[0], a[1])});
             })
            .getResult(0);
  }
  env[op->getResult(0)] = {r, kNhwc};
  return success();
}

/// Sum of `x` (row-major) over the `reduced` dims into `outShape`.
/// The sum (or, with `max`, the NaN-propagating maximum) of `x` over the
/// `reduced` dims.
Value Lowering::reduceSum(Location loc, Value x, ArrayRef<bool> reduced,
                          ArrayRef<int64_t> outShape, bool keep, bool max) {
  int64_t rank = reduced.size();
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    iters.push_back(reduced[d] ? utils::IteratorType::reduction
                               : utils::IteratorType::parallel);
    if (!reduced[d])
      outExprs.push_back(b.getAffineDimExpr(d));
    else if (keep)
      outExprs.push_back(b.getAffineConstantExpr(0));
  }
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, outExprs, b.getContext())};
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{f32Tensor(outShape, b.getContext())}, ValueRange{x},
          ValueRange{filled(loc, outShape,
                            max ? -std::numeric_limits<float>::infinity()
                                : 0.0f)},
          maps, iters,
          [max](OpBuilder &nb, Location nl, ValueRange a) {
            Value r = max ? nb.create<arith::MaximumFOp>(nl, a[0], a[1])
                                .getResult()
                          : nb.create<arith::AddFOp>(nl, a[0], a[1])
                                .getResult();
            nb.create<linalg::YieldOp>(nl, ValueRange{r});
          })
      .getResult(0);
}

LogicalResult Lowering::lowerGlobalAvgPool(GlobalAvgPoolOp op) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> in = shapeOf(op.getInput());
  if (in.size() != 4)
    return op.emitError("global average pool needs a 4-D input to compile");
  Value x = inLayout(loc, op.getInput(), kNhwc);
  Value sum = reduceSum(loc, x, {false, true, true, false},
                        {in[0], 1, 1, in[1]}, /*keep=*/true);
  env[sum] = {sum, kNhwc};
  // sum is logically [N, C, 1, 1]; divide by H*W.
  Value count = constant(loc, {1}, {(float)(in[2] * in[3])});
  env[count] = {count, identity(1)};
  // Elementwise with logical shapes: register sum under the op's result.
  env[op.getOutput()] = {sum, kNhwc};
  Phys r = elementwise(loc, {op.getOutput(), count}, shapeOf(op.getOutput()),
                       [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                         return nb.create<arith::DivFOp>(nl, a[0], a[1]);
                       });
  env[op.getOutput()] = r;
  return success();
}

LogicalResult Lowering::lowerReduceMean(ReduceMeanOp op) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op.getOutput());
  int64_t rank = in.size();
  Value x = inLayout(loc, op.getInput(), identity(rank));
  SmallVector<bool> reduced(rank, false);
  int64_t count = 1;
  for (int64_t a : op.getAxes()) {
    reduced[a] = true;
    count *= in[a];
  }
  Value sum = reduceKept(loc, x, reduced, out, op.getKeepdims(), false);
  Value c = constant(loc, {1}, {(float)count});
  env[c] = {c, identity(1)};
  env[op.getOutput()] = {sum, identity(out.size())};
  env[op.getOutput()] =
      elementwise(loc, {op.getOutput(), c}, out,
                  [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                    return nb.create<arith::DivFOp>(nl, a[0], a[1]);
                  });
  return success();
}

template <typename RepOp>
LogicalResult Lowering::lowerReduce(RepOp op, bool max) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op.getOutput());
  int64_t rank = in.size();
  Value x = inLayout(loc, op.getInput(), identity(rank));
  SmallVector<bool> reduced(rank, false);
  for (int64_t a : op.getAxes())
    reduced[a] = true;
  env[op.getOutput()] = {
      reduceKept(loc, x, reduced, out, op.getKeepdims(), max),
      identity(out.size())};
  return success();
}

/// reduceSum for ops whose kept reduced dims are ones: the reduction drops
/// them and a reshape puts them back, so its output map is a projection
/// (tiling a reduction whose map holds a constant crashed MLIR 19's
/// tileReductionUsingScf, and the vectorizer refused it).
Value Lowering::reduceKept(Location loc, Value x, ArrayRef<bool> reduced,
                           ArrayRef<int64_t> outShape, bool keep, bool max) {
  if (!keep)
    return reduceSum(loc, x, reduced, outShape, false, max);
  SmallVector<int64_t> dropped;
  for (auto [i, d] : llvm::enumerate(outShape))
    if (!reduced[i])
      dropped.push_back(d);
  return reshapeContiguous(
      loc, reduceSum(loc, x, reduced, dropped, false, max), outShape);
}

LogicalResult Lowering::lowerLayerNorm(LayerNormOp op) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> in = shapeOf(op.getInput());
  int64_t rank = in.size(), axis = op.getAxis();
  auto scale = constantTensor(op.getScale()), bias = constantTensor(op.getBias());
  if (!scale || !bias)
    return op.emitError("layer norm scale and bias must be constants to compile");
  Value x = inLayout(loc, op.getInput(), identity(rank));
  int64_t rows = 1, cols = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? rows : cols) *= in[d];
  Value x2 = reshapeContiguous(loc, x, {rows, cols});
  MLIRContext *ctx = b.getContext();
  AffineExpr r, c;
  bindDims(ctx, r, c);
  auto rowMap = AffineMap::get(2, 0, {r}, ctx);
  auto fullMap = AffineMap::get(2, 0, {r, c}, ctx);
  auto colMap = AffineMap::get(2, 0, {c}, ctx);
  using utils::IteratorType;
  SmallVector<IteratorType> red = {IteratorType::parallel,
                                   IteratorType::reduction};
  SmallVector<IteratorType> par(2, IteratorType::parallel);
  Value fcols = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(cols));
  Value sum = b.create<linalg::GenericOp>(
                   loc, TypeRange{f32Tensor({rows}, ctx)}, ValueRange{x2},
                   ValueRange{filled(loc, {rows}, 0.0f)},
                   SmallVector<AffineMap>{fullMap, rowMap}, red,
                   [](OpBuilder &nb, Location nl, ValueRange a) {
                     nb.create<linalg::YieldOp>(
                         nl, ValueRange{nb.create<arith::AddFOp>(nl, a[0], a[1])});
                   })
                  .getResult(0);
  Value sq = b.create<linalg::GenericOp>(
                  loc, TypeRange{f32Tensor({rows}, ctx)}, ValueRange{x2, sum},
                  ValueRange{filled(loc, {rows}, 0.0f)},
                  SmallVector<AffineMap>{fullMap, rowMap, rowMap}, red,
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    Value mean = nb.create<arith::DivFOp>(nl, a[1], fcols);
                    Value d = nb.create<arith::SubFOp>(nl, a[0], mean);
                    Value d2 = nb.create<arith::MulFOp>(nl, d, d);
                    nb.create<linalg::YieldOp>(
                        nl, ValueRange{nb.create<arith::AddFOp>(nl, a[2], d2)});
                  })
                 .getResult(0);
  Value eps = b.create<arith::ConstantOp>(
      loc, b.getF32FloatAttr(op.getEpsilon().convertToFloat()));
  Value g = constant(loc, {cols}, scale->data), be = constant(loc, {cols}, bias->data);
  Value y = b.create<linalg::GenericOp>(
                 loc, TypeRange{f32Tensor({rows, cols}, ctx)},
                 ValueRange{x2, sum, sq, g, be},
                 ValueRange{empty(loc, {rows, cols})},
                 SmallVector<AffineMap>{fullMap, rowMap, rowMap, colMap, colMap,
                                        fullMap},
                 par,
                 [&](OpBuilder &nb, Location nl, ValueRange a) {
                   Value mean = nb.create<arith::DivFOp>(nl, a[1], fcols);
                   Value var = nb.create<arith::DivFOp>(nl, a[2], fcols);
                   Value den = nb.create<math::SqrtOp>(
                       nl, nb.create<arith::AddFOp>(nl, var, eps));
                   Value d = nb.create<arith::SubFOp>(nl, a[0], mean);
                   Value n = nb.create<arith::DivFOp>(nl, d, den);
                   Value s = nb.create<arith::MulFOp>(nl, n, a[3]);
                   nb.create<linalg::YieldOp>(
                       nl, ValueRange{nb.create<arith::AddFOp>(nl, s, a[4])});
                 })
                .getResult(0);
  env[op.getOutput()] = {reshapeContiguous(loc, y, in), identity(rank)};
  return success();
}

LogicalResult Lowering::lowerConcat(ConcatOp op) {
  Location loc = op.getLoc();
  Perm perm = lookup(op.getInputs().front()).perm;
  ArrayRef<int64_t> out = shapeOf(op.getOutput());
  int64_t rank = out.size();
  int64_t axis = inverse(perm)[op.getAxis()];
  Value acc = empty(loc, permuted(out, perm));
  int64_t offset = 0;
  for (Value v : op.getInputs()) {
    Value p = inLayout(loc, v, perm);
    SmallVector<int64_t> s = permuted(shapeOf(v), perm);
    SmallVector<OpFoldResult> off(rank, b.getIndexAttr(0)), sizes, one(rank, b.getIndexAttr(1));
    off[axis] = b.getIndexAttr(offset);
    for (int64_t d : s)
      sizes.push_back(b.getIndexAttr(d));
    acc = b.create<tensor::InsertSliceOp>(loc, p, acc, off, sizes, one);
    offset += s[axis];
  }
  env[op.getOutput()] = {acc, perm};
  return success();
}

LogicalResult Lowering::lowerSlice(SliceOp op) {
  Location loc = op.getLoc();
  Phys x = lookup(op.getInput());
  SmallVector<OpFoldResult> off, sizes, steps;
  for (int64_t d : x.perm) {
    off.push_back(b.getIndexAttr(op.getStarts()[d]));
    sizes.push_back(b.getIndexAttr(op.getSizes()[d]));
    steps.push_back(b.getIndexAttr(op.getSteps()[d]));
  }
  auto type = f32Tensor(permuted(shapeOf(op.getOutput()), x.perm), b.getContext());
  Value r = b.create<tensor::ExtractSliceOp>(loc, type, x.value, off, sizes,
                                             steps);
  env[op.getOutput()] = {r, x.perm};
  return success();
}

LogicalResult Lowering::lowerPad(PadOp op) {
  Location loc = op.getLoc();
  Phys x = lookup(op.getInput());
  int64_t rank = x.perm.size();
  SmallVector<OpFoldResult> low, high;
  for (int64_t d : x.perm) {
    low.push_back(b.getIndexAttr(op.getPads()[d]));
    high.push_back(b.getIndexAttr(op.getPads()[d + rank]));
  }
  Value pv = b.create<arith::ConstantOp>(
      loc, b.getF32FloatAttr(op.getValue().convertToFloat()));
  auto type = f32Tensor(permuted(shapeOf(op.getOutput()), x.perm), b.getContext());
  Value r = b.create<tensor::PadOp>(loc, type, x.value, low, high, pv);
  env[op.getOutput()] = {r, x.perm};
  return success();
}

Value gelu(OpBuilder &b, Location loc, Value x) {
  Value half = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.5f));
  Value one = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(1.0f));
  Value rs2 = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(M_SQRT1_2));
  Value e = b.create<math::ErfOp>(loc, b.create<arith::MulFOp>(loc, x, rs2));
  Value hx = b.create<arith::MulFOp>(loc, x, half);
  return b.create<arith::MulFOp>(loc, hx, b.create<arith::AddFOp>(loc, e, one));
}

LogicalResult Lowering::lower(Operation *op) {
  Location loc = op->getLoc();
  auto unary = [&](Value in, auto fn) {
    env[op->getResult(0)] = elementwise(
        loc, {in}, shapeOf(op->getResult(0)),
        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return fn(nb, nl, a[0]);
        });
    return success();
  };
  auto f32 = [&](OpBuilder &nb, Location nl, float v) -> Value {
    return nb.create<arith::ConstantOp>(nl, nb.getF32FloatAttr(v));
  };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ConstantOp c) -> LogicalResult {
        if (!constantTensor(c.getOutput()))
          return c.emitError("constant has no data to compile");
        return success();
      })
      .Case([&](Conv2dOp c) { return lowerConv(c); })
      .Case([&](FcOp c) { return lowerFc(c); })
      .Case([&](MatmulOp c) { return lowerMatmul(c); })
      .Case([&](BatchNormOp c) -> LogicalResult {
        auto s = constantTensor(c.getScale()), bi = constantTensor(c.getBias()),
             m = constantTensor(c.getMean()), v = constantTensor(c.getVar());
        if (!s || !bi || !m || !v)
          return c.emitError("batch norm statistics must be constants to "
                             "compile");
        int64_t ch = s->data.size(), rank = shapeOf(c.getInput()).size();
        float eps = c.getEpsilon().convertToFloat();
        std::vector<float> sc(ch), sh(ch);
        for (int64_t i = 0; i < ch; ++i) {
          sc[i] = s->data[i] / std::sqrt(v->data[i] + eps);
          sh[i] = bi->data[i] - m->data[i] * sc[i];
        }
        SmallVector<int64_t> cs(rank - 1, 1);
        cs[0] = ch;
        scaleShift(loc, c.getInput(), c.getOutput(), cs, sc, sh);
        return success();
      })
      .Case([&](ChannelAffineOp c) -> LogicalResult {
        auto s = constantTensor(c.getScale()), t = constantTensor(c.getShift());
        if (!s || !t)
          return c.emitError("affine scale and shift must be constants to "
                             "compile");
        int64_t rank = shapeOf(c.getInput()).size(), axis = c.getAxis();
        SmallVector<int64_t> cs(rank - axis, 1);
        cs[0] = s->data.size();
        scaleShift(loc, c.getInput(), c.getOutput(), cs, s->data, t->data);
        return success();
      })
      .Case([&](AddOp c) { return lowerBinary<arith::AddFOp>(c); })
      .Case([&](SubOp c) { return lowerBinary<arith::SubFOp>(c); })
      .Case([&](MulOp c) { return lowerBinary<arith::MulFOp>(c); })
      .Case([&](DivOp c) { return lowerBinary<arith::DivFOp>(c); })
      .Case([&](PowOp c) { return lowerBinary<math::PowFOp>(c); })
      .Case([&](MaximumOp c) { return lowerBinary<arith::MaximumFOp>(c); })
      .Case([&](MinimumOp c) { return lowerBinary<arith::MinimumFOp>(c); })
      .Case([&](ReluOp c) {
        return unary(c.getInput(), [&](OpBuilder &nb, Location nl, Value x) {
          return nb.create<arith::MaximumFOp>(nl, x, f32(nb, nl, 0.0f))
              .getResult();
        });
      })
      .Case([&](GeluOp c) {
        return unary(c.getInput(), [&](OpBuilder &nb, Location nl, Value x) {
          return gelu(nb, nl, x);
        });
      })
      .Case([&](SigmoidOp c) {
        return unary(c.getInput(), [&](OpBuilder &nb, Location nl, Value x) {
          Value e = nb.create<math::ExpOp>(nl, nb.create<arith::NegFOp>(nl, x));
          Value one = f32(nb, nl, 1.0f);
          return nb
              .create<arith::DivFOp>(nl, one,
                                     nb.create<arith::AddFOp>(nl, one, e))
              .getResult();
        });
      })
      // One math op per element.
      .Case([&](ErfOp c) { return lowerMath<math::ErfOp>(c); })
      .Case([&](SqrtOp c) { return lowerMath<math::SqrtOp>(c); })
      .Case([&](TanhOp c) { return lowerMath<math::TanhOp>(c); })
      .Case([&](ExpOp c) { return lowerMath<math::ExpOp>(c); })
      .Case([&](LogOp c) { return lowerMath<math::LogOp>(c); })
      .Case([&](AbsOp c) { return lowerMath<math::AbsFOp>(c); })
      .Case([&](LayerNormOp c) { return lowerLayerNorm(c); })
      .Case([&](ReduceMeanOp c) { return lowerReduceMean(c); })
      .Case([&](ReduceSumOp c) { return lowerReduce(c, /*max=*/false); })
      .Case([&](ReduceMaxOp c) { return lowerReduce(c, /*max=*/true); })
      .Case([&](MaxPoolOp c) {
        return lowerPool(c, c.getInput(), c.getKernel(), c.getStrides(),
                         c.getPads(), /*isMax=*/true, false);
      })
      .Case([&](AvgPoolOp c) {
        return lowerPool(c, c.getInput(), c.getKernel(), c.getStrides(),
                         c.getPads(), /*isMax=*/false, c.getCountIncludePad());
      })
      .Case([&](GlobalAvgPoolOp c) { return lowerGlobalAvgPool(c); })
      .Case<ReshapeOp, FlattenOp>([&](auto c) {
        ArrayRef<int64_t> in = shapeOf(c.getInput());
        Value x = inLayout(loc, c.getInput(), identity(in.size()));
        ArrayRef<int64_t> out = shapeOf(c.getOutput());
        env[c.getOutput()] = {reshapeContiguous(loc, x, out),
                              identity(out.size())};
        return success();
      })
      .Case([&](TransposeOp c) {
        // Only the labels change: physical dim j now holds the output dim
        // that reads input dim perm[j].
        Phys x = lookup(c.getInput());
        Perm inv = inverse(c.getPerm()), outPerm;
        for (int64_t d : x.perm)
          outPerm.push_back(inv[d]);
        env[c.getOutput()] = {x.value, outPerm};
        return success();
      })
      .Case([&](ConcatOp c) { return lowerConcat(c); })
      .Case([&](SliceOp c) { return lowerSlice(c); })
      .Case([&](PadOp c) { return lowerPad(c); })
      .Default([](Operation *o) {
        return o->emitError("no lowering to linalg for ") << o->getName(),
               failure();
      });
}

LogicalResult Lowering::run() {
  Block &body = func.getBody().front();
  for (BlockArgument arg : body.getArguments())
    env[arg] = {arg, identity(shapeOf(arg).size())};
  SmallVector<Operation *> repOps;
  for (Operation &op : body) {
    if (op.getDialect() != op.getContext()->getLoadedDialect<RepDialect>())
      continue;
    b.setInsertionPoint(&op);
    if (failed(lower(&op)))
      return failure();
    repOps.push_back(&op);
  }
  Operation *ret = body.getTerminator();
  b.setInsertionPoint(ret);
  for (OpOperand &use : ret->getOpOperands()) {
    Value v = inLayout(ret->getLoc(), use.get(),
                       identity(shapeOf(use.get()).size()));
    // A graph that returns its input (an identity, a no-op reduction)
    // returns a copy: the output buffer is the caller's, not the input.
    if (isa<BlockArgument>(v))
      v = b.create<linalg::CopyOp>(ret->getLoc(), v,
                                   empty(ret->getLoc(), shapeOf(v)))
              ->getResult(0);
    use.set(v);
  }
  for (Operation *op : llvm::reverse(repOps)) {
    op->dropAllUses();
    op->erase();
  }
  return success();
}

struct LowerToLinalgPass
    : rep::impl::LowerToLinalgBase<LowerToLinalgPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(Lowering(func).run()))
        return signalPassFailure();
  }
};

} // namespace
