//===- Utils.h - helpers shared by the re-parameterization passes -*- C++
//-*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_TRANSFORMS_UTILS_H
#define REP_TRANSFORMS_UTILS_H

#include "rep/Dialect/RepDialect.h"
#include "rep/Eval/Tensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include <functional>

namespace mlir::rep {

/// Fold kinds, as `--emit=stats` reports them; each is the metadata of the
/// FusedLoc an op gets when it absorbs others.
constexpr StringLiteral kFoldBatchNorm = "fold-batch-norm";
constexpr StringLiteral kMergeParallel = "merge-parallel-branches";
constexpr StringLiteral kMergeSequential = "merge-sequential";
constexpr StringLiteral kInjectLocality = "inject-locality";
constexpr StringLiteral kFoldUnfold = "fold-unfold-into-conv";

ArrayRef<int64_t> shapeOf(Value v);

/// Runs `patterns` greedily on `op`. Under `-debug` every refusal
/// (`notifyMatchFailure`) is printed to stderr as
/// `PASS: refused at LOC: REASON`, also in LLVM builds without assertions.
LogicalResult applyRepPatterns(Operation *op,
                               const FrozenRewritePatternSet &patterns,
                               StringRef passName);

/// Receives every refusal applyRepPatterns sees while installed: the pass,
/// the refusing op's location and the reason. rep-inspect reports them.
using RefusalHandler =
    std::function<void(StringRef pass, Location loc, StringRef reason)>;

/// Installs `handler` (process-wide, like `-debug`) for the lifetime of the
/// returned guard.
class ScopedRefusalHandler {
public:
  explicit ScopedRefusalHandler(RefusalHandler handler);
  ~ScopedRefusalHandler();
};

/// Registers `-debug` for the tools when LLVM (built without assertions)
/// does not; it sets `llvm::DebugFlag`.
void registerDebugFlag();

/// The data of a rep.constant (dense or dense_resource), or nullopt.
std::optional<Tensor> constantTensor(Value v);

/// A rep.constant holding `t`; large tensors go to a dense_resource blob
/// whose key starts with the first ONNX node name in `loc`.
Value createConstant(OpBuilder &b, Location loc, const Tensor &t);

/// `FusedLoc` of `into` and `from` with the fold kind as metadata, so the
/// op keeps the names of everything folded into it.
Location foldedLoc(StringRef kind, Location into, ArrayRef<Location> from);

/// The first ONNX node name in a (possibly fused) location, or "".
std::string firstName(Location loc);

/// A grouped OIHW weight rewritten for `newGroups` groups (a divisor of
/// `groups`): the same linear map, with zeros off the block diagonal.
Tensor regroupWeight(const Tensor &w, int64_t groups, int64_t newGroups);

/// A tensor of `shape` filled with `value`.
Tensor filledTensor(ArrayRef<int64_t> shape, float value);

/// Per-channel values when `t` (shaped 1xCx...) is constant over every dim
/// but 1, to float rounding: no two elements of a channel differ by more
/// than 2^-20 of their `magnitude` (the sum of the absolute terms that
/// made them) plus the largest magnitude of the map. A map that is uniform
/// in exact arithmetic comes out of roundings that differ in the last bits,
/// also roundings made before repc saw it (an exporter's fused conv bias
/// beside a pad value it computed apart, with cancellation: 6.5e-6 of the
/// value, 5e-8 of the map in the official DBB's eval export).
std::optional<std::vector<float>> uniformPerChannel(const Tensor &t,
                                                    const Tensor &magnitude);

/// `t` materialized at `shape` under numpy broadcasting, or nothing when
/// it does not broadcast to it.
std::optional<Tensor> broadcastTo(const Tensor &t, ArrayRef<int64_t> shape);

/// Whether `v` is produced by a rep.constant (without copying its data).
bool isConstant(Value v);

/// The map `x * scale + shift` along `axis`, as a channel_affine holds it.
struct Affine {
  int64_t axis;
  std::vector<float> scale, shift;

  bool shiftIsZero() const;
  /// Every channel has the same scale and shift: the map is the same on any
  /// axis.
  bool isUniform() const;
  /// The identity map (scale 1, shift 0 everywhere).
  bool isIdentity() const;
  /// A uniform map restated along `axisTo` of `size` channels.
  Affine uniformOn(int64_t axisTo, int64_t size) const;
  /// The same map with each channel repeated `r` times (a finer axis).
  Affine repeated(int64_t axisTo, int64_t r) const;
  /// This map followed by `next` on the same axis.
  Affine then(const Affine &next) const;
};

/// The parameters of a channel_affine, when they are constants.
std::optional<Affine> affineOf(ChannelAffineOp op);

/// FLOPs of a conv (2 per multiply-add) at its compiled shape.
int64_t convFlops(ArrayRef<int64_t> outShape, ArrayRef<int64_t> weightShape);

/// `channel_affine(x, scale, shift)` along `axis`.
Value createAffine(OpBuilder &b, Location loc, Value x, ArrayRef<float> scale,
                   ArrayRef<float> shift, int64_t axis);

/// Where a per-channel constant lives when it broadcasts against a value
/// of shape `target`: the one axis along which `c` varies (the lowest
/// non-batch axis when it varies along none) and the value per index of
/// that axis. Nothing when `c` varies along two axes or would broadcast
/// `target` itself.
std::optional<std::pair<int64_t, std::vector<float>>>
perAxisValues(const Tensor &c, ArrayRef<int64_t> target);

} // namespace mlir::rep

#endif // REP_TRANSFORMS_UTILS_H
