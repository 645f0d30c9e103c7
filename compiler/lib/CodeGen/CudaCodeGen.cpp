//===- CudaCodeGen.cpp - folded rep graph to PTX and a launch table -------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/CudaCodeGen.h"
#include "rep/CodeGen/Passes.h"
#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::rep;

int64_t rep::multiprocessorsOf(StringRef arch) {
  return arch == "sm_90" ? 132 : 108;
}

LogicalResult rep::checkGpuArch(StringRef arch, std::string &error) {
  if (arch == "sm_80" || arch == "sm_90")
    return success();
  error = ("--gpu-arch=" + arch + ": expected sm_80 or sm_90").str();
  return failure();
}

namespace {

/// Resolves the host function's memrefs to the buffers the runtime owns.
class LaunchTableBuilder {
public:
  LaunchTableBuilder(func::FuncOp func, const ModelSignature &sig,
                     CudaProgram &program)
      : func(func), program(program), numInputs(sig.inputs.size()),
        numOutputs(sig.outputs.size()), workspaceBytes(sig.workspaceBytes) {}

  LogicalResult run() {
    for (Operation &op : func.getBody().front()) {
      if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
        if (failed(addLaunch(launch)))
          return failure();
        continue;
      }
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (failed(placeScratch(alloc)))
          return failure();
        continue;
      }
      // What the host keeps only names memory (views, globals: pure);
      // rep-map-parallel-loops-to-gpu moved all computation into kernels.
      if (isMemoryEffectFree(&op) || isa<func::ReturnOp>(op))
        continue;
      return op.emitError("cannot run on the GPU: '")
             << op.getName() << "' is left on the host";
    }
    return success();
  }

  /// The largest element index any kernel argument reaches from its base
  /// pointer: the kernels' views and loops stay inside their arguments.
  int64_t largestElementIndex() const { return largestIndex; }

  /// The workspace the launches need: the memory plan's, then scratch.
  int64_t workspaceSize() const { return std::max(workspaceBytes, scratchEnd); }

