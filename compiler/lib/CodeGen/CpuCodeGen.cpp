//===- CpuCodeGen.cpp - folded rep graph to native CPU code ---------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/CpuCodeGen.h"
#include "rep/CodeGen/Passes.h"
#include "rep/model_abi.h"
#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/X86TargetParser.h"
#include "llvm/Transforms/Utils/CodeExtractor.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <atomic>
#include <cstring>

using namespace mlir;
using namespace mlir::rep;

// The descriptor and launch table below are built as LLVM structs of these
// layouts (x86-64): a change to rep/model_abi.h fails here first.
static_assert(sizeof(rep_model_abi) == 112 &&
                  offsetof(rep_model_abi, run) == 56 &&
                  offsetof(rep_model_abi, cuda) == 80 &&
                  offsetof(rep_model_abi, weights_fingerprint) == 104,
              "rep_model_abi changed: update addModelDescriptor");
static_assert(sizeof(rep_cuda_program) == 64 &&
                  sizeof(rep_cuda_launch) == 40 && sizeof(rep_cuda_arg) == 16,
              "rep_cuda_program changed: update buildCudaHostModule");

void rep::registerCodeGenDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

void rep::registerCodeGenPasses() {
  static bool registered =
      (registerAllPasses(), registerRepPasses(), registerRepCodeGenPasses(),
       true);
  (void)registered;
}

ModelSignature rep::signatureOf(func::FuncOp func) {
  ModelSignature sig;
  FunctionType type = func.getFunctionType();
  auto io = [](Type t, Attribute name, unsigned i, const char *kind) {
    ModelSignature::Tensor tensor;
    auto shape = cast<RankedTensorType>(t).getShape();
    tensor.shape.assign(shape.begin(), shape.end());
    if (auto s = dyn_cast_or_null<StringAttr>(name))
      tensor.name = s.str();
    else
      tensor.name = (kind + std::to_string(i));
    return tensor;
  };
  for (unsigned i = 0; i < type.getNumInputs(); ++i)
    sig.inputs.push_back(
        io(type.getInput(i), func.getArgAttr(i, "rep.name"), i, "input"));
  for (unsigned i = 0; i < type.getNumResults(); ++i)
    sig.outputs.push_back(
        io(type.getResult(i), func.getResultAttr(i, "rep.name"), i, "output"));
  return sig;
}

LogicalResult rep::checkTargetCpu(StringRef cpu, std::string &error) {
  if (cpu.empty() ||
      llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) != llvm::X86::CK_None)
    return success();
  error = ("--cpu=" + cpu +
           ": not an x86-64 CPU LLVM knows (e.g. x86-64-v3, x86-64-v4, "
           "haswell, skylake-avx512, znver4)")
              .str();
  return failure();
}

void rep::buildLowerToLinalgPipeline(OpPassManager &pm, bool cpu) {
  // Grouped convs as dense ones per group: the CPU schedules have register
  // blocks for dense convs only (the GPU tiles grouped ones itself).
  if (cpu)
    pm.addNestedPass<func::FuncOp>(createSplitGroupedConvs());
  pm.addPass(createLowerToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createFuseElementwise());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createFusePadIntoProducers());
}

