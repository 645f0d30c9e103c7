//===- RepDialect.h - rep dialect -------------------------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_DIALECT_REPDIALECT_H
#define REP_DIALECT_REPDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "rep/Dialect/RepOpsDialect.h.inc"

#define GET_OP_CLASSES
#include "rep/Dialect/RepOps.h.inc"

namespace mlir::rep {

/// Broadcasts two shapes the numpy way; fails when a pair of dims differs
/// and neither is 1.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b);

/// "2x3x224x224", or "scalar" for rank 0: how every rep message names a
/// shape.
std::string formatShape(ArrayRef<int64_t> shape);

/// Calls f(flatIndex, multiIndex) for every element of `shape`, row-major.
template <typename F> void forEachIndex(ArrayRef<int64_t> shape, F f) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    f(i, ArrayRef<int64_t>(idx));
    for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

/// Output size of one spatial dim of a conv or pool window.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBegin, int64_t padEnd, int64_t dilation,
                         bool ceilMode);

} // namespace mlir::rep

#endif // REP_DIALECT_REPDIALECT_H
