//===- MapParallelLoopsToGpu.cpp - kernels' loops onto blocks, threads ----===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <numeric>

namespace mlir::rep {
#define GEN_PASS_DEF_MAPPARALLELLOOPSTOGPU
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;

namespace {

/// Ops the host keeps: they name memory (views and globals are pure), they
/// do not compute on it.
bool staysOnHost(Operation *op) {
  return isMemoryEffectFree(op) ||
         isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp>(op) ||
         // Kernels rep-tile-contractions-for-gpu built.
         isa<gpu::LaunchOp>(op) || op->hasTrait<OpTrait::IsTerminator>();
}

std::optional<int64_t> tripCount(scf::ParallelOp loop) {
  int64_t n = 1;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    auto l = getConstantIntValue(lb), u = getConstantIntValue(ub),
         s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    n *= std::max<int64_t>(0, llvm::divideCeil(*u - *l, *s));
  }
  return n;
}

/// Rewrites `loop` as a nest of scf.for (convert-parallel-loops-to-gpu maps
/// nested parallel loops only when they are directly nested).
LogicalResult sequentialize(RewriterBase &rewriter, scf::ParallelOp loop) {
  if (loop.getNumReductions())
    return loop.emitError("cannot run a parallel reduction in one GPU thread");
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> ivs;
  scf::LoopNest nest = scf::buildLoopNest(
      rewriter, loop.getLoc(), loop.getLowerBound(), loop.getUpperBound(),
      loop.getStep(), [&](OpBuilder &, Location, ValueRange iv) {
        ivs.assign(iv.begin(), iv.end());
      });
  Block *body = nest.loops.back().getBody();
  rewriter.eraseOp(loop.getBody()->getTerminator());
  rewriter.inlineBlockBefore(loop.getBody(), body->getTerminator(), ivs);
  rewriter.eraseOp(loop);
  return success();
}

gpu::ParallelLoopDimMappingAttr mapTo(Builder &b, gpu::Processor p) {
  return b.getAttr<gpu::ParallelLoopDimMappingAttr>(p, b.getDimIdentityMap(),
                                                    b.getDimIdentityMap());
}

struct MapParallelLoopsToGpuPass
    : rep::impl::MapParallelLoopsToGpuBase<MapParallelLoopsToGpuPass> {
  using Base::Base;

  SmallVector<scf::ParallelOp> topLevelLoops() {
    SmallVector<scf::ParallelOp> loops;
    for (Block &block : getOperation().getBody())
      for (auto loop : block.getOps<scf::ParallelOp>())
        loops.push_back(loop);
    return loops;
  }

  /// Each top-level linalg op becomes loops with every parallel dimension
  /// in the outer scf.parallel: a pooling generic iterates (n, h, w, c)
  /// with h and w reduced, and would otherwise give each thread all of c.
  /// Reductions keep their order, so each output sums as before.
  LogicalResult lowerLinalgOps(RewriterBase &rewriter) {
    SmallVector<linalg::LinalgOp> ops;
    for (Block &block : getOperation().getBody())
      for (auto op : block.getOps<linalg::LinalgOp>())
        ops.push_back(op);
    for (linalg::LinalgOp op : ops) {
      if (!op.hasPureBufferSemantics())
        return op.emitError("cannot map an op on tensors to the GPU; "
                            "bufferize first");
      SmallVector<unsigned> order;
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      for (auto [i, it] : llvm::enumerate(iterators))
        if (it == utils::IteratorType::parallel)
          order.push_back(i);
      for (auto [i, it] : llvm::enumerate(iterators))
        if (it != utils::IteratorType::parallel)
          order.push_back(i);
      rewriter.setInsertionPoint(op);
      if (!llvm::equal(order, llvm::seq<unsigned>(0, order.size()))) {
        auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
        if (!generic) {
          FailureOr<linalg::GenericOp> g =
              linalg::generalizeNamedOp(rewriter, op);
          if (failed(g))
            return op.emitError("cannot generalize this op to reorder its "
                                "loops for the GPU");
          generic = *g;
        }
        FailureOr<linalg::GenericOp> reordered =
            linalg::interchangeGenericOp(rewriter, generic, order);
        if (failed(reordered))
          return generic.emitError("cannot reorder this op's loops");
        op = *reordered;
      }
      if (failed(linalg::linalgOpToParallelLoops(rewriter, op)))
        return op.emitError("cannot lower this op to loops");
      rewriter.eraseOp(op);
    }
    return success();
  }

  /// Runs of fills with only pure ops (views) between them, such as the
  /// border slabs of a padded buffer (four per conv), as one loop over all
  /// their elements: one kernel instead of one each. Each element takes
  /// its own fill's value, so the order in which they write does not
  /// matter, and nothing between them touches memory.
  void mergeFills(RewriterBase &rewriter) {
    SmallVector<SmallVector<linalg::FillOp>> runs(1);
    for (Block &block : getOperation().getBody()) {
      for (Operation &op : block) {
        auto fill = dyn_cast<linalg::FillOp>(op);
        if (fill && fill.hasPureBufferSemantics() &&
            cast<MemRefType>(fill.getOutputs()[0].getType()).hasStaticShape()) {
          runs.back().push_back(fill);
          continue;
        }
        if (isMemoryEffectFree(&op) && op.getNumRegions() == 0)
          continue;
        if (!runs.back().empty())
          runs.emplace_back();
      }
      if (!runs.back().empty())
        runs.emplace_back();
    }
    for (MutableArrayRef<linalg::FillOp> run : runs)
      if (run.size() > 1)
        mergeRun(rewriter, run);
  }

  /// One scf.parallel over the fills' elements, in their order: element t
  /// goes to the first fill whose running total of elements exceeds t.
  void mergeRun(RewriterBase &rewriter, MutableArrayRef<linalg::FillOp> fills) {
    linalg::FillOp last = fills.back();
    Location loc = rewriter.getFusedLoc(llvm::to_vector(
        llvm::map_range(fills, [](linalg::FillOp f) { return f.getLoc(); })));
    rewriter.setInsertionPoint(last);
    auto index = [&](int64_t v) {
      return rewriter.create<arith::ConstantIndexOp>(loc, v).getResult();
    };
    int64_t total = 0;
    for (linalg::FillOp fill : fills)
      total +=
          cast<MemRefType>(fill.getOutputs()[0].getType()).getNumElements();
    auto loop =
        rewriter.create<scf::ParallelOp>(loc, index(0), index(total), index(1));
    rewriter.setInsertionPoint(loop.getBody()->getTerminator());
    Value t = loop.getInductionVars()[0];
    int64_t start = 0;
    for (auto [i, fill] : llvm::enumerate(fills)) {
      Value out = fill.getOutputs()[0];
      auto type = cast<MemRefType>(out.getType());
      int64_t end = start + type.getNumElements();
      // The last fill takes what the others left.
      scf::IfOp branch;
      if (i + 1 < fills.size()) {
        branch = rewriter.create<scf::IfOp>(
            loc,
            rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, t,
                                           index(end)),
            /*withElseRegion=*/true);
        rewriter.setInsertionPoint(branch.thenBlock()->getTerminator());
      }
      Value linear = rewriter.create<arith::SubIOp>(loc, t, index(start));
      SmallVector<Value> indices(type.getRank());
      rep::kernel::KernelBuilder(rewriter, loc)
          .delinearize(linear,
                       llvm::to_vector(llvm::seq<unsigned>(0, type.getRank())),
                       type.getShape(), indices);
      rewriter.create<memref::StoreOp>(loc, fill.value(), out, indices);
      if (branch)
        rewriter.setInsertionPoint(branch.elseBlock()->getTerminator());
      start = end;
    }
    for (linalg::FillOp fill : fills)
      rewriter.eraseOp(fill);
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (blockSize <= 0 || blockSize % 32 || blockSize > 1024) {
      func.emitError("rep-map-parallel-loops-to-gpu: block-size ")
          << int64_t(blockSize) << " is not a multiple of 32 up to 1024";
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    mergeFills(rewriter);
    if (failed(lowerLinalgOps(rewriter)))
      return signalPassFailure();
    // Computation outside any parallel loop runs on one GPU thread.
    for (Block &block : func.getBody())
      for (Operation &op : llvm::make_early_inc_range(block)) {
        if (isa<scf::ParallelOp>(op) || staysOnHost(&op))
          continue;
        if (!op.use_empty()) {
          op.emitError("cannot run on the GPU: its results are used by the "
                       "host");
          return signalPassFailure();
        }
        rewriter.setInsertionPoint(&op);
        Location loc = op.getLoc();
        Value c0 = rewriter.create<arith::ConstantIndexOp>(loc, 0);
        Value c1 = rewriter.create<arith::ConstantIndexOp>(loc, 1);
        auto loop = rewriter.create<scf::ParallelOp>(loc, c0, c1, c1);
        rewriter.moveOpBefore(&op, loop.getBody()->getTerminator());
      }

    // One dimension per kernel, row-major.
    SmallVector<int64_t> trips;
    for (scf::ParallelOp loop : topLevelLoops()) {
      std::optional<int64_t> n = tripCount(loop);
      if (!n) {
        loop.emitError("cannot map a parallel loop with dynamic bounds to "
                       "the GPU");
        return signalPassFailure();
      }
      trips.push_back(*n);
      if (loop.getNumLoops() > 1) {
        std::vector<unsigned> all(loop.getNumLoops());
        std::iota(all.begin(), all.end(), 0u);
        rewriter.setInsertionPoint(loop);
        collapseParallelLoops(rewriter, loop, {all});
      }
    }
    // collapseParallelLoops replaced the loops, in place and in order; its
    // bounds are products not folded yet.
    for (auto [loop, n] : llvm::zip_equal(topLevelLoops(), trips)) {
      Builder b(&getContext());
      // Nested parallel loops run in each thread.
      SmallVector<scf::ParallelOp> nested;
      loop.getBody()->walk([&](scf::ParallelOp p) { nested.push_back(p); });
      for (scf::ParallelOp p : nested)
        if (failed(sequentialize(rewriter, p)))
          return signalPassFailure();
      if (n <= 1) {
        (void)gpu::setMappingAttr(loop, {mapTo(b, gpu::Processor::BlockX)});
        continue;
      }
      int64_t threads = std::min<int64_t>(blockSize, llvm::alignTo(n, 32));
      auto [outer, inner] =
          scf::tileParallelLoop(loop, {threads}, /*noMinMaxBounds=*/true);
      (void)gpu::setMappingAttr(outer, {mapTo(b, gpu::Processor::BlockX)});
      (void)gpu::setMappingAttr(inner, {mapTo(b, gpu::Processor::ThreadX)});
    }
  }
};

} // namespace
