//===- rep-inspect.cpp - see what was folded into what ---------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// rep-inspect MODEL.onnx|IR.mlir [--json] [--verify[=N]] [--dot=FILE]
//             [--html=FILE] [--force-merge] [--input-shape=NAME:1x3x224x224]
//
//===----------------------------------------------------------------------===//

#include "rep/Import/OnnxImporter.h"
#include "rep/Inspect/Inspect.h"
#include "rep/Support/Diagnostics.h"
#include "rep/Support/ToolOptions.h"
#include "rep/Transforms/Utils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace llvm;

namespace {
cl::OptionCategory reportCat("Report", "What rep-inspect shows, and where");

cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                               cl::desc("<model.onnx | rep IR .mlir>"),
                               cl::cat(reportCat));
cl::opt<bool> asJson("json", cl::desc("Print the report as JSON"), cl::cat(reportCat));
cl::opt<std::string> verify(
    "verify", cl::ValueOptional, cl::value_desc("N"),
    cl::desc("Compare every kernel with the training graph in the "
             "interpreter on N random inputs (default 3)"), cl::cat(reportCat));
cl::opt<std::string> dotFile("dot", cl::desc("Write both graphs as Graphviz"),
                             cl::value_desc("FILE"), cl::cat(reportCat));
cl::opt<std::string>
    htmlFile("html",
             cl::desc("Write both graphs side by side as one HTML page"),
             cl::value_desc("FILE"), cl::cat(reportCat));
cl::opt<bool> forceMerge(
    "force-merge",
    cl::desc("Apply merges the cost model refuses, as repc --force-merge"), cl::cat(reportCat));
cl::list<std::string>
    inputShapes("input-shape", cl::desc("Static shape of a graph input"),
                cl::value_desc("NAME:1x3x224x224"), cl::cat(reportCat));

void error(const Twine &msg) {
  errs() << "rep-inspect: error: " << msg << "\n";
}

/// Writes `file` with `write`; false (after saying why) on failure.
bool writeFile(StringRef file,
               llvm::function_ref<LogicalResult(raw_ostream &)> write) {
  std::string err;
  auto out = openOutputFile(file, &err);
  if (!out)
    return error(file + ": " + err), false;
  if (failed(write(out->os())))
    return false;
  out->keep();
  return true;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  rep::registerDebugFlag();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  rep::setupToolOptions({&reportCat});
  cl::ParseCommandLineOptions(
      argc, argv, "rep-inspect: what repc folds into what, and why not\n");

  rep::InspectOptions options;
  options.force = forceMerge;
  if (verify.getNumOccurrences()) {
    options.verifyCases = 3;
    if (!verify.empty() &&
        (StringRef(verify).getAsInteger(10, options.verifyCases) ||
         !options.verifyCases))
      return error("--verify=" + verify + ": expected a positive count"), 1;
  }
  rep::OnnxImportOptions importOptions;
  for (StringRef spec : inputShapes) {
    std::string err;
    if (failed(rep::parseInputShape(spec, importOptions, err)))
      return error(err), 1;
  }

  DialectRegistry registry;
  rep::registerImportDialects(registry);
  MLIRContext ctx(registry);
  rep::registerOneLineDiagnostics(ctx, "rep-inspect", inputFile);

  OwningOpRef<ModuleOp> module =
      rep::loadModelFile(inputFile, &ctx, importOptions);
  if (!module)
    return 1;
  FailureOr<rep::InspectResult> result =
      rep::inspect(std::move(module), options);
  if (failed(result))
    return 1;

  if (asJson)
    outs() << formatv("{0:2}", rep::reportToJson(*result)) << "\n";
  else
    rep::printReport(*result, outs());

  if (!dotFile.empty() && !writeFile(dotFile, [&](raw_ostream &os) {
        rep::writeDot(*result, os);
        return success();
      }))
    return 1;
  if (!htmlFile.empty() && !writeFile(htmlFile, [&](raw_ostream &os) {
        std::string title =
            "rep-inspect: " + sys::path::filename(inputFile).str();
        if (Error e = rep::writeHtml(*result, title, os))
          return error(htmlFile + ": " + toString(std::move(e))), failure();
        return success();
      }))
    return 1;
  return 0;
}
