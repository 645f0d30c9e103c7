//===- LowerToLoops.cpp - unscheduled linalg ops as loops ----------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::rep {
#define GEN_PASS_DEF_LOWERTOLOOPS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// Iterations of `loop` when its bounds are constants, else -1.
int64_t tripCount(scf::ForOp loop) {
  std::optional<int64_t> n = constantTripCount(
      loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
  return n ? std::max<int64_t>(*n, 0) : -1;
}

/// The loop to run in parallel among `loops` (outermost first, one per
/// iteration dim of `op`): the first that runs more than once, if it is
/// parallel; none when a reduction comes first.
scf::ForOp parallelLoop(ArrayRef<utils::IteratorType> iterators,
                        ArrayRef<Operation *> loops) {
  for (auto [loop, iterator] : llvm::zip(loops, iterators)) {
    auto forOp = dyn_cast<scf::ForOp>(loop);
    if (!forOp || iterator != utils::IteratorType::parallel)
      return {};
    int64_t trips = tripCount(forOp);
    if (trips != 1)
      return trips == 0 ? scf::ForOp() : forOp;
  }
  return {};
}

/// Iterations of the whole nest; unknown counts as large.
int64_t iterations(ArrayRef<Operation *> loops) {
  int64_t n = 1;
  for (Operation *loop : loops) {
    auto forOp = dyn_cast<scf::ForOp>(loop);
    int64_t trips = forOp ? tripCount(forOp) : -1;
    if (trips < 0)
      return std::numeric_limits<int64_t>::max();
    n *= trips;
  }
  return n;
}

/// Replaces `loop` (no iter_args) by an scf.parallel with the same body.
void makeParallel(RewriterBase &rewriter, scf::ForOp loop) {
  rewriter.setInsertionPoint(loop);
  rewriter.create<scf::ParallelOp>(
      loop.getLoc(), ValueRange{loop.getLowerBound()},
      ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()},
      [&](OpBuilder &b, Location, ValueRange ivs) {
        IRMapping map;
        map.map(loop.getInductionVar(), ivs.front());
        for (Operation &inner : loop.getBody()->without_terminator())
          b.clone(inner, map);
      });
  rewriter.eraseOp(loop);
}

struct LowerToLoopsPass : rep::impl::LowerToLoopsBase<LowerToLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      // Inside a parallel loop (a kernel's thread split) the threads are
      // already busy: a nested region would fork, serialized, per tile.
      bool nested = op->getParentOfType<scf::ForallOp>() ||
                    op->getParentOfType<scf::ParallelOp>();
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::LinalgLoops> loops =
          linalg::linalgOpToLoops(rewriter, op);
      if (failed(loops)) {
        op->emitError("internal error: cannot lower this op to loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
      if (nested)
        continue;
      if (scf::ForOp loop = parallelLoop(iterators, *loops);
          loop && iterations(*loops) >= kMinParallelWork)
        makeParallel(rewriter, loop);
    }
  }
};

} // namespace
