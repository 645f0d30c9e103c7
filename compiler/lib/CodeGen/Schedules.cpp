//===- Schedules.cpp - transform-dialect schedules per kernel -------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The schedules of ../shared/notes/codegen, chosen per op from its shape:
// split the outer dim over the threads, tile to a register block that
// divides the op (4-8 rows x 16-64 lanes on AVX-512, 8 ymm accumulators
// on AVX2), decompose convs to
// 1-D, vectorize, and keep the accumulator tile in registers across the
// reduction loops. Ops whose shapes fit no register block stay plain loops.
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/Schedules.h"
#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;
using namespace mlir::rep;

namespace {

/// The most weight bytes a kernel reads from L2 over and over: half the
/// 2 MB L2 of this machine's cores (server cores have 1-2 MB).
constexpr int64_t kL2ResidentBytes = 1 << 20;

/// The largest of `choices` that divides `n`, else 0.
int64_t largestDivisor(int64_t n, ArrayRef<int64_t> choices) {
  for (int64_t c : choices)
    if (c <= n && n % c == 0)
      return c;
  return 0;
}

std::string list(ArrayRef<int64_t> v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string anyOps(size_t n) {
  std::string s = "(!transform.any_op) -> (!transform.any_op";
  for (size_t i = 0; i < n; ++i)
    s += ", !transform.any_op";
  return s + ")";
}

/// Script text for one op: thread split, register tiling, vectorization.
struct KernelScript {
  std::string text;
  llvm::raw_string_ostream os{text};
  int next = 0;

  std::string fresh() { return "%v" + std::to_string(next++); }

  std::string match(int64_t id) {
    std::string h = fresh();
    os << "  " << h << " = transform.structured.match attributes{rep.kernel = "
       << id << " : i64} in %root : (!transform.any_op) -> !transform.any_op\n";
    return h;
  }
  /// The loop handle of the last forall() or tile() (the innermost loop).
  std::string loop;

  /// Splits the op's dim `dim` into `chunks` forall iterations.
  std::string forall(const std::string &h, size_t rank, size_t dim,
                     int64_t chunks) {
    return forall(h, rank, {{dim, chunks}});
  }
  /// One forall over several dims, (dim, chunks) each; the iterations of
  /// the later dims are contiguous, so a static schedule gives each thread
  /// consecutive ones.
  std::string forall(const std::string &h, size_t rank,
                     ArrayRef<std::pair<size_t, int64_t>> split) {
    SmallVector<int64_t> counts(rank, 0);
    for (auto [dim, chunks] : split)
      counts[dim] = chunks;
    std::string t = fresh(), l = fresh();
    os << "  " << t << ", " << l << " = transform.structured.tile_using_forall "
       << h << " num_threads " << list(counts)
       << " : (!transform.any_op) -> (!transform.any_op, !transform.any_op)\n";
    loop = l;
    return t;
  }
  /// Tiles with scf.for loops; returns the tiled op.
  std::string tile(const std::string &h, ArrayRef<int64_t> sizes) {
    size_t loops = llvm::count_if(sizes, [](int64_t s) { return s != 0; });
    std::string t = fresh(), l = fresh();
    os << "  " << t << ", " << l;
    if (loops)
      os << ":" << loops;
    os << " = transform.structured.tile_using_for " << h << " tile_sizes "
       << list(sizes) << " : " << anyOps(loops) << "\n";
    loop = loops > 1 ? l + "#" + std::to_string(loops - 1) : l;
    return t;
  }
  /// Moves the producer `p` into the last loop, tiled for what it reads
  /// there; returns the fused producer.
  std::string fuseInto(const std::string &p) {
    std::string t = fresh(), l = fresh();
    os << "  " << t << ", " << l
       << " = transform.structured.fuse_into_containing_op " << p << " into "
       << loop
       << " : (!transform.any_op, !transform.any_op) -> (!transform.any_op, "
          "!transform.any_op)\n";
    loop = l;
    return t;
  }
  std::string producerOfInit(const std::string &h, unsigned operand) {
    std::string t = fresh();
    os << "  " << t << " = transform.get_producer_of_operand " << h << "["
       << operand << "] : (!transform.any_op) -> !transform.any_op\n";
    return t;
  }
};

/// The elementwise op that is the only reader of `op`'s result, reading it
/// through an identity map into an output of the same shape (bias, ReLU,
/// residual add, GELU): computed on the accumulator tile in registers.
linalg::GenericOp epilogueOf(linalg::LinalgOp op) {
  Value r = op->getResult(0);
  if (op->getNumResults() != 1 || !r.hasOneUse())
    return {};
  OpOperand &use = *r.getUses().begin();
  auto g = dyn_cast<linalg::GenericOp>(use.getOwner());
  if (!g || g.getNumReductionLoops() || g->getNumResults() != 1 ||
      g.isDpsInit(&use) || !g.getMatchingIndexingMap(&use).isIdentity() ||
      !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return {};
  return g;
}

/// The target's vector registers, as register blocks use them.
struct VectorRegisters {
  /// Floats per register.
  int64_t lanes;
  /// Registers a block may keep accumulators in: what is left beside the
  /// operands it loads and broadcasts (more spills).
  int64_t accumulators;
};

/// AVX-512: 16 of the 32 zmm registers; AVX2 and SSE: 8 of the 16 (on
/// RepVGG-A0, 8 ymm accumulators ran 4% faster than 12 and 2.6x faster
/// than 14, which spill).
VectorRegisters vectorRegistersOf(const CpuCodeGenOptions &options) {
  bool avx512 = false, avx2 = false;
  if (options.cpu.empty()) {
    llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
    avx512 = host.lookup("avx512f");
    avx2 = host.lookup("avx2") && host.lookup("fma");
  } else {
    // The CPU's own features, not those they imply: x86-64-v4 lists
    // avx512vl and avx512bw, not avx512f.
    SmallVector<StringRef> features;
    llvm::X86::getFeaturesForCPU(options.cpu, features);
    avx512 = llvm::any_of(features,
                          [](StringRef f) { return f.starts_with("avx512"); });
    avx2 = avx512 || llvm::is_contained(features, "avx2");
  }
  if (avx512)
    return {16, 16};
  if (avx2)
    return {8, 8};
  return {4, 8};
}

/// The register block [rows, lanes] for an output of `rows x cols`: both
/// divide it (no partial tiles), `lanes` is one, two or four whole vector
/// registers (a vector of three lowers badly; at most `maxWidth`), and the
/// block holds as many accumulators as fit beside the operands.
std::pair<int64_t, int64_t> registerTile(int64_t rows, int64_t cols,
                                         VectorRegisters regs,
                                         int64_t maxWidth = 4) {
  std::pair<int64_t, int64_t> best = {0, 0};
  int64_t bestAcc = 0;
  for (int64_t width : {4, 2, 1}) {
    int64_t lanes = width * regs.lanes;
    if (width > maxWidth || cols % lanes)
      continue;
    for (int64_t r = 8; r >= 1; --r) {
      if (rows % r)
        continue;
      int64_t acc = r * lanes / regs.lanes;
      if (acc <= regs.accumulators && acc > bestAcc) {
        best = {r, lanes};
        bestAcc = acc;
      }
    }
  }
  return best;
}

/// The deepest k slice up to 512 that divides k: the accumulators stay in
/// registers for all of it.
int64_t deepestK(int64_t k) {
  for (int64_t d = std::min<int64_t>(k, 512); d > 1; --d)
    if (k % d == 0)
      return d;
  return 1;
}

/// Cache tiles: the largest multiple of the register block `unit` up to
/// `cap` that divides `n`.
int64_t multipleOf(int64_t n, int64_t unit, int64_t cap) {
  int64_t best = unit;
  for (int64_t t = unit; t <= std::min(n, cap); t += unit)
    if (n % t == 0)
      best = t;
  return best;
}

struct ScheduleBuilder {
  const CpuCodeGenOptions &options;
  VectorRegisters regs = vectorRegistersOf(options);
  KernelScript s;
  int64_t nextId = 0;
  /// Ops scheduled as part of another op's kernel.
  DenseSet<Operation *> claimed;

  /// Chunks for the thread split: a divisor of `n`, as close to the
  /// requested count as the dim allows.
  int64_t chunksFor(int64_t n) {
    for (int64_t c = options.parallelChunks; c > 1; --c)
      if (n % c == 0)
        return c;
    return 1;
  }

  /// Tags `op` as the next kernel; returns the script's handle to it.
  std::string claim(Operation *op) {
    int64_t id = nextId++;
    op->setAttr("rep.kernel",
                IntegerAttr::get(IntegerType::get(op->getContext(), 64), id));
    return s.match(id);
  }

  /// A channels-last conv, [n, oh, ow, f, then reductions]: threads over
  /// output rows (n, oh), a register block over (ow, f), the kernel window and
  /// (for dense convs) input channels one at a time, decomposed to 1-D convs.
  /// Depthwise convs leave kw whole so input vectors are reused.
  void conv(linalg::LinalgOp op, bool depthwise) {
    auto out = cast<ShapedType>(op.getDpsInits()[0].getType()).getShape();
    // Depthwise: a block one register wide and up to 8 output columns deep.
    // Each input vector then serves up to 8 taps of a kernel row, and a
    // GELU epilogue runs on 8 registers without spilling: ConvMixer-768/32's
    // 7x7 convs ran about 1.4x faster than as 4 x 64 (16 x 16 and 8 x 32
    // were in between).
    auto [owt, ft] = registerTile(out[2], out[3], regs, depthwise ? 1 : 4);
    if (!ft)
      return;
    size_t loops = op.getNumLoops();

    // Threads share output rows, one row per work item so that an even
    // team splits them evenly; or slabs of `ft` filters, each read from L2
    // for every row, when the filter outweighs the input (late stages at
    // batch 1: 1.3-8.8 MB of weights on 7x7 or 14x14 maps; the whole
    // filter would stream from memory once per row) or would not stay in
    // L2 beside the rows (RepVGG-A0's 1.3 MB stage-3 filters at batch 8
    // ran 5% faster split by filters).
    int64_t fTiles = out[3] / ft;
    auto filter = cast<ShapedType>(op.getDpsInputs()[1].getType());
    auto input = cast<ShapedType>(op.getDpsInputs()[0].getType());
    int64_t filterBytes =
        filter.getNumElements() * filter.getElementTypeBitWidth() / 8;
    bool splitF = !depthwise && fTiles > 1 &&
                  (filter.getNumElements() >= input.getNumElements() ||
                   filterBytes > kL2ResidentBytes);
    bool splitRows = !splitF && out[0] * out[1] > 1;
    // The register tile over one work item; dims it covers get no loop.
    SmallVector<int64_t> item = {splitRows ? 1 : out[0], splitRows ? 1 : out[1],
                                 out[2], splitF ? ft : out[3]};
    SmallVector<int64_t> sizes = {1, 1, owt, ft};
    for (size_t d = 0; d < 4; ++d)
      if (sizes[d] >= item[d])
        sizes[d] = 0;
    SmallVector<int64_t> reduction(loops, 0);
    for (size_t d = 4; d < loops; ++d)
      reduction[d] = 1;
    // Depthwise: kw whole, so input vectors are reused across it.
    if (depthwise)
      reduction.back() = 0;

    // An epilogue is tiled like the conv's output, and the conv (with the
    // producer of its accumulator, the bias broadcast) is fused into its
    // innermost loop: the tile goes from the accumulators through the
    // epilogue to memory once. It needs a loop to fuse into.
    linalg::GenericOp epilogue = epilogueOf(op);
    // An add of two conv branches (unfolded graphs) takes the first one.
    if (epilogue && claimed.contains(epilogue))
      epilogue = {};
    if (!splitF && !splitRows && llvm::all_of(sizes, [](int64_t t) { return t == 0; }))
      epilogue = {};

    std::string h = claim(op), e, init;
    if (epilogue)
      claimEpilogue(op, epilogue, h, e, init);
    auto fuseConv = [&] {
      h = s.fuseInto(h);
      if (!init.empty())
        init = s.fuseInto(init);
    };

    std::string &outer = epilogue ? e : h;
    size_t outerLoops = epilogue ? 4 : loops;
    if (splitF)
      outer = s.forall(outer, outerLoops, 3, fTiles);
    else if (splitRows) {
      // The rows of all images, image-major: a thread's consecutive rows
      // share input rows in its cache. (With the images inside the row
      // loop, a batch's rows evict each other: ConvMixer's 7x7 depthwise
      // convs ran 1.3x slower at batch 8.)
      SmallVector<std::pair<size_t, int64_t>> rows;
      for (size_t d : {0, 1})
        if (out[d] > 1)
          rows.push_back({d, out[d]});
      outer = s.forall(outer, outerLoops, rows);
    }
    if (epilogue) {
      if (splitF || splitRows)
        fuseConv();
      if (llvm::any_of(sizes, [](int64_t t) { return t != 0; })) {
        e = s.tile(e, sizes);
        fuseConv();
      }
      h = s.tile(h, reduction);
    } else {
      sizes.append(reduction.begin() + 4, reduction.end());
      h = s.tile(h, sizes);
    }
    std::string d = s.fresh();
    s.os << "  " << d << " = transform.structured.decompose " << h
         << " : (!transform.any_op) -> !transform.any_op\n";
    for (const std::string &v : {d, e, init})
      if (!v.empty())
        s.os << "  transform.structured.vectorize " << v
             << " : !transform.any_op\n";
  }

  /// Marks `epilogue` as part of `op`'s kernel (claim()): `e` gets its handle,
  /// and `init` the handle of the producer of `op`'s accumulator (the bias
  /// broadcast) when that is a linalg op only `op` reads.
  void claimEpilogue(linalg::LinalgOp op, linalg::GenericOp epilogue,
                     const std::string &h, std::string &e, std::string &init) {
    auto id = cast<IntegerAttr>(op->getAttr("rep.kernel"));
    epilogue->setAttr("rep.epilogue", id);
    claimed.insert(epilogue);
    e = s.fresh();
    s.os << "  " << e << " = transform.structured.match attributes{"
         << "rep.epilogue = " << id.getInt() << " : i64} in %root : "
         << "(!transform.any_op) -> !transform.any_op\n";
    Operation *initDef = op.getDpsInits()[0].getDefiningOp();
    if (isa_and_nonnull<linalg::LinalgOp>(initDef) && initDef->hasOneUse()) {
      init = s.producerOfInit(h, op.getDpsInputs().size());
      claimed.insert(initDef);
    }
  }

  /// Threads for an [m, n] output (handle `h`, `rank` loops, m and n the
  /// first two): over rows when the activation outweighs the weights, else
  /// over columns (each thread then reads half of a large weight once);
  /// each chunk a whole number of register blocks. Returns the chunk.
  std::pair<int64_t, int64_t> splitMatmul(std::string &h, size_t rank,
                                          int64_t m, int64_t n, int64_t mt,
                                          int64_t nt) {
    int64_t cm = chunksFor(m / mt), cn = chunksFor(n / nt);
    if (cm > 1 && (m >= n || cn == 1)) {
      h = s.forall(h, rank, 0, cm);
      return {m / cm, n};
    }
    if (cn > 1) {
      h = s.forall(h, rank, 1, cn);
      return {m, n / cn};
    }
    return {m, n};
  }

  /// The handle of the fill of (batch) matmul `op`'s accumulator (`h`, the
  /// untiled op) when only `op` reads it, else empty.
  std::string fillOf(linalg::LinalgOp op, const std::string &h) {
    Operation *init = op.getDpsInits()[0].getDefiningOp();
    if (!isa_and_nonnull<linalg::FillOp>(init) || !init->hasOneUse())
      return {};
    return s.producerOfInit(h, op.getDpsInputs().size());
  }

  /// Fuses `fill` (fillOf()) into the thread split just made and vectorizes
  /// it row by row: each thread fills its chunk just before its matmul
  /// reads it from cache. Left alone, equal fills of equal shapes are
  /// merged by CSE once vectorized, and bufferization copies the one result
  /// for each reader (a Winograd conv's 16 matmuls, when they were apart).
  void fuseFill(linalg::LinalgOp op, const std::string &fill) {
    if (fill.empty())
      return;
    claimed.insert(op.getDpsInits()[0].getDefiningOp());
    SmallVector<int64_t> rows(op.getNumParallelLoops(), 1);
    rows.back() = 0;
    std::string h = s.tile(s.fuseInto(fill), rows);
    s.os << "  transform.structured.vectorize " << h
         << " : !transform.any_op\n";
  }

  /// matmul [m, n, k]: cache tiles, then a register block over k steps.
  void matmul(linalg::MatmulOp op) {
    auto out = cast<ShapedType>(op.getDpsInits()[0].getType()).getShape();
    auto lhs = cast<ShapedType>(op.getDpsInputs()[0].getType()).getShape();
    int64_t m = out[0], n = out[1], k = lhs[1];
    auto [mt, nt] = registerTile(m, n, regs);
    if (!nt)
      return;
    std::string h = claim(op);
    std::string fill = fillOf(op, h);
    auto [mChunk, nChunk] = splitMatmul(h, 3, m, n, mt, nt);
    if (mChunk < m || nChunk < n)
      fuseFill(op, fill);
    tileAndVectorizeMatmul(h, {}, mChunk, nChunk, k, mt, nt);
  }

  /// A (batch) matmul's work item of `m x n` outputs over `k`, handle `h`:
  /// cache tiles (when they are more than the register block or k is
  /// sliced), then the register block, one k step at a time, vectorized.
  /// `lead` gives the tile sizes of the dims before m (a batch item: 1).
  void tileAndVectorizeMatmul(std::string h, ArrayRef<int64_t> lead, int64_t m,
                              int64_t n, int64_t k, int64_t mt, int64_t nt) {
    int64_t kc = deepestK(k);
    int64_t mc = multipleOf(m, mt, 64), nc = multipleOf(n, nt, 256);
    auto sizes = [&](int64_t a, int64_t b, int64_t c) {
      SmallVector<int64_t> v(lead);
      v.append({a, b, c});
      return v;
    };
    if (mc > mt || nc > nt || kc < k)
      h = s.tile(h, sizes(mc, nc, kc));
    h = s.tile(h, sizes(mt, nt, 1));
    s.os << "  transform.structured.vectorize " << h << " : !transform.any_op\n";
  }

  /// A matmul with an elementwise epilogue (a pointwise conv's GELU, BN,
  /// residual add): the epilogue is tiled like the matmul's output, cache
  /// tiles then register tiles, and the matmul and its bias broadcast are
  /// fused into each level; the whole k runs in registers per tile.
  /// Returns false (nothing emitted) when the shapes do not suit.
  bool matmulWithEpilogue(linalg::MatmulOp op) {
    linalg::GenericOp epilogue = epilogueOf(op);
    auto out = cast<ShapedType>(op.getDpsInits()[0].getType()).getShape();
    auto lhs = cast<ShapedType>(op.getDpsInputs()[0].getType()).getShape();
    int64_t m = out[0], n = out[1], k = lhs[1];
    auto [mt, nt] = registerTile(m, n, regs);
    if (!epilogue || claimed.contains(epilogue) || !nt || k > 1024 ||
        epilogue.getNumLoops() != 2)
      return false;
    std::string h = claim(op), e, init;
    claimEpilogue(op, epilogue, h, e, init);
    auto fuse = [&] {
      h = s.fuseInto(h);
      if (!init.empty())
        init = s.fuseInto(init);
    };
    auto [mChunk, nChunk] = splitMatmul(e, 2, m, n, mt, nt);
    if (mChunk < m || nChunk < n)
      fuse();
    int64_t mc = multipleOf(mChunk, mt, 64), nc = multipleOf(nChunk, nt, 128);
    if (mc < mChunk || nc < nChunk) {
      e = s.tile(e, {mc < mChunk ? mc : 0, nc < nChunk ? nc : 0});
      fuse();
    }
    if (mt < mc || nt < nc) {
      e = s.tile(e, {mt < mc ? mt : 0, nt < nc ? nt : 0});
      fuse();
    }
    h = s.tile(h, {0, 0, 1});
    for (const std::string &v : {h, e, init})
      if (!v.empty())
        s.os << "  transform.structured.vectorize " << v
             << " : !transform.any_op\n";
    return true;
  }

  /// batch_matmul [b, m, n, k] (grouped pointwise convs): one batch item
  /// per work item, then the matmul's cache and register tiles.
  void batchMatmul(linalg::BatchMatmulOp op) {
    auto out = cast<ShapedType>(op.getDpsInits()[0].getType()).getShape();
    auto lhs = cast<ShapedType>(op.getDpsInputs()[0].getType()).getShape();
    int64_t batch = out[0], m = out[1], n = out[2], k = lhs[2];
    auto [mt, nt] = registerTile(m, n, regs);
    if (!nt)
      return;
    std::string h = claim(op);
    std::string fill = fillOf(op, h);
    if (batch > 1) {
      h = s.forall(h, 4, 0, batch);
      fuseFill(op, fill);
    }
    tileAndVectorizeMatmul(h, {1}, m, n, k, mt, nt);
  }

  /// Splits the first outer dim with room for the threads (of those tiled
  /// to 1 in `whole`, when given), unless the op has so few elements that
  /// forking them costs more than it saves (a padded buffer's border);
  /// returns the op inside the forall.
  std::string splitOverThreads(const std::string &h, ArrayRef<int64_t> bounds,
                               ArrayRef<int64_t> whole = {}) {
    int64_t work = 1;
    for (int64_t b : bounds)
      work *= b;
    size_t rank = bounds.size();
    for (size_t d = 0; work >= kMinParallelWork && d + 1 < rank; ++d)
      if (int64_t c = chunksFor(bounds[d]);
          c > 1 && (whole.empty() || whole[d] == 1))
        return s.forall(h, rank, d, c);
    return h;
  }

  /// Whether the op's accumulator is read once, by the op it yields, an
  /// add, multiply, max or min: the combiners tile_reduction_using_for can
  /// start from an identity (anything else would fail the whole script).
  static bool hasSimpleCombiner(linalg::GenericOp op) {
    BlockArgument acc = op.getRegionOutputArgs()[0];
    auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
    Operation *combiner = yield.getValues()[0].getDefiningOp();
    return combiner && acc.hasOneUse() &&
           acc.getUses().begin()->getOwner() == combiner &&
           isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp,
               arith::MinimumFOp>(combiner);
  }

  /// A reduction along the innermost, contiguous dim (layer norm's mean
  /// and variance over channels): one row at a time, the row's slices of
  /// four vectors summed into a vector accumulator that one horizontal add
  /// finishes. As plain loops each row was a chain of dependent scalar adds
  /// (LLVM does not reassociate them).
  void rowReduction(linalg::GenericOp op) {
    SmallVector<int64_t> bounds = op.getStaticLoopRanges();
    int64_t rank = bounds.size();
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    int64_t lanes = 4 * regs.lanes;
    if (rank < 2 || op.getNumDpsInits() != 1 ||
        iters.back() != utils::IteratorType::reduction ||
        op.getNumReductionLoops() != 1 || bounds.back() % lanes ||
        llvm::any_of(bounds,
                     [](int64_t b) { return ShapedType::isDynamic(b); }) ||
        !hasSimpleCombiner(op))
      return;
    std::string h = claim(op);
    h = splitOverThreads(h, bounds);
    SmallVector<int64_t> rows(rank, 1);
    rows.back() = 0;
    h = s.tile(h, rows);
    SmallVector<int64_t> split(rank, 0);
    split.back() = lanes;
    std::string fill = s.fresh(), partial = s.fresh(), merge = s.fresh(),
                loop = s.fresh();
    s.os << "  " << fill << ", " << partial << ", " << merge << ", " << loop
         << " = transform.structured.tile_reduction_using_for " << h
         << " by tile_sizes = " << list(split) << " : " << anyOps(3) << "\n";
    for (const std::string &v : {fill, partial, merge})
      s.os << "  transform.structured.vectorize " << v
           << " : !transform.any_op\n";
  }

  /// All-parallel generics, fills, copies, broadcasts and transposes: rows
  /// of one vector along the innermost dim.
  ///
  /// A small dim (up to 16) the body picks by `linalg.index` stays whole in
  /// the vector, one register per index (the Winograd transforms, which
  /// pick a formula per element of the tile): each lane's pick is then a
  /// constant, and LLVM keeps only the picked formula. Tiled to 1, the pick
  /// would be a select between all of them at run time.
  void elementwise(linalg::LinalgOp op) {
    if (op.getNumReductionLoops() != 0 || op.getNumLoops() == 0)
      return;
    SmallVector<int64_t> bounds = op.getStaticLoopRanges();
    int64_t rank = bounds.size();
    SmallVector<int64_t> sizes(rank, 1);
    bool picks = false;
    op.getBlock()->walk([&](linalg::IndexOp index) {
      uint64_t d = index.getDim();
      if (d + 1 < (uint64_t)rank && bounds[d] <= 16 &&
          !ShapedType::isDynamic(bounds[d])) {
        sizes[d] = bounds[d];
        picks = true;
      }
    });
    int64_t inner = bounds.back();
    int64_t vt = picks ? largestDivisor(inner, {regs.lanes})
                       : largestDivisor(inner, {64, 48, 32, 16, 8});
    if (!vt)
      return;
    std::string h = claim(op);
    h = splitOverThreads(h, bounds, sizes);
    sizes.back() = vt;
    h = s.tile(h, sizes);
    s.os << "  transform.structured.vectorize " << h << " : !transform.any_op\n";
  }
};

constexpr const char *kPrologue = R"(module attributes {transform.with_named_sequence} {
transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
)";

/// After every kernel is vectorized: matmul register blocks as contractions
/// of a column by a row (as vectorized, the operands were broadcast reads
/// that lowered element by element: 900 ops per block, most of
/// RepMLPNet-T224's compile time), then keep accumulators in registers
/// across the reduction loops (tensor level, innermost loops first).
constexpr const char *kEpilogue = R"(  %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
  transform.apply_patterns to %funcs {
    transform.apply_patterns.vector.transfer_permutation_patterns
    transform.apply_patterns.vector.reduction_to_contract
  } : !transform.any_op
  transform.apply_patterns to %funcs {
    transform.apply_patterns.canonicalization
    transform.apply_patterns.linalg.tiling_canonicalization
  } : !transform.any_op
  %loops = transform.structured.match ops{["scf.for"]} in %root : (!transform.any_op) -> !transform.any_op
  transform.loop.hoist_loop_invariant_subsets %loops : !transform.any_op
  transform.loop.hoist_loop_invariant_subsets %loops : !transform.any_op
  transform.loop.hoist_loop_invariant_subsets %loops : !transform.any_op
  transform.yield
}
}
)";

