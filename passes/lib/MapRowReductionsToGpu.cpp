//===- MapRowReductionsToGpu.cpp - a warp per row of a reduction ---------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"

#include <limits>

namespace mlir::rep {
#define GEN_PASS_DEF_MAPROWREDUCTIONSTOGPU
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep::kernel;

namespace {

constexpr int64_t kWarp = 32;
/// Rows shorter than a warp leave lanes idle; a thread per output (the
/// generic mapping) does as well there.
constexpr int64_t kMinRowLength = kWarp;

/// The value that leaves any other unchanged under `combiner`, or null if
/// the combiner is none this pass reassociates.
std::optional<float> neutralOf(Operation *combiner) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  // -0 + x is x for every x, -0 included.
  if (isa<arith::AddFOp>(combiner))
    return -0.0f;
  if (isa<arith::MulFOp>(combiner))
    return 1.0f;
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner))
    return -inf;
  if (isa<arith::MinimumFOp, arith::MinNumFOp>(combiner))
    return inf;
  return std::nullopt;
}

/// A reduction along one loop that every input it reaches reads along its
/// contiguous last dimension: a LayerNorm's mean and variance.
struct RowReduction {
  unsigned dim;
  int64_t length;
  Operation *combiner;
  /// The combiner's operand that is not the output's block argument.
  Value reduced;
  float neutral;
};

FailureOr<RowReduction> matchRowReduction(linalg::GenericOp op,
                                          PatternRewriter &rewriter) {
  if (!isa<func::FuncOp>(op->getParentOp()))
    return rewriter.notifyMatchFailure(op, "not a kernel of the function");
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return rewriter.notifyMatchFailure(op, "not on buffers, one output");
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (type ? !type.hasStaticShape() || !type.getElementType().isF32()
             : !operand.get().getDefiningOp<arith::ConstantOp>())
      return rewriter.notifyMatchFailure(
          op, "operands are not static f32 buffers and constants");
  }
  if (op.getNumReductionLoops() != 1)
    return rewriter.notifyMatchFailure(op, "not one reduction loop");
  bool hasIndex = false;
  op.getBody()->walk([&](linalg::IndexOp) { hasIndex = true; });
  if (hasIndex)
    return rewriter.notifyMatchFailure(op, "its body reads loop indices");
  if (!llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isProjectedPermutation(); }))
    return rewriter.notifyMatchFailure(op, "an operand's indices are not "
                                           "loop indices");
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.getNumResults() != op.getNumParallelLoops())
    return rewriter.notifyMatchFailure(
        op, "its output is not indexed by every parallel loop");

  RowReduction r;
  SmallVector<unsigned> reductions;
  op.getReductionDims(reductions);
  r.dim = reductions.front();
  r.length = op.getStaticLoopRanges()[r.dim];
  if (r.length < kMinRowLength)
    return rewriter.notifyMatchFailure(op, "rows shorter than a warp");

  SmallVector<Operation *, 1> combiners;
  BlockArgument acc = op.getRegionOutputArgs().front();
  if (!matchReduction(acc, 0, combiners) || combiners.size() != 1)
    return rewriter.notifyMatchFailure(
        op, "its body is not one combiner of the output and a value");
  r.combiner = combiners.front();
  std::optional<float> neutral = neutralOf(r.combiner);
  if (!neutral)
    return rewriter.notifyMatchFailure(
        op, "its combiner is not an add, a multiply, a max or a min");
  r.neutral = *neutral;
  r.reduced = r.combiner->getOperand(0) == acc ? r.combiner->getOperand(1)
                                               : r.combiner->getOperand(0);
  if (r.reduced == acc)
    return rewriter.notifyMatchFailure(op, "it combines the output with "
                                           "itself");

  // Neighbouring lanes must read neighbouring elements; where the rows run
  // across memory, a thread per output reads neighbouring ones instead.
  bool reads = false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    if (!map.isFunctionOfDim(r.dim))
      continue;
    reads = true;
    auto type = cast<MemRefType>(in->get().getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (map.getResults().back() != rewriter.getAffineDimExpr(r.dim) ||
        failed(getStridesAndOffset(type, strides, offset)) ||
        strides.back() != 1)
      return rewriter.notifyMatchFailure(
          op, "an input's rows are not its contiguous last dimension");
  }
  if (!reads)
    return rewriter.notifyMatchFailure(op, "no input reads the rows");
  return r;
}

/// `combiner` of `a` (the output's side) and `b`.
Value combine(OpBuilder &b, const RowReduction &r, Value x, Value y) {
  IRMapping map;
  for (Value operand : r.combiner->getOperands())
    map.map(operand, operand == r.reduced ? y : x);
  return b.clone(*r.combiner, map)->getResult(0);
}

