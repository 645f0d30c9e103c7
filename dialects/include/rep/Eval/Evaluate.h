//===- Evaluate.h - the semantics of each rep op ----------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What each rep op computes, on row-major float tensors, accumulating in
// double: the oracle that the interpreter (compiler/) runs graph by graph
// and that passes use to fold weight-only sub-graphs. It sits beside the
// dialect, below passes/, so both layers read one definition.
//
//===----------------------------------------------------------------------===//

#ifndef REP_EVAL_EVALUATE_H
#define REP_EVAL_EVALUATE_H

#include "rep/Eval/Tensor.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/LogicalResult.h"

namespace mlir::rep {

/// Evaluates one rep op on its operand values (in operand order). Fails,
/// without a diagnostic, on an op the interpreter does not know. Passes use
/// it to fold weight-only sub-graphs with the same semantics the oracle has.
FailureOr<Tensor> evaluate(Operation *op, ArrayRef<const Tensor *> operands);

/// NCHW/OIHW convolution with zero padding; pads are [top, left, bottom,
/// right]. The output shape follows from the input and the attributes.
Tensor conv2dReference(const Tensor &x, const Tensor &w, const Tensor *b,
                       ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                       ArrayRef<int64_t> dilations, int64_t groups);

} // namespace mlir::rep

#endif // REP_EVAL_EVALUATE_H