/// Vector ops to what LLVM's backend wants, after bufferization.
constexpr const char *kVectorLowering = R"(module attributes {transform.with_named_sequence} {
transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
  %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
  transform.apply_patterns to %f {
    transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
    transform.apply_patterns.vector.transfer_permutation_patterns
    transform.apply_patterns.vector.lower_multi_reduction lowering_strategy = "innerparallel"
    transform.apply_patterns.vector.split_transfer_full_partial split_transfer_strategy = "linalg-copy"
    transform.apply_patterns.vector.transfer_to_scf max_transfer_rank = 1 full_unroll = true
    transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
    transform.apply_patterns.vector.lower_shape_cast
    transform.apply_patterns.vector.lower_transpose lowering_strategy = "shuffle_1d"
    transform.apply_patterns.canonicalization
  } : !transform.any_op
  transform.yield
}
}
)";

/// Sets the MLIR printer's `--mlir-print-assume-verified` and
/// `--mlir-print-skip-regions` while it lives (when a tool registered
/// them), as they were before afterwards. LLVM 19's
/// fuse_into_containing_op prints the producer and the loop into a remark
/// for every producer it fuses, used only if the fusion fails; each print
/// verified the whole loop nest first and printed its body. That was 24 of
/// HorNet-T's 40 s of scheduling (65 s compile -> 41 s without it).
class CheapOpPrinting {
public:
  CheapOpPrinting() {
    auto &registered = llvm::cl::getRegisteredOptions();
    const char *names[] = {"mlir-print-assume-verified",
                           "mlir-print-skip-regions"};
    for (auto [i, name] : llvm::enumerate(names))
      if (llvm::cl::Option *o = registered.lookup(name)) {
        // Both are cl::opt<bool> (mlir/lib/IR/AsmPrinter.cpp).
        flags[i] = static_cast<llvm::cl::opt<bool> *>(o);
        saved[i] = *flags[i];
        flags[i]->setValue(true);
      }
  }
  ~CheapOpPrinting() {
    for (auto [flag, value] : llvm::zip(flags, saved))
      if (flag)
        flag->setValue(value);
  }

private:
  llvm::cl::opt<bool> *flags[2] = {nullptr, nullptr};
  bool saved[2] = {false, false};
};

