//===- GpuKernels.h - what the GPU kernel builders share --------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The passes that build `gpu.launch` kernels from linalg ops by hand
// (rep-tile-contractions-for-gpu, rep-map-reductions-to-gpu) share
// index arithmetic, and the fusion of the op that starts a kernel's
// outputs (a bias, a fill), the elementwise op after it and a copy of that
// op's output.
//
//===----------------------------------------------------------------------===//

#ifndef REP_TRANSFORMS_GPUKERNELS_H
#define REP_TRANSFORMS_GPUKERNELS_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::rep::kernel {

/// Threads per block of the kernels that give each thread its own
/// outputs (depthwise convs, split GEMMs' sums) or each warp a row.
constexpr int64_t kThreads = 256;

/// Index arithmetic, guarded loads and stores, at one location.
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value index(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value add(Value x, Value y) { return b.create<arith::AddIOp>(loc, x, y); }
  Value add(Value x, int64_t y) { return y ? add(x, index(y)) : x; }
  Value mul(Value x, int64_t y) {
    return y == 1 ? x : b.create<arith::MulIOp>(loc, x, index(y));
  }
  Value div(Value x, int64_t y) {
    return y == 1 ? x : b.create<arith::DivUIOp>(loc, x, index(y));
  }
  Value rem(Value x, int64_t y) {
    return b.create<arith::RemUIOp>(loc, x, index(y));
  }
  Value below(Value x, int64_t bound) {
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, x,
                                   index(bound));
  }
  Value both(Value x, Value y) {
    if (!x)
      return y;
    if (!y)
      return x;
    return b.create<arith::AndIOp>(loc, x, y);
  }

  /// Row-major indices of `linear` over the loop dims `dims`, into `out`.
  void delinearize(Value linear, ArrayRef<unsigned> dims,
                   ArrayRef<int64_t> ranges, MutableArrayRef<Value> out) {
    if (dims.empty())
      return;
    for (unsigned d : llvm::reverse(dims.drop_front())) {
      out[d] = rem(linear, ranges[d]);
      linear = div(linear, ranges[d]);
    }
    out[dims.front()] = linear;
  }

  /// The indices `map` gives at the loop indices `loops`.
  SmallVector<Value> apply(AffineMap map, ArrayRef<Value> loops) {
    SmallVector<Value> indices;
    for (AffineExpr e : map.getResults()) {
      if (auto dim = dyn_cast<AffineDimExpr>(e)) {
        indices.push_back(loops[dim.getPosition()]);
        continue;
      }
      if (auto constant = dyn_cast<AffineConstantExpr>(e)) {
        indices.push_back(index(constant.getValue()));
        continue;
      }
      indices.push_back(b.create<affine::AffineApplyOp>(
          loc, AffineMap::get(map.getNumDims(), 0, e), loops));
    }
    return indices;
  }

  /// memref[indices], or 0 where `inside` (if any) is false.
  Value load(Value memref, ArrayRef<Value> indices, Value inside) {
    return guarded(inside, [&] {
      return b.create<memref::LoadOp>(loc, memref, indices).getResult();
    });
  }

  /// `body`'s value where `guard` holds (always if null), else `otherwise`
  /// (0 if null).
  Value guarded(Value guard, function_ref<Value()> body,
                Value otherwise = Value()) {
    if (!guard)
      return body();
    auto branch = b.create<scf::IfOp>(loc, TypeRange{b.getF32Type()}, guard,
                                      /*withElseRegion=*/true);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToEnd(branch.thenBlock());
    b.create<scf::YieldOp>(loc, body());
    b.setInsertionPointToEnd(branch.elseBlock());
    if (!otherwise)
      otherwise = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0));
    b.create<scf::YieldOp>(loc, otherwise);
    return branch.getResult(0);
  }

  /// Runs `body` where `guard` holds (always if null).
  void only(Value guard, function_ref<void()> body) {
    if (!guard)
      return body();
    auto branch = b.create<scf::IfOp>(loc, guard, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    body();
  }

  OpBuilder &b;
  Location loc;
};

/// What a kernel fuses: the op that computes its accumulators' start, the
/// elementwise op after it and a copy of that op's output (each may be
/// null).
struct Fusion {
  linalg::LinalgOp prologue, epilogue;
  linalg::CopyOp copy;

  Value copyTarget() const {
    return copy ? copy->getOpOperand(1).get() : Value();
  }
};

/// Whether `a` and `b` may share bytes (true where either is unknown).
bool mayOverlap(Value a, Value b);

/// The op right before `op` that only computes `op`'s accumulator `out`
/// (a bias broadcast, a fill), or null.
linalg::LinalgOp prologueOf(linalg::LinalgOp op, Value out);

/// Whether an op fused into `op`'s kernel may run before `skipped`, the
/// ops between them: the pure ones (views) move before `op`, appended to
/// `views`, if what they take exists there; the others must be linalg ops
/// on buffers that touch none of `buffers`, and stay behind.
bool hoistOver(Operation *op, ArrayRef<Operation *> skipped,
               ArrayRef<Value> buffers, SmallVectorImpl<Operation *> &views);

/// `op`'s scalar result at `indices` of its iteration space, with `known`
/// operands' values given and the others loaded.
Value evaluateAt(KernelBuilder &h, linalg::LinalgOp op, ArrayRef<Value> indices,
                 function_ref<Value(OpOperand *)> known);

/// Builds `op`'s kernel with `build(fusion)`, with the ops it fuses, and
/// erases what the kernel replaces.
void replaceWithKernel(linalg::LinalgOp op, PatternRewriter &rewriter,
                       function_ref<void(const Fusion &)> build);

/// The value output element `indices` starts from: `prologue`'s there (a
/// bias) if there is one, else what `out` holds; 0 where `inside` is false.
Value startValue(KernelBuilder &h, Value out, linalg::LinalgOp prologue,
                 ArrayRef<Value> indices, Value inside);

/// Stores `v` to output element (map `outMap` at) `loops`, the epilogue
/// of it to the epilogue's output and that to the copy's, where `inside`
/// holds.
void storeResult(KernelBuilder &h, Value out, AffineMap outMap, const Fusion &f,
                 ArrayRef<Value> loops, Value inside, Value v);

} // namespace mlir::rep::kernel

#endif // REP_TRANSFORMS_GPUKERNELS_H