private:
  struct Root {
    uint32_t buffer, index;
    int64_t offset, size; // bytes: from the buffer's start, and its size
  };

  FailureOr<Root> rootOf(Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      unsigned i = arg.getArgNumber();
      auto type = cast<MemRefType>(arg.getType());
      int64_t bytes = type.getNumElements() * elementBytes(type);
      if (i < numInputs)
        return Root{CudaProgram::Input, i, 0, bytes};
      if (i < numInputs + numOutputs)
        return Root{CudaProgram::Output, unsigned(i - numInputs), 0, bytes};
      return Root{CudaProgram::Workspace, 0, 0, workspaceBytes};
    }
    Operation *def = v.getDefiningOp();
    if (auto global = dyn_cast<memref::GetGlobalOp>(def))
      return weightsOf(global);
    if (auto alloc = dyn_cast<memref::AllocOp>(def)) {
      auto it = scratch.find(alloc);
      if (it == scratch.end())
        return def->emitError("internal error: scratch used before placed");
      return it->second;
    }
    if (auto view = dyn_cast<memref::ViewOp>(def)) {
      auto shift = getConstantIntValue(view.getByteShift());
      auto root = rootOf(view.getSource());
      if (!shift || failed(root))
        return def->emitError("cannot place a view with a dynamic offset "
                              "for the GPU");
      root->offset += *shift;
      root->size -= *shift;
      return root;
    }
    // The other views keep their source's base pointer; their offsets are
    // static and in their types, which the kernels apply.
    if (isa<memref::SubViewOp, memref::ExpandShapeOp, memref::CollapseShapeOp,
            memref::ReinterpretCastOp, memref::CastOp>(def))
      return rootOf(def->getOperand(0));
    return def->emitError("cannot pass '")
           << def->getName() << "' to a GPU kernel";
  }

  static int64_t elementBytes(MemRefType type) {
    return llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  }

  /// The last op of the function that uses `v` or a view of it.
  Operation *lastUseOf(Value v) {
    Block &body = func.getBody().front();
    Operation *last = nullptr;
    for (Operation *user : v.getUsers()) {
      Operation *top = body.findAncestorOpInBlock(*user);
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == v)
        for (Value result : user->getResults())
          if (Operation *u = lastUseOf(result); u && top->isBeforeInBlock(u))
            top = u;
      if (!last || last->isBeforeInBlock(top))
        last = top;
    }
    return last;
  }

  /// Scratch that kernels asked for (a split GEMM's partial sums) goes
  /// past the memory plan's workspace, past what is still live there, so
  /// that consecutive kernels' scratch shares bytes.
  LogicalResult placeScratch(memref::AllocOp alloc) {
    auto type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
        !alloc.getDynamicSizes().empty() || !alloc.getSymbolOperands().empty())
      return alloc.emitError("cannot place a GPU buffer of dynamic size");
    llvm::erase_if(live, [&](const std::pair<Operation *, int64_t> &l) {
      return !l.first || l.first->isBeforeInBlock(alloc);
    });
    int64_t offset = llvm::alignTo(workspaceBytes, 256);
    for (auto &l : live)
      offset = std::max<int64_t>(offset, llvm::alignTo(l.second, 256));
    int64_t bytes = type.getNumElements() * elementBytes(type);
    scratch[alloc] = Root{CudaProgram::Workspace, 0, offset, bytes};
    live.push_back({lastUseOf(alloc), offset + bytes});
    scratchEnd = std::max(scratchEnd, offset + bytes);
    return success();
  }

  FailureOr<Root> weightsOf(memref::GetGlobalOp get) {
    auto [it, fresh] = globals.try_emplace(get.getNameAttr());
    if (!fresh)
      return it->second;
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        get, get.getNameAttr());
    auto init =
        global
            ? dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr())
            : nullptr;
    Type elt = global ? global.getType().getElementType() : Type();
    if (!init || !global.getConstant() || !elt.isIntOrFloat() ||
        elt.getIntOrFloatBitWidth() % 8)
      return get.emitError("cannot upload global '")
             << get.getName() << "' to the GPU: not a constant of whole bytes";
    // Aligned like cuMemAlloc's own allocations.
    size_t offset = llvm::alignTo(program.weights.size(), 256);
    program.weights.resize(offset);
    ArrayRef<char> raw = init.getRawData();
    int64_t n = init.getNumElements();
    if (init.isSplat())
      for (int64_t i = 0; i < n; ++i)
        program.weights.insert(program.weights.end(), raw.begin(), raw.end());
    else
      program.weights.insert(program.weights.end(), raw.begin(), raw.end());
    Root root{CudaProgram::Weights, 0, int64_t(offset),
              int64_t(program.weights.size() - offset)};
    it->second = root;
    return root;
  }

  LogicalResult addLaunch(gpu::LaunchFuncOp launch) {
    CudaProgram::Launch l{};
    auto [it, fresh] =
        kernels.try_emplace(launch.getKernelName(), program.kernels.size());
    if (fresh)
      program.kernels.push_back(launch.getKernelName().str());
    l.kernel = it->second;
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues(),
                    block = launch.getBlockSizeOperandValues();
    Value dims[6] = {grid.x, grid.y, grid.z, block.x, block.y, block.z};
    for (int i = 0; i < 6; ++i) {
      auto n = getConstantIntValue(dims[i]);
      if (!n || *n < 0 || *n > INT32_MAX)
        return launch.emitError("cannot launch a kernel of dynamic size");
      // A kernel over an empty tensor has nothing to do.
      if (*n == 0)
        return success();
      (i < 3 ? l.grid[i] : l.block[i - 3]) = uint32_t(*n);
    }
    if (Value shared = launch.getDynamicSharedMemorySize()) {
      auto n = getConstantIntValue(shared);
      if (!n)
        return launch.emitError("cannot launch a kernel with a dynamic "
                                "amount of shared memory");
      l.sharedBytes = uint32_t(*n);
    }
    l.firstArg = program.args.size();
    for (Value operand : launch.getKernelOperands()) {
      auto type = dyn_cast<MemRefType>(operand.getType());
      if (!type)
        return launch.emitError("kernel ")
               << launch.getKernelName() << " takes a " << operand.getType()
               << " from the host; kernels take buffers only";
      FailureOr<Root> root = rootOf(operand);
      if (failed(root))
        return failure();
      // The compiler's own check that the memory plan holds: the kernel
      // touches nothing outside its buffer.
      SmallVector<int64_t> strides;
      int64_t offset;
      if (failed(getStridesAndOffset(type, strides, offset)) ||
          !type.hasStaticShape() || ShapedType::isDynamic(offset) ||
          llvm::any_of(strides, ShapedType::isDynamic))
        return launch.emitError("kernel argument ")
               << type << " has no static layout";
      int64_t last = offset;
      for (auto [size, stride] : llvm::zip(type.getShape(), strides))
        last += (size - 1) * stride;
      int64_t end = type.getNumElements() ? (last + 1) * elementBytes(type) : 0;
      if (type.getNumElements())
        largestIndex = std::max(largestIndex, last);
      if (root->offset < 0 || end > root->size)
        return launch.emitError("internal error: kernel argument ")
               << type << " reaches past its buffer";
      program.args.push_back(
          {root->buffer, root->index, uint64_t(root->offset)});
    }
    l.numArgs = program.args.size() - l.firstArg;
    // The runtime passes at most 64 (runtime/lib/cuda.c).
    if (l.numArgs > 64)
      return launch.emitError("kernel ")
             << launch.getKernelName() << " takes " << l.numArgs
             << " buffers; the runtime passes at most 64";
    program.launches.push_back(l);
    return success();
  }

  func::FuncOp func;
  CudaProgram &program;
  size_t numInputs, numOutputs;
  int64_t workspaceBytes;
  DenseMap<StringRef, uint32_t> kernels;
  DenseMap<Attribute, Root> globals;
  DenseMap<Operation *, Root> scratch;
  /// The placed scratch's last users and ends.
  SmallVector<std::pair<Operation *, int64_t>> live;
  int64_t largestIndex = 0, scratchEnd = 0;
};

