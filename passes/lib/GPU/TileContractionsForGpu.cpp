//===- TileContractionsForGpu.cpp - matmuls and convs as tiled GPU kernels ===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::rep {
#define GEN_PASS_DEF_TILECONTRACTIONSFORGPU
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep::kernel;

namespace {

/// A block computes tileM (at most 128) rows x tileN columns, each thread
/// regM x regN of them in registers, kTileK deep per round through shared
/// memory.
constexpr int64_t kMaxTileM = 128, kTileK = 16;
constexpr int64_t kMinColumns = 16;
/// Columns of a wide tile: 128 x 128 outputs, 256 threads of 8 x 8. Each
/// round loads 256 slice elements for 16384 multiply-adds where a
/// 128 x 64 tile loads 192 for 8192.
constexpr int64_t kWideTileN = 128;
/// The least depth a split of a GEMM's depth gets: two rounds, so that
/// its partial sums cost at most one store per 32 multiply-adds.
constexpr int64_t kMinSplitDepth = 32;
/// The least multiply-adds per thread of a GEMM worth splitting: a few
/// microseconds, what the kernel that adds the splits costs to launch.
/// (Batch-1 fcs, 1 row by up to 1008 columns, do at most 512.)
constexpr int64_t kMinSplitWork = 4096;

/// `out + a * b`, in any operand order: the body of every conv and matmul.
bool isMultiplyAccumulate(Block &body) {
  if (body.getNumArguments() != 3)
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if (add.getLhs() != acc && add.getRhs() != acc)
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul || mul->getBlock() != &body)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

bool usesDim(AffineMap map, unsigned d) {
  return llvm::any_of(map.getResults(),
                      [&](AffineExpr e) { return e.isFunctionOfDim(d); });
}

/// How the loops of an op map onto one GEMM: the output's last dimension
/// is the columns (read by `b` only), the other parallel dimensions that
/// `a` reads are the rows, the rest of the parallel dimensions index
/// independent GEMMs (groups, batches), and the reductions are the depth.
struct Gemm {
  unsigned a, b; // input operand numbers
  unsigned col;
  SmallVector<unsigned> batchDims, rowDims, depthDims;
  SmallVector<int64_t> ranges;
  int64_t batch = 1, rows = 1, cols = 1, depth = 1;
  int64_t tileM, tileN, regM, regN;
  /// Blocks that each sum `chunk` of the depth (a multiple of kTileK) into
  /// partial sums, which a second kernel adds up in order.
  int64_t splits = 1, chunk;

  int64_t threadsX() const { return tileN / regN; }
  int64_t threadsY() const { return tileM / regM; }
  int64_t threads() const { return threadsX() * threadsY(); }
  int64_t blocks() const {
    return batch * llvm::divideCeil(rows, tileM) *
           llvm::divideCeil(cols, tileN);
  }
  /// Whole warps, each thread staging one depth column of a and one
  /// column of b (the same in every round), with whole vectors per half.
  bool isValid() const {
    int64_t n = threads();
    return regM >= 2 && regN >= 2 && tileM % regM == 0 && tileN % regN == 0 &&
           n % 32 == 0 && n % kTileK == 0 && n % tileN == 0;
  }
};

/// What both kernels take: a top-level `out + a * b` on static f32 buffers.
LogicalResult matchMultiplyAccumulate(linalg::LinalgOp op,
                                      PatternRewriter &rewriter) {
  if (!isa<func::FuncOp>(op->getParentOp()))
    return rewriter.notifyMatchFailure(op, "not a kernel of the function");
  if (!op.hasPureBufferSemantics())
    return rewriter.notifyMatchFailure(op, "not on buffers");
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !isMultiplyAccumulate(*op.getBlock()))
    return rewriter.notifyMatchFailure(op, "not a multiply-accumulate");
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "not static f32");
  }
  return success();
}

struct TileContraction : OpInterfaceRewritePattern<linalg::LinalgOp> {
  TileContraction(MLIRContext *ctx, int64_t multiprocessors)
      : OpInterfaceRewritePattern(ctx), multiprocessors(multiprocessors) {}

