//===- Utils.cpp - helpers shared by the re-parameterization passes -------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Utils.h"
#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"
#include <cmath>
#include <mutex>

using namespace mlir;
using namespace mlir::rep;

namespace {
std::mutex refusalMutex;
RefusalHandler refusalHandler;

/// Prints why a pattern did not apply (under -debug) and hands it to the
/// installed RefusalHandler.
struct RefusalPrinter : RewriterBase::Listener {
  explicit RefusalPrinter(StringRef pass) : pass(pass) {}
  StringRef pass;
  void
  notifyMatchFailure(Location loc,
                     function_ref<void(Diagnostic &)> reasonCallback) override {
    Diagnostic diag(loc, DiagnosticSeverity::Remark);
    reasonCallback(diag);
    // Functions are rewritten in parallel: one report at a time.
    std::lock_guard<std::mutex> lock(refusalMutex);
    if (refusalHandler)
      refusalHandler(pass, loc, diag.str());
    if (!llvm::DebugFlag)
      return;
    std::string where = firstName(loc);
    llvm::errs() << pass << ": refused at "
                 << (where.empty() ? std::string("?") : "'" + where + "'")
                 << ": " << diag.str() << "\n";
  }
};
} // namespace

ScopedRefusalHandler::ScopedRefusalHandler(RefusalHandler handler) {
  std::lock_guard<std::mutex> lock(refusalMutex);
  refusalHandler = std::move(handler);
}

ScopedRefusalHandler::~ScopedRefusalHandler() {
  std::lock_guard<std::mutex> lock(refusalMutex);
  refusalHandler = nullptr;
}

LogicalResult rep::applyRepPatterns(Operation *op,
                                    const FrozenRewritePatternSet &patterns,
                                    StringRef passName) {
  GreedyRewriteConfig config;
  RefusalPrinter printer(passName);
  bool listen;
  {
    std::lock_guard<std::mutex> lock(refusalMutex);
    listen = llvm::DebugFlag || refusalHandler;
  }
  if (listen)
    config.listener = &printer;
  return applyPatternsAndFoldGreedily(op, patterns, config);
}

void rep::registerDebugFlag() {
  if (llvm::cl::getRegisteredOptions().count("debug"))
    return;
  static llvm::cl::opt<bool, true> debug(
      "debug", llvm::cl::desc("Print why each rewrite did not apply"),
      llvm::cl::location(llvm::DebugFlag));
}

ArrayRef<int64_t> rep::shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

std::optional<Tensor> rep::constantTensor(Value v) {
  auto c = v ? v.getDefiningOp<ConstantOp>() : ConstantOp();
  if (!c)
    return std::nullopt;
  Tensor t;
  t.shape.assign(shapeOf(v).begin(), shapeOf(v).end());
  Attribute value = c.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    auto values = dense.getValues<float>();
    t.data.assign(values.begin(), values.end());
    return t;
  }
  if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(value))
    if (auto data = res.tryGetAsArrayRef()) {
      t.data.assign(data->begin(), data->end());
      return t;
    }
  return std::nullopt;
}

std::string rep::firstName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (std::string n = firstName(l); !n.empty())
        return n;
  return "";
}

Value rep::createConstant(OpBuilder &b, Location loc, const Tensor &t) {
  auto type = RankedTensorType::get(t.shape, b.getF32Type());
  ElementsAttr attr;
  bool splat = !t.data.empty() &&
               llvm::all_of(t.data, [&](float v) { return v == t.data[0]; });
  if (splat) {
    attr = DenseElementsAttr::get(type, t.data[0]);
  } else if (t.data.size() <= 16) {
    attr = DenseElementsAttr::get(type, ArrayRef<float>(t.data));
  } else {
    // Resource keys must print as bare identifiers; the blob manager makes
    // them unique.
    std::string key = firstName(loc);
    for (char &c : key)
      if (!llvm::isAlnum(c) && c != '_' && c != '.')
        c = '_';
    key = key.empty() ? "folded" : "folded_" + key;
    attr = DenseResourceElementsAttr::get(
        type, key,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(
            ArrayRef<char>((const char *)t.data.data(), t.data.size() * 4),
            alignof(float)));
  }
  return b.create<ConstantOp>(loc, type, attr);
}

Location rep::foldedLoc(StringRef kind, Location into,
                        ArrayRef<Location> from) {
  SmallVector<Location> locs{into};
  llvm::append_range(locs, from);
  return FusedLoc::get(locs, StringAttr::get(into.getContext(), kind),
                       into.getContext());
}

Tensor rep::regroupWeight(const Tensor &w, int64_t groups, int64_t newGroups) {
  int64_t o = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  int64_t og = o / groups, ratio = groups / newGroups;
  Tensor r;
  r.shape = {o, cg * ratio, kh, kw};
  r.data.assign(r.numel(), 0.0f);
  int64_t k = kh * kw;
  for (int64_t oc = 0; oc < o; ++oc) {
    // Old group g sits at slot (g % ratio) of new group g / ratio.
    int64_t slot = (oc / og) % ratio;
    for (int64_t ic = 0; ic < cg; ++ic)
      std::copy_n(&w.data[(oc * cg + ic) * k], k,
                  &r.data[(oc * cg * ratio + slot * cg + ic) * k]);
  }
  return r;
}

Tensor rep::filledTensor(ArrayRef<int64_t> shape, float value) {
  Tensor t;
  t.shape.assign(shape.begin(), shape.end());
  t.data.assign(t.numel(), value);
  return t;
}

