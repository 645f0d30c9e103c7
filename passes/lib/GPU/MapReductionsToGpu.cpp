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

/// `op` as a Reduction, or why it is none this pass maps.
FailureOr<Reduction> analyzeReduction(linalg::GenericOp op, std::string &why) {
  auto refuse = [&](StringRef reason) {
    why = reason.str();
    return failure();
  };
  if (!isa<func::FuncOp>(op->getParentOp()))
    return refuse("not a kernel of the function");
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return refuse("not on buffers, one output");
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (type ? !type.hasStaticShape() || !type.getElementType().isF32()
             : !operand.get().getDefiningOp<arith::ConstantOp>())
      return refuse("operands are not static f32 buffers and constants");
  }
  if (op.getNumReductionLoops() == 0)
    return refuse("no reduction loop");
  if (op.hasIndexSemantics())
    return refuse("its body reads loop indices");
  if (!llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) {
        return m.isProjectedPermutation(/*allowZeroInResults=*/true);
      }))
    return refuse("an operand's indices are not loop indices");
  // Zeros index the dimensions a reduction keeps (keepdims).
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (llvm::count_if(outMap.getResults(), [](AffineExpr e) {
        return isa<AffineDimExpr>(e);
      }) != op.getNumParallelLoops())
    return refuse("its output is not indexed by every parallel loop");

  Reduction r;
  op.getReductionDims(r.reduced);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned d : r.reduced)
    r.length *= ranges[d];
  if (r.length < kMinLength)
    return refuse("fewer elements an output than a warp");

  SmallVector<Operation *, 1> combiners;
  BlockArgument acc = op.getRegionOutputArgs().front();
  if (!mlir::matchReduction(acc, 0, combiners) || combiners.size() != 1)
    return refuse("its body is not one combiner of the output and a value");
  r.combiner = combiners.front();
  std::optional<float> neutral = neutralOf(r.combiner);
  if (!neutral)
    return refuse("its combiner is not an add, a multiply, a max or a min");
  r.neutral = *neutral;
  r.value = r.combiner->getOperand(0) == acc ? r.combiner->getOperand(1)
                                             : r.combiner->getOperand(0);
  if (r.value == acc)
    return refuse("it combines the output with itself");

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
  return refuse("its inputs are read along memory neither by the reduced loop "
                "nor by the output's last");
}

FailureOr<Reduction> matchReduction(linalg::GenericOp op,
                                    PatternRewriter &rewriter) {
  std::string why;
  FailureOr<Reduction> r = analyzeReduction(op, why);
  if (failed(r))
    return rewriter.notifyMatchFailure(op, why);
  return r;
}

/// `combiner` of `x` (the output's side) and `y`.
Value combine(OpBuilder &b, const Reduction &r, Value x, Value y) {
  IRMapping map;
  for (Value operand : r.combiner->getOperands())
    map.map(operand, operand == r.value ? y : x);
  return b.clone(*r.combiner, map)->getResult(0);
}

/// An op after a row reduction that the reduction's kernel computes too,
/// a warp still per row: another row reduction of the same rows, or an
/// elementwise op over the rows' elements, which ends the chain (a
/// LayerNorm's variance and its normalization after its mean). Each
/// reads what the kernel computed before it only at its own row, from
/// registers.
struct Link {
  linalg::GenericOp op;
  /// The op before a reduction that gives its start (a fill), or null.
  linalg::LinalgOp prologue;
  /// Null for the elementwise op.
  std::optional<Reduction> reduction;
};

struct Chain {
  SmallVector<Link> links;
  /// The pure ops between the links (views), which move before the kernel.
  SmallVector<Operation *> views;
};