/// The kernels of `kernels` as host functions `K_body(args..., block,
/// thread, shared, barrier)`, lowered to the LLVM dialect with bare-pointer
/// memrefs (the kernels' own calling convention): `shared` is the block's
/// dynamic shared memory and `barrier` a function the emulator switches
/// threads in. Each kernel has one launch, whose sizes replace the
/// kernel's grid and block dimension queries.
FailureOr<OwningOpRef<ModuleOp>>
kernelsForHost(gpu::GPUModuleOp kernels, const CudaProgram &program,
               const CpuCodeGenOptions &options) {
  MLIRContext *ctx = kernels.getContext();
  Location loc = kernels.getLoc();
  OwningOpRef<ModuleOp> host = ModuleOp::create(loc);
  DenseMap<StringRef, const CudaProgram::Launch *> launchOf;
  for (const CudaProgram::Launch &l : program.launches)
    launchOf[program.kernels[l.kernel]] = &l;
  Type index = IndexType::get(ctx);
  auto barrierType = FunctionType::get(ctx, {}, {});
  // The host has one address space.
  AttrTypeReplacer flatten;
  flatten.addReplacement([](MemRefType type) -> std::optional<Type> {
    if (!isa_and_nonnull<gpu::AddressSpaceAttr>(type.getMemorySpace()))
      return std::nullopt;
    return MemRefType::get(type.getShape(), type.getElementType(),
                           type.getLayout());
  });
  for (auto kernel : kernels.getOps<gpu::GPUFuncOp>()) {
    const CudaProgram::Launch *launch = launchOf.lookup(kernel.getName());
    if (!launch)
      continue;
    if (launch->grid[1] * launch->grid[2] * launch->block[1] *
            launch->block[2] !=
        1)
      return kernel.emitError("host kernels map the x dimension only");
    if (!kernel.getWorkgroupAttributions().empty() ||
        !kernel.getPrivateAttributions().empty())
      return kernel.emitError("host kernels take no memory attributions");
    auto sharedType = MemRefType::get(
        {std::max<int64_t>(1, launch->sharedBytes)}, IntegerType::get(ctx, 8));
    SmallVector<Type> types(kernel.getArgumentTypes());
    types.append({index, index, sharedType, barrierType});
    auto func = func::FuncOp::create(loc, (kernel.getName() + "_body").str(),
                                     FunctionType::get(ctx, types, {}));
    host->push_back(func);
    IRMapping map;
    kernel.getBody().cloneInto(&func.getBody(), map);
    Block &entry = func.getBody().front();
    Value blockId = entry.addArgument(index, loc);
    Value threadId = entry.addArgument(index, loc);
    Value shared = entry.addArgument(sharedType, loc);
    Value barrier = entry.addArgument(barrierType, loc);
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    auto constant = [&](int64_t v) -> Value {
      return b.create<arith::ConstantIndexOp>(loc, v);
    };
    Value zero = constant(0), one = constant(1);
    Value gridX = constant(launch->grid[0]),
          blockX = constant(launch->block[0]);
    Value dynamicShared = b.create<memref::CastOp>(
        loc, MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8)),
        shared);
    SmallVector<Operation *> dead;
    func.walk([&](Operation *op) {
      auto pick = [&](gpu::Dimension d, Value x, Value other) {
        op->getResult(0).replaceAllUsesWith(d == gpu::Dimension::x ? x : other);
        dead.push_back(op);
      };
      if (auto id = dyn_cast<gpu::BlockIdOp>(op))
        pick(id.getDimension(), blockId, zero);
      else if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
        pick(id.getDimension(), threadId, zero);
      else if (auto dim = dyn_cast<gpu::GridDimOp>(op))
        pick(dim.getDimension(), gridX, one);
      else if (auto dim = dyn_cast<gpu::BlockDimOp>(op))
        pick(dim.getDimension(), blockX, one);
      else if (isa<gpu::DynamicSharedMemoryOp>(op)) {
        op->getResult(0).replaceAllUsesWith(dynamicShared);
        dead.push_back(op);
      } else if (isa<gpu::BarrierOp>(op)) {
        OpBuilder(op).create<func::CallIndirectOp>(op->getLoc(), barrier);
        dead.push_back(op);
      } else if (isa<gpu::ReturnOp>(op)) {
        OpBuilder rb(op);
        rb.create<func::ReturnOp>(op->getLoc());
        dead.push_back(op);
      }
    });
    for (Operation *op : dead)
      op->erase();
    flatten.recursivelyReplaceElementsIn(func, /*replaceAttrs=*/true,
                                         /*replaceLocs=*/false,
                                         /*replaceTypes=*/true);
  }
  if (failed(runCodeGenPipeline(
          *host, options,
          "canonicalize,expand-strided-metadata,lower-affine,"
          "convert-scf-to-cf,convert-vector-to-llvm,convert-math-to-llvm,"
          "convert-math-to-libm,finalize-memref-to-llvm,convert-arith-to-llvm,"
          "convert-cf-to-llvm,"
          "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
          "convert-index-to-llvm,reconcile-unrealized-casts")))
    return failure();
  return std::move(host);
}

