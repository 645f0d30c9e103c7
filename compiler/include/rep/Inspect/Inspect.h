//===- Inspect.h - what was folded into what --------------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The library behind rep-inspect. It re-parameterizes a module while
// recording the graph statistics after every pass, then reads the fold
// provenance the passes leave in each op's FusedLoc, re-runs the passes on
// the result to collect the refusals that remain, and optionally compares
// every kernel's value with the training graph in the interpreter.
//
//   auto result = rep::inspect(std::move(module), {});
//   rep::printReport(*result, llvm::outs());
//
//===----------------------------------------------------------------------===//

#ifndef REP_INSPECT_INSPECT_H
#define REP_INSPECT_INSPECT_H

#include "rep/Support/Stats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::rep {

struct InspectOptions {
  /// Apply the merges the cost model refuses (repc --force-merge).
  bool force = false;
  /// Random inputs to compare each kernel on; 0 skips the comparison.
  unsigned verifyCases = 0;
};

/// One op of the folded graph.
struct KernelReport {
  /// `k<N>`: its node id in the graph views.
  std::string id;
  Operation *op = nullptr;
  /// Its ONNX node: the first name in its location.
  std::string name;
  /// The op without its dialect prefix (`conv2d`).
  std::string kind;
  /// The folds that built it, innermost first, each once.
  std::vector<std::string> folds;
  /// Every ONNX node folded into it, itself first.
  std::vector<std::string> sources;
  int64_t params = 0, flops = 0;
  /// Largest relative error (max abs error / max abs value) of its result
  /// against the same value of the training graph, over the verify inputs;
  /// unset without --verify or when no training op computes that value.
  std::optional<double> error;
  bool merged() const { return !folds.empty(); }
};

/// A fold that a pass refused on an op the folded graph still has.
struct RefusalReport {
  std::string pass, node, kind, reason;
};

/// The graph after one pass that changed its statistics.
struct StageReport {
  std::string pass;
  GraphStats stats;
};

struct FunctionReport {
  std::string name;
  /// The function before (imported) and after re-parameterization, in the
  /// modules of the InspectResult.
  func::FuncOp before, after;
  GraphStats statsBefore, statsAfter;
  std::vector<StageReport> stages;
  std::vector<KernelReport> kernels;
  std::vector<RefusalReport> refusals;
  /// --verify: the number of inputs and the largest output error.
  unsigned verified = 0;
  double outputError = 0;
};

struct InspectResult {
  OwningOpRef<ModuleOp> before, after;
  std::vector<FunctionReport> functions;
};

/// The ops of `func` that only compute weights: constants and ops whose
/// operands are all weights (views of a constant). They are neither kernels
/// nor graph nodes.
DenseSet<Operation *> weightOps(func::FuncOp func);

/// Cleans up and re-parameterizes `imported` (rep IR as imported) and
/// reports on every function of it. Runs its passes on the calling thread,
/// so that the statistics are recorded in pass order.
FailureOr<InspectResult> inspect(OwningOpRef<ModuleOp> imported,
                                 const InspectOptions &options);

/// The text report: stages, kernels with their sources, refusals, errors.
void printReport(const InspectResult &result, llvm::raw_ostream &os);

/// The same as JSON, one object per function; `before` and `after` match
/// `repc --emit=stats`.
llvm::json::Value reportToJson(const InspectResult &result);

/// Graphviz of both graphs, each folded group of the training graph drawn
/// as a cluster named after the kernel it became.
void writeDot(const InspectResult &result, llvm::raw_ostream &os);

/// One self-contained HTML page: the two graphs side by side as SVG (made
/// by Graphviz's `dot`, found on PATH); hovering a kernel highlights its
/// sources and the other way round. `#hover=ID` in the URL does the same
/// on load.
llvm::Error writeHtml(const InspectResult &result, llvm::StringRef title,
                      llvm::raw_ostream &os);

} // namespace mlir::rep

#endif // REP_INSPECT_INSPECT_H
