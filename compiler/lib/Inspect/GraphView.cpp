//===- GraphView.cpp - Graphviz and HTML views of a fold -------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Inspect/Inspect.h"
#include "rep/Dialect/RepDialect.h"
#include "rep/Transforms/Utils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::rep;

namespace {
std::string escape(StringRef s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

/// The last two parts of an exporter path name: `rbr_dense.0/Conv`.
std::string shortName(StringRef name) {
  SmallVector<StringRef> parts;
  name.trim('/').split(parts, '/');
  if (parts.size() <= 2)
    return name.trim('/').str();
  return (parts[parts.size() - 2] + "/" + parts.back()).str();
}

std::string shapeOf(Type t) {
  auto ranked = dyn_cast<RankedTensorType>(t);
  if (!ranked)
    return "";
  std::string s;
  for (int64_t d : ranked.getShape())
    s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

/// Graph nodes for one function: its arguments, its non-weight ops and its
/// return; `prefix` keeps the ids of the two graphs apart.
struct Graph {
  std::string prefix;
  DenseMap<Value, std::string> producer;
  struct Node {
    std::string id, label, tooltip;
    Operation *op = nullptr;
  };
  std::vector<Node> nodes;
  std::vector<std::pair<std::string, std::string>> edges;

  /// `ids` names some ops' nodes (the kernels); the rest are numbered.
  Graph(func::FuncOp func, StringRef prefix,
        const DenseMap<Operation *, std::string> &ids)
      : prefix(prefix.str()) {
    DenseSet<Operation *> weights = weightOps(func);
    for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
      std::string id = this->prefix + "in" + std::to_string(i);
      producer[arg] = id;
      nodes.push_back({id, "input " + std::to_string(i) + "\n" +
                               shapeOf(arg.getType()),
                       "graph input", nullptr});
    }
    unsigned n = 0;
    for (Operation &op : func.getBody().front()) {
      if (weights.contains(&op))
        continue;
      std::string id = isa<func::ReturnOp>(op) ? this->prefix + "out"
                       : ids.count(&op)        ? ids.lookup(&op)
                                        : this->prefix + std::to_string(n++);
      for (Value v : op.getOperands())
        if (auto it = producer.find(v); it != producer.end())
          edges.push_back({it->second, id});
      if (isa<func::ReturnOp>(op)) {
        nodes.push_back({id, "output", "graph output", nullptr});
        continue;
      }
      producer[op.getResult(0)] = id;
      std::string name = firstName(op.getLoc());
      nodes.push_back({id,
                       op.getName().stripDialect().str() + "\n" +
                           shortName(name),
                       name + "  " + shapeOf(op.getResult(0).getType()), &op});
    }
  }
};

/// Which training-graph nodes each folded kernel came from.
struct Groups {
  /// kernel id -> training-graph node ids (its sources).
  std::map<std::string, std::vector<std::string>> sources;
  /// training-graph node id -> the kernel whose cluster draws it.
  std::map<std::string, std::string> cluster;

  Groups(const FunctionReport &f, const Graph &before) {
    llvm::StringMap<std::vector<std::string>> byName;
    for (const Graph::Node &n : before.nodes)
      if (n.op)
        byName[firstName(n.op->getLoc())].push_back(n.id);
    for (const KernelReport &k : f.kernels) {
      std::vector<std::string> &ids = sources[k.id];
      for (const std::string &s : k.sources)
        for (const std::string &id : byName.lookup(s))
          ids.push_back(id);
      if (k.merged())
        for (const std::string &id : ids)
          cluster.try_emplace(id, k.id);
    }
  }
};

void emitNode(const Graph::Node &n, StringRef extra, llvm::raw_ostream &os) {
  os << "    \"" << n.id << "\" [id=\"" << n.id << "\", label=\""
     << escape(n.label) << "\", tooltip=\"" << escape(n.tooltip) << "\""
     << extra << "];\n";
}

void emitBefore(const FunctionReport &f, const Graph &g, const Groups &groups,
                llvm::raw_ostream &os) {
  std::map<std::string, std::vector<const Graph::Node *>> clusters;
  for (const Graph::Node &n : g.nodes) {
    auto it = groups.cluster.find(n.id);
    if (it == groups.cluster.end())
      emitNode(n, "", os);
    else
      clusters[it->second].push_back(&n);
  }
  for (const KernelReport &k : f.kernels) {
    auto it = clusters.find(k.id);
    if (it == clusters.end())
      continue;
    os << "    subgraph \"cluster_" << g.prefix << k.id << "\" {\n"
       << "      id=\"cluster_" << g.prefix << k.id << "\"; label=\"-> "
       << k.id << " " << escape(k.kind) << "\"; style=\"rounded,filled\"; "
       << "fillcolor=\"#fff8e1\"; color=\"#ffb300\";\n";
    for (const Graph::Node *n : it->second)
      emitNode(*n, "", os);
    os << "    }\n";
  }
  for (auto &[from, to] : g.edges)
    os << "    \"" << from << "\" -> \"" << to << "\";\n";
}

void emitAfter(const FunctionReport &f, const Graph &g, llvm::raw_ostream &os) {
  DenseMap<Operation *, const KernelReport *> kernelOf;
  for (const KernelReport &k : f.kernels)
    kernelOf[k.op] = &k;
  for (const Graph::Node &n : g.nodes) {
    const KernelReport *k = n.op ? kernelOf.lookup(n.op) : nullptr;
    if (!k || !k->merged()) {
      emitNode(n, "", os);
      continue;
    }
    Graph::Node shown = n;
    shown.label += "\n+" + std::to_string(k->sources.size() - 1) + " folded";
    shown.tooltip += "\n" + llvm::join(k->folds, ", ") + " of:\n" +
                     llvm::join(k->sources, "\n");
    emitNode(shown, ", fillcolor=\"#e3f2fd\", color=\"#1565c0\"", os);
  }
  for (auto &[from, to] : g.edges)
    os << "    \"" << from << "\" -> \"" << to << "\";\n";
}

constexpr const char *kGraphStyle =
    "  graph [fontname=\"Helvetica\", fontsize=11];\n"
    "  node [shape=box, style=\"rounded,filled\", fillcolor=white, "
    "fontname=\"Helvetica\", fontsize=10];\n"
    "  edge [color=\"#607d8b\"];\n";

DenseMap<Operation *, std::string> kernelIds(const FunctionReport &f) {
  DenseMap<Operation *, std::string> ids;
  for (const KernelReport &k : f.kernels)
    ids[k.op] = k.id;
  return ids;
}

/// The training graph's nodes are `b<N>`, the kernels keep the report's
/// ids (`k<N>`).
struct Views {
  Graph before, after;
  Groups groups;
  explicit Views(const FunctionReport &f)
      : before(f.before, "b", DenseMap<Operation *, std::string>()), after(f.after, "k", kernelIds(f)),
        groups(f, before) {}
};
} // namespace

void mlir::rep::writeDot(const InspectResult &result, llvm::raw_ostream &os) {
  os << "digraph rep {\n  compound=true;\n" << kGraphStyle;
  for (const FunctionReport &f : result.functions) {
    Views v(f);
    os << "  subgraph \"cluster_before_" << f.name << "\" {\n    label=\"@"
       << f.name << " before: " << v.before.nodes.size() << " nodes\";\n";
    emitBefore(f, v.before, v.groups, os);
    os << "  }\n  subgraph \"cluster_after_" << f.name << "\" {\n    label=\"@"
       << f.name << " after: " << f.kernels.size() << " kernels\";\n";
    emitAfter(f, v.after, os);
    os << "  }\n";
  }
  os << "}\n";
}

/// Runs `dot -Tsvg` on `graph` and returns the <svg> element.
static llvm::Expected<std::string> renderSvg(StringRef graph) {
  auto dot = llvm::sys::findProgramByName("dot");
  if (!dot)
    return llvm::createStringError(
        "--html needs Graphviz's 'dot' on PATH (apt-get install graphviz)");
  SmallString<128> in, out;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("rep-inspect", "dot", in))
    return llvm::createStringError(ec, "cannot create a temporary file");
  llvm::FileRemover removeIn(in);
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("rep-inspect", "svg", out))
    return llvm::createStringError(ec, "cannot create a temporary file");
  llvm::FileRemover removeOut(out);
  {
    std::error_code ec;
    llvm::raw_fd_ostream file(in, ec);
    if (ec)
      return llvm::createStringError(ec, "cannot write " + in);
    file << graph;
  }
  std::string err;
  std::string outArg = ("-o" + out).str();
  int rc = llvm::sys::ExecuteAndWait(*dot, {*dot, "-Tsvg", outArg, in},
                                     std::nullopt, {}, 0, 0, &err);
  if (rc != 0)
    return llvm::createStringError("dot failed" +
                                   (err.empty() ? "" : ": " + err));
  auto buffer = llvm::MemoryBuffer::getFile(out);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "cannot read dot's SVG");
  StringRef svg = (*buffer)->getBuffer();
  size_t start = svg.find("<svg");
  if (start == StringRef::npos)
    return llvm::createStringError("dot wrote no <svg> element");
  return svg.drop_front(start).str();
}

