//===- Diagnostics.cpp - one-line diagnostics for the tools ---------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Support/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace mlir;

namespace {
std::mutex statusMutex;
bool statusShown = false;
} // namespace

void mlir::rep::showStatus(const llvm::Twine &text) {
  if (!llvm::errs().is_displayed())
    return;
  std::lock_guard<std::mutex> lock(statusMutex);
  llvm::errs() << "\r" << text << "\x1b[K";
  llvm::errs().flush();
  statusShown = true;
}

void mlir::rep::clearStatus() {
  std::lock_guard<std::mutex> lock(statusMutex);
  if (!statusShown)
    return;
  llvm::errs() << "\r\x1b[K";
  llvm::errs().flush();
  statusShown = false;
}

DiagnosticEngine::HandlerID
mlir::rep::registerOneLineDiagnostics(MLIRContext &ctx, std::string tool,
                                std::string file) {
  return ctx.getDiagEngine().registerHandler(
      [tool, file](Diagnostic &diag) -> LogicalResult {
        std::string where = file;
        Location loc = diag.getLocation();
        if (auto fused = dyn_cast<FusedLoc>(loc);
            fused && !fused.getLocations().empty())
          loc = fused.getLocations().front();
        if (auto name = dyn_cast<NameLoc>(loc))
          where += ": node '" + name.getName().str() + "'";
        else if (auto fl = dyn_cast<FileLineColLoc>(loc); fl && fl.getLine())
          where = fl.getFilename().str() + ":" + std::to_string(fl.getLine()) +
                  ":" + std::to_string(fl.getColumn());
        const char *kind =
            diag.getSeverity() == DiagnosticSeverity::Error     ? "error"
            : diag.getSeverity() == DiagnosticSeverity::Warning ? "warning"
            : diag.getSeverity() == DiagnosticSeverity::Remark  ? "remark"
                                                                : "note";
        clearStatus();
        llvm::errs() << tool << ": " << where << ": " << kind << ": "
                     << diag.str() << "\n";
        return success();
      });
}