LogicalResult rep::runCodeGenPipeline(
    ModuleOp module, const CpuCodeGenOptions &options,
    llvm::function_ref<LogicalResult(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  if (options.configurePassManager &&
      failed(options.configurePassManager(pm)))
    return failure();
  if (failed(build(pm)))
    return failure();
  return pm.run(module);
}

LogicalResult rep::runCodeGenPipeline(ModuleOp module,
                                      const CpuCodeGenOptions &options,
                                      StringRef pipeline,
                                      std::unique_ptr<Pass> pass) {
  // The textual pipelines name upstream passes.
  registerCodeGenPasses();
  return runCodeGenPipeline(module, options, [&](OpPassManager &pm) {
    if (!pipeline.empty() &&
        failed(parsePassPipeline(pipeline, pm, llvm::errs())))
      return failure();
    if (pass)
      pm.addPass(std::move(pass));
    return success();
  });
}

LogicalResult rep::lowerLinalgToLLVM(ModuleOp module,
                                     const CpuCodeGenOptions &options,
                                     ModelSignature *sig) {
  if (failed(runCodeGenPipeline(module, options, [&](OpPassManager &pm) {
        buildCpuCodegenPipeline(pm, options);
        return success();
      })))
    return failure();
  ModelSignature ignored;
  takeModelArtifacts(module, sig ? *sig : ignored);
  return success();
}

void rep::takeModelArtifacts(ModuleOp module, ModelSignature &sig) {
  // The LLVM IR translation knows none of these attributes.
  for (auto func : module.getOps<FunctionOpInterface>()) {
    if (auto size = func->getAttrOfType<IntegerAttr>("rep.workspace_size"))
      sig.workspaceBytes = size.getInt();
    func->removeAttr("rep.workspace_size");
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
      func.removeArgAttr(i, "rep.workspace");
      func.removeArgAttr(i, "rep.weights");
    }
  }
  auto blob = module->getAttrOfType<DenseElementsAttr>("rep.weights");
  auto fingerprint =
      module->getAttrOfType<IntegerAttr>("rep.weights_fingerprint");
  if (blob && fingerprint) {
    ArrayRef<char> raw = blob.getRawData();
    sig.weights.assign(raw.begin(), raw.end());
    sig.weightsFingerprint = fingerprint.getValue().getZExtValue();
  }
  module->removeAttr("rep.weights");
  module->removeAttr("rep.weights_fingerprint");
}

LogicalResult rep::bufferizeAndPlanMemory(ModuleOp module,
                                          const CpuCodeGenOptions &options,
                                          ModelSignature *sig,
                                          bool liveThroughEpilogues) {
  if (failed(runCodeGenPipeline(module, options, [&](OpPassManager &pm) {
        buildBufferizePipeline(pm, liveThroughEpilogues);
        return success();
      })))
    return failure();
  ModelSignature ignored;
  takeModelArtifacts(module, sig ? *sig : ignored);
  return success();
}

namespace {

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CpuCodeGenOptions &options, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string triple = llvm::sys::getDefaultTargetTriple();
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu.empty() ? llvm::sys::getHostCPUName().str()
                                        : options.cpu;
  std::string features;
  if (options.cpu.empty()) {
    llvm::SubtargetFeatures f;
    for (auto &kv : llvm::sys::getHostCPUFeatures())
      f.AddFeature(kv.first(), kv.second);
    features = f.getString();
  }
  llvm::TargetOptions to;
  // The vectorized matmul and elementwise kernels multiply and add in
  // separate ops; fusing them into FMAs (-ffp-contract=fast) doubles their
  // throughput and rounds once instead of twice.
  to.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  auto *tm = target->createTargetMachine(triple, cpu, features, to,
                                         llvm::Reloc::PIC_, std::nullopt,
                                         llvm::CodeGenOptLevel::Aggressive);
  if (!tm)
    error = "no target machine for " + triple + " / " + cpu;
  return std::unique_ptr<llvm::TargetMachine>(tm);
}