LogicalResult applyScript(ModuleOp module, StringRef script) {
  CheapOpPrinting cheap;
  MLIRContext *ctx = module.getContext();
  OwningOpRef<ModuleOp> lib = parseSourceString<ModuleOp>(script, ctx);
  if (!lib)
    return module.emitError("internal error: bad kernel schedule script");
  auto entry = transform::detail::findTransformEntryPoint(
      module, *lib, "__transform_main");
  if (!entry)
    return failure();
  return transform::applyTransforms(module,
                                    cast<transform::TransformOpInterface>(entry),
                                    {}, transform::TransformOptions(), false);
}

} // namespace

namespace {

llvm::cl::opt<int> failKernel(
    "rep-schedule-fail-kernel", llvm::cl::Hidden, llvm::cl::init(-1),
    llvm::cl::desc("Make the schedule of the N-th kernel fail (tests that "
                   "its ops fall back to plain loops)"));

/// One kernel's part of the schedule script: the name and location of the
/// op it tags and schedules (with what it fuses; the op itself does not
/// outlive a failed try) and its transform ops.
struct KernelSchedule {
  OperationName name;
  Location loc;
  std::string text;
};

/// Tags and schedules every op a kernel class covers; convs and matmuls
/// first, as they claim their epilogues and accumulator producers.
SmallVector<KernelSchedule> buildKernelSchedules(ModuleOp module,
                                                 const CpuCodeGenOptions &options) {
  ScheduleBuilder sb{options};
  SmallVector<KernelSchedule> kernels;
  // The text each handler added is that op's kernel (handlers write theirs
  // in one piece; one that finds no register block writes nothing).
  auto record = [&](Operation *op, llvm::function_ref<void()> schedule) {
    size_t begin = sb.s.os.str().size();
    schedule();
    if (sb.s.os.str().size() == begin)
      return;
    if ((int)kernels.size() == failKernel)
      sb.s.os << "  %fail = transform.structured.match ops{[\"func.func\"]} "
                 "in %root : (!transform.any_op) -> !transform.any_op\n"
                 "  transform.cast %fail : !transform.any_op to "
                 "!transform.op<\"linalg.matmul\">\n";
    kernels.push_back(
        {op->getName(), op->getLoc(), sb.s.os.str().substr(begin)});
  };
  DenseSet<Operation *> done;
  module.walk([&](linalg::LinalgOp op) {
    if (!op.hasPureTensorSemantics())
      return;
    if (isa<linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp,
            linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcSumOp>(op)) {
      // Pools iterate like depthwise convs: (n, oh, ow, c, kh, kw).
      record(op, [&] { sb.conv(op, !isa<linalg::Conv2DNhwcHwcfOp>(op)); });
      done.insert(op);
    } else if (auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation())) {
      // Before the elementwise kernels: a matmul claims its fill.
      record(op, [&] {
        if (!sb.matmulWithEpilogue(mm))
          sb.matmul(mm);
      });
      done.insert(op);
    } else if (auto bmm = dyn_cast<linalg::BatchMatmulOp>(op.getOperation())) {
      record(op, [&] { sb.batchMatmul(bmm); });
      done.insert(op);
    }
  });
  module.walk([&](linalg::LinalgOp op) {
    if (!op.hasPureTensorSemantics() || op->getParentOfType<linalg::LinalgOp>() ||
        sb.claimed.contains(op) || done.contains(op))
      return;
    record(op, [&] {
      TypeSwitch<Operation *>(op.getOperation())
          .Case([&](linalg::GenericOp g) {
            if (g.getNumReductionLoops())
              sb.rowReduction(g);
            else
              sb.elementwise(op);
          })
          .Case<linalg::FillOp, linalg::BroadcastOp, linalg::TransposeOp,
                linalg::CopyOp>([&](auto) { sb.elementwise(op); });
    });
  });
  return kernels;
}

