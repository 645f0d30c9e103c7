//===- MapReductionsToGpu.cpp - reductions as cooperative GPU kernels -----===//
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

#include "llvm/ADT/bit.h"

#include <limits>

namespace mlir::rep {
#define GEN_PASS_DEF_MAPREDUCTIONSTOGPU
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep::kernel;

namespace {

constexpr int64_t kWarp = 32;
/// Reductions shorter than a warp leave lanes idle; a thread per output
/// (the generic mapping) does as well there.
constexpr int64_t kMinLength = kWarp;
/// The least elements each thread of a column reduction combines: fewer,
/// and the halvings in shared memory cost more than the loads they share.
constexpr int64_t kMinPerThread = 16;

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

/// A reduction whose inputs are read along their contiguous last
/// dimension, by the reduced loop (a row reduction: a LayerNorm's mean and
/// variance over channels) or by the output's last loop (a column
/// reduction: a global average pool over NHWC's h and w).
struct Reduction {
  enum Kind { Rows, Columns } kind;
  /// The reduced loops, and the loop that runs along memory.
  SmallVector<unsigned> reduced;
  unsigned contiguous;
  /// The elements each output combines.
  int64_t length = 1;
  Operation *combiner;
  /// The combiner's operand that is not the output's block argument.
  Value value;
  float neutral;
};

/// Whether every input that `dim` indexes reads it as its last dimension,
/// with unit stride; and at least one does.
bool readsAlongMemory(linalg::GenericOp op, unsigned dim) {
  bool reads = false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    auto type = dyn_cast<MemRefType>(in->get().getType());
    AffineMap map = op.getMatchingIndexingMap(in);
    if (!type || !map.isFunctionOfDim(dim))
      continue;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (map.getResults().back() != getAffineDimExpr(dim, op.getContext()) ||
        failed(getStridesAndOffset(type, strides, offset)) ||
        strides.back() != 1)
      return false;
    reads = true;
  }
  return reads;
}

FailureOr<Reduction> matchReduction(linalg::GenericOp op,
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
  if (op.getNumReductionLoops() == 0)
    return rewriter.notifyMatchFailure(op, "no reduction loop");
  bool hasIndex = false;
  op.getBody()->walk([&](linalg::IndexOp) { hasIndex = true; });
  if (hasIndex)
    return rewriter.notifyMatchFailure(op, "its body reads loop indices");
  if (!llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) {
        return m.isProjectedPermutation(/*allowZeroInResults=*/true);
      }))
    return rewriter.notifyMatchFailure(op, "an operand's indices are not "
                                           "loop indices");
  // Zeros index the dimensions a reduction keeps (keepdims).
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (llvm::count_if(outMap.getResults(), [](AffineExpr e) {
        return isa<AffineDimExpr>(e);
      }) != op.getNumParallelLoops())
    return rewriter.notifyMatchFailure(
        op, "its output is not indexed by every parallel loop");

  Reduction r;
  op.getReductionDims(r.reduced);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned d : r.reduced)
    r.length *= ranges[d];
  if (r.length < kMinLength)
    return rewriter.notifyMatchFailure(op, "fewer elements an output than "
                                           "a warp");

  SmallVector<Operation *, 1> combiners;
  BlockArgument acc = op.getRegionOutputArgs().front();
  if (!mlir::matchReduction(acc, 0, combiners) || combiners.size() != 1)
    return rewriter.notifyMatchFailure(
        op, "its body is not one combiner of the output and a value");
  r.combiner = combiners.front();
  std::optional<float> neutral = neutralOf(r.combiner);
  if (!neutral)
    return rewriter.notifyMatchFailure(
        op, "its combiner is not an add, a multiply, a max or a min");
  r.neutral = *neutral;
  r.value = r.combiner->getOperand(0) == acc ? r.combiner->getOperand(1)
                                             : r.combiner->getOperand(0);
  if (r.value == acc)
    return rewriter.notifyMatchFailure(op, "it combines the output with "
                                           "itself");

  // Neighbouring lanes must read neighbouring elements.
  if (r.reduced.size() == 1 && readsAlongMemory(op, r.reduced.front())) {
    r.kind = Reduction::Rows;
    r.contiguous = r.reduced.front();
    return r;
  }
  auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (last && readsAlongMemory(op, last.getPosition())) {
    r.kind = Reduction::Columns;
    r.contiguous = last.getPosition();
    return r;
  }
  return rewriter.notifyMatchFailure(
      op, "its inputs are read along memory neither by the reduced loop "
          "nor by the output's last");
}

/// `combiner` of `x` (the output's side) and `y`.
Value combine(OpBuilder &b, const Reduction &r, Value x, Value y) {
  IRMapping map;
  for (Value operand : r.combiner->getOperands())
    map.map(operand, operand == r.value ? y : x);
  return b.clone(*r.combiner, map)->getResult(0);
}

