//===- OnnxImporter.h - ONNX protobuf to rep dialect ------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reads what `torch.onnx.export` writes (opsets 11 to 23) into one
// `func.func @main` of `rep` ops. Shape sub-graphs (Shape, Gather, Unsqueeze,
// Concat, ... feeding Reshape) are evaluated at import, since every input
// shape is static. Each op keeps its ONNX node name as a NameLoc; weights
// become dense resource blobs that take over protobuf's buffers, so a
// model is never held twice.
//
//===----------------------------------------------------------------------===//

#ifndef REP_IMPORT_ONNXIMPORTER_H
#define REP_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::rep {

struct OnnxImportOptions {
  /// Overrides for graph input shapes (needed for dynamic dims).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
};

/// Imports a binary `.onnx` file, or the protobuf text format when the file
/// name ends in `.onnxtxt` or `.textproto`. Errors are emitted as MLIR
/// diagnostics on the node's NameLoc (or a FileLineColLoc for the file) and
/// a null module is returned.
OwningOpRef<ModuleOp> importOnnxFile(llvm::StringRef path, MLIRContext *ctx,
                                     const OnnxImportOptions &options = {});

/// Imports the bytes of an ONNX model as the file `name` would hold them:
/// `name` picks the format (as above), names the file in errors, and its
/// directory is where external data is looked up.
OwningOpRef<ModuleOp> importOnnxBuffer(llvm::StringRef contents,
                                       llvm::StringRef name, MLIRContext *ctx,
                                       const OnnxImportOptions &options = {});

/// Imports an ONNX model, or parses `path` as MLIR when it ends in `.mlir`
/// (rep IR at any stage). Errors go to the context's diagnostic handler.
OwningOpRef<ModuleOp> loadModelFile(llvm::StringRef path, MLIRContext *ctx,
                                    const OnnxImportOptions &options = {});

/// Adds one `--input-shape=NAME:DxDx...` to `options`; on a malformed spec
/// fails with the message in `err`.
LogicalResult parseInputShape(llvm::StringRef spec, OnnxImportOptions &options,
                              std::string &err);

/// The dialects the importer creates ops of.
void registerImportDialects(DialectRegistry &registry);

} // namespace mlir::rep

#endif // REP_IMPORT_ONNXIMPORTER_H