/// Links the host kernels into `m` and wraps each as the emulator calls it,
/// once per thread: `void K(void **params, uint64_t block, uint64_t thread,
/// void *shared, void (*barrier)(void))`, where params[i] points to a
/// device pointer, as for cuLaunchKernel.
llvm::Error addHostKernels(llvm::Module &m, ModuleOp hostKernels,
                           const CudaProgram &program) {
  llvm::LLVMContext &ctx = m.getContext();
  std::unique_ptr<llvm::Module> bodies =
      translateModuleToLLVMIR(hostKernels, ctx);
  if (!bodies)
    return llvm::createStringError("translating the host kernels failed");
  bodies->setDataLayout(m.getDataLayout());
  bodies->setTargetTriple(m.getTargetTriple());
  if (llvm::Linker::linkModules(m, std::move(bodies)))
    return llvm::createStringError("linking the host kernels failed");
  llvm::IRBuilder<> b(ctx);
  auto *ptr = b.getPtrTy();
  auto *i64 = b.getInt64Ty();
  for (const std::string &name : program.kernels) {
    llvm::Function *body = m.getFunction(name + "_body");
    if (!body)
      return llvm::createStringError("no host kernel " + name);
    auto *wrapper = llvm::Function::Create(
        llvm::FunctionType::get(b.getVoidTy(), {ptr, i64, i64, ptr, ptr},
                                false),
        llvm::GlobalValue::ExternalLinkage, name, m);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", wrapper));
    SmallVector<llvm::Value *> args;
    unsigned numBuffers = body->arg_size() - 4;
    for (unsigned i = 0; i < numBuffers; ++i) {
      llvm::Value *slot =
          b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, wrapper->getArg(0), i));
      args.push_back(b.CreateIntToPtr(b.CreateLoad(i64, slot), ptr));
    }
    for (unsigned i = 1; i < 5; ++i)
      args.push_back(wrapper->getArg(i));
    b.CreateCall(body, args);
    b.CreateRetVoid();
  }
  return llvm::Error::success();
}

} // namespace

