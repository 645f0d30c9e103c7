//===- PlanMemory.cpp - static buffers into one reused workspace ----------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A model runs its ops in program order, one top-level op at a time (the
// threads of an op join before the next starts), so a buffer is live from
// its allocation to the last top-level op touching it or any view of it.
// Buffers whose live ranges are disjoint may share bytes.
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/Support/Debug.h"

namespace mlir::rep {
#define GEN_PASS_DEF_PLANMEMORY
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

constexpr int64_t kAlignment = 64;

int64_t alignUp(int64_t n) {
  return (n + kAlignment - 1) / kAlignment * kAlignment;
}

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes;
  unsigned begin, end; // positions of top-level ops, inclusive
  int64_t offset = -1;
};

/// Bytes of a buffer this pass may place, or nullopt with the reason.
std::optional<int64_t> placeableBytes(memref::AllocOp alloc, std::string &why) {
  MemRefType type = alloc.getType();
  if (!type.hasStaticShape()) {
    why = "dynamic shape";
    return std::nullopt;
  }
  if (!type.getLayout().isIdentity() || type.getMemorySpace()) {
    why = "non-identity layout or memory space";
    return std::nullopt;
  }
  Type elt = type.getElementType();
  if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8) {
    why = "element type is not a whole number of bytes";
    return std::nullopt;
  }
  if (alloc.getAlignment() && *alloc.getAlignment() > kAlignment) {
    why = "alignment above 64";
    return std::nullopt;
  }
  return type.getNumElements() * (elt.getIntOrFloatBitWidth() / 8);
}

/// Calls `visit` on every user of `root` and of every memref an op makes
/// from it (views, casts, loop results: they may alias it), until `visit`
/// returns false; returns false then.
bool forEachAliasUser(Value root, function_ref<bool(Operation *)> visit) {
  SmallVector<Value> work = {root};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (Operation *user : v.getUsers()) {
      if (!visit(user))
        return false;
      for (Value r : user->getResults())
        if (isa<BaseMemRefType>(r.getType()))
          work.push_back(r);
    }
  }
  return true;
}

/// The position of the last top-level op that uses `root` or a memref
/// derived from it; failure if it escapes the function.
FailureOr<unsigned> lastUse(Value root, Block &body,
                            const DenseMap<Operation *, unsigned> &position,
                            std::string &why) {
  unsigned last = 0;
  bool contained = forEachAliasUser(root, [&](Operation *user) {
    if (isa<memref::DeallocOp>(user))
      return true;
    if (user->hasTrait<OpTrait::ReturnLike>() &&
        user->getParentOp() == body.getParentOp()) {
      why = "returned from the function";
      return false;
    }
    Operation *top = body.findAncestorOpInBlock(*user);
    if (!top) {
      why = "used outside the function body";
      return false;
    }
    last = std::max(last, position.lookup(top));
    return true;
  });
  if (!contained)
    return failure();
  return last;
}

/// First fit by decreasing size among the buffers live at the same time.
int64_t place(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order, [](Buffer *a, Buffer *b) {
    return a->bytes != b->bytes ? a->bytes > b->bytes : a->begin < b->begin;
  });
  int64_t total = 0;
  SmallVector<Buffer *> placed;
  for (Buffer *b : order) {
    SmallVector<Buffer *> live;
    for (Buffer *p : placed)
      if (p->begin <= b->end && b->begin <= p->end)
        live.push_back(p);
    llvm::sort(live,
               [](Buffer *x, Buffer *y) { return x->offset < y->offset; });
    int64_t offset = 0;
    for (Buffer *p : live) {
      if (offset + b->bytes <= p->offset)
        break;
      offset = std::max(offset, alignUp(p->offset + p->bytes));
    }
    b->offset = offset;
    total = std::max(total, alignUp(offset + b->bytes));
    placed.push_back(b);
  }
  return total;
}

/// A tile's scratch buffer (a fused conv's accumulator tile) is allocated
/// in the innermost loop; its contents never outlive an iteration, so one
/// buffer serves every iteration of the sequential loops around it. Moves
/// such allocations out of scf.for nests, stopping at parallel loops (each
/// thread needs its own) and at the function body, where the planner then
/// places them in the workspace.
void hoistOutOfSequentialLoops(FunctionOpInterface func) {
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp alloc) {
    // A buffer carried to the next iteration must stay fresh per iteration.
    if (alloc->getNumOperands() == 0 && isa<scf::ForOp>(alloc->getParentOp()) &&
        forEachAliasUser(alloc.getResult(), [](Operation *user) {
          return !user->hasTrait<OpTrait::IsTerminator>();
        }))
      allocs.push_back(alloc);
  });
  for (memref::AllocOp alloc : allocs) {
    Operation *outer = alloc->getParentOp();
    while (isa<scf::ForOp>(outer->getParentOp()))
      outer = outer->getParentOp();
    alloc->moveBefore(outer);
  }
}