/// The links after `op`, a row reduction `r` whose start `prologue` gives
/// and whose output no epilogue reads. A link must iterate over the same
/// loops, a reduction along the same loop into the same row indices; it
/// may read an earlier link's output only at its row, and its own output
/// may overlap nothing the kernel reads or writes, but for the
/// elementwise op updating an input in place (each lane writes the
/// elements it alone read, after reading them). The ops in between must
/// be views, the links' fills, or ops touching none of the kernel's
/// buffers; any doubt ends the chain where it is.
Chain chainAfter(linalg::GenericOp op, const Reduction &r,
                 linalg::LinalgOp prologue) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  // Buffers the kernel reads from memory, with their maps, and the outputs
  // it writes; `rows` is the outputs later links read from registers.
  SmallVector<std::pair<Value, AffineMap>> reads;
  auto addReads = [&](linalg::LinalgOp x, function_ref<bool(Value)> known) {
    for (OpOperand *in : x.getDpsInputOperands())
      if (isa<MemRefType>(in->get().getType()) && !known(in->get()))
        reads.push_back({in->get(), x.getMatchingIndexingMap(in)});
  };
  auto none = [](Value) { return false; };
  addReads(op, none);
  if (prologue)
    addReads(prologue, none);
  SmallVector<Value> writes{op.getDpsInitOperand(0)->get()};
  SmallVector<Value> rows = writes;
  auto isRow = [&](Value v) { return llvm::is_contained(rows, v); };

  Chain chain;
  SmallVector<Operation *> skipped;
  Operation *from = op;
  while (true) {
    SmallVector<Operation *> between;
    auto next = dyn_cast_or_null<linalg::GenericOp>(rep::findFusable(
        from, [](Operation *x) { return isa<linalg::GenericOp>(x); },
        &between));
    if (!next || !next.hasPureBufferSemantics() || next.getNumDpsInits() != 1 ||
        next.getStaticLoopRanges() != ranges)
      break;
    Value out = next.getDpsInitOperand(0)->get();
    AffineMap map = next.getMatchingIndexingMap(next.getDpsInitOperand(0));
    Link link{next, {}, std::nullopt};
    if (next.getNumReductionLoops()) {
      std::string why;
      FailureOr<Reduction> nr = analyzeReduction(next, why);
      if (failed(nr) || nr->kind != Reduction::Rows ||
          nr->contiguous != r.contiguous || map != outMap)
        break;
      link.reduction = *nr;
      // Right before it (prologueOf), so the last op in between.
      link.prologue = prologueOf(next, out);
      if (link.prologue)
        between.pop_back();
    } else {
      if (next.hasIndexSemantics() || !map.isPermutation() ||
          next.payloadUsesValueFromOperand(next.getDpsInitOperand(0)) ||
          llvm::any_of(next->getOperands(), [](Value v) {
            auto type = dyn_cast<MemRefType>(v.getType());
            return type ? !type.hasStaticShape() ||
                              !type.getElementType().isF32()
                        : !v.getDefiningOp<arith::ConstantOp>();
          }))
        break;
    }
    // Outputs of earlier links are read from registers, at their row only.
    size_t known = reads.size();
    bool ok = true;
    for (OpOperand *in : next.getDpsInputOperands())
      if (isRow(in->get()) && next.getMatchingIndexingMap(in) != outMap)
        ok = false;
    addReads(next, isRow);
    if (link.prologue)
      addReads(link.prologue, none);
    for (auto [v, m] : ArrayRef(reads).drop_front(known))
      if (llvm::any_of(writes, [&](Value w) { return mayOverlap(v, w); }))
        ok = false;
    if (llvm::any_of(writes, [&](Value w) { return mayOverlap(out, w); }))
      ok = false;
    for (auto [v, m] : reads)
      if (mayOverlap(out, v) && (link.reduction || v != out || m != map))
        ok = false;
    if (!ok)
      break;
    llvm::append_range(skipped, between);
    chain.links.push_back(link);
    writes.push_back(out);
    if (!link.reduction)
      break;
    rows.push_back(out);
    from = next;
  }
  SmallVector<Value> buffers = writes;
  for (auto [v, m] : reads)
    buffers.push_back(v);
  if (chain.links.empty() || !hoistOver(op, skipped, buffers, chain.views))
    return {};
  return chain;
}

/// Whether `op` is a link of the chain of the row reduction before it,
/// whose kernel computes it.
bool continuesChain(linalg::GenericOp op) {
  for (Operation *x = op->getPrevNode(); x; x = x->getPrevNode()) {
    auto prev = dyn_cast<linalg::GenericOp>(x);
    if (!prev)
      continue;
    std::string why;
    FailureOr<Reduction> r = analyzeReduction(prev, why);
    if (failed(r) || r->kind != Reduction::Rows)
      return false;
    Chain chain = chainAfter(
        prev, *r, prologueOf(prev, prev.getDpsInitOperand(0)->get()));
    return llvm::any_of(chain.links, [&](const Link &l) { return l.op == op; });
  }
  return false;
}