  int64_t multiprocessors;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(matchMultiplyAccumulate(op, rewriter)))
      return failure();
    FailureOr<Gemm> gemm = asGemm(op, rewriter, multiprocessors);
    if (failed(gemm))
      return failure();
    replaceWithKernel(op, rewriter,
                      [&](const Fusion &f) { build(op, *gemm, f, rewriter); });
    return success();
  }

  static FailureOr<Gemm> asGemm(linalg::LinalgOp op, PatternRewriter &rewriter,
                                int64_t multiprocessors) {
    Gemm g;
    g.ranges = op.getStaticLoopRanges();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    AffineMap out = maps[2];
    unsigned numParallel = op.getNumParallelLoops();
    if (!out.isProjectedPermutation() || out.getNumResults() != numParallel ||
        llvm::any_of(llvm::seq<unsigned>(0, numParallel), [&](unsigned i) {
          return iterators[out.getDimPosition(i)] !=
                 utils::IteratorType::parallel;
        }))
      return rewriter.notifyMatchFailure(
          op, "the output is not indexed by every parallel loop once");
    if (numParallel == 0 || numParallel == op.getNumLoops())
      return rewriter.notifyMatchFailure(op, "no parallel or no reduction "
                                             "loop");
    g.col = out.getDimPosition(numParallel - 1);
    bool in0 = usesDim(maps[0], g.col), in1 = usesDim(maps[1], g.col);
    if (in0 == in1)
      return rewriter.notifyMatchFailure(
          op, in0 ? "both inputs are indexed by the output's last dimension "
                    "(depthwise)"
                  : "no input is indexed by the output's last dimension");
    g.a = in0 ? 1 : 0;
    g.b = in0 ? 0 : 1;
    for (auto [d, it] : llvm::enumerate(iterators)) {
      if (it == utils::IteratorType::reduction) {
        g.depthDims.push_back(d);
        g.depth *= g.ranges[d];
      } else if (d != g.col && usesDim(maps[g.a], d) &&
                 !usesDim(maps[g.b], d)) {
        g.rowDims.push_back(d);
        g.rows *= g.ranges[d];
      } else if (d != g.col) {
        g.batchDims.push_back(d);
        g.batch *= g.ranges[d];
      }
    }
    g.cols = g.ranges[g.col];
    if (g.cols < kMinColumns)
      return rewriter.notifyMatchFailure(op, "fewer than 16 output columns");
    if (g.rows * g.depth * g.batch == 0)
      return rewriter.notifyMatchFailure(op, "empty");
    // The widest tile of whole warps (a multiple of 8 columns) that
    // divides the columns; else the widest that fits. Narrow tiles give each
    // thread fewer rows, so that the block still stages its 128 rows with
    // few loads per thread.
    g.tileN = 0;
    for (int64_t n = 64; n >= kMinColumns && !g.tileN; n -= 8)
      if (g.cols % n == 0)
        g.tileN = n;
    if (!g.tileN)
      g.tileN = std::min<int64_t>(64, llvm::alignTo(g.cols, 8));
    // 8 x 8 accumulators take 4 vector loads from shared memory per 64
    // FMAs, 8 x 4 take 4 per 32. Narrower tiles keep 4 columns per thread,
    // so that blocks stay whole warps of at least 128 threads to stage the
    // slices.
    g.regN = g.tileN % 64 == 0 ? 8 : 4;
    g.tileM = kMaxTileM;
    g.regM = g.tileN >= 32 ? 8 : 4;
    assert(g.isValid());
    // Twice as wide where the columns divide and the wide tiles, all rows
    // deep, still give every multiprocessor a block (batch 64, not 1).
    Gemm wide = g;
    wide.tileN = kWideTileN;
    wide.chunk = llvm::alignTo(g.depth, kTileK);
    if (multiprocessors > 0 && g.cols % kWideTileN == 0 &&
        g.rows >= kMaxTileM && wide.blocks() >= multiprocessors) {
      assert(wide.isValid());
      return wide;
    }
    // Fewer rows where 128 would be mostly padding, or would leave
    // multiprocessors idle (a batch-1 conv on 14x14 pixels is 2 row
    // tiles); fewer rows per thread where the block would not be whole
    // warps.
    for (int64_t tileM : {64, 32}) {
      bool padding = g.rows <= tileM;
      bool idle = tileM == 64 && g.blocks() < multiprocessors;
      if (!padding && !idle)
        break;
      Gemm smaller = g;
      smaller.tileM = tileM;
      while (smaller.regM > 2 && !smaller.isValid())
        smaller.regM /= 2;
      if (smaller.isValid())
        g = smaller;
    }
    // Still too few blocks: split the depth, each split at least
    // kMinSplitDepth deep, into about one block per multiprocessor, if
    // the blocks have enough to do.
    g.chunk = llvm::alignTo(g.depth, kTileK);
    int64_t splits =
        std::min<int64_t>(llvm::divideCeil(multiprocessors, g.blocks()),
                          g.depth / kMinSplitDepth);
    int64_t work = std::min(g.rows, g.tileM) * std::min(g.cols, g.tileN) *
                   g.depth / g.threads();
    if (splits > 1 && work >= kMinSplitWork) {
      g.chunk = llvm::alignTo(llvm::divideCeil(g.depth, splits), kTileK);
      g.splits = llvm::divideCeil(g.depth, g.chunk);
    }
    return g;
  }

  /// One gpu.launch: block (split, batch, row tile, column tile); each
  /// thread regM x regN accumulators: regM / 2 consecutive rows in each
  /// half of the block's rows and regN / 2 consecutive columns in each half
  /// of its columns, so that each step reads them as 4 (or 2) shared-memory
  /// words in a row, which the backend loads as one vector, and a warp's
  /// threads read and store neighbouring words. Each round loads a
  /// kTileK-deep slice of both operands into shared memory (zeros past the
  /// edges), then accumulates it: every output sums its depth in order, as
  /// the sequential loop would. A split GEMM's blocks sum their chunk of
  /// the depth from 0 and a second kernel adds the chunks in order.
  static void build(linalg::LinalgOp op, const Gemm &g, const Fusion &f,
                    PatternRewriter &rewriter) {
    Location loc = op.getLoc();
    KernelBuilder h(rewriter, loc);
    const int64_t tileM = g.tileM, tileN = g.tileN, regM = g.regM,
                  regN = g.regN, threads = g.threads();
    assert(g.isValid());
    const int64_t rowTiles = llvm::divideCeil(g.rows, tileM),
                  colTiles = llvm::divideCeil(g.cols, tileN);
    // Two buffers of each slice, a as [k][m], b as [k][n]: a round
    // multiplies out of one while storing the next round's into the other.
    // a's rows are padded against bank conflicts on its stores, by a whole
    // vector to keep steps' loads aligned.
    const int64_t strideA = tileM + 4;
    const int64_t sharedBytes = 2 * 4 * kTileK * (strideA + tileN);
    Value out = op.getDpsInitOperand(0)->get();
    auto outType = cast<MemRefType>(out.getType());
    // A split GEMM's blocks store partial sums: [split][output indices].
    Value partial;
    if (g.splits > 1) {
      SmallVector<int64_t> shape{g.splits};
      llvm::append_range(shape, outType.getShape());
      partial = rewriter.create<memref::AllocOp>(
          loc, MemRefType::get(shape, rewriter.getF32Type()));
    }

    Value one = h.index(1);
    auto launch = rewriter.create<gpu::LaunchOp>(
        loc, h.index(g.splits * g.blocks()), one, one, h.index(threads), one,
        one, rewriter.create<arith::ConstantIntOp>(loc, sharedBytes, 32));
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToStart(&body);
    rewriter.create<gpu::TerminatorOp>(loc);
    rewriter.setInsertionPointToStart(&body);

    Value block = launch.getBlockIds().x, tid = launch.getThreadIds().x;
    Value colTile = h.rem(block, colTiles);
    Value rowTile = h.rem(h.div(block, colTiles), rowTiles);
    // Blocks in (split, batch, row tile, column tile) order.
    Value batchIndex = h.div(block, colTiles * rowTiles), split;
    if (partial) {
      split = h.div(batchIndex, g.batch);
      batchIndex = h.rem(batchIndex, g.batch);
    }
    Value tx = h.rem(tid, g.threadsX()), ty = h.div(tid, g.threadsX());
    Value row0 = h.mul(rowTile, tileM), col0 = h.mul(colTile, tileN);

    auto workgroup = gpu::AddressSpaceAttr::get(
        rewriter.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    Value shared = rewriter.create<gpu::DynamicSharedMemoryOp>(
        loc, MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type(),
                             MemRefLayoutAttrInterface(), workgroup));
    // Each slice is stored word by word and read as vectors of a thread's
    // consecutive rows (columns): a view whose elements are those vectors
    // has their alignment, which the backend needs to load them whole.
    auto view = [&](int64_t bytes, int64_t n, int64_t lanes) {
      Type element = rewriter.getF32Type();
      if (lanes > 1)
        element = VectorType::get({lanes}, element);
      auto type = MemRefType::get({2, kTileK, n / lanes}, element,
                                  MemRefLayoutAttrInterface(), workgroup);
      return rewriter.create<memref::ViewOp>(loc, type, shared, h.index(bytes),
                                             ValueRange());
    };
    const int64_t bytesB = 2 * 4 * kTileK * strideA;
    Value tileA = view(0, strideA, 1), tileB = view(bytesB, tileN, 1);
    Value vectorsA = view(0, strideA, regM / 2),
          vectorsB = view(bytesB, tileN, regN / 2);

    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    Value inA = op->getOperand(g.a), inB = op->getOperand(g.b);
    // Loop indices for a (row, column) of this block's GEMM; depth later.
    SmallVector<Value> base(op.getNumLoops(), h.index(0));
    h.delinearize(batchIndex, g.batchDims, g.ranges, base);
    // The tile row and column of accumulator (i, j).
    Value rowOfTy = h.mul(ty, regM / 2), colOfTx = h.mul(tx, regN / 2);
    auto tileRow = [&](int64_t i) {
      return h.add(rowOfTy, i / (regM / 2) * (tileM / 2) + i % (regM / 2));
    };
    auto tileCol = [&](int64_t j) {
      return h.add(colOfTx, j / (regN / 2) * (tileN / 2) + j % (regN / 2));
    };
    auto outputAt = [&](int64_t i, int64_t j, SmallVector<Value> &loops,
                        Value &inside) {
      Value row = h.add(row0, tileRow(i));
      Value col = h.add(col0, tileCol(j));
      loops = base;
      h.delinearize(row, g.rowDims, g.ranges, loops);
      loops[g.col] = col;
      inside = h.both(g.rows % tileM ? h.below(row, g.rows) : Value(),
                      g.cols % tileN ? h.below(col, g.cols) : Value());
    };

    // A split's partial sums start from 0; the second kernel adds them to
    // the start value.
    SmallVector<Value> init;
    Value zero =
        rewriter.create<arith::ConstantOp>(loc, rewriter.getF32FloatAttr(0));
    for (int64_t i = 0; i < regM; ++i)
      for (int64_t j = 0; j < regN; ++j) {
        SmallVector<Value> loops;
        Value inside;
        outputAt(i, j, loops, inside);
        init.push_back(partial ? zero
                               : startValue(h, out, f.prologue,
                                            h.apply(maps[2], loops), inside));
      }

    // This split's rounds: [split * chunk, its end or the depth's).
    int64_t depthEnd = llvm::alignTo(g.depth, kTileK);
    Value k0 = h.index(0), kEnd = h.index(depthEnd);
    if (partial) {
      k0 = h.mul(split, g.chunk);
      kEnd = rewriter.create<arith::MinUIOp>(loc, h.add(k0, g.chunk), kEnd);
    }
    // Stage a: consecutive threads read consecutive depth (contiguous in
    // NHWC inputs and row-major matrices); b: consecutive columns.
    // The threads are whole multiples of both slices' rows (isValid),
    // so each thread keeps its depth column in a and its column in b.
    Value kk = h.rem(tid, kTileK), mA = h.div(tid, kTileK);
    Value n = h.rem(tid, tileN), kB = h.div(tid, tileN);
    Value col = h.add(col0, n);
    Value colB = g.cols % tileN ? h.below(col, g.cols) : Value();
    // Where the threads do not divide a slice, the last pass's threads
    // past it load and store nothing.
    auto tailA = [&](int64_t e, Value m) {
      return e + threads > tileM * kTileK ? h.below(m, tileM) : Value();
    };
    auto tailB = [&](int64_t e, Value kk) {
      return e + threads > kTileK * tileN ? h.below(kk, kTileK) : Value();
    };
    // This thread's elements of the slices that start at depth k0.
    auto loadSlices = [&](Value k0) {
      SmallVector<Value> values;
      Value kA = h.add(k0, kk);
      Value depthA = g.depth % kTileK ? h.below(kA, g.depth) : Value();
      SmallVector<Value> atDepth = base;
      h.delinearize(kA, g.depthDims, g.ranges, atDepth);
      for (int64_t e = 0; e < tileM * kTileK; e += threads) {
        Value m = h.add(mA, e / kTileK), row = h.add(row0, m);
        SmallVector<Value> loops = atDepth;
        h.delinearize(row, g.rowDims, g.ranges, loops);
        Value inside = h.both(
            h.both(g.rows % tileM ? h.below(row, g.rows) : Value(), depthA),
            tailA(e, m));
        values.push_back(h.load(inA, h.apply(maps[g.a], loops), inside));
      }
      SmallVector<Value> atCol = base;
      atCol[g.col] = col;
      for (int64_t e = 0; e < kTileK * tileN; e += threads) {
        Value kk = h.add(kB, e / tileN), k = h.add(k0, kk);
        SmallVector<Value> loops = atCol;
        h.delinearize(k, g.depthDims, g.ranges, loops);
        Value inside = h.both(
            h.both(colB, g.depth % kTileK ? h.below(k, g.depth) : Value()),
            tailB(e, kk));
        values.push_back(h.load(inB, h.apply(maps[g.b], loops), inside));
      }
      return values;
    };
    auto storeSlices = [&](ArrayRef<Value> values, Value buffer) {
      const Value *v = values.begin();
      for (int64_t e = 0; e < tileM * kTileK; e += threads, ++v) {
        Value m = h.add(mA, e / kTileK);
        h.only(tailA(e, m), [&] {
          rewriter.create<memref::StoreOp>(loc, *v, tileA,
                                           ValueRange{buffer, kk, m});
        });
      }
      for (int64_t e = 0; e < kTileK * tileN; e += threads, ++v) {
        Value kk = h.add(kB, e / tileN);
        h.only(tailB(e, kk), [&] {
          rewriter.create<memref::StoreOp>(loc, *v, tileB,
                                           ValueRange{buffer, kk, n});
        });
      }
    };

    // The round at depth k uses buffer k / 16 % 2; the first round's
    // slices are stored before the loop. Each round loads the next round's
    // into registers before its multiply-adds, so that the global loads'
    // latency hides under them, and stores them into the other buffer
    // after: the one barrier per round both publishes them and keeps them
    // from overwriting a buffer still being read. (A loop-carried buffer
    // index cost ptxas up to 47 more registers a thread.)
    int64_t numAcc = regM * regN;
    auto bufferAt = [&](Value k) { return h.rem(h.div(k, kTileK), 2); };
    SmallVector<Value> first = loadSlices(k0);
    storeSlices(first, bufferAt(k0));
    rewriter.create<gpu::BarrierOp>(loc);
    auto rounds =
        rewriter.create<scf::ForOp>(loc, k0, kEnd, h.index(kTileK), init);
    rewriter.setInsertionPointToStart(rounds.getBody());
    k0 = rounds.getInductionVar();
    Value buffer = bufferAt(k0);
    Value next = h.add(k0, kTileK);
    auto prefetch = rewriter.create<scf::IfOp>(
        loc, TypeRange(ValueRange(first)),
        rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, next,
                                       kEnd),
        /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToEnd(prefetch.thenBlock());
      rewriter.create<scf::YieldOp>(loc, loadSlices(next));
      // Past the last round: nothing to load.
      rewriter.setInsertionPointToEnd(prefetch.elseBlock());
      rewriter.create<scf::YieldOp>(
          loc, SmallVector<Value>(prefetch.getNumResults(), zero));
    }
    // The 16 steps unrolled: shared-memory addresses become immediates
    // and ptxas can schedule the loads of one step under the FMAs of the
    // last.
    SmallVector<Value> acc(rounds.getRegionIterArgs().take_front(numAcc));
    // A thread's vector in each half of the slices' rows (columns).
    Value halvesA[] = {ty, h.add(ty, tileM / regM)};
    Value halvesB[] = {tx, h.add(tx, tileN / regN)};
    for (int64_t kk = 0; kk < kTileK; ++kk) {
      SmallVector<Value> a, b;
      auto loadHalves = [&](Value vectors, ArrayRef<Value> halves,
                            SmallVectorImpl<Value> &out) {
        for (Value at : halves) {
          Value v = rewriter.create<memref::LoadOp>(
              loc, vectors, ValueRange{buffer, h.index(kk), at});
          auto vector = dyn_cast<VectorType>(v.getType());
          if (!vector) {
            out.push_back(v);
            continue;
          }
          for (int64_t l = 0; l < vector.getNumElements(); ++l)
            out.push_back(rewriter.create<vector::ExtractOp>(loc, v, l));
        }
      };
      loadHalves(vectorsA, halvesA, a);
      loadHalves(vectorsB, halvesB, b);
      for (int64_t i = 0; i < regM; ++i)
        for (int64_t j = 0; j < regN; ++j) {
          Value p = rewriter.create<arith::MulFOp>(loc, a[i], b[j]);
          Value &sum = acc[i * regN + j];
          sum = rewriter.create<arith::AddFOp>(loc, sum, p);
        }
    }
    // Past the last round this stores the else branch's zeros into a
    // buffer nobody reads again.
    storeSlices(SmallVector<Value>(prefetch.getResults()), bufferAt(next));
    rewriter.create<gpu::BarrierOp>(loc);
    rewriter.create<scf::YieldOp>(loc, acc);

    rewriter.setInsertionPointAfter(rounds);
    for (int64_t i = 0; i < regM; ++i)
      for (int64_t j = 0; j < regN; ++j) {
        SmallVector<Value> loops;
        Value inside;
        outputAt(i, j, loops, inside);
        Value sum = rounds.getResult(i * regN + j);
        if (!partial) {
          storeResult(h, out, maps[2], f, loops, inside, sum);
          continue;
        }
        h.only(inside, [&] {
          SmallVector<Value> indices{split};
          llvm::append_range(indices, h.apply(maps[2], loops));
          rewriter.create<memref::StoreOp>(loc, sum, partial, indices);
        });
      }
    if (partial) {
      rewriter.setInsertionPointAfter(launch);
      addPartialSums(h, out, partial, f);
    }
  }

  /// The kernel after a split GEMM's: each thread one output element, its
  /// start value (`prologue`'s, or what `out` holds) plus the splits'
  /// partial sums in depth order, stored with `epilogue` as the unsplit
  /// kernel would.
  static void addPartialSums(KernelBuilder &h, Value out, Value partial,
                             const Fusion &f) {
    OpBuilder &b = h.b;
    auto type = cast<MemRefType>(partial.getType());
    ArrayRef<int64_t> shape = type.getShape().drop_front();
    int64_t splits = type.getDimSize(0), elements = computeProduct(shape);
    Value one = h.index(1);
    auto launch = b.create<gpu::LaunchOp>(
        h.loc, h.index(llvm::divideCeil(elements, kThreads)), one, one,
        h.index(std::min(elements, kThreads)), one, one);
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    b.create<gpu::TerminatorOp>(h.loc);
    b.setInsertionPointToStart(&body);
    Value t =
        h.add(h.mul(launch.getBlockIds().x, kThreads), launch.getThreadIds().x);
    h.only(elements % kThreads ? h.below(t, elements) : Value(), [&] {
      SmallVector<unsigned> dims =
          llvm::to_vector(llvm::seq<unsigned>(0, shape.size()));
      SmallVector<Value> indices(shape.size());
      h.delinearize(t, dims, shape, indices);
      Value start = startValue(h, out, f.prologue, indices, Value());
      auto sum = b.create<scf::ForOp>(h.loc, h.index(0), h.index(splits), one,
                                      ValueRange{start});
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(sum.getBody());
        SmallVector<Value> at{sum.getInductionVar()};
        llvm::append_range(at, indices);
        Value p = b.create<memref::LoadOp>(h.loc, partial, at);
        b.create<scf::YieldOp>(h.loc,
                               ValueRange{b.create<arith::AddFOp>(
                                   h.loc, sum.getRegionIterArgs().front(), p)});
      }
      storeResult(h, out, b.getMultiDimIdentityMap(shape.size()), f, indices,
                  Value(), sum.getResult(0));
    });
  }
};