struct MapRowReduction : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<RowReduction> r = matchRowReduction(op, rewriter);
    if (failed(r))
      return failure();
    replaceWithKernel(op, rewriter,
                      [&](const Fusion &f) { build(op, *r, f, rewriter); });
    return success();
  }

  /// A warp per row, kThreads / 32 rows per block: lane l combines
  /// elements l, l + 32, ... in order, the block's lanes' partials meet
  /// in shared memory, halved 5 times (lane i takes i + 16's, ..., i + 1's),
  /// and lane 0 combines the row's start value with the total.
  static void build(linalg::GenericOp op, const RowReduction &r,
                    const Fusion &f, PatternRewriter &rewriter) {
    Location loc = op.getLoc();
    KernelBuilder h(rewriter, loc);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    Value out = op.getDpsInitOperand(0)->get();
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    SmallVector<unsigned> rowDims;
    int64_t rows = 1;
    for (AffineExpr e : outMap.getResults()) {
      rowDims.push_back(cast<AffineDimExpr>(e).getPosition());
      rows *= ranges[rowDims.back()];
    }
    const int64_t warps = std::min(rows, kThreads / kWarp);
    const int64_t threads = warps * kWarp;

    Value one = h.index(1);
    auto launch = rewriter.create<gpu::LaunchOp>(
        loc, h.index(llvm::divideCeil(rows, warps)), one, one, h.index(threads),
        one, one, rewriter.create<arith::ConstantIntOp>(loc, 4 * threads, 32));
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToStart(&body);
    rewriter.create<gpu::TerminatorOp>(loc);
    rewriter.setInsertionPointToStart(&body);

    Value tid = launch.getThreadIds().x;
    Value lane = h.rem(tid, kWarp);
    Value row = h.add(h.mul(launch.getBlockIds().x, warps), h.div(tid, kWarp));
    // The last block's spare warps load nothing but meet the barriers.
    Value inside = rows % warps ? h.below(row, rows) : Value();
    SmallVector<Value> loops(op.getNumLoops(), h.index(0));
    h.delinearize(row, rowDims, ranges, loops);

    Value neutral = rewriter.create<arith::ConstantOp>(
        loc, rewriter.getF32FloatAttr(r.neutral));
    auto partialOf = [&]() -> Value {
      auto lanes = rewriter.create<scf::ForOp>(
          loc, lane, h.index(r.length), h.index(kWarp), ValueRange{neutral});
      OpBuilder::InsertionGuard g(rewriter);
      rewriter.setInsertionPointToStart(lanes.getBody());
      SmallVector<Value> at = loops;
      at[r.dim] = lanes.getInductionVar();
      Value acc = lanes.getRegionIterArgs().front();
      Value next = evaluateAt(h, op, at, [&](OpOperand *operand) {
        return op.isDpsInit(operand) ? acc : Value();
      });
      rewriter.create<scf::YieldOp>(loc, next);
      return lanes.getResult(0);
    };
    Value partial;
    if (inside) {
      auto branch = rewriter.create<scf::IfOp>(
          loc, TypeRange{rewriter.getF32Type()}, inside,
          /*withElseRegion=*/true);
      OpBuilder::InsertionGuard g(rewriter);
      rewriter.setInsertionPointToEnd(branch.thenBlock());
      rewriter.create<scf::YieldOp>(loc, partialOf());
      rewriter.setInsertionPointToEnd(branch.elseBlock());
      rewriter.create<scf::YieldOp>(loc, neutral);
      partial = branch.getResult(0);
    } else {
      partial = partialOf();
    }

    auto workgroup = gpu::AddressSpaceAttr::get(
        rewriter.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    Value shared = rewriter.create<gpu::DynamicSharedMemoryOp>(
        loc, MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type(),
                             MemRefLayoutAttrInterface(), workgroup));
    Value partials = rewriter.create<memref::ViewOp>(
        loc,
        MemRefType::get({threads}, rewriter.getF32Type(),
                        MemRefLayoutAttrInterface(), workgroup),
        shared, h.index(0), ValueRange());
    rewriter.create<memref::StoreOp>(loc, partial, partials, tid);
    rewriter.create<gpu::BarrierOp>(loc);
    auto combineAt = [&](int64_t half) {
      Value mine = rewriter.create<memref::LoadOp>(loc, partials, tid);
      Value other =
          rewriter.create<memref::LoadOp>(loc, partials, h.add(tid, half));
      return combine(rewriter, r, mine, other);
    };
    for (int64_t half = kWarp / 2; half > 1; half /= 2) {
      h.only(h.below(lane, half), [&] {
        rewriter.create<memref::StoreOp>(loc, combineAt(half), partials, tid);
      });
      rewriter.create<gpu::BarrierOp>(loc);
    }
    // The last halving is lane 0's alone: no barrier after it.
    Value first = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                                 lane, h.index(0));
    h.only(h.both(first, inside), [&] {
      Value total = combineAt(1);
      Value start =
          startValue(h, out, f.prologue, h.apply(outMap, loops), Value());
      storeResult(h, out, outMap, f, loops, Value(),
                  combine(rewriter, r, start, total));
    });
  }
};

struct MapRowReductionsToGpuPass
    : rep::impl::MapRowReductionsToGpuBase<MapRowReductionsToGpuPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    rep::populateMapRowReductionsToGpuPatterns(patterns);
    if (failed(rep::applyRepPatterns(getOperation(), std::move(patterns),
                                     getArgument())))
      return signalPassFailure();
  }
};

} // namespace

void rep::populateMapRowReductionsToGpuPatterns(RewritePatternSet &patterns) {
  patterns.add<MapRowReduction>(patterns.getContext());
}
