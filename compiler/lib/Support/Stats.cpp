//===- Stats.cpp - op counts, params and FLOPs of a rep graph -------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Support/Stats.h"
#include "rep/Dialect/RepDialect.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::rep;

static int64_t numel(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

int64_t mlir::rep::opFlops(Operation *op) {
  if (auto conv = dyn_cast<Conv2dOp>(op)) {
    auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
    return 2 * numel(conv.getOutput()) * w[1] * w[2] * w[3];
  }
  if (auto fc = dyn_cast<FcOp>(op)) {
    auto w = cast<RankedTensorType>(fc.getWeight().getType()).getShape();
    return 2 * numel(fc.getOutput()) * w[1];
  }
  if (auto mm = dyn_cast<MatmulOp>(op)) {
    auto a = cast<RankedTensorType>(mm.getLhs().getType()).getShape();
    return 2 * numel(mm.getOutput()) * a.back();
  }
  return 0;
}

/// A layer with weights: a matmul between two activations (attention)
/// is counted with the other ops, not as an fc.
static bool hasConstantOperand(Operation *op) {
  return llvm::any_of(op->getOperands(), [](Value v) {
    return isa_and_nonnull<ConstantOp>(v.getDefiningOp());
  });
}

/// An affine with one scale and one shift for every channel is scalar
/// arithmetic (an attention scale, HardSwish's x / 6 + 0.5), not a norm.
static bool isScalarAffine(Operation *op) {
  auto affine = cast<ChannelAffineOp>(op);
  for (Value v : {affine.getScale(), affine.getShift()}) {
    auto c = v.getDefiningOp<ConstantOp>();
    auto dense = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : nullptr;
    if (!dense || !dense.isSplat())
      return false;
  }
  return true;
}

GraphStats mlir::rep::computeStats(func::FuncOp func) {
  GraphStats s;
  func.walk([&](Operation *op) {
    s.flops += opFlops(op);
    if (auto c = dyn_cast<ConstantOp>(op))
      s.params += numel(c.getOutput());
    else if (isa<Conv2dOp>(op))
      ++s.conv;
    else if (isa<FcOp>(op) || (isa<MatmulOp>(op) && hasConstantOperand(op)))
      ++s.fc;
    else if (isa<BatchNormOp>(op) ||
             (isa<ChannelAffineOp>(op) && !isScalarAffine(op)))
      ++s.batchNorm;
    else if (isa<AddOp>(op))
      ++s.add;
    else if (op->getDialect() && isa<RepDialect>(op->getDialect()))
      ++s.other;
  });
  return s;
}

llvm::json::Object GraphStats::toJson() const {
  return llvm::json::Object{{"conv", conv},     {"fc", fc},
                            {"batch_norm", batchNorm}, {"add", add},
                            {"other", other},   {"params", params},
                            {"flops", flops}};
}

void mlir::rep::leafNames(Location loc, SmallVectorImpl<std::string> &names) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    std::string n = name.getName().str();
    if (!llvm::is_contained(names, n))
      names.push_back(n);
  } else if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location l : fused.getLocations())
      leafNames(l, names);
  }
}

namespace {
void folds(Location loc, llvm::json::Array &out, llvm::StringSet<> &seen) {
  auto fused = dyn_cast<FusedLoc>(loc);
  if (!fused)
    return;
  for (Location l : fused.getLocations())
    folds(l, out, seen);
  auto kind = dyn_cast_or_null<StringAttr>(fused.getMetadata());
  if (!kind || fused.getLocations().empty())
    return;
  SmallVector<std::string> into, from;
  leafNames(fused.getLocations().front(), into);
  for (Location l : fused.getLocations().drop_front())
    leafNames(l, from);
  if (into.empty())
    return;
  llvm::json::Array fromJson;
  std::string key = kind.str() + "|" + into.front();
  for (const std::string &n : from)
    if (n != into.front()) {
      fromJson.push_back(n);
      key += "|" + n;
    }
  if (!seen.insert(key).second)
    return;
  out.push_back(llvm::json::Object{{"kind", kind.str()},
                                   {"into", into.front()},
                                   {"from", std::move(fromJson)}});
}
} // namespace

llvm::json::Array mlir::rep::collectFolds(func::FuncOp func) {
  llvm::json::Array out;
  llvm::StringSet<> seen;
  func.walk([&](Operation *op) {
    if (!isa<ConstantOp>(op))
      folds(op->getLoc(), out, seen);
  });
  return out;
}