/// The model ABI of runtime/include/rep/model_abi.h, in LLVM IR.
void addAbiGlue(llvm::Module &m, const ModelSignature &sig,
                const CpuCodeGenOptions &options) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::IRBuilder<> b(ctx);
  auto *ptr = b.getPtrTy();
  auto *i32 = b.getInt32Ty();
  const std::string &sym = options.symbol;
  llvm::Function *impl = m.getFunction(sym + "_impl");
  size_t nIn = sig.inputs.size(), nOut = sig.outputs.size();

  int64_t wsBytes = sig.workspaceBytes;
  auto *i64 = b.getInt64Ty();
  // External weights: the entry points take the mapped weights file too.
  bool external = !options.weightsFile.empty();
  size_t lead = external ? 2 : 1;
  bool implTakesWeights =
      external && impl->arg_size() > nIn + nOut + (wsBytes ? 1 : 0);

  // int SYM_run_with_workspace(void *ws, [const void *weights,]
  //                            const float *in..., float *out...)
  SmallVector<llvm::Type *> wsPtrs(nIn + nOut + lead, ptr);
  auto *runWs = llvm::Function::Create(
      llvm::FunctionType::get(i32, wsPtrs, false),
      llvm::GlobalValue::ExternalLinkage, sym + "_run_with_workspace", m);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", runWs));
  if (external) {
    // Refuse a weights file of another build: its magic and fingerprint
    // lead the header (rep-externalize-weights).
    llvm::Value *w = runWs->getArg(1);
    uint64_t magic;
    std::memcpy(&magic, kWeightsMagic, 8);
    llvm::Value *bad = b.CreateIsNull(w);
    auto *check = llvm::BasicBlock::Create(ctx, "check", runWs);
    auto *good = llvm::BasicBlock::Create(ctx, "good", runWs);
    auto *reject = llvm::BasicBlock::Create(ctx, "reject", runWs);
    b.CreateCondBr(bad, reject, check);
    b.SetInsertPoint(check);
    llvm::Value *ok = b.CreateAnd(
        b.CreateICmpEQ(b.CreateLoad(i64, w), b.getInt64(magic)),
        b.CreateICmpEQ(
            b.CreateLoad(i64, b.CreateConstGEP1_64(b.getInt8Ty(), w, 8)),
            b.getInt64(sig.weightsFingerprint)));
    b.CreateCondBr(ok, good, reject);
    b.SetInsertPoint(reject);
    b.CreateRet(b.getInt32(2));
    b.SetInsertPoint(good);
  }
  SmallVector<llvm::Value *> args;
  for (size_t i = lead; i < lead + nIn + nOut; ++i)
    args.push_back(runWs->getArg(i));
  if (wsBytes)
    args.push_back(runWs->getArg(0));
  if (implTakesWeights)
    args.push_back(runWs->getArg(1));
  b.CreateCall(impl, args);
  b.CreateRet(b.getInt32(0));

  // int SYM_run([const void *weights,] const float *in..., float *out...):
  // a workspace per call.
  SmallVector<llvm::Type *> ptrs(nIn + nOut + lead - 1, ptr);
  auto *run = llvm::Function::Create(llvm::FunctionType::get(i32, ptrs, false),
                                     llvm::GlobalValue::ExternalLinkage,
                                     sym + "_run", m);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", run));
  args.clear();
  llvm::Value *ws = llvm::ConstantPointerNull::get(ptr);
  if (wsBytes) {
    llvm::FunctionCallee alloc = m.getOrInsertFunction(
        "aligned_alloc", llvm::FunctionType::get(ptr, {i64, i64}, false));
    ws = b.CreateCall(alloc, {b.getInt64(64), b.getInt64(wsBytes)});
    auto *ok = llvm::BasicBlock::Create(ctx, "ok", run);
    auto *oom = llvm::BasicBlock::Create(ctx, "oom", run);
    b.CreateCondBr(b.CreateIsNull(ws), oom, ok);
    b.SetInsertPoint(oom);
    b.CreateRet(b.getInt32(1));
    b.SetInsertPoint(ok);
  }
  args.push_back(ws);
  for (auto &a : run->args())
    args.push_back(&a);
  llvm::Value *rc = b.CreateCall(runWs, args);
  if (wsBytes)
    b.CreateCall(m.getOrInsertFunction(
                     "free", llvm::FunctionType::get(b.getVoidTy(), {ptr}, false)),
                 {ws});
  b.CreateRet(rc);

  // int SYM_run_v(const float *const *ins, float *const *outs, void *ws,
  //               int threads, const void *weights)
  llvm::FunctionCallee setThreads = m.getOrInsertFunction(
      "omp_set_num_threads", llvm::FunctionType::get(b.getVoidTy(), {i32}, false));
  auto *runV = llvm::Function::Create(
      llvm::FunctionType::get(i32, {ptr, ptr, ptr, i32, ptr}, false),
      llvm::GlobalValue::InternalLinkage, sym + "_run_v", m);
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", runV);
  auto *set = llvm::BasicBlock::Create(ctx, "set", runV);
  auto *call = llvm::BasicBlock::Create(ctx, "call", runV);
  b.SetInsertPoint(entry);
  llvm::Value *threads = runV->getArg(3);
  b.CreateCondBr(b.CreateICmpSGT(threads, b.getInt32(0)), set, call);
  b.SetInsertPoint(set);
  // Per calling thread (an OpenMP ICV): concurrent callers do not interfere.
  b.CreateCall(setThreads, {threads});
  b.CreateBr(call);
  b.SetInsertPoint(call);
  args.clear();
  args.push_back(runV->getArg(2));
  if (external)
    args.push_back(runV->getArg(4));
  for (size_t i = 0; i < nIn + nOut; ++i) {
    llvm::Value *base = runV->getArg(i < nIn ? 0 : 1);
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, base, i < nIn ? i : i - nIn);
    args.push_back(b.CreateLoad(ptr, slot));
  }
  b.CreateRet(b.CreateCall(runWs, args));
  addModelDescriptor(m, sig, options, runV, /*device=*/0, nullptr);
}

} // namespace

