//===- repc.cpp - the repc compiler driver --------------------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// repc MODEL.onnx [-o OUT]
//      [--emit=lib|obj|exe|llvm-ir|ptx|linalg|rep|folded|onnx|stats]
//      [--target=cpu|cuda] [--gpu-arch=sm_80|sm_90]
//      [--name=SYM] [--cpu=NAME] [--no-fold] [--force-merge]
//      [--verify[=N]] [--tolerance=1e-4]
//      [--run --input=x.npy --output=y.npy] [--input-shape=NAME:1x3x224x224]
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/CpuCodeGen.h"
#include "rep/CodeGen/CudaCodeGen.h"
#include "rep/Export/OnnxExporter.h"
#include "rep/Import/OnnxImporter.h"
#include "rep/Interpreter/Interpreter.h"
#include "rep/Support/Diagnostics.h"
#include "rep/Support/Npy.h"
#include "rep/Support/Stats.h"
#include "rep/Support/ToolOptions.h"
#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/ToolOutputFile.h"
#include <chrono>

using namespace mlir;
using namespace llvm;

namespace {
enum class Emit { Rep, Folded, Onnx, Stats, Linalg, LlvmIr, Ptx, Obj, Lib, Exe };
enum class Target { Cpu, Cuda };

cl::OptionCategory outputCat("Output", "What repc writes, and where");
cl::OptionCategory targetCat("Target", "What the compiled model runs on");
cl::OptionCategory foldCat("Re-parameterization");
cl::OptionCategory checkCat("Checking and running",
                            "The reference interpreter, --verify, shapes");
cl::OptionCategory &diagCat = rep::diagnosticsCategory();

cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                               cl::desc("<model.onnx | model.mlir>"),
                               cl::cat(outputCat));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default stdout)"),
                                cl::value_desc("file"), cl::init("-"), cl::cat(outputCat));
cl::opt<Emit> emit(
    "emit", cl::desc("What to write"), cl::init(Emit::Lib),
    cl::values(clEnumValN(Emit::Lib, "lib",
                          "a shared library rep-run and the runtime open "
                          "(default; MODEL.so)"),
               clEnumValN(Emit::Obj, "obj",
                          "an object file plus the C header SYM.h"),
               clEnumValN(Emit::Exe, "exe",
                          "a standalone binary: MODEL --input=x.npy "
                          "--output=y.npy"),
               clEnumValN(Emit::LlvmIr, "llvm-ir",
                          "the optimized LLVM IR (--target=cuda: of the "
                          "host library)"),
               clEnumValN(Emit::Ptx, "ptx",
                          "the GPU kernels as PTX (--target=cuda)"),
               clEnumValN(Emit::Linalg, "linalg",
                          "the folded graph as linalg on tensors"),
               clEnumValN(Emit::Rep, "rep", "the imported rep IR"),
               clEnumValN(Emit::Folded, "folded",
                          "the rep IR after re-parameterization"),
               clEnumValN(Emit::Onnx, "onnx",
                          "the folded graph as an ONNX model (opset 17)"),
               clEnumValN(Emit::Stats, "stats",
                          "op counts, params and FLOPs before and after "
                          "re-parameterization, and every fold, as JSON")), cl::cat(outputCat));
cl::opt<bool> noFold("no-fold", cl::desc("Skip re-parameterization"), cl::cat(foldCat));
cl::opt<std::string> symbolName(
    "name", cl::desc("C symbol prefix of the compiled model (SYM_run, SYM.h); "
                     "default: the input file's stem"),
    cl::value_desc("SYM"), cl::cat(outputCat));
cl::opt<Target> target(
    "target", cl::desc("What the compiled model runs on"),
    cl::init(Target::Cpu),
    cl::values(clEnumValN(Target::Cpu, "cpu", "this machine's CPU (default)"),
               clEnumValN(Target::Cuda, "cuda",
                          "an NVIDIA GPU, through the CUDA driver")), cl::cat(targetCat));
cl::opt<std::string> gpuArch("gpu-arch",
                             cl::desc("GPU architecture of --target=cuda: "
                                      "sm_80 (default) or sm_90"),
                             cl::init("sm_80"), cl::value_desc("sm_XX"), cl::cat(targetCat));
cl::opt<bool> gpuHostKernels(
    "gpu-host-kernels", cl::Hidden,
    cl::desc("--target=cuda: also compile the kernels for the host, for the "
             "CUDA driver emulator of the tests"), cl::cat(targetCat));
