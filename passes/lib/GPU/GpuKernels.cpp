//===- GpuKernels.cpp - what the GPU kernel builders share ---------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::rep::kernel;

namespace {

/// The bytes a memref reaches, from the start of the allocation it views:
/// a function argument or a global.
struct Extent {
  Value root;
  int64_t begin, end;
  /// The row-major array the view is a box of (its first view source with
  /// an identity layout), and the box's first index and sizes in it.
  Value array;
  SmallVector<int64_t> first, sizes;
};

std::optional<Extent> extentOf(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type || !type.hasStaticShape() ||
      failed(getStridesAndOffset(type, strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  int64_t bytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  int64_t last = offset;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides))
    last += (size - 1) * stride;
  Extent e{v, offset * bytes, (last + 1) * bytes, Value(), {}, {}};
  // Views other than memref.view keep their source's base pointer.
  auto boxIn = [&](Value array) {
    auto arrayType = cast<MemRefType>(array.getType());
    if (e.array || !arrayType.getLayout().isIdentity() ||
        arrayType.getRank() != type.getRank() ||
        SmallVector<int64_t>(computeStrides(arrayType.getShape())) != strides)
      return;
    e.array = array;
    int64_t rest = offset;
    for (int64_t stride : strides) {
      e.first.push_back(rest / stride);
      rest %= stride;
    }
    e.sizes.assign(type.getShape().begin(), type.getShape().end());
  };
  if (type.getLayout().isIdentity())
    boxIn(v);
  while (Operation *def = e.root.getDefiningOp()) {
    if (isa<memref::SubViewOp, memref::ExpandShapeOp, memref::CollapseShapeOp,
            memref::ReinterpretCastOp, memref::CastOp>(def)) {
      e.root = def->getOperand(0);
      boxIn(e.root);
      continue;
    }
    if (auto view = dyn_cast<memref::ViewOp>(def)) {
      std::optional<int64_t> shift = getConstantIntValue(view.getByteShift());
      if (!shift)
        return std::nullopt;
      e.begin += *shift;
      e.end += *shift;
      e.root = view.getSource();
      continue;
    }
    if (!isa<memref::GetGlobalOp>(def))
      return std::nullopt;
    break;
  }
  return e;
}

} // namespace

bool rep::kernel::mayOverlap(Value a, Value b) {
  std::optional<Extent> x = extentOf(a), y = extentOf(b);
  if (!x || !y)
    return true;
  if (x->root != y->root) {
    // Two reads of one global are the same memory; globals are never
    // written, so only arguments matter, and those are distinct buffers.
    auto gx = x->root.getDefiningOp<memref::GetGlobalOp>();
    auto gy = y->root.getDefiningOp<memref::GetGlobalOp>();
    return gx && gy && gx.getName() == gy.getName();
  }
  if (x->begin >= y->end || y->begin >= x->end)
    return false;
  // Boxes of one array (a padded buffer's interior and its borders) overlap
  // only where they do in every dimension.
  if (!x->array || x->array != y->array)
    return true;
  for (auto [f1, s1, f2, s2] :
       llvm::zip_equal(x->first, x->sizes, y->first, y->sizes))
    if (f1 + s1 <= f2 || f2 + s2 <= f1)
      return false;
  return true;
}