void rep::addModelDescriptor(llvm::Module &m, const ModelSignature &sig,
                             const CpuCodeGenOptions &options,
                             llvm::Function *run, uint32_t device,
                             llvm::Constant *cuda) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::IRBuilder<> b(ctx);
  auto *ptr = b.getPtrTy();
  auto *i32 = b.getInt32Ty();
  auto *i64 = b.getInt64Ty();
  const std::string &sym = options.symbol;
  size_t nIn = sig.inputs.size(), nOut = sig.outputs.size();
  SmallVector<llvm::Constant *> names, ranks, dims;
  auto str = [&](StringRef s) -> llvm::Constant * {
    return stringConstant(m, s);
  };
  auto addTensor = [&](const ModelSignature::Tensor &t) {
    names.push_back(str(t.name));
    ranks.push_back(b.getInt32(t.shape.size()));
    for (int64_t d : t.shape)
      dims.push_back(b.getInt64(d));
  };
  for (auto &t : sig.inputs)
    addTensor(t);
  for (auto &t : sig.outputs)
    addTensor(t);
  auto array = [&](llvm::Type *elt, ArrayRef<llvm::Constant *> items,
                   StringRef name) -> llvm::Constant * {
    auto *type = llvm::ArrayType::get(elt, items.size());
    return new llvm::GlobalVariable(m, type, true,
                                    llvm::GlobalValue::PrivateLinkage,
                                    llvm::ConstantArray::get(type, items),
                                    sym + name);
  };
  // rep_model_abi (runtime/include/rep/model_abi.h); the static_asserts
  // at the top of the file hold this layout to the C struct's.
  auto *abiType =
      llvm::StructType::get(ctx, {i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr,
                                  ptr, i64, i32, i32, ptr, ptr, i64, i64});
  llvm::Constant *null = llvm::ConstantPointerNull::get(ptr);
  bool external = !options.weightsFile.empty();
  auto *abi = new llvm::GlobalVariable(
      m, abiType, true, llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantStruct::get(
          abiType,
          {b.getInt32(REP_MODEL_ABI_VERSION), b.getInt32(nIn),
           b.getInt32(nOut), b.getInt32(0),
           str(sym), str(REPC_VERSION_STRING), array(ptr, names, "_io_names"),
           array(i32, ranks, "_io_ranks"), array(i64, dims, "_io_dims"),
           run ? (llvm::Constant *)run : null, b.getInt64(sig.workspaceBytes),
           b.getInt32(device), b.getInt32(0), cuda ? cuda : null,
           external ? str(llvm::sys::path::filename(options.weightsFile))
                    : null,
           b.getInt64(external ? sig.weights.size() : 0),
           b.getInt64(external ? sig.weightsFingerprint : 0)}),
      sym + "_abi_data");
  auto getter = [&](StringRef name) {
    auto *f = llvm::Function::Create(llvm::FunctionType::get(ptr, false),
                                     llvm::GlobalValue::ExternalLinkage, name,
                                     m);
    llvm::IRBuilder<> fb(llvm::BasicBlock::Create(ctx, "entry", f));
    fb.CreateRet(abi);
  };
  getter(sym + "_abi");
  if (options.fixedEntry)
    getter("rep_model_entry");
}

