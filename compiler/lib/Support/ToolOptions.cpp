//===- ToolOptions.cpp - the command lines of repc's tools ----------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Support/ToolOptions.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

cl::OptionCategory &mlir::rep::diagnosticsCategory() {
  static cl::OptionCategory category("Diagnostics",
                                     "Why a rewrite did not apply, timings, "
                                     "locations in printed IR");
  return category;
}

void mlir::rep::setupToolOptions(
    ArrayRef<const cl::OptionCategory *> categories) {
  // The MLIR flags docs/tools.md names keep a place in --help.
  static const char *const documented[] = {
      "debug",
      "mlir-timing",
      "mlir-print-debuginfo",
      "mlir-print-ir-after-all",
      "mlir-elide-resource-strings-if-larger",
      "mlir-disable-threading",
  };
  StringMap<cl::Option *> &all = cl::getRegisteredOptions();
  for (const char *name : documented)
    if (auto it = all.find(name); it != all.end()) {
      it->second->addCategory(diagnosticsCategory());
      it->second->setHiddenFlag(cl::NotHidden);
    }
  SmallVector<const cl::OptionCategory *> shown(categories);
  shown.push_back(&diagnosticsCategory());
  // Hidden, not really hidden (as cl::HideUnrelatedOptions would make
  // them): --help-hidden still lists LLVM's flags.
  static const char *const generic[] = {"help", "help-list", "version", "h"};
  for (auto &entry : all) {
    cl::Option *opt = entry.second;
    if (llvm::is_contained(generic, entry.getKey()) ||
        opt->getOptionHiddenFlag() != cl::NotHidden)
      continue;
    if (llvm::none_of(opt->Categories, [&](cl::OptionCategory *c) {
          return llvm::is_contained(shown, c);
        }))
      opt->setHiddenFlag(cl::Hidden);
  }
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "repc " << REPC_VERSION << "\n"
       << "  LLVM/MLIR " << LLVM_VERSION_STRING << "\n"
       << "  targets: x86-64 CPUs (SSE, AVX2, AVX-512; --cpu=), NVIDIA GPUs "
          "through PTX (sm_80, sm_90; --target=cuda)\n"
       << "  imports ONNX opsets 11-23, IR versions up to 11\n";
  });
}