namespace {

/// An elementwise op over all of `out`'s elements, in its index order.
bool isElementwiseOver(linalg::LinalgOp op, Value out, bool asInit) {
  if (!op || !isa<func::FuncOp>(op->getParentOp()) ||
      !op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != op.getNumParallelLoops() ||
      op.getNumLoops() != cast<MemRefType>(out.getType()).getRank() ||
      !isa<MemRefType>(op.getDpsInitOperand(0)->get().getType()) ||
      !cast<MemRefType>(op.getDpsInitOperand(0)->get().getType())
           .getElementType()
           .isF32())
    return false;
  if (!op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return false;
  if (asInit && op.getDpsInitOperand(0)->get() != out)
    return false;
  if (op.hasIndexSemantics())
    return false;
  // Scalars must be constants, which the kernels rematerialize.
  for (OpOperand *in : op.getDpsInputOperands())
    if (!isa<MemRefType>(in->get().getType()) &&
        !in->get().getDefiningOp<arith::ConstantOp>())
      return false;
  return true;
}

} // namespace

linalg::LinalgOp rep::kernel::prologueOf(linalg::LinalgOp op, Value out) {
  auto prev = dyn_cast_or_null<linalg::LinalgOp>(op->getPrevNode());
  if (!isElementwiseOver(prev, out, /*asInit=*/true) ||
      prev.payloadUsesValueFromOperand(prev.getDpsInitOperand(0)))
    return {};
  for (OpOperand *in : prev.getDpsInputOperands())
    if (isa<MemRefType>(in->get().getType()) && mayOverlap(in->get(), out))
      return {};
  return prev;
}

namespace {

/// Whether `v` exists before `op` once the ops in `moved` move there.
bool availableBefore(Operation *op, Value v,
                     const SmallPtrSetImpl<Operation *> &moved) {
  Operation *def = v.getDefiningOp();
  return !def || def->getBlock() != op->getBlock() ||
         !op->isBeforeInBlock(def) || moved.contains(def);
}

} // namespace

bool rep::kernel::hoistOver(Operation *op, ArrayRef<Operation *> skipped,
                            ArrayRef<Value> buffers,
                            SmallVectorImpl<Operation *> &views) {
  SmallPtrSet<Operation *, 16> moved(views.begin(), views.end());
  SmallVector<Operation *> pure;
  for (Operation *x : skipped) {
    if (isMemoryEffectFree(x) && x->getNumRegions() == 0) {
      if (!llvm::all_of(x->getOperands(),
                        [&](Value v) { return availableBefore(op, v, moved); }))
        return false;
      moved.insert(x);
      pure.push_back(x);
      continue;
    }
    auto linalgOp = dyn_cast<linalg::LinalgOp>(x);
    if (!linalgOp || !linalgOp.hasPureBufferSemantics())
      return false;
    for (Value v : x->getOperands())
      if (isa<MemRefType>(v.getType()) &&
          llvm::any_of(buffers, [&](Value b) { return mayOverlap(v, b); }))
        return false;
  }
  llvm::append_range(views, pure);
  return true;
}

namespace {

/// The op after `op` that reads `op`'s output element by element (ReLU,
/// GELU, a residual add) into another buffer, or null. Each thread applies
/// it to its accumulators, so it must not write what `op` reads, nor read
/// what other threads write. Ops in between (the zero borders of the next
/// conv's padded input) may stay behind if they touch none of the
/// epilogue's buffers; `views` gets the pure ops in between, which the
/// fused kernel needs before it.
linalg::LinalgOp epilogueOf(linalg::LinalgOp op, Value out,
                            SmallVectorImpl<Operation *> &views) {
  SmallVector<Operation *> skipped;
  auto epilogue = dyn_cast_or_null<linalg::LinalgOp>(rep::findFusable(
      op, [](Operation *x) { return isa<linalg::GenericOp>(x); }, &skipped));
  if (!isElementwiseOver(epilogue, out, /*asInit=*/false))
    return {};
  Value dest = epilogue.getDpsInitOperand(0)->get();
  if (cast<MemRefType>(dest.getType()).getShape() !=
      cast<MemRefType>(out.getType()).getShape())
    return {};
  for (OpOperand *in : op.getDpsInputOperands())
    if (mayOverlap(in->get(), dest))
      return {};
  bool readsOut = false;
  SmallVector<Value> buffers{dest};
  for (OpOperand *in : epilogue.getDpsInputOperands()) {
    Value v = in->get();
    if (!isa<MemRefType>(v.getType()))
      continue;
    buffers.push_back(v);
    bool identity = epilogue.getMatchingIndexingMap(in).isIdentity();
    if (v == out && identity) {
      readsOut = true;
      continue;
    }
    if (mayOverlap(v, out) || (mayOverlap(v, dest) && !(v == dest && identity)))
      return {};
  }
  if (!readsOut || !hoistOver(op, skipped, buffers, views))
    return {};
  return epilogue;
}

/// The copy after `epilogue` that reads what the epilogue wrote, through
/// reshapes, into another buffer (ConvMixer's copy of a layer's output
/// into the interior of the next conv's padded input, where the residual
/// also reads the output): the kernel stores each value there too, and
/// the copy goes. Null unless that buffer overlaps none of the kernel's
/// and the ops in between (the padded input's border fills) touch none of
/// them either; `views` gets the pure ops in between, which the kernel
/// needs before it. `rep-plan-memory{live-through-epilogues}` keeps the
/// kernel's operands live up to such a copy.
linalg::CopyOp copyAfter(linalg::LinalgOp op, linalg::LinalgOp epilogue,
                         SmallVectorImpl<Operation *> &views) {
  Value dest = epilogue.getDpsInitOperand(0)->get();
  if (!cast<MemRefType>(dest.getType()).getLayout().isIdentity())
    return {};
  SmallVector<Operation *> skipped;
  auto copy = dyn_cast_or_null<linalg::CopyOp>(rep::findFusable(
      epilogue,
      [](Operation *x) { return isa<linalg::GenericOp, linalg::CopyOp>(x); },
      &skipped));
  // Reshapes of an identity layout keep the elements' order.
  if (!copy || !copy.hasPureBufferSemantics() ||
      rep::reshapeSource(copy.getInputs()[0]) != dest)
    return {};
  Value target = copy.getOutputs()[0];
  // The ops between the kernel and its epilogue that stay behind run after
  // the kernel now, and with it the copy: they must not touch its target.
  for (Operation *x = op->getNextNode(); x != epilogue.getOperation();
       x = x->getNextNode())
    if (!isMemoryEffectFree(x) && llvm::any_of(x->getOperands(), [&](Value v) {
          return isa<MemRefType>(v.getType()) && mayOverlap(v, target);
        }))
      return {};
  SmallVector<Value> buffers{target};
  for (Operation *x : {op.getOperation(), epilogue.getOperation()})
    for (Value v : x->getOperands())
      if (isa<MemRefType>(v.getType())) {
        if (mayOverlap(v, target))
          return {};
        buffers.push_back(v);
      }
  SmallVector<Operation *> hoisted(views.begin(), views.end());
  if (!hoistOver(op, skipped, buffers, hoisted))
    return {};
  // The copy's operands must exist before the kernel too.
  SmallPtrSet<Operation *, 16> moved(hoisted.begin(), hoisted.end());
  if (!llvm::all_of(copy->getOperands(),
                    [&](Value v) { return availableBefore(op, v, moved); }))
    return {};
  views.assign(hoisted.begin(), hoisted.end());
  return copy;
}

} // namespace

Value rep::kernel::evaluateAt(KernelBuilder &h, linalg::LinalgOp op,
                              ArrayRef<Value> indices,
                              function_ref<Value(OpOperand *)> known) {
  IRMapping map;
  Block *body = op.getBlock();
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = body->getArgument(operand.getOperandNumber());
    if (arg.use_empty())
      continue;
    Value v = known(&operand);
    if (!v && !isa<MemRefType>(operand.get().getType()))
      v = h.b.clone(*operand.get().getDefiningOp())->getResult(0);
    if (!v)
      v = h.load(operand.get(),
                 h.apply(op.getMatchingIndexingMap(&operand), indices),
                 Value());
    map.map(arg, v);
  }
  for (Operation &inner : body->without_terminator())
    h.b.clone(inner, map);
  return map.lookupOrDefault(body->getTerminator()->getOperand(0));
}