static std::string htmlEscape(StringRef s) {
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::printHTMLEscaped(s, os);
  return out;
}

llvm::Error mlir::rep::writeHtml(const InspectResult &result, StringRef title,
                                 llvm::raw_ostream &os) {
  os << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>"
     << htmlEscape(title) << "</title>\n<style>\n"
     << "body { font-family: Helvetica, Arial, sans-serif; margin: 1em; }\n"
     << ".views { display: flex; gap: 1em; align-items: flex-start; }\n"
     << ".views section { flex: 1; overflow: auto; max-height: 88vh; "
        "border: 1px solid #cfd8dc; padding: .5em; }\n"
     << "g.node { cursor: pointer; }\n"
     << "g.node.hl polygon, g.node.hl path { fill: #ffca28 !important; "
        "stroke: #e65100 !important; stroke-width: 2px; }\n"
     << "</style></head><body>\n<h1>" << htmlEscape(title) << "</h1>\n";

  std::string groupsJson = "{";
  for (const FunctionReport &f : result.functions) {
    Views v(f);
    std::string before, after;
    llvm::raw_string_ostream b(before), a(after);
    b << "digraph before {\n" << kGraphStyle;
    emitBefore(f, v.before, v.groups, b);
    b << "}\n";
    a << "digraph after {\n" << kGraphStyle;
    emitAfter(f, v.after, a);
    a << "}\n";
    auto beforeSvg = renderSvg(before);
    if (!beforeSvg)
      return beforeSvg.takeError();
    auto afterSvg = renderSvg(after);
    if (!afterSvg)
      return afterSvg.takeError();
    const GraphStats &sb = f.statsBefore, &sa = f.statsAfter;
    os << "<h2>@" << htmlEscape(f.name) << "</h2>\n<p>"
       << v.before.nodes.size() << " training-graph nodes became "
       << f.kernels.size() << " kernels; params " << sb.params << " &rarr; "
       << sa.params << ", FLOPs " << sb.flops << " &rarr; " << sa.flops
       << ". Hover a node to see what it was folded into, or from.</p>\n"
       << "<div class=\"views\">\n<section id=\"before-" << htmlEscape(f.name)
       << "\"><h3>Training graph</h3>\n"
       << *beforeSvg << "</section>\n<section id=\"after-"
       << htmlEscape(f.name) << "\"><h3>Folded graph</h3>\n"
       << *afterSvg << "</section>\n</div>\n";
    for (auto &[kernel, ids] : v.groups.sources) {
      if (groupsJson.size() > 1)
        groupsJson += ",";
      groupsJson += "\"" + kernel + "\":[";
      for (auto [i, id] : llvm::enumerate(ids))
        groupsJson += (i ? ",\"" : "\"") + id + "\"";
      groupsJson += "]";
    }
  }
  groupsJson += "}";

  os << "<script>\n"
     << "const sources = " << groupsJson << ";\n"
     << R"js(const kernelsOf = {};
for (const [k, ids] of Object.entries(sources))
  for (const id of ids) (kernelsOf[id] = kernelsOf[id] || []).push(k);
function mark(id, on) {
  const e = document.getElementById(id);
  if (e) e.classList.toggle('hl', on);
}
function hover(id, on) {
  const kernels = id in sources ? [id] : (kernelsOf[id] || []);
  for (const k of kernels) {
    mark(k, on);
    for (const s of sources[k]) mark(s, on);
  }
}
for (const g of document.querySelectorAll('g.node')) {
  g.addEventListener('mouseenter', () => hover(g.id, true));
  g.addEventListener('mouseleave', () => hover(g.id, false));
}
const m = location.hash.match(/^#hover=(.+)$/);
if (m) hover(decodeURIComponent(m[1]), true);
</script>
</body></html>
)js";
  return llvm::Error::success();
}
