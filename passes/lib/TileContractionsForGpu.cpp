//===- TileContractionsForGpu.cpp - matmuls and convs as tiled GPU kernels ===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::rep {
#define GEN_PASS_DEF_TILECONTRACTIONSFORGPU
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;

namespace {

/// A block computes kTileM rows x tileN columns, each thread regM x kRegN
/// of them in registers, kTileK deep per round through shared memory.
constexpr int64_t kTileM = 128, kTileK = 16, kRegN = 4;
constexpr int64_t kMinColumns = 16;

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
  int64_t tileN, regM;

  int64_t threadsX() const { return tileN / kRegN; }
  int64_t threadsY() const { return kTileM / regM; }
  int64_t threads() const { return threadsX() * threadsY(); }
};

class Builder {
public:
  Builder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

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
      indices.push_back(b.create<affine::AffineApplyOp>(
          loc, AffineMap::get(map.getNumDims(), 0, e), loops));
    }
    return indices;
  }

  /// memref[indices], or 0 where `inside` (if any) is false.
  Value load(Value memref, ArrayRef<Value> indices, Value inside) {
    if (!inside)
      return b.create<memref::LoadOp>(loc, memref, indices);
    Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0));
    auto branch = b.create<scf::IfOp>(
        loc, inside,
        [&](OpBuilder &then, Location l) {
          Value v = then.create<memref::LoadOp>(l, memref, indices);
          then.create<scf::YieldOp>(l, v);
        },
        [&](OpBuilder &other, Location l) {
          other.create<scf::YieldOp>(l, zero);
        });
    return branch.getResult(0);
  }

  OpBuilder &b;
  Location loc;
};

/// Runs `body` where `guard` holds (always if null).
void storeSlice(Builder &h, Value guard, function_ref<void()> body) {
  if (!guard)
    return body();
  auto branch = h.b.create<scf::IfOp>(h.loc, guard, /*withElse=*/false);
  OpBuilder::InsertionGuard g(h.b);
  h.b.setInsertionPoint(branch.thenBlock()->getTerminator());
  body();
}