/// Builds `op`'s kernel with `build(fusion)`, with the ops it fuses, and
/// erases what the kernel replaces.
void rep::kernel::replaceWithKernel(linalg::LinalgOp op,
                                    PatternRewriter &rewriter,
                                    function_ref<void(const Fusion &)> build) {
  Value out = op.getDpsInitOperand(0)->get();
  Fusion f;
  f.prologue = prologueOf(op, out);
  SmallVector<Operation *> views;
  f.epilogue = epilogueOf(op, out, views);
  if (f.epilogue)
    f.copy = copyAfter(op, f.epilogue, views);
  for (Operation *view : views)
    rewriter.moveOpBefore(view, op);
  build(f);
  rewriter.eraseOp(op);
  for (Operation *fused : {f.prologue.getOperation(), f.epilogue.getOperation(),
                           f.copy.getOperation()})
    if (fused)
      rewriter.eraseOp(fused);
}

/// The value output element `indices` starts from: `prologue`'s there (a
/// bias) if there is one, else what `out` holds; 0 where `inside` is false.
Value rep::kernel::startValue(KernelBuilder &h, Value out,
                              linalg::LinalgOp prologue,
                              ArrayRef<Value> indices, Value inside) {
  if (!prologue)
    return h.load(out, indices, inside);
  return h.guarded(inside, [&] {
    return evaluateAt(h, prologue, indices,
                      [](OpOperand *) { return Value(); });
  });
}

/// Stores `v` to output element (map `outMap` at) `loops`, the epilogue
/// of it to the epilogue's output and that to the copy's, where `inside`
/// holds.
void rep::kernel::storeResult(KernelBuilder &h, Value out, AffineMap outMap,
                              const Fusion &f, ArrayRef<Value> loops,
                              Value inside, Value v) {
  linalg::LinalgOp epilogue = f.epilogue;
  h.only(inside, [&] {
    SmallVector<Value> indices = h.apply(outMap, loops);
    // The output stays written: other kernels may read it.
    h.b.create<memref::StoreOp>(h.loc, v, out, indices);
    if (!epilogue)
      return;
    Value e = evaluateAt(h, epilogue, indices, [&](OpOperand *operand) {
      return operand->get() == out && !epilogue.isDpsInit(operand) ? v
                                                                   : Value();
    });
    Value dest = epilogue.getDpsInitOperand(0)->get();
    h.b.create<memref::StoreOp>(h.loc, e, dest, indices);
    if (!f.copy)
      return;
    // The copy reads `dest` reshaped: the same row-major element order.
    ArrayRef<int64_t> shape = cast<MemRefType>(dest.getType()).getShape();
    Value linear = indices.front();
    for (auto [size, index] :
         llvm::zip(shape.drop_front(), ArrayRef(indices).drop_front()))
      linear = h.add(h.mul(linear, size), index);
    Value target = f.copyTarget();
    auto targetShape = cast<MemRefType>(target.getType()).getShape();
    SmallVector<Value> at(targetShape.size());
    h.delinearize(linear,
                  llvm::to_vector(llvm::seq<unsigned>(0, targetShape.size())),
                  targetShape, at);
    h.b.create<memref::StoreOp>(h.loc, e, target, at);
  });
}