FailureOr<CudaProgram> rep::lowerLinalgToCuda(ModuleOp module,
                                              const CpuCodeGenOptions &options,
                                              const CudaCodeGenOptions &cuda,
                                              ModelSignature &sig) {
  std::string error;
  if (failed(checkGpuArch(cuda.arch, error)))
    return emitError(module.getLoc(), error);
  if (failed(bufferizeAndPlanMemory(module, options, &sig,
                                    /*liveThroughEpilogues=*/true)))
    return failure();
  auto funcs = llvm::to_vector(module.getOps<func::FuncOp>());
  if (funcs.size() != 1)
    return emitError(module.getLoc(), "expected one model function");
  func::FuncOp func = funcs.front();
  WalkResult unplanned = func.walk([](memref::AllocOp alloc) {
    alloc.emitError("cannot run on the GPU: a buffer the memory plan did not "
                    "place");
    return WalkResult::interrupt();
  });
  if (unplanned.wasInterrupted())
    return failure();
  if (failed(runCodeGenPipeline(module, options, [&](OpPassManager &pm) {
        buildCudaKernelsPipeline(pm, cuda);
        return success();
      })))
    return failure();

  CudaProgram program;
  LaunchTableBuilder table(func, sig, program);
  if (failed(table.run()))
    return failure();
  sig.workspaceBytes = table.workspaceSize();
  // 32-bit index arithmetic where every index fits: it halves the registers
  // addresses take, and the integer work on them (a 64-bit multiply is
  // several instructions).
  unsigned indexBits =
      table.largestElementIndex() < std::numeric_limits<int32_t>::max() ? 32
                                                                        : 64;
  if (cuda.hostKernels)
    for (auto kernels : module.getOps<gpu::GPUModuleOp>()) {
      auto host = kernelsForHost(kernels, program, options);
      if (failed(host))
        return failure();
      program.hostKernels = std::move(*host);
    }
  if (failed(runCodeGenPipeline(module, options, [&](OpPassManager &pm) {
        buildCudaToNVVMPipeline(pm, cuda, indexBits);
        return success();
      })))
    return failure();
  if (failed(runCodeGenPipeline(
          module, options,
          llvm::formatv("gpu-module-to-binary{{format=isa toolkit={0}}",
                        cuda.toolkit)
              .str())))
    return failure();
  if (!options.weightsFile.empty()) {
    // The weights file: its header, then the payload the runtime uploads.
    sig.weights.assign(kWeightsHeaderBytes, '\0');
    sig.weights.append(program.weights.begin(), program.weights.end());
    sig.weightsFingerprint = writeWeightsHeader(
        MutableArrayRef<char>(sig.weights.data(), sig.weights.size()));
  }
  for (auto binary : module.getOps<gpu::BinaryOp>())
    for (Attribute object : binary.getObjects())
      program.ptx += cast<gpu::ObjectAttr>(object).getObject().getValue();
  // The serialized PTX carries its C string terminator.
  while (!program.ptx.empty() && program.ptx.back() == '\0')
    program.ptx.pop_back();
  if (program.ptx.empty() && !program.launches.empty())
    return emitError(module.getLoc(), "the GPU kernels produced no PTX");
  return program;
}