/// A depthwise conv (the channel indexes both inputs, so it is no GEMM):
/// each thread computes one channel at regW consecutive output columns
/// (ow), the reduction (kh, kw) unrolled, so that it loads each weight once
/// for regW outputs and each input once for all the outputs whose windows
/// share it, instead of a weight and an input per multiply-add. A warp's
/// threads take neighbouring channels: neighbouring addresses.
struct TileDepthwiseConv : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  static constexpr int64_t kMaxTaps = 128;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(matchMultiplyAccumulate(op, rewriter)))
      return failure();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    AffineMap outMap = maps[2];
    unsigned numParallel = op.getNumParallelLoops();
    if (!outMap.isProjectedPermutation() ||
        outMap.getNumResults() != numParallel || numParallel < 2 ||
        numParallel == op.getNumLoops() ||
        llvm::any_of(llvm::seq<unsigned>(0, numParallel), [&](unsigned i) {
          return iterators[outMap.getDimPosition(i)] !=
                 utils::IteratorType::parallel;
        }))
      return rewriter.notifyMatchFailure(
          op, "not a depthwise conv: its output is not indexed by every "
              "parallel loop once, or it has no reduction");
    unsigned channel = outMap.getDimPosition(numParallel - 1);
    if (!usesDim(maps[0], channel) || !usesDim(maps[1], channel))
      return rewriter.notifyMatchFailure(
          op, "not a depthwise conv: the output's last dimension does not "
              "index both inputs");
    unsigned column = outMap.getDimPosition(numParallel - 2);
    bool in0 = usesDim(maps[0], column), in1 = usesDim(maps[1], column);
    if (in0 == in1)
      return rewriter.notifyMatchFailure(
          op, "the output's second-last dimension indexes both inputs or "
              "neither: no window to share");
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<unsigned> taps;
    int64_t numTaps = 1;
    for (auto [d, it] : llvm::enumerate(iterators))
      if (it == utils::IteratorType::reduction) {
        taps.push_back(d);
        numTaps *= ranges[d];
      }
    if (numTaps > kMaxTaps)
      return rewriter.notifyMatchFailure(op, "more than 128 taps to unroll");
    // The most columns up to 8 that divide them, else 4 and a guard.
    int64_t width = ranges[column], regW = 4;
    for (int64_t r = 8; r >= 4; --r)
      if (width % r == 0) {
        regW = r;
        break;
      }
    replaceWithKernel(op, rewriter, [&](const Fusion &f) {
      build(op, in0 ? 0 : 1, channel, column, taps, regW, f, rewriter);
    });
    return success();
  }

  static void build(linalg::LinalgOp op, unsigned a, unsigned channel,
                    unsigned column, ArrayRef<unsigned> taps, int64_t regW,
                    const Fusion &f, PatternRewriter &rewriter) {
    Location loc = op.getLoc();
    KernelBuilder h(rewriter, loc);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    AffineMap outMap = maps[2];
    unsigned numParallel = outMap.getNumResults();
    // Threads in the output's order, with its columns in tiles of regW.
    SmallVector<unsigned> outer;
    int64_t count = 1;
    for (unsigned i = 0; i + 2 < numParallel; ++i) {
      outer.push_back(outMap.getDimPosition(i));
      count *= ranges[outer.back()];
    }
    const int64_t channels = ranges[channel],
                  colTiles = llvm::divideCeil(ranges[column], regW);
    const int64_t threads = count * colTiles * channels;

    Value one = h.index(1);
    auto launch = rewriter.create<gpu::LaunchOp>(
        loc, h.index(llvm::divideCeil(threads, kThreads)), one, one,
        h.index(std::min(threads, kThreads)), one, one);
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToStart(&body);
    rewriter.create<gpu::TerminatorOp>(loc);
    rewriter.setInsertionPointToStart(&body);
    Value t =
        h.add(h.mul(launch.getBlockIds().x, kThreads), launch.getThreadIds().x);
    h.only(threads % kThreads ? h.below(t, threads) : Value(), [&] {
      SmallVector<Value> loops(op.getNumLoops(), h.index(0));
      loops[channel] = h.rem(t, channels);
      Value rest = h.div(t, channels);
      Value col0 = h.mul(h.rem(rest, colTiles), regW);
      loops[column] = col0;
      h.delinearize(h.div(rest, colTiles), outer, ranges, loops);
      Value out = op.getDpsInitOperand(0)->get();
      // The loops of column r (taps at 0: the output does not read them).
      auto atColumn = [&](int64_t r) {
        SmallVector<Value> at = loops;
        at[column] = h.add(col0, r);
        return at;
      };
      SmallVector<Value> inside, acc;
      for (int64_t r = 0; r < regW; ++r) {
        SmallVector<Value> at = atColumn(r);
        inside.push_back(ranges[column] % regW
                             ? h.below(at[column], ranges[column])
                             : Value());
        acc.push_back(
            startValue(h, out, f.prologue, h.apply(outMap, at), inside.back()));
      }
      // Every tap in the sequential loop's order, its indices folded into
      // the maps as constants, applied to the first column's loops. The
      // weight, which no column indexes, once for all columns; an input
      // element two (column, tap) pairs share, once: its folded map is the
      // key (with the column where its guard differs from the others').
      SmallVector<int64_t> tapRanges;
      for (unsigned d : taps)
        tapRanges.push_back(ranges[d]);
      SmallVector<int64_t> strides = computeStrides(tapRanges);
      int64_t numTaps = computeProduct(tapRanges);
      MLIRContext *ctx = rewriter.getContext();
      unsigned numLoops = op.getNumLoops();
      SmallVector<AffineExpr> dims;
      for (unsigned d = 0; d < numLoops; ++d)
        dims.push_back(getAffineDimExpr(d, ctx));
      DenseMap<std::pair<int64_t, AffineMap>, Value> loaded;
      for (int64_t tap = 0; tap < numTaps; ++tap) {
        SmallVector<AffineExpr> folded = dims;
        for (auto [d, v] : llvm::zip_equal(taps, delinearize(tap, strides)))
          folded[d] = getAffineConstantExpr(v, ctx);
        Value weight = rewriter.create<memref::LoadOp>(
            loc, op->getOperand(1 - a),
            h.apply(maps[1 - a].replaceDimsAndSymbols(folded, {}, numLoops, 0),
                    loops));
        for (int64_t r = 0; r < regW; ++r) {
          folded[column] = dims[column] + r;
          AffineMap map =
              maps[a].replaceDimsAndSymbols(folded, {}, numLoops, 0);
          Value &x = loaded[{inside[r] ? r : -1, map}];
          if (!x)
            x = h.load(op->getOperand(a), h.apply(map, loops), inside[r]);
          Value p = rewriter.create<arith::MulFOp>(loc, x, weight);
          acc[r] = rewriter.create<arith::AddFOp>(loc, acc[r], p);
        }
      }
      for (int64_t r = 0; r < regW; ++r)
        storeResult(h, out, outMap, f, atColumn(r), inside[r], acc[r]);
    });
  }
};

struct TileContractionsForGpuPass
    : rep::impl::TileContractionsForGpuBase<TileContractionsForGpuPass> {
  using TileContractionsForGpuBase::TileContractionsForGpuBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    rep::populateTileContractionsForGpuPatterns(patterns, multiprocessors);
    if (failed(rep::applyRepPatterns(getOperation(), std::move(patterns),
                                     getArgument())))
      return signalPassFailure();
  }
};

} // namespace

void rep::populateTileContractionsForGpuPatterns(RewritePatternSet &patterns,
                                                 int64_t multiprocessors) {
  patterns.add<TileContraction>(patterns.getContext(), multiprocessors);
  patterns.add<TileDepthwiseConv>(patterns.getContext());
}