std::optional<std::vector<float>>
rep::uniformPerChannel(const Tensor &t, const Tensor &magnitude) {
  if (t.shape.size() < 2 || t.shape[0] != 1)
    return std::nullopt;
  int64_t c = t.shape[1], inner = t.numel() / std::max<int64_t>(c, 1);
  std::vector<float> values(c);
  float largest = 0;
  for (float m : magnitude.data)
    largest = std::max(largest, m);
  for (int64_t ch = 0; ch < c; ++ch) {
    const float *row = &t.data[ch * inner];
    const float *mag = &magnitude.data[ch * inner];
    double sum = 0;
    for (int64_t i = 0; i < inner; ++i) {
      if (std::abs(row[i] - row[0]) > (mag[i] + mag[0] + largest) * 0x1p-20f)
        return std::nullopt;
      sum += row[i];
    }
    values[ch] = sum / inner;
  }
  return values;
}

std::optional<Tensor> rep::broadcastTo(const Tensor &t,
                                       ArrayRef<int64_t> shape) {
  if (t.shape.size() > shape.size())
    return std::nullopt;
  size_t lead = shape.size() - t.shape.size();
  for (size_t d = 0; d < t.shape.size(); ++d)
    if (t.shape[d] != 1 && t.shape[d] != shape[lead + d])
      return std::nullopt;
  Tensor out = filledTensor(shape, 0.0f);
  forEachIndex(shape, [&](int64_t i, ArrayRef<int64_t> idx) {
    int64_t off = 0, stride = 1;
    for (int64_t d = (int64_t)t.shape.size() - 1; d >= 0; --d) {
      if (t.shape[d] != 1)
        off += idx[lead + d] * stride;
      stride *= t.shape[d];
    }
    out.data[i] = t.data[off];
  });
  return out;
}

bool rep::isConstant(Value v) { return v && v.getDefiningOp<ConstantOp>(); }

bool Affine::shiftIsZero() const {
  return llvm::all_of(shift, [](float v) { return v == 0.0f; });
}

bool Affine::isUniform() const {
  return llvm::all_equal(scale) && llvm::all_equal(shift);
}

bool Affine::isIdentity() const {
  return llvm::all_of(scale, [](float v) { return v == 1.0f; }) &&
         shiftIsZero();
}

Affine Affine::uniformOn(int64_t axisTo, int64_t size) const {
  assert(isUniform() && !scale.empty() && "only a uniform map moves axes");
  return Affine{axisTo, std::vector<float>(size, scale[0]),
                std::vector<float>(size, shift[0])};
}

Affine Affine::repeated(int64_t axisTo, int64_t r) const {
  Affine a{axisTo, {}, {}};
  for (size_t i = 0; i < scale.size() * r; ++i) {
    a.scale.push_back(scale[i / r]);
    a.shift.push_back(shift[i / r]);
  }
  return a;
}

Affine Affine::then(const Affine &next) const {
  Affine a{axis, scale, shift};
  for (size_t i = 0; i < scale.size(); ++i) {
    a.scale[i] = (double)scale[i] * next.scale[i];
    a.shift[i] = (double)shift[i] * next.scale[i] + next.shift[i];
  }
  return a;
}

std::optional<Affine> rep::affineOf(ChannelAffineOp op) {
  auto s = constantTensor(op.getScale()), t = constantTensor(op.getShift());
  if (!s || !t)
    return std::nullopt;
  return Affine{(int64_t)op.getAxis(), s->data, t->data};
}

int64_t rep::convFlops(ArrayRef<int64_t> outShape,
                       ArrayRef<int64_t> weightShape) {
  int64_t n = 2;
  for (int64_t d : outShape)
    n *= d;
  return n * weightShape[1] * weightShape[2] * weightShape[3];
}

Value rep::createAffine(OpBuilder &b, Location loc, Value x,
                        ArrayRef<float> scale, ArrayRef<float> shift,
                        int64_t axis) {
  Tensor s, t;
  s.shape = {(int64_t)scale.size()};
  s.data.assign(scale.begin(), scale.end());
  t.shape = s.shape;
  t.data.assign(shift.begin(), shift.end());
  return b.create<ChannelAffineOp>(
      loc, x.getType(), x, createConstant(b, loc, s), createConstant(b, loc, t),
      b.getI64IntegerAttr(axis));
}

std::optional<std::pair<int64_t, std::vector<float>>>
rep::perAxisValues(const Tensor &c, ArrayRef<int64_t> target) {
  size_t rank = target.size();
  if (c.shape.size() > rank)
    return std::nullopt;
  size_t lead = rank - c.shape.size();
  std::optional<int64_t> axis;
  for (size_t d = 0; d < c.shape.size(); ++d) {
    if (c.shape[d] == 1)
      continue;
    if (c.shape[d] != target[lead + d] || axis)
      return std::nullopt;
    axis = lead + d;
  }
  if (!axis) {
    // A scalar: any axis will do; take the channel axis of NCHW.
    axis = rank >= 2 ? 1 : 0;
    if (rank == 0)
      return std::nullopt;
    return std::pair(*axis, std::vector<float>(target[*axis], c.data[0]));
  }
  return std::pair(*axis, c.data);
}

Operation *rep::findFusable(Operation *from,
                            function_ref<bool(Operation *)> stop,
                            SmallVectorImpl<Operation *> *skipped) {
  Operation *next = from->getNextNode();
  for (unsigned n = 0; next && n < kMaxOpsBeforeEpilogue;
       next = next->getNextNode(), ++n) {
    if (next->hasTrait<OpTrait::IsTerminator>())
      return nullptr;
    if (stop(next))
      return next;
    if (skipped)
      skipped->push_back(next);
  }
  return nullptr;
}

Value rep::reshapeSource(Value v) {
  while (isa_and_nonnull<memref::ExpandShapeOp, memref::CollapseShapeOp>(
      v.getDefiningOp()))
    v = v.getDefiningOp()->getOperand(0);
  return v;
}