cl::opt<std::string> targetCpu(
    "cpu", cl::desc("Target CPU, as llc -mcpu (default: this host)"),
    cl::value_desc("name"), cl::cat(targetCat));
cl::opt<std::string> weightsFile(
    "weights",
    cl::desc("Write the weights to this file instead of into the code; the "
             "runtime maps it (looked up beside the library or executable "
             "by its name)"),
    cl::value_desc("FILE"), cl::cat(outputCat));
cl::opt<bool> noSchedules(
    "no-schedules", cl::Hidden,
    cl::desc("Compile every kernel as plain loops (debugging)"), cl::cat(targetCat));
cl::opt<bool> noWinograd(
    "no-winograd",
    cl::desc("Compute 3x3 convs directly, not as Winograd F(2x2, 3x3) "
             "(--target=cpu; results differ from it by a few ulps)"), cl::cat(targetCat));
cl::opt<bool> forceMerge(
    "force-merge",
    cl::desc("Apply merges the cost model refuses (they raise FLOPs or "
             "params)"), cl::cat(foldCat));
cl::opt<std::string> verify(
    "verify", cl::ValueOptional, cl::value_desc("N"),
    cl::desc("Interpret the imported and the folded graph on N random inputs "
             "(default 3), or on --input, and compare"), cl::cat(checkCat));
cl::opt<double> tolerance(
    "tolerance", cl::init(1e-4),
    cl::desc("Largest relative error --verify accepts (max abs error / max "
             "abs output)"), cl::cat(checkCat));
cl::opt<bool> runModel("run",
                       cl::desc("Run the model with the reference interpreter"), cl::cat(checkCat));
cl::list<std::string> inputs("input",
                             cl::desc("Input .npy file (--run, --verify)"),
                             cl::value_desc("x.npy"), cl::cat(checkCat));
cl::list<std::string> outputs("output", cl::desc("Output .npy file (--run)"),
                              cl::value_desc("y.npy"), cl::cat(checkCat));
cl::list<std::string>
    inputShapes("input-shape", cl::desc("Static shape of a graph input"),
                cl::value_desc("NAME:1x3x224x224"), cl::cat(checkCat));
cl::opt<bool> verbose("v", cl::desc("Print each phase as it starts, with the "
                                    "time since repc started"), cl::cat(diagCat));

/// Without -v, the phase under way on a terminal's status line, when the
/// results go to files (stdout would print over it).
bool statusLine = false;

/// Phase banners (-v) and the --mlir-timing report, whose scopes nest the
/// passes of every PassManager repc runs.
class Phases {
public:
  Phases() : start(std::chrono::steady_clock::now()) {
    applyDefaultTimingManagerCLOptions(timing);
    root = timing.getRootScope();
  }
  /// Starts the phase `what` (a timer of that name); -v prints it with
  /// `detail`.
  TimingScope enter(StringRef what, const Twine &detail = "") {
    banner(what + detail);
    if (statusLine)
      rep::showStatus("repc: " + what + detail + " ...");
    return root.nest(what);
  }
  void banner(const Twine &what) {
    rep::clearStatus();
    if (verbose)
      errs() << formatv("repc: [{0,6:f2} s] {1}\n",
                        std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - start)
                            .count(),
                        what.str());
  }
  LogicalResult configure(PassManager &pm, TimingScope &scope) {
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    if (timing.isEnabled())
      pm.enableTiming(scope);
    return success();
  }

private:
  std::chrono::steady_clock::time_point start;
  DefaultTimingManager timing;
  TimingScope root;
};
Phases *phases;

void error(const Twine &msg) {
  rep::clearStatus();
  errs() << "repc: error: " << msg << "\n";
}

