//===- Passes.h - rep transformation passes ---------------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_TRANSFORMS_PASSES_H
#define REP_TRANSFORMS_PASSES_H

#include "rep/Dialect/RepDialect.h"
#include "rep/model_abi.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir {
class RewritePatternSet;
namespace rep {

#define GEN_PASS_DECL
#include "rep/Transforms/Passes.h.inc"

/// The weights file of `repc --weights=FILE` (rep-externalize-weights):
/// this header, then each constant at an aligned offset. The runtime reads
/// the same layout (runtime/include/rep/model_abi.h).
constexpr char kWeightsMagic[8] = {REP_WEIGHTS_MAGIC[0], REP_WEIGHTS_MAGIC[1],
                                   REP_WEIGHTS_MAGIC[2], REP_WEIGHTS_MAGIC[3],
                                   REP_WEIGHTS_MAGIC[4], REP_WEIGHTS_MAGIC[5],
                                   REP_WEIGHTS_MAGIC[6], REP_WEIGHTS_MAGIC[7]};
constexpr int64_t kWeightsHeaderBytes = REP_WEIGHTS_HEADER_SIZE;
constexpr int64_t kWeightsAlignment = 64;
/// Fills the header of a weights file whose payload follows it in `file`;
/// returns the fingerprint (xxh3 of the payload).
uint64_t writeWeightsHeader(MutableArrayRef<char> file);

/// Loop nests and kernels with less work than this (iterations or
/// elements) run on one thread: waking the OpenMP team (a few
/// microseconds) costs more than the other thread saves. rep-lower-to-loops
/// and the CPU kernel schedules both use it.
constexpr int64_t kMinParallelWork = 16384;

/// How many ops (a padded buffer's zero borders) may stand between a conv
/// or matmul and the elementwise op that rep-tile-contractions-for-gpu
/// fuses into its kernel; rep-plan-memory{live-through-epilogues} keeps the
/// kernel's operands live that far.
constexpr unsigned kMaxOpsBeforeEpilogue = 16;

/// The first op after `from`, at most kMaxOpsBeforeEpilogue ops on, that
/// `stop` accepts, or null (also at the block's terminator); `skipped`, if
/// given, gets the ops in between. The GPU kernels fuse the epilogue (and
/// a copy of its output) this finds, and the memory plan keeps their
/// operands live up to it.
Operation *findFusable(Operation *from, function_ref<bool(Operation *)> stop,
                       SmallVectorImpl<Operation *> *skipped = nullptr);

/// The buffer `v` reshapes through memref.expand_shape and
/// memref.collapse_shape (`v` itself if neither defines it).
Value reshapeSource(Value v);

void populateRaiseGeluPatterns(RewritePatternSet &patterns);
void populateRaiseLayerNormPatterns(RewritePatternSet &patterns);
void populateFoldConstantsPatterns(RewritePatternSet &patterns);
void populateNormalizeLinearPatterns(RewritePatternSet &patterns);
void populateSimplifyViewsPatterns(RewritePatternSet &patterns);
void populateFoldBatchNormPatterns(RewritePatternSet &patterns);
void populateMergeParallelBranchesPatterns(RewritePatternSet &patterns,
                                           bool force);
void populateMergeSequentialPatterns(RewritePatternSet &patterns, bool force);
void populateInjectLocalityPatterns(RewritePatternSet &patterns, bool force);
void populateFoldUnfoldIntoConvPatterns(RewritePatternSet &patterns,
                                        bool force);
void populateFusePadIntoProducersPatterns(RewritePatternSet &patterns);
void populateFuseElementwisePatterns(RewritePatternSet &patterns);
void populateCopyToLinalgPatterns(RewritePatternSet &patterns);
void populateTileContractionsForGpuPatterns(RewritePatternSet &patterns,
                                            int64_t multiprocessors = 0);
void populateMapReductionsToGpuPatterns(RewritePatternSet &patterns);
void populateRematerializeFillsPatterns(RewritePatternSet &patterns);

/// What runs right after import: recognise decomposed ops.
void buildImportCleanupPipeline(OpPassManager &pm);

struct ReparameterizeOptions {
  /// Apply merges the cost model refuses (they raise FLOPs or params).
  bool force = false;
};

/// The re-parameterization pipeline (`repc` runs it unless --no-fold):
/// constant folding, normalization, then BN folding, sequential and
/// parallel merges and locality injection, twice so that each can use what
/// the others exposed, then CSE.
void buildReparameterizePipeline(OpPassManager &pm,
                                 const ReparameterizeOptions &options = {});

/// Registers `rep-reparameterize` for rep-opt.
void registerReparameterizePipeline();

#define GEN_PASS_REGISTRATION
#include "rep/Transforms/Passes.h.inc"

} // namespace rep
} // namespace mlir

#endif // REP_TRANSFORMS_PASSES_H
