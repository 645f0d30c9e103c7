//===- Stats.h - op counts, params and FLOPs of a rep graph -----*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_SUPPORT_STATS_H
#define REP_SUPPORT_STATS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/JSON.h"

namespace mlir::rep {

/// The counts of DESIGN.md's `--emit=stats`: `conv` (every convolution),
/// `fc` (fc, and matmul by a weight), `batch_norm` (batch_norm and
/// channel_affine left standalone, except scalar ones: one scale and shift
/// for every channel), `add`, `other` (every other compute op, attention's
/// matmuls between activations and scalar affines included; constants and
/// views of weights are not ops), `params` (scalars held by constants) and
/// `flops` (2 per multiply-add of conv, fc and matmul).
struct GraphStats {
  int64_t conv = 0, fc = 0, batchNorm = 0, add = 0, other = 0;
  int64_t params = 0, flops = 0;
  llvm::json::Object toJson() const;
};

GraphStats computeStats(func::FuncOp func);

/// FLOPs of one op as `computeStats` counts them (0 for non-conv/fc/matmul).
int64_t opFlops(Operation *op);

/// Every ONNX node name in `loc` (NameLocs, through FusedLocs), in order,
/// each once.
void leafNames(Location loc, SmallVectorImpl<std::string> &names);

/// Every fold recorded in the locations of `func`'s ops: one
/// `{"kind", "into", "from"}` object per FusedLoc that carries a fold kind,
/// naming the ONNX node that absorbed the others.
llvm::json::Array collectFolds(func::FuncOp func);

} // namespace mlir::rep

#endif // REP_SUPPORT_STATS_H