OwningOpRef<ModuleOp> load(MLIRContext &ctx) {
  rep::OnnxImportOptions options;
  for (StringRef spec : inputShapes) {
    std::string err;
    if (failed(rep::parseInputShape(spec, options, err)))
      return error(err), nullptr;
  }
  return rep::loadModelFile(inputFile, &ctx, options);
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
    cases = rep::randomInputs(before, n);
  }
  // On a terminal: which input and graph, and how many of its ops are
  // done, on one line that the result replaces.
  bool progress = errs().is_displayed();
  auto run = [&](func::FuncOp func, ArrayRef<rep::Tensor> args, size_t index,
                 StringRef graph) {
    if (!progress)
      return rep::interpret(func, args);
    size_t total = func.getBody().front().getOperations().size(), done = 0;
    auto show = [&] {
      errs() << formatv("\rverify: input {0}/{1}, {2} graph, op {3}/{4}",
                        index + 1, cases.size(), graph, done, total);
      errs().flush();
    };
    show();
    return rep::interpret(func, args, [&](Operation *, const rep::Tensor &) {
      ++done;
      if (done % 16 == 0)
        show();
    });
  };
  double maxAbs = 0, maxRel = 0;
  for (auto [index, args] : llvm::enumerate(cases)) {
    auto ref = run(before, args, index, "imported");
    auto got = run(after, args, index, "folded");
    if (progress)
      errs() << "\r\x1b[K";
    if (failed(ref) || failed(got))
      return 1;
    for (auto [r, g] : llvm::zip(*ref, *got)) {
      auto [abs, rel] = rep::compareTensors(r, g);
      maxAbs = std::max(maxAbs, abs);
      maxRel = std::max(maxRel, rel);
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

/// The input's stem as a C identifier.
std::string defaultSymbol() {
  std::string s = sys::path::stem(inputFile).str();
  for (char &c : s)
    if (!isalnum((unsigned char)c))
      c = '_';
  if (s.empty() || isdigit((unsigned char)s[0]))
    s = "model_" + s;
  return s;
}

/// Writes `text` to `path` ("-": stdout).
int writeText(StringRef path, StringRef text) {
  std::string err;
  auto out = openOutputFile(path, &err);
  if (!out)
    return error(path + ": " + err), 1;
  out->os() << text;
  out->keep();
  return 0;
}

/// Writes the weights file of `--weights=FILE`.
int writeWeights(const rep::ModelSignature &sig) {
  std::string err;
  auto out = openOutputFile(weightsFile, &err);
  if (!out)
    return error(weightsFile + ": " + err), 1;
  out->os() << sig.weights;
  out->keep();
  return 0;
}

/// Links `module` for the host into the library or executable `path`.
int emitBinary(llvm::Module &module, StringRef path,
               const rep::CpuCodeGenOptions &options, bool optimize = false) {
  // Objects optimized and code-generated in parallel, when the module has
  // functions to share out (each OpenMP region is one:
  // rep-outline-parallel-regions). Four parts a core even out their sizes:
  // on 2 cores O3 + code generation took HorNet-T 14.9 s in one part, 10.1
  // in 2 and 8.7 in 8; the full Container 20.4, 13.2 and 11.3 s.
  unsigned parts = std::min(
      4 * llvm::hardware_concurrency().compute_thread_count(), 16u);
  if (llvm::count_if(module, [](const llvm::Function &f) {
        return !f.isDeclaration();
      }) < 2)
    parts = 1;
  std::vector<std::string> objects;
  std::vector<std::unique_ptr<llvm::FileRemover>> removers;
  for (unsigned i = 0; i < parts; ++i) {
    SmallString<128> object;
    if (std::error_code ec = sys::fs::createTemporaryFile("repc", "o", object))
      return error("cannot create a temporary file: " + ec.message()), 1;
    removers.push_back(std::make_unique<llvm::FileRemover>(object));
    objects.push_back(object.str().str());
  }
  StringRef what = optimize ? "optimizing (O3), emitting object code"
                            : "emitting object code";
  TimingScope emitting = phases->enter(
      what, formatv(" ({0} part{1})", parts, parts == 1 ? "" : "s").str());
  auto onPartDone = [&](size_t done) {
    if (statusLine)
      rep::showStatus(formatv("repc: {0} ({1}/{2} parts) ...", what, done,
                              parts));
  };
  if (Error e = rep::emitObjectFiles(module, objects, options, optimize,
                                     onPartDone))
    return error(toString(std::move(e))), 1;
  emitting.stop();
  TimingScope linking = phases->enter("linking");
  Error linked = emit == Emit::Lib ? rep::linkShared(objects, path)
                                   : rep::linkExecutable(objects, path,
                                                         gpuHostKernels);
  if (linked)
    return error(toString(std::move(linked))), 1;
  linking.stop();
  phases->banner("wrote " + path);
  return 0;
}

/// --target=cuda --emit=ptx|llvm-ir|lib|exe, from linalg on tensors.
int compileCuda(ModuleOp module, rep::ModelSignature &sig,
                rep::CpuCodeGenOptions &options, StringRef path) {
  rep::CudaCodeGenOptions cuda;
  cuda.arch = gpuArch;
  cuda.hostKernels = gpuHostKernels;
  if (const char *home = std::getenv("CUDA_HOME"); home && *home)
    cuda.toolkit = home;
  TimingScope scope =
      phases->enter("mapping kernels to the GPU, PTX for ", gpuArch);
  options.configurePassManager = [&](PassManager &pm) {
    return phases->configure(pm, scope);
  };
  FailureOr<rep::CudaProgram> program =
      rep::lowerLinalgToCuda(module, options, cuda, sig);
  scope.stop();
  if (failed(program))
    return 1;
  if (emit == Emit::Ptx)
    return writeText(path, program->ptx);
  if (!weightsFile.empty() && writeWeights(sig))
    return 1;
  llvm::LLVMContext llvmCtx;
  auto host = rep::buildCudaHostModule(*program, llvmCtx, sig, cuda, options);
  if (!host)
    return error(toString(host.takeError())), 1;
  if (emit == Emit::LlvmIr) {
    std::string text;
    raw_string_ostream os(text);
    (*host)->print(os, nullptr);
    return writeText(path, text);
  }
  return emitBinary(**host, path, options);
}

/// --emit=linalg|llvm-ir|ptx|obj|lib|exe.
int compile(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return error(inputFile + ": no function @main to compile"), 1;
  for (auto f : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    if (f != main)
      f.erase();
  rep::CpuCodeGenOptions options;
  options.symbol = symbolName.empty() ? defaultSymbol() : symbolName;
  options.cpu = targetCpu;
  options.fixedEntry = emit != Emit::Obj;
  options.schedules = !noSchedules;
  options.winograd = !noWinograd;
  options.weightsFile = weightsFile;
  if (options.symbol.empty() || isdigit((unsigned char)options.symbol[0]) ||
      llvm::any_of(options.symbol, [](char c) { return !isalnum((unsigned char)c) && c != '_'; }))
    return error("--name=" + options.symbol + ": not a C identifier"), 1;
  rep::ModelSignature sig = rep::signatureOf(main);
  main.setSymName(options.symbol + "_impl");
  main.setPrivate();
  for (unsigned i = 0; i < main.getNumArguments(); ++i)
    main.removeArgAttr(i, "rep.name");
  for (unsigned i = 0; i < main.getNumResults(); ++i)
    main.removeResultAttr(i, StringAttr::get(module.getContext(), "rep.name"));

  if (std::string err; failed(rep::checkTargetCpu(targetCpu, err)))
    return error(err), 1;
  if (target == Target::Cuda) {
    std::string err;
    if (failed(rep::checkGpuArch(gpuArch, err)))
      return error(err), 1;
    if (emit == Emit::Obj)
      return error("--emit=obj is for --target=cpu; a CUDA model is a "
                   "library (--emit=lib) or an executable (--emit=exe)"),
             1;
  } else if (emit == Emit::Ptx) {
    return error("--emit=ptx needs --target=cuda"), 1;
  } else if (gpuArch.getNumOccurrences()) {
    return error("--gpu-arch needs --target=cuda"), 1;
  }
  {
    TimingScope scope = phases->enter("lowering to linalg");
    PassManager pm(module.getContext());
    if (failed(phases->configure(pm, scope)))
      return 1;
    rep::buildLowerToLinalgPipeline(pm, target == Target::Cpu);
    if (failed(pm.run(module)))
      return 1;
  }

  std::string path = outputFile;
  bool binary = emit == Emit::Obj || emit == Emit::Lib || emit == Emit::Exe;
  if (binary && path == "-")
    path = sys::path::stem(inputFile).str() +
           (emit == Emit::Lib ? ".so" : emit == Emit::Obj ? ".o" : "");
  if (emit == Emit::Linalg) {
    std::string err;
    auto out = openOutputFile(path, &err);
    if (!out)
      return error(path + ": " + err), 1;
    module->print(out->os());
    out->keep();
    return 0;
  }
  if (target == Target::Cuda)
    return compileCuda(module, sig, options, path);
  {
    TimingScope scope =
        phases->enter("scheduling kernels, lowering to the LLVM dialect");
    options.configurePassManager = [&](PassManager &pm) {
      return phases->configure(pm, scope);
    };
    options.note = [](const Twine &what) { phases->banner("note: " + what); };
    options.progress = [](size_t done, size_t total) {
      if (!statusLine)
        return;
      if (done < total)
        rep::showStatus(
            formatv("repc: scheduling kernels ({0}/{1}) ...", done, total));
      else
        rep::showStatus("repc: lowering to the LLVM dialect ...");
    };
    if (failed(rep::lowerLinalgToLLVM(module, options, &sig)))
      return 1;
  }
  if (!weightsFile.empty() && writeWeights(sig))
    return 1;
  llvm::LLVMContext llvmCtx;
  // A library or executable is optimized part by part in emitBinary.
  bool optimizeWhole = emit == Emit::LlvmIr || emit == Emit::Obj;
  TimingScope translating = phases->enter(
      optimizeWhole ? "translating to LLVM IR, optimizing (O3)"
                    : "translating to LLVM IR");
  auto llvmModule =
      rep::translateToLLVMIR(module, llvmCtx, sig, options, optimizeWhole);
  translating.stop();
  if (!llvmModule)
    return error(toString(llvmModule.takeError())), 1;
  if (emit == Emit::LlvmIr) {
    std::string err;
    auto out = openOutputFile(path, &err);
    if (!out)
      return error(path + ": " + err), 1;
    (*llvmModule)->print(out->os(), nullptr);
    out->keep();
    return 0;
  }
  if (emit == Emit::Obj) {
    TimingScope emitting = phases->enter("emitting object code");
    if (Error e = rep::emitObjectFile(**llvmModule, path, options))
      return error(toString(std::move(e))), 1;
    SmallString<256> header(sys::path::parent_path(path));
    sys::path::append(header, options.symbol + ".h");
    std::string err;
    auto out = openOutputFile(header, &err);
    if (!out)
      return error(header + ": " + err), 1;
    out->os() << rep::generateHeader(sig, options);
    out->keep();
    phases->banner("wrote " + path + " and " + header);
    return 0;
  }
  return emitBinary(**llvmModule, path, options, /*optimize=*/true);
}

/// --verify: every function of the module (an ONNX model has one, @main).
int runVerify(ModuleOp imported, ModuleOp folded) {
  TimingScope scope = phases->enter("verifying in the interpreter");
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
  rep::registerCodeGenPasses();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  rep::setupToolOptions({&outputCat, &targetCat, &foldCat, &checkCat});
  cl::ParseCommandLineOptions(argc, argv,
                              "repc: structural re-parameterization compiler\n");
  if (!outputs.empty() && !runModel)
    return error("--output needs --run"), 1;
  if (!weightsFile.empty() && emit != Emit::Lib && emit != Emit::Obj &&
      emit != Emit::Exe && emit != Emit::LlvmIr)
    return error("--weights is for --emit=lib, obj, exe or llvm-ir"), 1;
  if (!inputs.empty() && !runModel && !verify.getNumOccurrences())
    return error("--input needs --run or --verify"), 1;

  DialectRegistry registry;
  rep::registerImportDialects(registry);
  rep::registerCodeGenDialects(registry);
  MLIRContext ctx(registry);
  ctx.getOrLoadDialect<rep::RepDialect>();
  ctx.getOrLoadDialect<func::FuncDialect>();
  rep::registerOneLineDiagnostics(ctx, "repc", inputFile);

  statusLine = !verbose && !runModel &&
               (outputFile != "-" || emit == Emit::Lib || emit == Emit::Obj ||
                emit == Emit::Exe);
  std::atexit([] { rep::clearStatus(); });
  Phases timedPhases;
  phases = &timedPhases;
  TimingScope importing = phases->enter("importing", " " + inputFile);
  OwningOpRef<ModuleOp> module = load(ctx);
  if (!module)
    return 1;
  PassManager pm(&ctx);
  if (failed(phases->configure(pm, importing)))
    return 1;
  rep::buildImportCleanupPipeline(pm);
  if (failed(pm.run(*module)))
    return 1;
  importing.stop();

  // The imported graph stays for --emit=rep, the stats and --verify; the
  // clone shares its weight blobs.
  OwningOpRef<ModuleOp> imported = module->clone();
  if (!noFold) {
    TimingScope folding = phases->enter("re-parameterizing");
    PassManager fold(&ctx);
    if (failed(phases->configure(fold, folding)))
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

  if (emit == Emit::Linalg || emit == Emit::LlvmIr || emit == Emit::Ptx ||
      emit == Emit::Obj || emit == Emit::Lib || emit == Emit::Exe) {
    if (verifying)
      if (int rc = runVerify(*imported, *module))
        return rc;
    return compile(*module);
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
