//===- RepDialect.cpp - rep dialect and op shape rules -------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Each op infers its result type here; the InferTypeOpInterface verifier
// compares it with the declared type, and the importer uses the same rules,
// so a shape error reads the same whether it comes from ONNX or from text.
//
//===----------------------------------------------------------------------===//

#include "rep/Dialect/RepDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::rep;

#include "rep/Dialect/RepOpsDialect.cpp.inc"

void RepDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "rep/Dialect/RepOps.cpp.inc"
      >();
}

Operation *RepDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements);
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> mlir::rep::broadcastShapes(ArrayRef<int64_t> a,
                                                           ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::string mlir::rep::formatShape(ArrayRef<int64_t> shape) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") + std::to_string(d);
  return s.empty() ? "scalar" : s;
}

int64_t mlir::rep::windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                                    int64_t padBegin, int64_t padEnd,
                                    int64_t dilation, bool ceilMode) {
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t room = in + padBegin + padEnd - span;
  if (room < 0)
    return 0;
  int64_t out = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1;
  // As in PyTorch and ONNX: the last window must start inside the input or
  // the begin padding, never only in the end padding.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

namespace {
using Types = SmallVectorImpl<Type>;

RankedTensorType tensorOf(ArrayRef<int64_t> shape, MLIRContext *ctx) {
  return RankedTensorType::get(shape, Float32Type::get(ctx));
}

RankedTensorType shapeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Emits the error when a location is given (the verifier and importer both
/// pass one) and returns failure.
template <typename... Args>
LogicalResult fail(std::optional<Location> loc, Args &&...args) {
  if (loc) {
    InFlightDiagnostic diag = emitError(*loc);
    (diag << ... << std::forward<Args>(args));
  }
  return failure();
}

/// Checks a 2-D window op's spatial attributes and returns the output shape.
FailureOr<SmallVector<int64_t>>
windowShape(std::optional<Location> loc, ArrayRef<int64_t> in,
            ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
            ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations, bool ceil,
            int64_t outChannels) {
  if (in.size() != 4)
    return fail(loc, "expects a 4-D NCHW input, got ", formatShape(in));
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return fail(loc, "expects 2 strides, 2 dilations and 4 pads");
  for (int i = 0; i < 2; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || kernel[i] < 1)
      return fail(loc, "expects positive kernel, strides and dilations");
    if (pads[i] < 0 || pads[i + 2] < 0)
      return fail(loc, "expects non-negative pads");
  }
  SmallVector<int64_t> out = {in[0], outChannels, 0, 0};
  for (int i = 0; i < 2; ++i) {
    out[2 + i] = windowOutputSize(in[2 + i], kernel[i], strides[i], pads[i],
                                  pads[i + 2], dilations[i], ceil);
    if (out[2 + i] < 1)
      return fail(loc, "window of ", kernel[0], "x", kernel[1],
                  " does not fit the padded input ", formatShape(in));
  }
  return out;
}

LogicalResult inferWindowOp(MLIRContext *ctx, std::optional<Location> loc,
                            Value input, ArrayRef<int64_t> kernel,
                            ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                            bool ceil, Types &types) {
  ArrayRef<int64_t> in = shapeOf(input).getShape();
  if (kernel.size() != 2)
    return fail(loc, "expects a 2-D kernel");
  for (int i = 0; i < 2; ++i)
    if (pads[i] >= kernel[i] || pads[i + 2] >= kernel[i])
      return fail(loc, "expects pads smaller than the kernel");
  auto out = windowShape(loc, in, kernel, strides, pads, {1, 1}, ceil,
                         in.size() == 4 ? in[1] : 0);
  if (failed(out))
    return failure();
  types.push_back(tensorOf(*out, ctx));
  return success();
}

LogicalResult inferBinary(MLIRContext *ctx, std::optional<Location> loc,
                          Value lhs, Value rhs, Types &types) {
  auto a = shapeOf(lhs).getShape(), b = shapeOf(rhs).getShape();
  auto out = broadcastShapes(a, b);
  if (failed(out))
    return fail(loc, "operand shapes ", formatShape(a), " and ", formatShape(b),
                " do not broadcast");
  types.push_back(tensorOf(*out, ctx));
  return success();
}

LogicalResult checkVector(std::optional<Location> loc, Value v, int64_t size,
                          StringRef what) {
  auto shape = shapeOf(v).getShape();
  if (shape.size() != 1 || shape[0] != size)
    return fail(loc, "expects ", what, " of shape ", size, ", got ",
                formatShape(shape));
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// Shape rules per op
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *ctx,
                                           std::optional<Location> loc,
                                           Adaptor adaptor, Types &types) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!type || !type.getElementType().isF32())
    return fail(loc, "expects an f32 tensor value");
  types.push_back(type);
  return success();
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput()).getShape();
  auto w = shapeOf(adaptor.getWeight()).getShape();
  int64_t groups = adaptor.getGroups();
  if (w.size() != 4)
    return fail(loc, "expects a 4-D OIHW weight, got ", formatShape(w));
  if (groups < 1)
    return fail(loc, "groups must be at least 1, got ", groups);
  if (in.size() == 4) {
    if (in[1] % groups || w[0] % groups)
      return fail(loc, "channels ", in[1], " -> ", w[0],
                  " are not divisible by groups ", groups);
    if (w[1] * groups != in[1])
      return fail(loc, "weight expects ", w[1] * groups,
                  " input channels, input has ", in[1]);
  }
  if (adaptor.getBias() &&
      failed(checkVector(loc, adaptor.getBias(), w[0], "a bias")))
    return failure();
  auto out = windowShape(loc, in, {w[2], w[3]}, adaptor.getStrides(),
                         adaptor.getPads(), adaptor.getDilations(),
                         /*ceil=*/false, w[0]);
  if (failed(out))
    return failure();
  types.push_back(tensorOf(*out, ctx));
  return success();
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput());
  if (in.getRank() < 2)
    return fail(loc, "expects an input of rank >= 2, got ",
                formatShape(in.getShape()));
  int64_t c = in.getDimSize(1);
  if (failed(checkVector(loc, adaptor.getScale(), c, "a scale")) ||
      failed(checkVector(loc, adaptor.getBias(), c, "a bias")) ||
      failed(checkVector(loc, adaptor.getMean(), c, "a mean")) ||
      failed(checkVector(loc, adaptor.getVar(), c, "a variance")))
    return failure();
  if (adaptor.getEpsilon().convertToFloat() < 0)
    return fail(loc, "expects a non-negative epsilon");
  types.push_back(in);
  return success();
}

