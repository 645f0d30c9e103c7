//===- OnnxExporter.h - rep dialect to ONNX ---------------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_EXPORT_ONNXEXPORTER_H
#define REP_EXPORT_ONNXEXPORTER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::rep {

/// Writes `func` as a binary ONNX model (opset 17, weights as
/// initializers), so the folded graph runs in ONNX Runtime or TensorRT.
/// Each node is named after the ONNX nodes folded into it. An op ONNX
/// cannot express is emitted as an error on it.
LogicalResult exportOnnx(func::FuncOp func, llvm::raw_ostream &os);

} // namespace mlir::rep

#endif // REP_EXPORT_ONNXEXPORTER_H
