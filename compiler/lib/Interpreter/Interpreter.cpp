//===- Interpreter.cpp - reference interpreter for rep --------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Interpreter/Interpreter.h"
#include "rep/Dialect/RepDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::rep;

FailureOr<SmallVector<Tensor>> mlir::rep::interpret(
    func::FuncOp func, ArrayRef<Tensor> inputs,
    function_ref<void(Operation *, const Tensor &)> onResult) {
  FunctionType type = func.getFunctionType();
  if (inputs.size() != type.getNumInputs())
    return func.emitError() << "expects " << type.getNumInputs()
                            << " inputs, got " << inputs.size(),
           failure();
  DenseMap<Value, Tensor> env;
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    auto shape = cast<RankedTensorType>(arg.getType()).getShape();
    if (ArrayRef<int64_t>(inputs[i].shape) != shape)
      return func.emitError() << "input " << i << " has shape "
                              << formatShape(inputs[i].shape)
                              << ", the model takes " << formatShape(shape),
             failure();
    env[arg] = inputs[i];
  }

  auto get = [&](Value v) -> const Tensor & { return env.find(v)->second; };
  SmallVector<Tensor> results;
  for (Operation &op : func.getBody().front()) {
    if (auto c = dyn_cast<ConstantOp>(op)) {
      auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue());
      if (res && !res.getRawHandle().getBlob())
        return c.emitError() << "constant '" << res.getRawHandle().getKey()
                             << "' has no data (its dense_resource blob is "
                                "missing)",
               failure();
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        results.push_back(get(v));
      break;
    }
    SmallVector<const Tensor *> operands;
    for (Value v : op.getOperands())
      operands.push_back(&get(v));
    FailureOr<Tensor> out = evaluate(&op, operands);
    if (failed(out))
      return op.emitError() << "the interpreter does not know '"
                            << op.getName() << "'",
             failure();
    if (onResult)
      onResult(&op, *out);
    env[op.getResult(0)] = std::move(*out);
  }
  return results;
}

SmallVector<SmallVector<Tensor>> mlir::rep::randomInputs(func::FuncOp func,
                                                         unsigned count) {
  std::mt19937 rng(0);
  std::normal_distribution<float> dist;
  SmallVector<SmallVector<Tensor>> cases;
  for (unsigned i = 0; i < count; ++i) {
    SmallVector<Tensor> args;
    for (Type t : func.getFunctionType().getInputs()) {
      Tensor x;
      auto shape = cast<RankedTensorType>(t).getShape();
      x.shape.assign(shape.begin(), shape.end());
      x.data.resize(x.numel());
      for (float &v : x.data)
        v = dist(rng);
      args.push_back(std::move(x));
    }
    cases.push_back(std::move(args));
  }
  return cases;
}

std::pair<double, double> mlir::rep::compareTensors(const Tensor &ref,
                                                    const Tensor &got) {
  double err = 0, scale = 0;
  for (auto [a, b] : llvm::zip(ref.data, got.data)) {
    err = std::max(err, std::abs((double)a - b));
    scale = std::max(scale, std::abs((double)a));
  }
  return {err, scale > 0 ? err / scale : err};
}