/// The script that runs `body` (transform ops on %root), then the common
/// epilogue (contractions, hoisting) when `finish` is set.
std::string script(StringRef body, bool finish) {
  return std::string(kPrologue) + body.str() +
         (finish ? kEpilogue : "  transform.yield\n}\n}\n");
}

/// Applies `text` to a copy of `module` and, when that succeeds, moves the
/// result into `module`; on failure `module` is as it was and the reasons
/// are swallowed (the caller decides what to say).
LogicalResult applyToCopy(ModuleOp module, StringRef text) {
  OwningOpRef<ModuleOp> copy = module.clone();
  {
    ScopedDiagnosticHandler quiet(module.getContext(),
                                  [](Diagnostic &) { return success(); });
    if (failed(applyScript(*copy, text)))
      return failure();
  }
  module.getBodyRegion().takeBody(copy->getBodyRegion());
  return success();
}

} // namespace

std::string rep::buildScheduleScript(ModuleOp module,
                                     const CpuCodeGenOptions &options) {
  std::string body;
  for (const KernelSchedule &k : buildKernelSchedules(module, options))
    body += k.text;
  return script(body, /*finish=*/true);
}

/// Marks the functions outlineKernels() makes.
static constexpr llvm::StringLiteral kOutlinedAttr = "rep.outlined_kernel";

