//===- repc.cpp - the repc compiler driver --------------------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// repc MODEL.onnx [--emit=rep|stats] [-o OUT] [--run --input=x.npy
//      --output=y.npy] [--input-shape=NAME:1x3x224x224]
//
//===----------------------------------------------------------------------===//

#include "rep/Import/OnnxImporter.h"
#include "rep/Interpreter/Interpreter.h"
#include "rep/Support/Npy.h"
#include "rep/Support/Stats.h"
#include "rep/Transforms/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace llvm;

namespace {
enum class Emit { Rep, Stats };

cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                               cl::desc("<model.onnx | model.mlir>"));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default stdout)"),
                                cl::value_desc("file"), cl::init("-"));
cl::opt<Emit> emit(
    "emit", cl::desc("What to write"), cl::init(Emit::Rep),
    cl::values(clEnumValN(Emit::Rep, "rep", "the imported rep IR"),
               clEnumValN(Emit::Stats, "stats",
                          "op counts, params and FLOPs as JSON")));
cl::opt<bool> runModel("run",
                       cl::desc("Run the model with the reference interpreter"));
cl::list<std::string> inputs("input", cl::desc("Input .npy file (--run)"),
                             cl::value_desc("x.npy"));
cl::list<std::string> outputs("output", cl::desc("Output .npy file (--run)"),
                              cl::value_desc("y.npy"));
cl::list<std::string>
    inputShapes("input-shape", cl::desc("Static shape of a graph input"),
                cl::value_desc("NAME:1x3x224x224"));

void error(const Twine &msg) { errs() << "repc: error: " << msg << "\n"; }

/// One line per diagnostic, naming the file and the ONNX node.
LogicalResult printDiagnostic(Diagnostic &diag) {
  std::string where = inputFile;
  Location loc = diag.getLocation();
  if (auto fused = dyn_cast<FusedLoc>(loc); fused && !fused.getLocations().empty())
    loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    where += ": node '" + name.getName().str() + "'";
  else if (auto file = dyn_cast<FileLineColLoc>(loc); file && file.getLine())
    where = (file.getFilename().str() + ":" + std::to_string(file.getLine()) +
             ":" + std::to_string(file.getColumn()));
  const char *kind = diag.getSeverity() == DiagnosticSeverity::Error ? "error"
                     : diag.getSeverity() == DiagnosticSeverity::Warning
                         ? "warning"
                         : "note";
  errs() << "repc: " << where << ": " << kind << ": " << diag.str() << "\n";
  return success();
}

FailureOr<rep::OnnxImportOptions> parseImportOptions() {
  rep::OnnxImportOptions options;
  for (StringRef spec : inputShapes) {
    auto [name, dims] = spec.rsplit(':');
    SmallVector<int64_t> shape;
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d <= 0)
        return error("--input-shape=" + spec +
                     ": expected NAME:DxDx... with positive dims"),
               failure();
      shape.push_back(d);
    }
    if (name.empty() || shape.empty())
      return error("--input-shape=" + spec + ": expected NAME:DxDx..."),
             failure();
    options.inputShapes[name] = shape;
  }
  return options;
}

OwningOpRef<ModuleOp> load(MLIRContext &ctx) {
  if (StringRef(inputFile).ends_with(".mlir")) {
    llvm::SourceMgr sourceMgr;
    std::string err;
    auto file = openInputFile(inputFile, &err);
    if (!file)
      return error(inputFile + ": " + err), nullptr;
    sourceMgr.AddNewSourceBuffer(std::move(file), SMLoc());
    return parseSourceFile<ModuleOp>(sourceMgr, &ctx);
  }
  auto options = parseImportOptions();
  if (failed(options))
    return nullptr;
  return rep::importOnnxFile(inputFile, &ctx, *options);
}

int runInterpreter(ModuleOp module) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func)
    return error(inputFile + ": no function @main"), 1;
  SmallVector<rep::Tensor> args;
  for (const std::string &path : inputs) {
    auto t = rep::readNpy(path);
    if (!t)
      return error(toString(t.takeError())), 1;
    args.push_back(std::move(*t));
  }
  auto results = rep::interpret(func, args);
  if (failed(results))
    return 1;
  if (!outputs.empty() && outputs.size() != results->size())
    return error("the model has " + Twine(results->size()) +
                 " outputs, --output was given " + Twine(outputs.size()) +
                 " times"),
           1;
  for (auto [i, t] : llvm::enumerate(*results)) {
    if (!outputs.empty()) {
      if (Error e = rep::writeNpy(outputs[i], t))
        return error(toString(std::move(e))), 1;
      continue;
    }
    double sum = 0;
    for (float v : t.data)
      sum += v;
    outs() << "output " << i << ": shape";
    for (int64_t d : t.shape)
      outs() << " " << d;
    outs() << ", sum " << sum << "\n";
  }
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv,
                              "repc: structural re-parameterization compiler\n");
  if (!runModel && (!inputs.empty() || !outputs.empty()))
    return error("--input and --output need --run"), 1;

  DialectRegistry registry;
  rep::registerImportDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ctx.getDiagEngine().registerHandler(printDiagnostic);

  OwningOpRef<ModuleOp> module = load(ctx);
  if (!module)
    return 1;
  PassManager pm(&ctx);
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  rep::buildImportCleanupPipeline(pm);
  if (failed(pm.run(*module)))
    return 1;

  if (runModel && !emit.getNumOccurrences())
    return runInterpreter(*module);

  std::string err;
  auto out = openOutputFile(outputFile, &err);
  if (!out)
    return error(outputFile + ": " + err), 1;
  if (emit == Emit::Stats) {
    auto func = module->lookupSymbol<func::FuncOp>("main");
    rep::GraphStats stats = rep::computeStats(func);
    // Nothing folds yet, so the graph after re-parameterization is the
    // graph before it.
    json::Object root{{"before", stats.toJson()},
                      {"after", stats.toJson()},
                      {"folds", json::Array()}};
    out->os() << formatv("{0:2}", json::Value(std::move(root))) << "\n";
  } else {
    module->print(out->os(), OpPrintingFlags());
  }
  out->keep();
  if (runModel)
    return runInterpreter(*module);
  return 0;
}