struct MapReduction : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Reduction> r = matchReduction(op, rewriter);
    if (failed(r))
      return failure();
    if (continuesChain(op))
      return rewriter.notifyMatchFailure(
          op, "the kernel of the row reduction before it computes it");
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
  /// A row reduction's kernel goes on with its chain's links (chainAfter),
  /// the first thread of each row passing each link's total to the row's
  /// lanes through shared memory.
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
    Chain chain;
    if (rows)
      chain = chainAfter(op, r, f.prologue);
    assert((chain.links.empty() || !f.epilogue) && "a chain after an epilogue");
    for (Operation *view : chain.views)
      rewriter.moveOpBefore(view, op);
    // A partial per thread, and a chain's total per row.
    const int64_t slots = threads + (chain.links.empty() ? 0 : groups);

    Value one = h.index(1);
    auto launch = rewriter.create<gpu::LaunchOp>(
        loc, h.index(blocks), one, one, h.index(threads), one, one,
        rewriter.create<arith::ConstantIntOp>(loc, 4 * slots, 32));
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

    auto workgroup = gpu::AddressSpaceAttr::get(
        rewriter.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    Value shared = rewriter.create<gpu::DynamicSharedMemoryOp>(
        loc, MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type(),
                             MemRefLayoutAttrInterface(), workgroup));
    Value partials = rewriter.create<memref::ViewOp>(
        loc,
        MemRefType::get({slots}, rewriter.getF32Type(),
                        MemRefLayoutAttrInterface(), workgroup),
        shared, h.index(0), ValueRange());
    // The row values of outputs the chain computed, by buffer.
    DenseMap<Value, Value> atRow;
    auto known = [&](linalg::GenericOp x, OpOperand *operand,
                     Value acc) -> Value {
      if (x.isDpsInit(operand))
        return acc;
      return atRow.lookup(operand->get());
    };
    // Partners are `half` lanes apart in a row's warp, `half` warps apart
    // in a column's block.
    const int64_t apart = rows ? 1 : kWarp;
    // `x` (reduction `xr`) into the partials, halved to the total, which
    // the first thread of each output passes to `finish`.
    auto reduce = [&](linalg::GenericOp x, const Reduction &xr,
                      function_ref<void(Value)> finish) {
      Value neutral = rewriter.create<arith::ConstantOp>(
          loc, rewriter.getF32FloatAttr(xr.neutral));
      auto partialOf = [&]() -> Value {
        auto each =
            rewriter.create<scf::ForOp>(loc, start, h.index(xr.length),
                                        h.index(stride), ValueRange{neutral});
        OpBuilder::InsertionGuard g(rewriter);
        rewriter.setInsertionPointToStart(each.getBody());
        SmallVector<Value> at = loops;
        h.delinearize(each.getInductionVar(), xr.reduced, ranges, at);
        Value acc = each.getRegionIterArgs().front();
        Value next = evaluateAt(h, x, at, [&](OpOperand *operand) {
          return known(x, operand, acc);
        });
        rewriter.create<scf::YieldOp>(loc, next);
        return each.getResult(0);
      };
      // Spare threads contribute the neutral value.
      Value partial = h.guarded(inside, partialOf, neutral);
      rewriter.create<memref::StoreOp>(loc, partial, partials, tid);
      rewriter.create<gpu::BarrierOp>(loc);
      auto combineAt = [&](int64_t half) {
        Value mine = rewriter.create<memref::LoadOp>(loc, partials, tid);
        Value other = rewriter.create<memref::LoadOp>(loc, partials,
                                                      h.add(tid, half * apart));
        return combine(rewriter, xr, mine, other);
      };
      for (int64_t half = stride / 2; half > 1; half /= 2) {
        h.only(h.below(start, half), [&] {
          rewriter.create<memref::StoreOp>(loc, combineAt(half), partials, tid);
        });
        rewriter.create<gpu::BarrierOp>(loc);
      }
      // The last halving is the first thread's alone: no barrier after it.
      h.only(h.both(first, inside), [&] { finish(combineAt(1)); });
    };
    // The row's lanes read its value once the first thread stored it.
    Value slot = h.add(group, threads);
    auto passToRow = [&](Value v) {
      rewriter.create<memref::StoreOp>(loc, v, partials, slot);
    };
    auto readAtRow = [&](Value buffer) {
      rewriter.create<gpu::BarrierOp>(loc);
      atRow[buffer] = rewriter.create<memref::LoadOp>(loc, partials, slot);
    };

    reduce(op, r, [&](Value total) {
      Value init =
          startValue(h, out, f.prologue, h.apply(outMap, loops), Value());
      Value v = combine(rewriter, r, init, total);
      storeResult(h, out, outMap, f, loops, Value(), v);
      if (!chain.links.empty())
        passToRow(v);
    });
    if (!chain.links.empty())
      readAtRow(out);
    for (Link &link : chain.links) {
      Value linkOut = link.op.getDpsInitOperand(0)->get();
      AffineMap linkMap =
          link.op.getMatchingIndexingMap(link.op.getDpsInitOperand(0));
      if (link.reduction) {
        reduce(link.op, *link.reduction, [&](Value total) {
          SmallVector<Value> indices = h.apply(linkMap, loops);
          Value init = startValue(h, linkOut, link.prologue, indices, Value());
          Value v = combine(rewriter, *link.reduction, init, total);
          rewriter.create<memref::StoreOp>(loc, v, linkOut, indices);
          passToRow(v);
        });
        readAtRow(linkOut);
        continue;
      }
      // The elementwise op: lane l computes the row's elements l, l + 32,
      // ..., those it read in the reductions.
      h.only(inside, [&] {
        auto each = rewriter.create<scf::ForOp>(
            loc, start, h.index(ranges[r.contiguous]), h.index(stride));
        OpBuilder::InsertionGuard g(rewriter);
        rewriter.setInsertionPointToStart(each.getBody());
        SmallVector<Value> at = loops;
        at[r.contiguous] = each.getInductionVar();
        Value v = evaluateAt(h, link.op, at, [&](OpOperand *operand) {
          return known(link.op, operand, Value());
        });
        rewriter.create<memref::StoreOp>(loc, v, linkOut, h.apply(linkMap, at));
      });
    }
    for (Link &link : llvm::reverse(chain.links)) {
      rewriter.eraseOp(link.op);
      if (link.prologue)
        rewriter.eraseOp(link.prologue);
    }
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
