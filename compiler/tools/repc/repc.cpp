//===- repc.cpp - the repc compiler driver --------------------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// repc MODEL.onnx [--emit=rep|folded|onnx|stats] [-o OUT] [--no-fold]
//      [--force-merge] [--verify[=N]] [--tolerance=1e-4]
//      [--run --input=x.npy --output=y.npy] [--input-shape=NAME:1x3x224x224]
//
//===----------------------------------------------------------------------===//

#include "rep/Export/OnnxExporter.h"
#include "rep/Import/OnnxImporter.h"
#include "rep/Interpreter/Interpreter.h"
#include "rep/Support/Npy.h"
#include "rep/Support/Stats.h"
#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

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
#include <random>

using namespace mlir;
using namespace llvm;

namespace {
enum class Emit { Rep, Folded, Onnx, Stats };

cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                               cl::desc("<model.onnx | model.mlir>"));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default stdout)"),
                                cl::value_desc("file"), cl::init("-"));
cl::opt<Emit> emit(
    "emit", cl::desc("What to write"), cl::init(Emit::Rep),
    cl::values(clEnumValN(Emit::Rep, "rep", "the imported rep IR"),
               clEnumValN(Emit::Folded, "folded",
                          "the rep IR after re-parameterization"),
               clEnumValN(Emit::Onnx, "onnx",
                          "the folded graph as an ONNX model (opset 17)"),
               clEnumValN(Emit::Stats, "stats",
                          "op counts, params and FLOPs before and after "
                          "re-parameterization, and every fold, as JSON")));
cl::opt<bool> noFold("no-fold", cl::desc("Skip re-parameterization"));
cl::opt<bool> forceMerge(
    "force-merge",
    cl::desc("Apply merges the cost model refuses (they raise FLOPs or "
             "params)"));
cl::opt<std::string> verify(
    "verify", cl::ValueOptional, cl::value_desc("N"),
    cl::desc("Interpret the imported and the folded graph on N random inputs "
             "(default 3), or on --input, and compare"));
cl::opt<double> tolerance(
    "tolerance", cl::init(1e-4),
    cl::desc("Largest relative error --verify accepts (max abs error / max "
             "abs output)"));
cl::opt<bool> runModel("run",
                       cl::desc("Run the model with the reference interpreter"));
cl::list<std::string> inputs("input",
                             cl::desc("Input .npy file (--run, --verify)"),
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

FailureOr<SmallVector<rep::Tensor>> readInputs() {
  SmallVector<rep::Tensor> args;
  for (const std::string &path : inputs) {
    auto t = rep::readNpy(path);
    if (!t)
      return error(toString(t.takeError())), failure();
    args.push_back(std::move(*t));
  }
  return args;
}

int runInterpreter(ModuleOp module) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func)
    return error(inputFile + ": no function @main"), 1;
  auto args = readInputs();
  if (failed(args))
    return 1;
  auto results = rep::interpret(func, *args);
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
/// Runs both versions of one function on the same inputs and reports the
/// largest errors; `label` names the function when a module has several.
int verifyFunction(func::FuncOp before, func::FuncOp after, StringRef label) {
  SmallVector<SmallVector<rep::Tensor>> cases;
  if (!inputs.empty()) {
    auto args = readInputs();
    if (failed(args))
      return 1;
    cases.push_back(std::move(*args));
  } else {
    unsigned n = 3;
    if (!verify.empty() && (StringRef(verify).getAsInteger(10, n) || !n))
      return error("--verify=" + verify + ": expected a positive count"), 1;
    std::mt19937 rng(0);
    std::normal_distribution<float> dist;
    for (unsigned i = 0; i < n; ++i) {
      SmallVector<rep::Tensor> args;
      for (Type t : before.getFunctionType().getInputs()) {
        rep::Tensor x;
        auto shape = cast<RankedTensorType>(t).getShape();
        x.shape.assign(shape.begin(), shape.end());
        x.data.resize(x.numel());
        for (float &v : x.data)
          v = dist(rng);
        args.push_back(std::move(x));
      }
      cases.push_back(std::move(args));
    }
  }
  double maxAbs = 0, maxRel = 0;
  for (const auto &args : cases) {
    auto ref = rep::interpret(before, args);
    auto got = rep::interpret(after, args);
    if (failed(ref) || failed(got))
      return 1;
    for (auto [r, g] : llvm::zip(*ref, *got)) {
      double err = 0, scale = 0;
      for (auto [a, b] : llvm::zip(r.data, g.data)) {
        err = std::max(err, std::abs((double)a - b));
        scale = std::max(scale, std::abs((double)a));
      }
      maxAbs = std::max(maxAbs, err);
      maxRel = std::max(maxRel, scale > 0 ? err / scale : err);
    }
  }
  outs() << "verify" << label
         << formatv(": {0} input(s), max abs error {1:e2}, max relative "
                    "error {2:e2} (tolerance {3:e1})\n",
                    cases.size(), maxAbs, maxRel, (double)tolerance);
  if (!(maxRel <= tolerance))
    return error("the folded graph differs from the imported one beyond the "
                 "tolerance"),
           1;
  return 0;
}