llvm::Constant *rep::stringConstant(llvm::Module &m, StringRef s) {
  llvm::Constant *init = llvm::ConstantDataArray::getString(m.getContext(), s);
  auto *g = new llvm::GlobalVariable(m, init->getType(), true,
                                     llvm::GlobalValue::PrivateLinkage, init);
  g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return g;
}

/// Moves each top-level loop of `f` into a function of its own, which the
/// inliner leaves alone. The model function keeps only the glue between
/// kernels (the OpenMP regions are functions already), and what LLVM makes
/// of its loops (the copies between kernels, vectorized and interleaved
/// with runtime checks) spreads over the parts that are code-generated in
/// parallel. gMLP-S/16 at batch 8: the model function was 202K
/// instructions after O3, and its part took 12.4 s of the 15.8 s that O3
/// and code generation took on 2 cores.
static void extractTopLevelLoops(llvm::Function &f) {
  llvm::DominatorTree dt(f);
  llvm::LoopInfo loops(dt);
  SmallVector<llvm::Loop *> topLevel(loops.begin(), loops.end());
  if (topLevel.size() < 2)
    return;
  for (llvm::Loop *loop : topLevel) {
    llvm::CodeExtractorAnalysisCache cache(f);
    llvm::CodeExtractor extractor(dt, *loop);
    if (!extractor.isEligible())
      continue;
    if (llvm::Function *loopFn = extractor.extractCodeRegion(cache))
      loopFn->addFnAttr(llvm::Attribute::NoInline);
  }
}

llvm::Expected<std::unique_ptr<llvm::Module>>
rep::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &ctx,
                       const ModelSignature &sig,
                       const CpuCodeGenOptions &options, bool optimize) {
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(module, ctx);
  if (!m)
    return llvm::createStringError("translation to LLVM IR failed");
  std::string error;
  auto tm = createTargetMachine(options, error);
  if (!tm)
    return llvm::createStringError(error);
  m->setDataLayout(tm->createDataLayout());
  m->setTargetTriple(tm->getTargetTriple().str());
  for (llvm::Function &f : *m)
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", tm->getTargetCPU());
      f.addFnAttr("target-features", tm->getTargetFeatureString());
    }
  addAbiGlue(*m, sig, options);
  if (llvm::Function *impl = m->getFunction(options.symbol + "_impl"))
    extractTopLevelLoops(*impl);
  if (optimize)
    if (llvm::Error e = optimizeModule(*m, options))
      return std::move(e);
  return std::move(m);
}

llvm::Error rep::optimizeModule(llvm::Module &module,
                                const CpuCodeGenOptions &options) {
  std::string error;
  auto tm = createTargetMachine(options, error);
  if (!tm)
    return llvm::createStringError(error);
  return makeOptimizingTransformer(3, 0, tm.get())(&module);
}

llvm::Error rep::setHostTarget(llvm::Module &module,
                               const CpuCodeGenOptions &options) {
  std::string error;
  auto tm = createTargetMachine(options, error);
  if (!tm)
    return llvm::createStringError(error);
  module.setDataLayout(tm->createDataLayout());
  module.setTargetTriple(tm->getTargetTriple().str());
  return llvm::Error::success();
}

llvm::Error rep::emitObjectFile(llvm::Module &module, StringRef path,
                                const CpuCodeGenOptions &options) {
  std::string error;
  auto tm = createTargetMachine(options, error);
  if (!tm)
    return llvm::createStringError(error);
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot write " + path + ": " +
                                           ec.message());
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, out.os(), nullptr,
                              llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  pm.run(module);
  out.keep();
  return llvm::Error::success();
}