struct TileContraction : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
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
    FailureOr<Gemm> gemm = asGemm(op, rewriter);
    if (failed(gemm))
      return failure();
    build(op, *gemm, rewriter);
    rewriter.eraseOp(op);
    return success();
  }

  static FailureOr<Gemm> asGemm(linalg::LinalgOp op,
                                PatternRewriter &rewriter) {
    Gemm g;
    g.ranges = op.getStaticLoopRanges();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    AffineMap out = maps[2];
    unsigned numParallel = op.getNumParallelLoops();
    if (!out.isProjectedPermutation() || out.getNumResults() != numParallel)
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
    g.regM = g.tileN >= 48 ? 8 : 4;
    return g;
  }

  /// One gpu.launch: block (batch, row tile, column tile); each thread
  /// regM x kRegN accumulators, rows ty + i * threadsY and columns
  /// tx + j * tileN / kRegN so that neighbouring threads read neighbouring
  /// shared-memory words and store neighbouring outputs. Each round loads a
  /// kTileK-deep slice of both operands into shared memory (zeros past
  /// the edges), then accumulates it: every output sums its depth in
  /// order, as the sequential loop would.
  static void build(linalg::LinalgOp op, const Gemm &g,
                    PatternRewriter &rewriter) {
    Location loc = op.getLoc();
    Builder h(rewriter, loc);
    const int64_t tileN = g.tileN, regM = g.regM, threadsX = g.threadsX(),
                  threadsY = g.threadsY(), threads = g.threads();
    assert(threads % 32 == 0 && threads % kTileK == 0 && threads % tileN == 0);
    const int64_t rowTiles = llvm::divideCeil(g.rows, kTileM),
                  colTiles = llvm::divideCeil(g.cols, tileN);
    // a as [k][m] (padded against bank conflicts on its stores), b as [k][n].
    const int64_t strideA = kTileM + 1;
    const int64_t sharedBytes = 4 * kTileK * (strideA + tileN);

    Value one = h.index(1);
    auto launch = rewriter.create<gpu::LaunchOp>(
        loc, h.index(g.batch * rowTiles * colTiles), one, one, h.index(threads),
        one, one, rewriter.create<arith::ConstantIntOp>(loc, sharedBytes, 32));
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToStart(&body);
    rewriter.create<gpu::TerminatorOp>(loc);
    rewriter.setInsertionPointToStart(&body);

    Value block = launch.getBlockIds().x, tid = launch.getThreadIds().x;
    Value colTile = h.rem(block, colTiles);
    Value rowTile = h.rem(h.div(block, colTiles), rowTiles);
    Value batchIndex = h.div(block, colTiles * rowTiles);
    Value tx = h.rem(tid, threadsX), ty = h.div(tid, threadsX);
    Value row0 = h.mul(rowTile, kTileM), col0 = h.mul(colTile, tileN);

    auto workgroup = gpu::AddressSpaceAttr::get(
        rewriter.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    Value shared = rewriter.create<gpu::DynamicSharedMemoryOp>(
        loc, MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type(),
                             MemRefLayoutAttrInterface(), workgroup));
    auto tileType = [&](int64_t n) {
      return MemRefType::get({kTileK, n}, rewriter.getF32Type(),
                             MemRefLayoutAttrInterface(), workgroup);
    };
    Value tileA = rewriter.create<memref::ViewOp>(
        loc, tileType(strideA), shared, h.index(0), ValueRange());
    Value tileB = rewriter.create<memref::ViewOp>(loc, tileType(tileN), shared,
                                                  h.index(4 * kTileK * strideA),
                                                  ValueRange());

    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    Value inA = op->getOperand(g.a), inB = op->getOperand(g.b),
          out = op.getDpsInitOperand(0)->get();
    // Loop indices for a (row, column) of this block's GEMM; depth later.
    SmallVector<Value> base(op.getNumLoops(), h.index(0));
    h.delinearize(batchIndex, g.batchDims, g.ranges, base);
    auto outputAt = [&](int64_t i, int64_t j, SmallVector<Value> &loops,
                        Value &inside) {
      Value row = h.add(h.add(row0, ty), i * threadsY);
      Value col = h.add(h.add(col0, tx), j * threadsX);
      loops = base;
      h.delinearize(row, g.rowDims, g.ranges, loops);
      loops[g.col] = col;
      inside = h.both(g.rows % kTileM ? h.below(row, g.rows) : Value(),
                      g.cols % tileN ? h.below(col, g.cols) : Value());
    };

    SmallVector<Value> init;
    for (int64_t i = 0; i < regM; ++i)
      for (int64_t j = 0; j < kRegN; ++j) {
        SmallVector<Value> loops;
        Value inside;
        outputAt(i, j, loops, inside);
        init.push_back(h.load(out, h.apply(maps[2], loops), inside));
      }

    auto rounds = rewriter.create<scf::ForOp>(
        loc, h.index(0), h.index(llvm::alignTo(g.depth, kTileK)),
        h.index(kTileK), init);
    rewriter.setInsertionPointToStart(rounds.getBody());
    Value k0 = rounds.getInductionVar();
    // Stage a: consecutive threads read consecutive depth (contiguous in
    // NHWC inputs and row-major matrices); b: consecutive columns.
    // The threads are whole multiples of both slices' rows (assert below),
    // so each thread keeps its depth column in a and its column in b.
    Value kA = h.rem(tid, kTileK), mA = h.div(tid, kTileK);
    for (int64_t e = 0; e < kTileM * kTileK; e += threads) {
      Value m = h.add(mA, e / kTileK), kk = kA;
      Value row = h.add(row0, m), k = h.add(k0, kk);
      SmallVector<Value> loops = base;
      h.delinearize(row, g.rowDims, g.ranges, loops);
      h.delinearize(k, g.depthDims, g.ranges, loops);
      Value inside = h.both(g.rows % kTileM ? h.below(row, g.rows) : Value(),
                            g.depth % kTileK ? h.below(k, g.depth) : Value());
      storeSlice(
          h, e + threads > kTileM * kTileK ? h.below(m, kTileM) : Value(), [&] {
            Value v = h.load(inA, h.apply(maps[g.a], loops), inside);
            rewriter.create<memref::StoreOp>(loc, v, tileA, ValueRange{kk, m});
          });
    }
    Value nB = h.rem(tid, tileN), kB = h.div(tid, tileN);
    for (int64_t e = 0; e < kTileK * tileN; e += threads) {
      Value kk = h.add(kB, e / tileN), n = nB;
      Value col = h.add(col0, n), k = h.add(k0, kk);
      SmallVector<Value> loops = base;
      loops[g.col] = col;
      h.delinearize(k, g.depthDims, g.ranges, loops);
      Value inside = h.both(g.cols % tileN ? h.below(col, g.cols) : Value(),
                            g.depth % kTileK ? h.below(k, g.depth) : Value());
      storeSlice(
          h, e + threads > kTileK * tileN ? h.below(kk, kTileK) : Value(), [&] {
            Value v = h.load(inB, h.apply(maps[g.b], loops), inside);
            rewriter.create<memref::StoreOp>(loc, v, tileB, ValueRange{kk, n});
          });
    }
    rewriter.create<gpu::BarrierOp>(loc);
    // The 16 steps unrolled: shared-memory addresses become immediates
    // and ptxas can schedule the loads of one step under the FMAs of the
    // last.
    SmallVector<Value> acc(rounds.getRegionIterArgs());
    for (int64_t kk = 0; kk < kTileK; ++kk) {
      SmallVector<Value> a, b;
      for (int64_t i = 0; i < regM; ++i)
        a.push_back(rewriter.create<memref::LoadOp>(
            loc, tileA, ValueRange{h.index(kk), h.add(ty, i * threadsY)}));
      for (int64_t j = 0; j < kRegN; ++j)
        b.push_back(rewriter.create<memref::LoadOp>(
            loc, tileB, ValueRange{h.index(kk), h.add(tx, j * threadsX)}));
      for (int64_t i = 0; i < regM; ++i)
        for (int64_t j = 0; j < kRegN; ++j) {
          Value p = rewriter.create<arith::MulFOp>(loc, a[i], b[j]);
          Value &sum = acc[i * kRegN + j];
          sum = rewriter.create<arith::AddFOp>(loc, sum, p);
        }
    }
    // Nobody overwrites the slices before everyone has read them.
    rewriter.create<gpu::BarrierOp>(loc);
    rewriter.create<scf::YieldOp>(loc, acc);

    rewriter.setInsertionPointAfter(rounds);
    for (int64_t i = 0; i < regM; ++i)
      for (int64_t j = 0; j < kRegN; ++j) {
        SmallVector<Value> loops;
        Value inside;
        outputAt(i, j, loops, inside);
        Value v = rounds.getResult(i * kRegN + j);
        storeSlice(h, inside, [&] {
          rewriter.create<memref::StoreOp>(loc, v, out,
                                           h.apply(maps[2], loops));
        });
      }
  }
};

struct TileContractionsForGpuPass
    : rep::impl::TileContractionsForGpuBase<TileContractionsForGpuPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    rep::populateTileContractionsForGpuPatterns(patterns);
    if (failed(rep::applyRepPatterns(getOperation(), std::move(patterns),
                                     getArgument())))
      return signalPassFailure();
  }
};

} // namespace

void rep::populateTileContractionsForGpuPatterns(RewritePatternSet &patterns) {
  patterns.add<TileContraction>(patterns.getContext());
}