struct PlanMemoryPass : rep::impl::PlanMemoryBase<PlanMemoryPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTableCollection symbols;
    SymbolUserMap users(symbols, module);
    for (auto func : module.getOps<FunctionOpInterface>()) {
      if (func.isExternal())
        continue;
      if (!users.getUsers(func).empty()) {
        if (llvm::DebugFlag)
          llvm::errs() << "rep-plan-memory: @" << func.getName()
                       << " is called; its callers would need the workspace "
                          "argument\n";
        continue;
      }
      hoistOutOfSequentialLoops(func);
      planFunction(func);
    }
  }

  void planFunction(FunctionOpInterface func) {
    // Program order is execution order only in a single block.
    if (!func.getFunctionBody().hasOneBlock())
      return;
    Block &body = func.getFunctionBody().front();
    DenseMap<Operation *, unsigned> position;
    unsigned i = 0;
    for (Operation &op : body)
      position[&op] = i++;
    if (liveThroughEpilogues)
      for (auto op : body.getOps<linalg::LinalgOp>()) {
        if (op.getNumReductionLoops() == 0)
          continue;
        auto epilogue = dyn_cast_or_null<linalg::GenericOp>(findFusable(
            op, [](Operation *x) { return isa<linalg::GenericOp>(x); }));
        if (!epilogue)
          continue;
        position[op] = position[epilogue];
        // A copy of the epilogue's output (through reshapes) into the next
        // conv's padded input fuses into the kernel too.
        auto copy = dyn_cast_or_null<linalg::CopyOp>(
            findFusable(epilogue, [](Operation *x) {
              return isa<linalg::GenericOp, linalg::CopyOp>(x);
            }));
        if (copy && epilogue.getNumDpsInits() == 1 &&
            reshapeSource(copy.getInputs()[0]) ==
                epilogue.getDpsInitOperand(0)->get())
          position[op] = position[epilogue] = position[copy];
      }

    SmallVector<Buffer> buffers;
    for (auto alloc : body.getOps<memref::AllocOp>()) {
      std::string why;
      std::optional<int64_t> bytes = placeableBytes(alloc, why);
      FailureOr<unsigned> end = failure();
      if (bytes)
        end = lastUse(alloc.getResult(), body, position, why);
      if (failed(end)) {
        if (llvm::DebugFlag)
          llvm::errs() << "rep-plan-memory: keeps " << alloc << ": " << why
                       << "\n";
        continue;
      }
      unsigned begin = position[alloc];
      buffers.push_back({alloc, *bytes, begin, std::max(begin, *end)});
    }
    if (buffers.empty())
      return;

    int64_t total = place(buffers);
    if (llvm::DebugFlag) {
      int64_t sum = 0;
      for (Buffer &buf : buffers)
        sum += alignUp(buf.bytes);
      llvm::errs() << "rep-plan-memory: @" << func.getName() << ": "
                   << buffers.size() << " buffers, " << sum
                   << " bytes, in a workspace of " << total << " bytes\n";
    }
    MLIRContext *ctx = func.getContext();
    auto wsType = MemRefType::get({total}, IntegerType::get(ctx, 8));
    unsigned argIndex = func.getNumArguments();
    func.insertArgument(
        argIndex, wsType,
        DictionaryAttr::get(
            ctx, {NamedAttribute(StringAttr::get(ctx, "rep.workspace"),
                                 UnitAttr::get(ctx))}),
        func.getLoc());
    Value ws = body.getArgument(argIndex);
    OpBuilder b(ctx);
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Location loc = buf.alloc.getLoc();
      Value offset = b.create<arith::ConstantIndexOp>(loc, buf.offset);
      Value view = b.create<memref::ViewOp>(loc, buf.alloc.getType(), ws,
                                            offset, ValueRange{});
      // Deallocations of a workspace view are no-ops: drop them.
      for (Operation *user : llvm::make_early_inc_range(buf.alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      buf.alloc.replaceAllUsesWith(view);
      buf.alloc.erase();
    }
    func->setAttr("rep.workspace_size",
                  IntegerAttr::get(IntegerType::get(ctx, 64), total));
  }
};

} // namespace