/// The kernel id an op carries (its own `rep.kernel` or, for an epilogue,
/// its kernel's), or -1.
static int64_t kernelIdOf(Operation *op) {
  for (StringRef name : {"rep.kernel", "rep.epilogue"})
    if (auto id = op->getAttrOfType<IntegerAttr>(name))
      return id.getInt();
  return -1;
}

/// Moves each kernel's ops (the tagged op, its epilogue, and the untagged
/// producers of their accumulators that only they read) out of the model
/// function into a private function of their own, called where the last
/// of them was. WHY: fuse_into_containing_op prints the producer and the
/// loop into a remark it keeps in case the fusion fails, and an op prints
/// with the names of its whole isolated-from-above ancestor: each fusion
/// numbered every value of the model function. On HorNet-T that was most
/// of the 9 s the schedules took; in a function of one kernel it is
/// nothing. Scalar constants the ops read are copied in (the vectorizer
/// folds them as before); other values become arguments. A kernel whose
/// intermediate results are read outside it stays where it is.
static void outlineKernels(ModuleOp module) {
  SymbolTable symbols(module);
  SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
  for (func::FuncOp f : funcs) {
    if (f.isExternal() || f->hasAttr(kOutlinedAttr))
      continue;
    Block &body = f.front();
    llvm::MapVector<int64_t, SmallVector<Operation *>> groups;
    for (Operation &op : body)
      if (int64_t id = kernelIdOf(&op); id >= 0)
        groups[id].push_back(&op);
    for (auto &[id, ops] : groups) {
      llvm::SetVector<Operation *> members(ops.begin(), ops.end());
      for (Operation *op : ops)
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
          for (Value init : linalgOp.getDpsInits())
            if (Operation *def = init.getDefiningOp();
                isa_and_nonnull<linalg::LinalgOp>(def) &&
                def->getBlock() == &body && def->hasOneUse() &&
                kernelIdOf(def) < 0)
              members.insert(def);
      SmallVector<Operation *> group = members.takeVector();
      llvm::sort(group, [](Operation *a, Operation *b) {
        return a->isBeforeInBlock(b);
      });
      Operation *last = group.back();
      DenseSet<Operation *> inGroup(group.begin(), group.end());
      auto inside = [&](Operation *user) {
        return inGroup.contains(body.findAncestorOpInBlock(*user));
      };
      if (llvm::any_of(group, [&](Operation *op) {
            return op != last &&
                   llvm::any_of(op->getUsers(),
                                [&](Operation *u) { return !inside(u); });
          }))
        continue;
      // Values the group reads from outside: operands and captures.
      llvm::SetVector<Value> reads;
      for (Operation *op : group) {
        reads.insert(op->operand_begin(), op->operand_end());
        for (Region &r : op->getRegions())
          getUsedValuesDefinedAbove(r, reads);
      }
      SmallVector<Value> args, outs;
      SmallVector<Operation *> copied;
      for (Value v : reads) {
        Operation *def = v.getDefiningOp();
        if (def && inGroup.contains(def))
          continue;
        if (def && def->hasTrait<OpTrait::ConstantLike>() &&
            !isa<ShapedType>(v.getType()))
          copied.push_back(def);
        else
          args.push_back(v);
      }
      for (Value r : last->getResults())
        if (!r.use_empty())
          outs.push_back(r);

      OpBuilder b(f);
      auto fn = b.create<func::FuncOp>(
          last->getLoc(), ("rep_kernel_" + Twine(id)).str(),
          b.getFunctionType(ValueRange(args).getTypes(),
                            ValueRange(outs).getTypes()));
      fn.setPrivate();
      fn->setAttr(kOutlinedAttr, b.getUnitAttr());
      symbols.insert(fn);
      Block *entry = fn.addEntryBlock();
      b.setInsertionPointAfter(last);
      auto call = b.create<func::CallOp>(last->getLoc(), fn, args);
      for (auto [r, c] : llvm::zip(outs, call.getResults()))
        r.replaceAllUsesWith(c);
      b.setInsertionPointToStart(entry);
      IRMapping copies;
      for (Operation *def : copied)
        b.clone(*def, copies);
      for (Operation *op : group)
        op->moveBefore(entry, entry->end());
      b.setInsertionPointToEnd(entry);
      b.create<func::ReturnOp>(last->getLoc(), outs);
      auto inFn = [&](OpOperand &u) {
        return fn->isProperAncestor(u.getOwner());
      };
      for (auto [v, arg] : llvm::zip(args, entry->getArguments()))
        v.replaceUsesWithIf(arg, inFn);
      for (Operation *def : copied)
        for (auto [v, c] :
             llvm::zip(def->getResults(), copies.lookup(def)->getResults()))
          v.replaceUsesWithIf(c, inFn);
    }
  }
}

