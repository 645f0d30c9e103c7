//===- onnx-import-fuzzer.cpp - libFuzzer target: the ONNX importer -------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Imports the input as an ONNX model: binary protobuf, or the text format
// when built with REP_FUZZ_TEXT. With REP_FUZZ_FOLD the imported graph also
// goes through the import cleanup and the re-parameterization pipelines and
// the statistics of `repc --emit=stats`. Errors are diagnostics, dropped
// here; anything else (a signal, a sanitizer report, a leak) is a finding.
//
//===----------------------------------------------------------------------===//

#include "rep/Import/OnnxImporter.h"
#ifdef REP_FUZZ_FOLD
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "rep/Support/Stats.h"
#include "rep/Transforms/Passes.h"
#endif

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DialectRegistry registry;
  rep::registerImportDialects(registry);
  MLIRContext ctx(registry, MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &) { return success(); });
  // The name sets the format; its directory (none) is where external data
  // would be, so a fuzzed location finds nothing outside the working one.
#ifdef REP_FUZZ_TEXT
  const char *name = "fuzz.onnxtxt";
#else
  const char *name = "fuzz.onnx";
#endif
  OwningOpRef<ModuleOp> module = rep::importOnnxBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), name, &ctx);
  if (!module)
    return 0;
#ifdef REP_FUZZ_FOLD
  PassManager pm(&ctx);
  rep::buildImportCleanupPipeline(pm);
  if (failed(pm.run(*module)))
    return 0;
  PassManager fold(&ctx);
  rep::buildReparameterizePipeline(fold, {});
  if (failed(fold.run(*module)))
    return 0;
  auto main = module->lookupSymbol<func::FuncOp>("main");
  (void)rep::computeStats(main).toJson();
  (void)rep::collectFolds(main);
#endif
  return 0;
}