llvm::Error rep::emitObjectFiles(llvm::Module &module,
                                 ArrayRef<std::string> paths,
                                 const CpuCodeGenOptions &options,
                                 bool optimize,
                                 std::function<void(size_t)> onPartDone) {
  if (paths.size() == 1) {
    if (optimize)
      if (llvm::Error e = optimizeModule(module, options))
        return e;
    if (llvm::Error e = emitObjectFile(module, paths[0], options))
      return e;
    if (onPartDone)
      onPartDone(1);
    return llvm::Error::success();
  }
  // Each part goes through bitcode into a context of its own, as an
  // LLVMContext serves one thread at a time.
  SmallVector<SmallString<0>> parts;
  llvm::SplitModule(module, paths.size(),
                    [&](std::unique_ptr<llvm::Module> part) {
                      llvm::raw_svector_ostream os(parts.emplace_back());
                      llvm::WriteBitcodeToFile(*part, os);
                    });
  std::vector<std::string> errors(parts.size());
  std::atomic<size_t> done = 0;
  llvm::parallelFor(0, parts.size(), [&](size_t i) {
    llvm::LLVMContext ctx;
    auto part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(parts[i].str(), paths[i]), ctx);
    if (!part) {
      errors[i] = llvm::toString(part.takeError());
      return;
    }
    llvm::Error e = optimize ? optimizeModule(**part, options)
                             : llvm::Error::success();
    if (!e)
      e = emitObjectFile(**part, paths[i], options);
    if (e)
      errors[i] = llvm::toString(std::move(e));
    else if (onPartDone)
      onPartDone(++done);
  });
  for (const std::string &e : errors)
    if (!e.empty())
      return llvm::createStringError(e);
  return llvm::Error::success();
}

namespace {

/// Where the OpenMP runtime lives (Debian's libomp-19-dev).
const char *kOmpDir = REPC_OMP_LIBDIR;

llvm::Error runDriver(ArrayRef<std::string> extra, StringRef what) {
#ifdef REPC_SANITIZE_LINK_CC
  std::string cc = REPC_SANITIZE_LINK_CC;
#else
  std::string cc = "cc";
#endif
  if (const char *env = std::getenv("CC"); env && *env)
    cc = env;
  auto program = llvm::sys::findProgramByName(cc);
  if (!program)
    return llvm::createStringError("cannot find the C compiler driver '" + cc +
                                   "' to link the " + what.str() +
                                   " (set CC)");
  std::vector<StringRef> argv = {*program};
  for (const std::string &a : extra)
    argv.push_back(a);
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(*program, argv, std::nullopt, {}, 0, 0,
                                     &msg);
  if (rc != 0)
    return llvm::createStringError("linking the " + what.str() + " failed" +
                                   (msg.empty() ? "" : ": " + msg));
  return llvm::Error::success();
}

} // namespace

llvm::Error rep::linkShared(ArrayRef<std::string> objects,
                            StringRef output) {
  std::vector<std::string> args = {"-shared", "-o", output.str()};
  args.insert(args.end(), objects.begin(), objects.end());
  args.insert(args.end(), {std::string("-L") + kOmpDir,
                           std::string("-Wl,-rpath,") + kOmpDir, "-lomp",
                           "-lm"});
  return runDriver(args, "shared library");
}