struct MapReduction : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Reduction> r = matchReduction(op, rewriter);
    if (failed(r))
      return failure();
    replaceWithKernel(op, rewriter,
                      [&](const Fusion &f) { build(op, *r, f, rewriter); });
    return success();
  }

  /// Rows: a warp per output, 8 a block; lane l combines the row's
  /// elements l, l + 32, ... Columns: 32 neighbouring outputs a block, a
  /// lane each, and `slices` warps: warp s combines the reduced elements
  /// s, s + slices, ... Either way, each thread starts from the neutral
  /// value and goes in the elements' order; the partials meet in shared
  /// memory and are halved with a barrier after each halving (thread t
  /// takes t + half's), and the first thread of each output takes the
  /// last half alone and combines the output's start value with the total.
  static void build(linalg::GenericOp op, const Reduction &r, const Fusion &f,
                    PatternRewriter &rewriter) {
    Location loc = op.getLoc();
    KernelBuilder h(rewriter, loc);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    Value out = op.getDpsInitOperand(0)->get();
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    // The output's loops in its order, but for the one along memory in a
    // column reduction.
    SmallVector<unsigned> outer;
    int64_t outputs = 1;
    for (AffineExpr e : outMap.getResults())
      if (auto dim = dyn_cast<AffineDimExpr>(e)) {
        outputs *= ranges[dim.getPosition()];
        if (r.kind == Reduction::Rows || dim.getPosition() != r.contiguous)
          outer.push_back(dim.getPosition());
      }
    const bool rows = r.kind == Reduction::Rows;
    const int64_t columns = rows ? 1 : ranges[r.contiguous];
    const int64_t columnTiles = llvm::divideCeil(columns, kWarp);
    // Rows: threads of a block in (row, lane) order; columns: (slice, lane).
    int64_t groups, threads, blocks, stride;
    if (rows) {
      groups = std::min(outputs, kThreads / kWarp);
      blocks = llvm::divideCeil(outputs, groups);
      stride = kWarp;
    } else {
      groups = std::clamp<int64_t>(
          int64_t(llvm::bit_floor(uint64_t(r.length / kMinPerThread))), 2,
          kWarp);
      blocks = outputs / columns * columnTiles;
      stride = groups;
    }
    threads = groups * kWarp;

    Value one = h.index(1);
    auto launch = rewriter.create<gpu::LaunchOp>(
        loc, h.index(blocks), one, one, h.index(threads), one, one,
        rewriter.create<arith::ConstantIntOp>(loc, 4 * threads, 32));
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToStart(&body);
    rewriter.create<gpu::TerminatorOp>(loc);
    rewriter.setInsertionPointToStart(&body);

    Value block = launch.getBlockIds().x, tid = launch.getThreadIds().x;
    Value lane = h.rem(tid, kWarp), group = h.div(tid, kWarp);
    SmallVector<Value> loops(op.getNumLoops(), h.index(0));
    Value inside, first;
    if (rows) {
      // The last block's spare warps load nothing but meet the barriers.
      Value row = h.add(h.mul(block, groups), group);
      inside = outputs % groups ? h.below(row, outputs) : Value();
      h.delinearize(row, outer, ranges, loops);
      first = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                             lane, h.index(0));
    } else {
      Value column = h.add(h.mul(h.rem(block, columnTiles), kWarp), lane);
      inside = columns % kWarp ? h.below(column, columns) : Value();
      loops[r.contiguous] = column;
      h.delinearize(h.div(block, columnTiles), outer, ranges, loops);
      first = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                             group, h.index(0));
    }
    Value start = rows ? lane : group;

    Value neutral = rewriter.create<arith::ConstantOp>(
        loc, rewriter.getF32FloatAttr(r.neutral));
    auto partialOf = [&]() -> Value {
      auto each = rewriter.create<scf::ForOp>(
          loc, start, h.index(r.length), h.index(stride), ValueRange{neutral});
      OpBuilder::InsertionGuard g(rewriter);
      rewriter.setInsertionPointToStart(each.getBody());
      SmallVector<Value> at = loops;
      h.delinearize(each.getInductionVar(), r.reduced, ranges, at);
      Value acc = each.getRegionIterArgs().front();
      Value next = evaluateAt(h, op, at, [&](OpOperand *operand) {
        return op.isDpsInit(operand) ? acc : Value();
      });
      rewriter.create<scf::YieldOp>(loc, next);
      return each.getResult(0);
    };
    // Spare threads contribute the neutral value.
    Value partial = h.guarded(inside, partialOf, neutral);

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
    // Partners are `half` lanes apart in a row's warp, `half` warps apart
    // in a column's block.
    const int64_t apart = rows ? 1 : kWarp;
    auto combineAt = [&](int64_t half) {
      Value mine = rewriter.create<memref::LoadOp>(loc, partials, tid);
      Value other = rewriter.create<memref::LoadOp>(loc, partials,
                                                    h.add(tid, half * apart));
      return combine(rewriter, r, mine, other);
    };
    for (int64_t half = stride / 2; half > 1; half /= 2) {
      h.only(h.below(start, half), [&] {
        rewriter.create<memref::StoreOp>(loc, combineAt(half), partials, tid);
      });
      rewriter.create<gpu::BarrierOp>(loc);
    }
    // The last halving is the first thread's alone: no barrier after it.
    h.only(h.both(first, inside), [&] {
      Value total = combineAt(1);
      Value init =
          startValue(h, out, f.prologue, h.apply(outMap, loops), Value());
      storeResult(h, out, outMap, f, loops, Value(),
                  combine(rewriter, r, init, total));
    });
  }
};

struct MapReductionsToGpuPass
    : rep::impl::MapReductionsToGpuBase<MapReductionsToGpuPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    rep::populateMapReductionsToGpuPatterns(patterns);
    if (failed(rep::applyRepPatterns(getOperation(), std::move(patterns),
                                     getArgument())))
      return signalPassFailure();
  }
};

} // namespace

void rep::populateMapReductionsToGpuPatterns(RewritePatternSet &patterns) {
  patterns.add<MapReduction>(patterns.getContext());
}
