//===- Stats.cpp - op counts, params and FLOPs of a rep graph -------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Support/Stats.h"
#include "rep/Dialect/RepDialect.h"

using namespace mlir;
using namespace mlir::rep;

static int64_t numel(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

GraphStats mlir::rep::computeStats(func::FuncOp func) {
  GraphStats s;
  func.walk([&](Operation *op) {
    if (auto c = dyn_cast<ConstantOp>(op)) {
      s.params += numel(c.getOutput());
    } else if (auto conv = dyn_cast<Conv2dOp>(op)) {
      ++s.conv;
      auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
      s.flops += 2 * numel(conv.getOutput()) * w[1] * w[2] * w[3];
    } else if (auto fc = dyn_cast<FcOp>(op)) {
      ++s.fc;
      auto w = cast<RankedTensorType>(fc.getWeight().getType()).getShape();
      s.flops += 2 * numel(fc.getOutput()) * w[1];
    } else if (auto mm = dyn_cast<MatmulOp>(op)) {
      ++s.fc;
      auto a = cast<RankedTensorType>(mm.getLhs().getType()).getShape();
      s.flops += 2 * numel(mm.getOutput()) * a.back();
    } else if (isa<BatchNormOp, ChannelAffineOp>(op)) {
      ++s.batchNorm;
    } else if (isa<AddOp>(op)) {
      ++s.add;
    } else if (op->getDialect() && isa<RepDialect>(op->getDialect())) {
      ++s.other;
    }
  });
  return s;
}

llvm::json::Object GraphStats::toJson() const {
  return llvm::json::Object{{"conv", conv},     {"fc", fc},
                            {"batch_norm", batchNorm}, {"add", add},
                            {"other", other},   {"params", params},
                            {"flops", flops}};
}
