//===- Inspect.cpp - what was folded into what ----------------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Inspect/Inspect.h"
#include "rep/Dialect/RepDialect.h"
#include "rep/Interpreter/Interpreter.h"
#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::rep;

namespace {
bool sameStats(const GraphStats &a, const GraphStats &b) {
  return a.conv == b.conv && a.fc == b.fc && a.batchNorm == b.batchNorm &&
         a.add == b.add && a.other == b.other && a.params == b.params &&
         a.flops == b.flops;
}

/// Records each function's statistics after every pass (inspect() keeps
/// the passes that changed them).
struct StageRecorder : PassInstrumentation {
  explicit StageRecorder(llvm::StringMap<std::vector<StageReport>> &stages)
      : stages(stages) {}
  llvm::StringMap<std::vector<StageReport>> &stages;
  llvm::StringMap<unsigned> passIndex;

  void runAfterPass(Pass *pass, Operation *op) override {
    auto func = dyn_cast<func::FuncOp>(op);
    if (!func)
      return;
    unsigned index = ++passIndex[func.getSymName()];
    stages[func.getSymName()].push_back(
        {llvm::formatv("{0,2} {1}", index, pass->getArgument()).str(),
         computeStats(func)});
  }
};

} // namespace

DenseSet<Operation *> mlir::rep::weightOps(func::FuncOp func) {
  DenseSet<Operation *> weights;
  for (Operation &op : func.getBody().front()) {
    bool weight = isa<ConstantOp>(op) ||
                  (op.getNumOperands() && !isa<func::ReturnOp>(op) &&
                   llvm::all_of(op.getOperands(), [&](Value v) {
                     Operation *def = v.getDefiningOp();
                     return def && weights.contains(def);
                   }));
    if (weight)
      weights.insert(&op);
  }
  return weights;
}

