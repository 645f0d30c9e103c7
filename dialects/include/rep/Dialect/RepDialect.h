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

/// Output size of one spatial dim of a conv or pool window.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBegin, int64_t padEnd, int64_t dilation,
                         bool ceilMode);

} // namespace mlir::rep

#endif // REP_DIALECT_REPDIALECT_H