/// --verify: every function of the module (an ONNX model has one, @main).
int runVerify(ModuleOp imported, ModuleOp folded) {
  auto funcs = llvm::to_vector(imported.getOps<func::FuncOp>());
  if (funcs.empty())
    return error(inputFile + ": no function to verify"), 1;
  int rc = 0;
  for (func::FuncOp before : funcs) {
    auto after = folded.lookupSymbol<func::FuncOp>(before.getSymName());
    std::string label =
        funcs.size() > 1 ? (" @" + before.getSymName()).str() : "";
    rc |= verifyFunction(before, after, label);
  }
  return rc;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  rep::registerDebugFlag();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv,
                              "repc: structural re-parameterization compiler\n");
  if (!outputs.empty() && !runModel)
    return error("--output needs --run"), 1;
  if (!inputs.empty() && !runModel && !verify.getNumOccurrences())
    return error("--input needs --run or --verify"), 1;

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

  // The imported graph stays for --emit=rep, the stats and --verify; the
  // clone shares its weight blobs.
  OwningOpRef<ModuleOp> imported = module->clone();
  if (!noFold) {
    PassManager fold(&ctx);
    if (failed(applyPassManagerCLOptions(fold)))
      return 1;
    rep::buildReparameterizePipeline(fold, {forceMerge});
    if (failed(fold.run(*module)))
      return 1;
  }

  bool verifying = verify.getNumOccurrences() > 0;
  if ((runModel || verifying) && !emit.getNumOccurrences()) {
    if (verifying) {
      if (int rc = runVerify(*imported, *module))
        return rc;
    }
    return runModel ? runInterpreter(*module) : 0;
  }

  std::string err;
  auto out = openOutputFile(outputFile, &err);
  if (!out)
    return error(outputFile + ": " + err), 1;
  if (emit == Emit::Stats) {
    auto before = imported->lookupSymbol<func::FuncOp>("main");
    auto after = module->lookupSymbol<func::FuncOp>("main");
    json::Object root{{"before", rep::computeStats(before).toJson()},
                      {"after", rep::computeStats(after).toJson()},
                      {"folds", rep::collectFolds(after)}};
    out->os() << formatv("{0:2}", json::Value(std::move(root))) << "\n";
  } else if (emit == Emit::Onnx) {
    if (failed(rep::exportOnnx(module->lookupSymbol<func::FuncOp>("main"),
                               out->os())))
      return 1;
  } else {
    (emit == Emit::Rep ? *imported : *module)
        ->print(out->os(), OpPrintingFlags());
  }
  out->keep();
  if (verifying)
    if (int rc = runVerify(*imported, *module))
      return rc;
  if (runModel)
    return runInterpreter(*module);
  return 0;
}
