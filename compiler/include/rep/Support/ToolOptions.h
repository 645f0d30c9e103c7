//===- ToolOptions.h - the command lines of repc's tools --------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `--help` shows a tool's own options in its categories: the hundreds of
// LLVM back-end flags that linking libLLVM registers stay out of it
// (`--help-hidden` still lists them). `--version` names repc's version,
// LLVM/MLIR's, and the targets.
//
//===----------------------------------------------------------------------===//

#ifndef REP_SUPPORT_TOOLOPTIONS_H
#define REP_SUPPORT_TOOLOPTIONS_H

#include "llvm/Support/CommandLine.h"

namespace mlir::rep {

/// The category of MLIR's and repc's debugging flags that docs/tools.md
/// documents (-debug, --mlir-timing, --mlir-print-debuginfo, ...).
llvm::cl::OptionCategory &diagnosticsCategory();

/// Puts the documented MLIR flags in diagnosticsCategory(), hides every
/// option outside `categories` and it from --help, and installs the
/// --version printer. Call after registering options, before parsing.
void setupToolOptions(llvm::ArrayRef<const llvm::cl::OptionCategory *>
                          categories);

} // namespace mlir::rep

#endif // REP_SUPPORT_TOOLOPTIONS_H
