//===- Diagnostics.h - one-line diagnostics for the tools -------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_SUPPORT_DIAGNOSTICS_H
#define REP_SUPPORT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <string>

namespace mlir::rep {

/// Prints every diagnostic of `ctx` as one line,
/// `TOOL: FILE: node 'NAME': error: MESSAGE`, naming the ONNX node of its
/// location (or the .mlir line). Returns the handler's id.
DiagnosticEngine::HandlerID
registerOneLineDiagnostics(MLIRContext &ctx, std::string tool,
                           std::string file);

/// A status line on a terminal: `text` replaces the line stderr shows
/// (nothing happens when stderr is not a terminal). Any diagnostic printed
/// through registerOneLineDiagnostics clears it first. Safe from any
/// thread.
void showStatus(const llvm::Twine &text);
/// Erases the status line, if one is shown.
void clearStatus();

} // namespace mlir::rep

#endif // REP_SUPPORT_DIAGNOSTICS_H