/// Undoes outlineKernels() on the scheduled IR: each call is replaced by
/// its callee's ops, and the callee is erased.
static void inlineKernels(ModuleOp module) {
  SmallVector<func::CallOp> calls;
  module.walk([&](func::CallOp call) {
    if (auto fn = module.lookupSymbol<func::FuncOp>(call.getCallee());
        fn && fn->hasAttr(kOutlinedAttr))
      calls.push_back(call);
  });
  for (func::CallOp call : calls) {
    auto fn = module.lookupSymbol<func::FuncOp>(call.getCallee());
    Block &entry = fn.front();
    for (auto [arg, v] : llvm::zip(entry.getArguments(), call.getOperands()))
      arg.replaceAllUsesWith(v);
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    call.replaceAllUsesWith(ret.getOperands());
    while (&entry.front() != ret.getOperation())
      entry.front().moveBefore(call);
    call.erase();
    fn.erase();
  }
}

/// Kernels per transform-interpreter run: about 32 runs per model, so that
/// a progress line moves, while a run's fixed cost (the module copy it
/// works on, the script parse) stays small. Batching does not change the
/// result: each kernel's transforms match only its own tagged ops, and the
/// common epilogue runs once at the end either way.
static size_t batchSizeFor(size_t kernels) {
  return std::max<size_t>(1, (kernels + 31) / 32);
}