LogicalResult FcOp::inferReturnTypes(MLIRContext *ctx,
                                     std::optional<Location> loc,
                                     Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput()).getShape();
  auto w = shapeOf(adaptor.getWeight()).getShape();
  if (in.empty())
    return fail(loc, "expects an input of rank >= 1");
  if (w.size() != 2 || w[1] != in.back())
    return fail(loc, "expects a weight of shape Mx", in.back(), ", got ",
                formatShape(w));
  if (adaptor.getBias() &&
      failed(checkVector(loc, adaptor.getBias(), w[0], "a bias")))
    return failure();
  SmallVector<int64_t> out(in);
  out.back() = w[0];
  types.push_back(tensorOf(out, ctx));
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor, Types &types) {
  auto a = shapeOf(adaptor.getLhs()).getShape();
  auto b = shapeOf(adaptor.getRhs()).getShape();
  if (a.size() < 2 || b.size() < 2)
    return fail(loc, "expects operands of rank >= 2, got ", formatShape(a), " and ",
                formatShape(b));
  if (a.back() != b[b.size() - 2])
    return fail(loc, "contracting dims differ: ", formatShape(a), " and ", formatShape(b));
  auto batch = broadcastShapes(a.drop_back(2), b.drop_back(2));
  if (failed(batch))
    return fail(loc, "batch dims of ", formatShape(a), " and ", formatShape(b),
                " do not broadcast");
  SmallVector<int64_t> out(*batch);
  out.push_back(a[a.size() - 2]);
  out.push_back(b.back());
  types.push_back(tensorOf(out, ctx));
  return success();
}