namespace {

void foldKinds(Location loc, std::vector<std::string> &kinds) {
  auto fused = dyn_cast<FusedLoc>(loc);
  if (!fused)
    return;
  for (Location l : fused.getLocations())
    foldKinds(l, kinds);
  if (auto kind = dyn_cast_or_null<StringAttr>(fused.getMetadata()))
    if (!llvm::is_contained(kinds, kind.str()))
      kinds.push_back(kind.str());
}

int64_t numel(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

std::vector<KernelReport> collectKernels(func::FuncOp func) {
  DenseSet<Operation *> weights = weightOps(func);
  std::vector<KernelReport> kernels;
  for (Operation &op : func.getBody().front()) {
    if (isa<func::ReturnOp>(op) || weights.contains(&op))
      continue;
    KernelReport k;
    k.id = "k" + std::to_string(kernels.size());
    k.op = &op;
    k.name = firstName(op.getLoc());
    k.kind = op.getName().stripDialect().str();
    foldKinds(op.getLoc(), k.folds);
    SmallVector<std::string> names;
    leafNames(op.getLoc(), names);
    k.sources.assign(names.begin(), names.end());
    for (Value v : op.getOperands())
      if (Operation *def = v.getDefiningOp(); def && weights.contains(def))
        k.params += numel(v);
    k.flops = opFlops(&op);
    kernels.push_back(std::move(k));
  }
  return kernels;
}

bool isLinearOp(Value v) {
  Operation *def = v.getDefiningOp();
  return def && isa<Conv2dOp, FcOp, MatmulOp, BatchNormOp, ChannelAffineOp>(def);
}

/// Whether a refusal on `op`, which survived into the folded graph, is a
/// fold that could have happened there, rather than a pattern looking at an
/// op it never applies to.
bool isMissedFold(Operation *op, StringRef pass) {
  if (isa<BatchNormOp, ChannelAffineOp>(op))
    return pass == "rep-fold-batch-norm";
  if (auto add = dyn_cast<AddOp>(op)) {
    // Inner adds of a tree defer to its root.
    if (add->hasOneUse() && isa<AddOp>(*add->getUsers().begin()))
      return false;
    if (pass == "rep-inject-locality")
      return add.getLhs().getDefiningOp<Conv2dOp>() &&
             add.getRhs().getDefiningOp<Conv2dOp>();
    return pass == "rep-merge-parallel-branches" &&
           (isLinearOp(add.getLhs()) || isLinearOp(add.getRhs()));
  }
  if (auto conv = dyn_cast<Conv2dOp>(op))
    return pass == "rep-merge-sequential" &&
           conv.getInput().getDefiningOp<Conv2dOp>();
  return false;
}

/// Runs the fold passes once more on the folded module (a fixpoint, so
/// nothing changes) and keeps the refusals of the missed folds.
LogicalResult collectRefusals(ModuleOp folded, const InspectOptions &options,
                              llvm::StringMap<std::vector<RefusalReport>> &out) {
  struct Raw {
    std::string pass;
    Location loc;
    std::string reason;
  };
  std::vector<Raw> raw;
  {
    ScopedRefusalHandler handler(
        [&](StringRef pass, Location loc, StringRef reason) {
          raw.push_back({pass.str(), loc, reason.str()});
        });
    OwningOpRef<ModuleOp> again = folded.clone();
    PassManager pm(folded.getContext());
    buildReparameterizePipeline(pm, {options.force});
    if (failed(pm.run(*again)))
      return failure();
  }
  for (func::FuncOp func : folded.getOps<func::FuncOp>()) {
    DenseMap<Location, SmallVector<Operation *>> byLoc;
    func.walk([&](Operation *op) { byLoc[op->getLoc()].push_back(op); });
    // In program order, each op's reasons together.
    std::stable_sort(raw.begin(), raw.end(), [&](const Raw &a, const Raw &b) {
      auto ia = byLoc.find(a.loc), ib = byLoc.find(b.loc);
      if (ia == byLoc.end() || ib == byLoc.end())
        return ia != byLoc.end() && ib == byLoc.end();
      return ia->second.front()->isBeforeInBlock(ib->second.front());
    });
    llvm::StringSet<> seen;
    std::vector<RefusalReport> &list = out[func.getSymName()];
    for (const Raw &r : raw) {
      auto it = byLoc.find(r.loc);
      if (it == byLoc.end())
        continue;
      for (Operation *op : it->second) {
        if (!isMissedFold(op, r.pass))
          continue;
        RefusalReport report{r.pass, firstName(r.loc),
                             op->getName().stripDialect().str(), r.reason};
        if (seen.insert(report.pass + "|" + report.node + "|" + report.reason)
                .second)
          list.push_back(std::move(report));
      }
    }
  }
  return success();
}

/// The training-graph op whose value kernel `k` stands for, and the folded
/// op that holds that value: the last op of its group in program order,
/// reached from the kernel through views where the group ends in another
/// shape (locality injection works on the partitioned view).
std::optional<std::pair<Operation *, Operation *>>
correspondingValues(const KernelReport &k,
                    const llvm::StringMap<SmallVector<Operation *>> &byName) {
  Operation *last = nullptr;
  for (const std::string &name : k.sources)
    for (Operation *op : byName.lookup(name))
      if (!last || last->isBeforeInBlock(op))
        last = op;
  if (!last || last->getNumResults() != 1)
    return std::nullopt;
  Operation *at = k.op;
  while (at->getResult(0).getType() != last->getResult(0).getType() &&
         at->hasOneUse() &&
         isa<ReshapeOp, TransposeOp, FlattenOp>(*at->getUsers().begin()))
    at = *at->getUsers().begin();
  if (at->getResult(0).getType() != last->getResult(0).getType())
    return std::nullopt;
  return std::make_pair(last, at);
}

/// Interprets both functions on random inputs and compares each kernel
/// built by folds with the value its group computed in the training graph.
/// A kernel is compared only where its inputs are the training graph's
/// values too: a fold may move an affine across ops (into a later fc), and
/// the ops it crossed then compute other values by design.
LogicalResult verifyKernels(FunctionReport &f, unsigned cases) {
  llvm::StringMap<SmallVector<Operation *>> byName;
  for (Operation &op : f.before.getBody().front())
    byName[firstName(op.getLoc())].push_back(&op);
  // kernel op -> (training op, folded op holding the same value)
  DenseMap<Operation *, std::pair<Operation *, Operation *>> pairs;
  DenseMap<Operation *, KernelReport *> kernelOf;
  // A node folded into several kernels (an affine split between an fc
  // and what follows it) has no single kernel computing its value.
  // (Views that carry a fold's name compute nothing and own nothing.)
  llvm::StringMap<unsigned> owners;
  for (KernelReport &k : f.kernels)
    if (!isa<ReshapeOp, TransposeOp, FlattenOp>(k.op))
      for (const std::string &s : k.sources)
        ++owners[s];
  for (KernelReport &k : f.kernels) {
    kernelOf[k.op] = &k;
    bool shared = llvm::any_of(
        k.sources, [&](const std::string &s) { return owners[s] > 1; });
    if (!shared)
      if (auto p = correspondingValues(k, byName))
        pairs[k.op] = *p;
  }
  DenseSet<KernelReport *> incomparable;
  for (const SmallVector<Tensor> &args : randomInputs(f.before, cases)) {
    DenseMap<Operation *, Tensor> reference, folded;
    auto ref = interpret(f.before, args, [&](Operation *op, const Tensor &t) {
      reference[op] = t;
    });
    if (failed(ref))
      return failure();
    auto got = interpret(f.after, args, [&](Operation *op, const Tensor &t) {
      folded[op] = t;
    });
    if (failed(got))
      return failure();
    for (auto [r, g] : llvm::zip(*ref, *got))
      f.outputError = std::max(f.outputError, compareTensors(r, g).second);

    // Whether a kernel computes its training-graph value (to fold error).
    auto errorOf = [&](Operation *kernel) -> std::optional<double> {
      auto it = pairs.find(kernel);
      if (it == pairs.end())
        return std::nullopt;
      return compareTensors(reference[it->second.first],
                            folded[it->second.second])
          .second;
    };
    for (KernelReport &k : f.kernels) {
      if (!k.merged() || incomparable.contains(&k))
        continue;
      // A view the compiler rearranged has no training-graph twin; its
      // input agreeing is enough.
      std::function<bool(Value)> agrees = [&](Value v) {
        Operation *def = v.getDefiningOp();
        if (!def || !kernelOf.count(def))
          return true; // a graph input or a weight
        if (std::optional<double> e = errorOf(def))
          return *e < 1e-3;
        return isa<ReshapeOp, TransposeOp, FlattenOp>(def) &&
               agrees(def->getOperand(0));
      };
      bool inputsAgree = llvm::all_of(k.op->getOperands(), agrees);
      std::optional<double> e = errorOf(k.op);
      if (!inputsAgree || !e) {
        incomparable.insert(&k);
        k.error.reset();
        continue;
      }
      k.error = std::max(k.error.value_or(0.0), *e);
    }
  }
  f.verified = cases;
  return success();
}
} // namespace

FailureOr<InspectResult> mlir::rep::inspect(OwningOpRef<ModuleOp> imported,
                                            const InspectOptions &options) {
  MLIRContext *ctx = imported->getContext();
  // The stage table is in pass order, and the refusal handler is global:
  // run every pass on this thread.
  bool threaded = ctx->isMultithreadingEnabled();
  ctx->disableMultithreading();
  auto restore = llvm::make_scope_exit([&] {
    if (threaded)
      ctx->enableMultithreading();
  });
  PassManager cleanup(ctx);
  buildImportCleanupPipeline(cleanup);
  if (failed(cleanup.run(*imported)))
    return failure();

  InspectResult result;
  result.before = std::move(imported);
  result.after = result.before->clone();
  llvm::StringMap<std::vector<StageReport>> stages;
  PassManager fold(ctx);
  fold.addInstrumentation(std::make_unique<StageRecorder>(stages));
  buildReparameterizePipeline(fold, {options.force});
  if (failed(fold.run(*result.after)))
    return failure();
  llvm::StringMap<std::vector<RefusalReport>> refusals;
  if (failed(collectRefusals(*result.after, options, refusals)))
    return failure();

  for (func::FuncOp before : result.before->getOps<func::FuncOp>()) {
    if (before.isExternal())
      continue;
    FunctionReport f;
    f.name = before.getSymName().str();
    f.before = before;
    f.after = result.after->lookupSymbol<func::FuncOp>(before.getSymName());
    f.statsBefore = computeStats(f.before);
    f.statsAfter = computeStats(f.after);
    f.stages.push_back({"imported", f.statsBefore});
    for (StageReport &s : stages[f.name])
      if (!sameStats(f.stages.back().stats, s.stats))
        f.stages.push_back(std::move(s));
    f.kernels = collectKernels(f.after);
    f.refusals = std::move(refusals[f.name]);
    if (options.verifyCases && failed(verifyKernels(f, options.verifyCases)))
      return failure();
    result.functions.push_back(std::move(f));
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Text and JSON
//===----------------------------------------------------------------------===//

static std::string percent(int64_t before, int64_t after) {
  if (!before)
    return "";
  double change = 100.0 * ((double)after - before) / before;
  return llvm::formatv(" ({0}{1:F1}%)", change > 0 ? "+" : "", change).str();
}

void mlir::rep::printReport(const InspectResult &result,
                            llvm::raw_ostream &os) {
  for (const FunctionReport &f : result.functions) {
    os << "== @" << f.name << ": stages ==\n";
    os << llvm::formatv("{0,-32} {1,5} {2,4} {3,4} {4,4} {5,6} {6,12} {7,14}\n",
                        "after", "conv", "fc", "bn", "add", "other", "params",
                        "flops");
    for (const StageReport &s : f.stages)
      os << llvm::formatv(
          "{0,-32} {1,5} {2,4} {3,4} {4,4} {5,6} {6,12} {7,14}\n", s.pass,
          s.stats.conv, s.stats.fc, s.stats.batchNorm, s.stats.add,
          s.stats.other, s.stats.params, s.stats.flops);
    const GraphStats &b = f.statsBefore, &a = f.statsAfter;
    os << "total: params " << b.params << " -> " << a.params
       << percent(b.params, a.params) << ", flops " << b.flops << " -> "
       << a.flops << percent(b.flops, a.flops) << ", ops "
       << b.conv + b.fc + b.batchNorm + b.add + b.other << " -> "
       << a.conv + a.fc + a.batchNorm + a.add + a.other << "\n\n";

    unsigned merged = llvm::count_if(
        f.kernels, [](const KernelReport &k) { return k.merged(); });
    os << "== @" << f.name << ": kernels: " << f.kernels.size() << ", "
       << merged << " built by folds ==\n";
    for (const KernelReport &k : f.kernels) {
      os << k.id << " " << k.kind << " '" << k.name << "'";
      if (k.flops)
        os << " flops " << k.flops;
      if (k.params)
        os << " params " << k.params;
      if (k.error)
        os << llvm::formatv(" error {0:e2}", *k.error);
      os << "\n";
      if (!k.merged())
        continue;
      os << "  folds: " << llvm::join(k.folds, ", ") << "\n";
      os << "  from " << k.sources.size() << " ONNX nodes:\n";
      for (const std::string &s : k.sources)
        os << "    " << s << "\n";
    }
    llvm::StringSet<> unfolded;
    for (const RefusalReport &r : f.refusals)
      unfolded.insert(r.node);
    os << "\n== @" << f.name << ": refused folds: " << unfolded.size()
       << " ops stay ==\n";
    for (auto [i, r] : llvm::enumerate(f.refusals)) {
      if (!i || f.refusals[i - 1].node != r.node)
        os << r.kind << " '" << r.node << "' stays:\n";
      os << "  " << r.pass << ": " << r.reason << "\n";
    }
    if (f.verified) {
      unsigned compared = llvm::count_if(
          f.kernels, [](const KernelReport &k) { return k.error.has_value(); });
      os << "\n== @" << f.name << ": verify ==\n"
         << llvm::formatv("{0} random input(s): output max relative error "
                          "{1:e2}\n",
                          f.verified, f.outputError)
         << llvm::formatv(
                "{0} of {1} folded kernels compared with the training "
                "graph's value at the same point (\"error\" above); the "
                "others read or split a value that a fold changed by design "
                "(an affine moved across an op)\n",
                compared, merged);
    }
  }
}

llvm::json::Value mlir::rep::reportToJson(const InspectResult &result) {
  llvm::json::Array functions;
  for (const FunctionReport &f : result.functions) {
    llvm::json::Array stages, kernels, refusals;
    for (const StageReport &s : f.stages)
      stages.push_back(
          llvm::json::Object{{"after", s.pass}, {"stats", s.stats.toJson()}});
    for (const KernelReport &k : f.kernels) {
      llvm::json::Object o{{"id", k.id},         {"kind", k.kind},
                           {"name", k.name},     {"folds", k.folds},
                           {"sources", k.sources}, {"params", k.params},
                           {"flops", k.flops}};
      if (k.error)
        o["error"] = *k.error;
      kernels.push_back(std::move(o));
    }
    for (const RefusalReport &r : f.refusals)
      refusals.push_back(llvm::json::Object{{"pass", r.pass},
                                            {"node", r.node},
                                            {"kind", r.kind},
                                            {"reason", r.reason}});
    llvm::json::Object o{{"function", f.name},
                         {"before", f.statsBefore.toJson()},
                         {"after", f.statsAfter.toJson()},
                         {"stages", std::move(stages)},
                         {"kernels", std::move(kernels)},
                         {"refusals", std::move(refusals)}};
    if (f.verified)
      o["verify"] = llvm::json::Object{{"inputs", f.verified},
                                       {"output_error", f.outputError}};
    functions.push_back(std::move(o));
  }
  return functions;
}