LogicalResult rep::applyKernelSchedules(ModuleOp module,
                                        const CpuCodeGenOptions &options) {
  SmallVector<KernelSchedule> kernels = buildKernelSchedules(module, options);
  size_t batch = batchSizeFor(kernels.size());
  auto report = [&](size_t done) {
    if (options.progress)
      options.progress(done, kernels.size());
  };
  report(0);
  outlineKernels(module);
  for (size_t begin = 0; begin < kernels.size(); begin += batch) {
    ArrayRef<KernelSchedule> group =
        ArrayRef(kernels).slice(begin, std::min(batch, kernels.size() - begin));
    std::string body;
    for (const KernelSchedule &k : group)
      body += k.text;
    if (failed(applyToCopy(module, script(body, /*finish=*/false)))) {
      // Some kernel's schedule failed (a shape its transforms do not
      // handle): apply the group's one at a time, each to a copy, and
      // leave the ops of one that fails to the plain lowering
      // (rep-lower-to-loops), slower but exact.
      for (const KernelSchedule &k : group) {
        if (succeeded(applyToCopy(module, script(k.text, /*finish=*/false))) ||
            !options.note)
          continue;
        std::string where;
        llvm::raw_string_ostream os(where);
        k.loc.print(os);
        options.note("schedule of " + k.name.getStringRef() + " at " + where +
                     " failed: it runs as plain loops");
      }
    }
    report(begin + group.size());
  }
  inlineKernels(module);
  return applyScript(module, script("", /*finish=*/true));
}

static llvm::cl::opt<bool>
    printScheduledFlag("rep-print-scheduled", llvm::cl::Hidden,
                       llvm::cl::desc("Print the schedule script and the IR "
                                      "it produced (debugging the back end)"));

bool rep::printScheduled() { return printScheduledFlag; }

LogicalResult rep::lowerVectors(ModuleOp module) {
  return applyScript(module, kVectorLowering);
}