LogicalResult ChannelAffineOp::inferReturnTypes(MLIRContext *ctx,
                                                std::optional<Location> loc,
                                                Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (axis >= in.getRank())
    return fail(loc, "axis ", axis, " is out of range for rank ",
                in.getRank());
  int64_t c = in.getDimSize(axis);
  if (failed(checkVector(loc, adaptor.getScale(), c, "a scale")) ||
      failed(checkVector(loc, adaptor.getShift(), c, "a shift")))
    return failure();
  types.push_back(in);
  return success();
}

#define REP_BINARY_INFER(OP)                                                   \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor, Types &types) {          \
    return inferBinary(ctx, loc, adaptor.getLhs(), adaptor.getRhs(), types);   \
  }
REP_BINARY_INFER(AddOp)
REP_BINARY_INFER(SubOp)
REP_BINARY_INFER(MulOp)
REP_BINARY_INFER(DivOp)
REP_BINARY_INFER(PowOp)
REP_BINARY_INFER(MaximumOp)
REP_BINARY_INFER(MinimumOp)
#undef REP_BINARY_INFER


LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (axis >= in.getRank())
    return fail(loc, "axis ", axis, " is out of range for rank ",
                in.getRank());
  ArrayRef<int64_t> normalized = in.getShape().drop_front(axis);
  for (Value p : {adaptor.getScale(), adaptor.getBias()})
    if (shapeOf(p).getShape() != normalized)
      return fail(loc, "expects scale and bias of shape ", formatShape(normalized),
                  ", got ", formatShape(shapeOf(p).getShape()));
  if (adaptor.getEpsilon().convertToFloat() < 0)
    return fail(loc, "expects a non-negative epsilon");
  types.push_back(in);
  return success();
}

template <typename Adaptor>
static LogicalResult inferReduce(MLIRContext *ctx, std::optional<Location> loc,
                                 Adaptor adaptor,
                                 SmallVectorImpl<Type> &types) {
  auto in = shapeOf(adaptor.getInput()).getShape();
  SmallVector<bool> reduced(in.size(), false);
  for (int64_t a : adaptor.getAxes()) {
    if (a < 0 || a >= (int64_t)in.size() || reduced[a])
      return fail(loc, "axes must be distinct and in [0, ", in.size(), ")");
    reduced[a] = true;
  }
  SmallVector<int64_t> out;
  for (auto [i, d] : llvm::enumerate(in)) {
    if (!reduced[i])
      out.push_back(d);
    else if (adaptor.getKeepdims())
      out.push_back(1);
  }
  types.push_back(tensorOf(out, ctx));
  return success();
}

#define REP_REDUCE_INFER(OP)                                                   \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor, Types &types) {          \
    return inferReduce(ctx, loc, adaptor, types);                              \
  }
REP_REDUCE_INFER(ReduceMeanOp)
REP_REDUCE_INFER(ReduceSumOp)
REP_REDUCE_INFER(ReduceMaxOp)
#undef REP_REDUCE_INFER

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor, Types &types) {
  return inferWindowOp(ctx, loc, adaptor.getInput(), adaptor.getKernel(),
                       adaptor.getStrides(), adaptor.getPads(),
                       adaptor.getCeilMode(), types);
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor, Types &types) {
  return inferWindowOp(ctx, loc, adaptor.getInput(), adaptor.getKernel(),
                       adaptor.getStrides(), adaptor.getPads(),
                       adaptor.getCeilMode(), types);
}