llvm::Expected<std::unique_ptr<llvm::Module>>
rep::buildCudaHostModule(const CudaProgram &program, llvm::LLVMContext &ctx,
                         const ModelSignature &sig,
                         const CudaCodeGenOptions &cuda,
                         const CpuCodeGenOptions &options) {
  auto m = std::make_unique<llvm::Module>(options.symbol, ctx);
  if (llvm::Error e = setHostTarget(*m, options))
    return std::move(e);
  const std::string &sym = options.symbol;
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto u32 = [&](uint64_t v) { return llvm::ConstantInt::get(i32, v); };
  auto u64 = [&](uint64_t v) { return llvm::ConstantInt::get(i64, v); };
  auto global = [&](llvm::Constant *init, StringRef name, unsigned align) {
    auto *g = new llvm::GlobalVariable(*m, init->getType(), true,
                                       llvm::GlobalValue::PrivateLinkage, init,
                                       sym + name);
    g->setAlignment(llvm::Align(align));
    return g;
  };

  SmallVector<llvm::Constant *> names;
  for (const std::string &k : program.kernels)
    names.push_back(stringConstant(*m, k));
  auto *namesType = llvm::ArrayType::get(ptr, names.size());
  auto *launchType = llvm::ArrayType::get(i32, 10);
  SmallVector<llvm::Constant *> launches;
  for (const CudaProgram::Launch &l : program.launches)
    launches.push_back(llvm::ConstantArray::get(
        launchType,
        {u32(l.kernel), u32(l.grid[0]), u32(l.grid[1]), u32(l.grid[2]),
         u32(l.block[0]), u32(l.block[1]), u32(l.block[2]), u32(l.sharedBytes),
         u32(l.firstArg), u32(l.numArgs)}));
  auto *argType = llvm::StructType::get(ctx, {i32, i32, i64});
  SmallVector<llvm::Constant *> args;
  for (const CudaProgram::Arg &a : program.args)
    args.push_back(llvm::ConstantStruct::get(
        argType, {u32(a.buffer), u32(a.index), u64(a.offset)}));
  auto *launchesType = llvm::ArrayType::get(launchType, launches.size());
  auto *argsType = llvm::ArrayType::get(argType, args.size());
  llvm::Constant *weights = llvm::ConstantDataArray::getRaw(
      StringRef(program.weights.data(), program.weights.size()),
      program.weights.size(), llvm::Type::getInt8Ty(ctx));

  auto *programType =
      llvm::StructType::get(ctx, {ptr, ptr, i32, i32, ptr, ptr, ptr, ptr, i64});
  llvm::Constant *cudaProgram = global(
      llvm::ConstantStruct::get(
          programType,
          {global(llvm::ConstantDataArray::getString(ctx, program.ptx), "_ptx",
                  1),
           stringConstant(*m, cuda.arch), u32(program.kernels.size()),
           u32(program.launches.size()),
           global(llvm::ConstantArray::get(namesType, names), "_kernel_names",
                  8),
           global(llvm::ConstantArray::get(launchesType, launches), "_launches",
                  4),
           global(llvm::ConstantArray::get(argsType, args), "_args", 8),
           // External weights (--weights=FILE): the runtime maps the file.
           options.weightsFile.empty()
               ? static_cast<llvm::Constant *>(global(weights, "_weights", 64))
               : llvm::ConstantPointerNull::get(ptr),
           u64(program.weights.size())}),
      "_cuda", 8);
  addModelDescriptor(*m, sig, options, /*run=*/nullptr, /*device=*/1,
                     cudaProgram);
  if (program.hostKernels)
    if (llvm::Error e = addHostKernels(*m, *program.hostKernels, program))
      return std::move(e);
  return std::move(m);
}
