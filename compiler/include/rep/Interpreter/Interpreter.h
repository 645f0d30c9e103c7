//===- Interpreter.h - reference interpreter for rep ------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The oracle every pass and backend is checked against: plain loops over
// row-major float tensors, accumulating in double. Nothing here is fast;
// everything here should be obviously right.
//
//===----------------------------------------------------------------------===//

#ifndef REP_INTERPRETER_INTERPRETER_H
#define REP_INTERPRETER_INTERPRETER_H

#include "rep/Eval/Evaluate.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::rep {

/// Runs `func` (a function of rep ops) on `inputs`. Input count and shapes
/// must match the signature; a mismatch is emitted as an error on the
/// function and fails. `onResult`, when given, sees every op's result as
/// it is computed (rep-inspect compares intermediate values with it).
FailureOr<SmallVector<Tensor>>
interpret(func::FuncOp func, ArrayRef<Tensor> inputs,
          function_ref<void(Operation *, const Tensor &)> onResult = nullptr);

/// `count` sets of inputs for `func`, every element drawn from N(0, 1) by
/// one generator seeded with 0: the same inputs on every run.
SmallVector<SmallVector<Tensor>> randomInputs(func::FuncOp func,
                                              unsigned count);

/// The largest absolute difference of `got` from `ref`, and the relative
/// error `--verify` reports: that divided by the largest |ref|.
std::pair<double, double> compareTensors(const Tensor &ref, const Tensor &got);

} // namespace mlir::rep

#endif // REP_INTERPRETER_INTERPRETER_H