llvm::Error rep::linkExecutable(ArrayRef<std::string> objects,
                                StringRef output, bool exportSymbols) {
  std::string self =
      llvm::sys::fs::getMainExecutable(nullptr, (void *)&linkExecutable);
  SmallString<256> libDir(llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(libDir, "lib");
  SmallString<256> main = libDir, rt = libDir;
  llvm::sys::path::append(main, "librep_exe_main.a");
  llvm::sys::path::append(rt, "librep_runtime.a");
  std::vector<std::string> args = {"-o", output.str()};
  args.insert(args.end(), objects.begin(), objects.end());
  args.insert(args.end(),
              {main.str().str(), rt.str().str(), std::string("-L") + kOmpDir,
               std::string("-Wl,-rpath,") + kOmpDir, "-lomp", "-lm", "-ldl"});
  if (exportSymbols)
    args.push_back("-rdynamic");
#ifdef REPC_SANITIZE_LINK_CC
  args.push_back("-fsanitize=address,undefined");
#endif
  return runDriver(args, "executable");
}

std::string rep::generateHeader(const ModelSignature &sig,
                                const CpuCodeGenOptions &options) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string sym = options.symbol, up = StringRef(sym).upper();
  os << "/* " << sym << ".h: generated by " << REPC_VERSION_STRING
     << "; do not edit. */\n"
     << "#ifndef " << up << "_H\n#define " << up << "_H\n\n"
     << "#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "#define " << up << "_VERSION \"" << REPC_VERSION_STRING << "\"\n";
  auto macros = [&](const char *kind, ArrayRef<ModelSignature::Tensor> ts) {
    for (size_t i = 0; i < ts.size(); ++i) {
      std::string p = up + "_" + kind + (ts.size() > 1 ? std::to_string(i) : "");
      int64_t n = 1;
      os << "#define " << p << "_RANK " << ts[i].shape.size() << "\n";
      for (size_t d = 0; d < ts[i].shape.size(); ++d) {
        os << "#define " << p << "_DIM" << d << " " << ts[i].shape[d] << "\n";
        n *= ts[i].shape[d];
      }
      os << "#define " << p << "_SIZE " << n << " /* floats: "
         << ts[i].name << " */\n";
    }
  };
  macros("INPUT", sig.inputs);
  macros("OUTPUT", sig.outputs);
  os << "#define " << up << "_WORKSPACE_SIZE " << sig.workspaceBytes
     << " /* bytes of scratch memory per run */\n";
  bool external = !options.weightsFile.empty();
  if (external)
    os << "#define " << up << "_WEIGHTS_FILE \""
       << llvm::sys::path::filename(options.weightsFile) << "\"\n"
       << "#define " << up << "_WEIGHTS_SIZE " << sig.weights.size()
       << " /* bytes: the whole weights file */\n";
  auto params = [&] {
    if (external)
      os << "const void *weights, ";
    for (size_t i = 0; i < sig.inputs.size(); ++i)
      os << "const float *"
         << (sig.inputs.size() > 1 ? "in" + std::to_string(i) : "in") << ", ";
    for (size_t i = 0; i < sig.outputs.size(); ++i)
      os << "float *"
         << (sig.outputs.size() > 1 ? "out" + std::to_string(i) : "out")
         << (i + 1 < sig.outputs.size() ? ", " : "");
  };
  os << "\n/* Runs the model on row-major float32 tensors of the sizes above.\n"
     << "   Thread-safe; uses OMP_NUM_THREADS threads (default: all cores).\n"
     << "   Allocates its workspace for the call. Returns 0, or 1 when out\n"
     << "   of memory.";
  if (external)
    os << "\n   `weights`: the contents of " << up
       << "_WEIGHTS_FILE (mapped or\n"
       << "   read whole, 64-byte aligned), kept unchanged during the call;\n"
       << "   returns 2 when it is NULL or the weights of another build.";
  os << " */\nint " << sym << "_run(";
  params();
  os << ");\n\n"
     << "/* The same on a caller-owned workspace of " << up
     << "_WORKSPACE_SIZE bytes,\n"
     << "   64-byte aligned (NULL when the size is 0), used by one call at a\n"
     << "   time: repeated runs allocate nothing. Returns 0"
     << (external ? ", or 2 (weights)" : "") << ". */\nint " << sym
     << "_run_with_workspace(void *workspace, ";
  params();
  os << ");\n\n"
     << "/* The descriptor rep_model_from_abi() (rep/runtime.h) accepts. */\n"
     << "const struct rep_model_abi *" << sym << "_abi(void);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << up << "_H */\n";
  return os.str();
}