LogicalResult GlobalAvgPoolOp::inferReturnTypes(MLIRContext *ctx,
                                                std::optional<Location> loc,
                                                Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput()).getShape();
  if (in.size() < 3)
    return fail(loc, "expects an input of rank >= 3, got ", formatShape(in));
  SmallVector<int64_t> out(in.size(), 1);
  out[0] = in[0];
  out[1] = in[1];
  types.push_back(tensorOf(out, ctx));
  return success();
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput());
  ArrayRef<int64_t> shape = adaptor.getShape();
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return fail(loc, "expects a static non-negative shape");
    n *= d;
  }
  if (n != in.getNumElements())
    return fail(loc, "cannot reshape ", formatShape(in.getShape()), " (",
                in.getNumElements(), " elements) to ", formatShape(shape), " (", n,
                " elements)");
  types.push_back(tensorOf(shape, ctx));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput()).getShape();
  ArrayRef<int64_t> perm = adaptor.getPerm();
  if (perm.size() != in.size())
    return fail(loc, "expects a permutation of ", in.size(), " dims");
  SmallVector<bool> seen(in.size(), false);
  SmallVector<int64_t> out;
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)in.size() || seen[p])
      return fail(loc, "perm is not a permutation of [0, ", in.size(), ")");
    seen[p] = true;
    out.push_back(in[p]);
  }
  types.push_back(tensorOf(out, ctx));
  return success();
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput()).getShape();
  int64_t axis = adaptor.getAxis();
  if (axis > (int64_t)in.size())
    return fail(loc, "axis ", axis, " is out of range for rank ", in.size());
  int64_t outer = 1, inner = 1;
  for (auto [i, d] : llvm::enumerate(in))
    ((int64_t)i < axis ? outer : inner) *= d;
  types.push_back(tensorOf({outer, inner}, ctx));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor, Types &types) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return fail(loc, "expects at least one input");
  SmallVector<int64_t> out(shapeOf(inputs[0]).getShape());
  int64_t axis = adaptor.getAxis();
  if (axis >= (int64_t)out.size())
    return fail(loc, "axis ", axis, " is out of range for rank ", out.size());
  for (Value v : inputs.drop_front()) {
    auto s = shapeOf(v).getShape();
    if (s.size() != out.size())
      return fail(loc, "expects inputs of equal rank");
    for (size_t i = 0; i < s.size(); ++i)
      if ((int64_t)i != axis && s[i] != out[i])
        return fail(loc, "inputs differ outside axis ", axis, ": ",
                    formatShape(out), " and ", formatShape(s));
    out[axis] += s[axis];
  }
  types.push_back(tensorOf(out, ctx));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location> loc,
                                        Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput()).getShape();
  ArrayRef<int64_t> starts = adaptor.getStarts(), sizes = adaptor.getSizes(),
                    steps = adaptor.getSteps();
  if (starts.size() != in.size() || sizes.size() != in.size() ||
      steps.size() != in.size())
    return fail(loc, "expects one start, size and step per dimension");
  for (size_t i = 0; i < in.size(); ++i) {
    if (steps[i] < 1 || starts[i] < 0 || sizes[i] < 0)
      return fail(loc, "expects positive steps and non-negative starts");
    // starts + (sizes - 1) * steps < in, without overflowing.
    if (sizes[i] > 0 && (starts[i] >= in[i] ||
                         sizes[i] - 1 > (in[i] - 1 - starts[i]) / steps[i]))
      return fail(loc, "slice of dim ", i, " reads past its size ", in[i]);
  }
  types.push_back(tensorOf(sizes, ctx));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      Adaptor adaptor, Types &types) {
  auto in = shapeOf(adaptor.getInput()).getShape();
  ArrayRef<int64_t> pads = adaptor.getPads();
  if (pads.size() != 2 * in.size())
    return fail(loc, "expects ", 2 * in.size(), " pads");
  SmallVector<int64_t> out(in);
  for (size_t i = 0; i < in.size(); ++i) {
    if (pads[i] < 0 || pads[i + in.size()] < 0)
      return fail(loc, "expects non-negative pads");
    out[i] += pads[i] + pads[i + in.size()];
  }
  types.push_back(tensorOf(out, ctx));
  return success();
}

#define GET_OP_CLASSES
#include "rep/Dialect/RepOps.cpp.inc"
