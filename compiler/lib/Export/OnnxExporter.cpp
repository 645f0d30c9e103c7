//===- OnnxExporter.cpp - rep dialect to ONNX -----------------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Export/OnnxExporter.h"
#include "rep/Dialect/RepDialect.h"
#include "rep/Transforms/Utils.h"

#include "llvm/ADT/TypeSwitch.h"
#include <cmath>
#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace mlir::rep;

namespace {

class Exporter {
public:
  explicit Exporter(onnx::GraphProto &graph) : graph(graph) {}

  LogicalResult run(func::FuncOp func);

private:
  onnx::GraphProto &graph;
  DenseMap<Value, std::string> names;
  int counter = 0;

  std::string fresh(StringRef hint) {
    return (hint + "_" + Twine(counter++)).str();
  }
  /// A constant becomes an initializer when a node first reads it as it
  /// is: ops that export a reshaped or transposed copy (fc on rank > 2,
  /// channel affine) would otherwise leave the original unused.
  std::string name(Value v) {
    std::string &n = names[v];
    if (n.empty())
      if (auto c = v.getDefiningOp<ConstantOp>())
        if (auto t = constantTensor(c))
          n = floatInit(*t, "w");
    return n;
  }

  std::string floatInit(const Tensor &t, StringRef hint) {
    std::string n = fresh(hint);
    onnx::TensorProto *p = graph.add_initializer();
    p->set_name(n);
    p->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : t.shape)
      p->add_dims(d);
    p->set_raw_data(std::string((const char *)t.data.data(), t.data.size() * 4));
    return n;
  }
  std::string intInit(ArrayRef<int64_t> values, StringRef hint) {
    std::string n = fresh(hint);
    onnx::TensorProto *p = graph.add_initializer();
    p->set_name(n);
    p->set_data_type(onnx::TensorProto::INT64);
    p->add_dims(values.size());
    for (int64_t v : values)
      p->add_int64_data(v);
    return n;
  }
  std::string scalarInit(float v, StringRef hint) {
    Tensor t;
    t.data = {v};
    return floatInit(t, hint);
  }

  onnx::NodeProto *node(StringRef type, Operation *op,
                        ArrayRef<std::string> inputs, std::string output) {
    onnx::NodeProto *n = graph.add_node();
    n->set_op_type(type.str());
    std::string base = firstName(op->getLoc());
    n->set_name(fresh(base.empty() ? type : StringRef(base)));
    for (const std::string &i : inputs)
      n->add_input(i);
    n->add_output(output);
    return n;
  }
  static void ints(onnx::NodeProto *n, StringRef attr, ArrayRef<int64_t> v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(attr.str());
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
      a->add_ints(x);
  }
  static void intAttr(onnx::NodeProto *n, StringRef attr, int64_t v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(attr.str());
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void floatAttr(onnx::NodeProto *n, StringRef attr, float v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(attr.str());
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }

  LogicalResult emit(Operation *op);
};

void setType(onnx::ValueInfoProto *info, Type type) {
  auto *t = info->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : cast<RankedTensorType>(type).getShape())
    t->mutable_shape()->add_dim()->set_dim_value(d);
}

LogicalResult Exporter::run(func::FuncOp func) {
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    auto attr = func.getArgAttrOfType<StringAttr>(i, "rep.name");
    std::string n = attr ? attr.str() : "input_" + std::to_string(i);
    names[arg] = n;
    onnx::ValueInfoProto *info = graph.add_input();
    info->set_name(n);
    setType(info, arg.getType());
  }
  for (Operation &op : func.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
        auto attr = func.getResultAttrOfType<StringAttr>(i, "rep.name");
        std::string n = attr ? attr.str() : "output_" + std::to_string(i);
        // An output must be produced by a node; Identity renames.
        onnx::NodeProto *id = graph.add_node();
        id->set_op_type("Identity");
        id->set_name(fresh("output"));
        id->add_input(name(v));
        id->add_output(n);
        onnx::ValueInfoProto *info = graph.add_output();
        info->set_name(n);
        setType(info, v.getType());
      }
      continue;
    }
    if (failed(emit(&op)))
      return failure();
  }
  return success();
}

LogicalResult Exporter::emit(Operation *op) {
  if (auto c = dyn_cast<ConstantOp>(op)) {
    // Written when a node reads it (name()).
    if (!c->use_empty() && !constantTensor(c))
      return op->emitError("constant has no data to export");
    return success();
  }
  Value result = op->getResult(0);
  std::string out = fresh("t");
  names[result] = out;
  auto in = [&](unsigned i) { return name(op->getOperand(i)); };
  auto simple = [&](StringRef type) {
    SmallVector<std::string> inputs;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      inputs.push_back(in(i));
    return node(type, op, inputs, out);
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](Conv2dOp c) {
        onnx::NodeProto *n = simple("Conv");
        ArrayRef<int64_t> w = shapeOf(c.getWeight());
        ints(n, "kernel_shape", {w[2], w[3]});
        ints(n, "strides", c.getStrides());
        ints(n, "pads", c.getPads());
        ints(n, "dilations", c.getDilations());
        intAttr(n, "group", c.getGroups());
        return success();
      })
      .Case([&](BatchNormOp c) {
        floatAttr(simple("BatchNormalization"), "epsilon",
                  c.getEpsilon().convertToFloat());
        return success();
      })
      .Case([&](FcOp c) -> LogicalResult {
        auto w = constantTensor(c.getWeight());
        if (!w)
          return op->emitError("fc weight is not a constant");
        if (shapeOf(c.getInput()).size() == 2) {
          intAttr(simple("Gemm"), "transB", 1);
          return success();
        }
        Tensor wt = filledTensor({w->shape[1], w->shape[0]}, 0.0f);
        for (int64_t i = 0; i < w->shape[0]; ++i)
          for (int64_t j = 0; j < w->shape[1]; ++j)
            wt.data[j * w->shape[0] + i] = w->data[i * w->shape[1] + j];
        std::string mm = c.getBias() ? fresh("t") : out;
        node("MatMul", op, {in(0), floatInit(wt, "w")}, mm);
        if (c.getBias())
          node("Add", op, {mm, in(2)}, out);
        return success();
      })
      .Case([&](ChannelAffineOp c) -> LogicalResult {
        auto s = constantTensor(c.getScale()), t = constantTensor(c.getShift());
        if (!s || !t)
          return op->emitError("affine parameters are not constants");
        size_t trailing = shapeOf(c.getInput()).size() - c.getAxis() - 1;
        for (Tensor *p : {&*s, &*t})
          p->shape.append(trailing, 1);
        std::string scaled = fresh("t");
        node("Mul", op, {in(0), floatInit(*s, "scale")}, scaled);
        node("Add", op, {scaled, floatInit(*t, "shift")}, out);
        return success();
      })
      .Case([&](MatmulOp) { return simple("MatMul"), success(); })
      .Case([&](AddOp) { return simple("Add"), success(); })
      .Case([&](SubOp) { return simple("Sub"), success(); })
      .Case([&](MulOp) { return simple("Mul"), success(); })
      .Case([&](DivOp) { return simple("Div"), success(); })
      .Case([&](PowOp) { return simple("Pow"), success(); })
      .Case([&](ReluOp) { return simple("Relu"), success(); })
      .Case([&](SigmoidOp) { return simple("Sigmoid"), success(); })
      .Case([&](ErfOp) { return simple("Erf"), success(); })
      .Case([&](SqrtOp) { return simple("Sqrt"), success(); })
      .Case([&](MaximumOp) { return simple("Max"), success(); })
      .Case([&](MinimumOp) { return simple("Min"), success(); })
      .Case([&](TanhOp) { return simple("Tanh"), success(); })
      .Case([&](ExpOp) { return simple("Exp"), success(); })
      .Case([&](LogOp) { return simple("Log"), success(); })
      .Case([&](AbsOp) { return simple("Abs"), success(); })
      .Case([&](GeluOp) {
        // Opset 17 has no Gelu: the chain PyTorch exports.
        std::string a = fresh("t"), b = fresh("t"), d = fresh("t"),
                    e = fresh("t");
        node("Div", op, {in(0), scalarInit(std::sqrt(2.0f), "sqrt2")}, a);
        node("Erf", op, {a}, b);
        node("Add", op, {b, scalarInit(1.0f, "one")}, d);
        node("Mul", op, {in(0), d}, e);
        node("Mul", op, {e, scalarInit(0.5f, "half")}, out);
        return success();
      })
      .Case([&](LayerNormOp c) {
        onnx::NodeProto *n = simple("LayerNormalization");
        intAttr(n, "axis", c.getAxis());
        floatAttr(n, "epsilon", c.getEpsilon().convertToFloat());
        return success();
      })
      .Case([&](ReduceMeanOp c) {
        onnx::NodeProto *n = simple("ReduceMean");
        ints(n, "axes", c.getAxes());
        intAttr(n, "keepdims", c.getKeepdims());
        return success();
      })
      .Case([&](ReduceMaxOp c) {
        onnx::NodeProto *n = simple("ReduceMax");
        ints(n, "axes", c.getAxes());
        intAttr(n, "keepdims", c.getKeepdims());
        return success();
      })
      .Case([&](ReduceSumOp c) {
        // Opset 13 moved ReduceSum's axes (only) to an input.
        onnx::NodeProto *n = node(
            "ReduceSum", op, {in(0), intInit(c.getAxes(), "axes")}, out);
        intAttr(n, "keepdims", c.getKeepdims());
        return success();
      })
      .Case([&](MaxPoolOp c) {
        onnx::NodeProto *n = simple("MaxPool");
        ints(n, "kernel_shape", c.getKernel());
        ints(n, "strides", c.getStrides());
        ints(n, "pads", c.getPads());
        intAttr(n, "ceil_mode", c.getCeilMode());
        return success();
      })
      .Case([&](AvgPoolOp c) {
        onnx::NodeProto *n = simple("AveragePool");
        ints(n, "kernel_shape", c.getKernel());
        ints(n, "strides", c.getStrides());
        ints(n, "pads", c.getPads());
        intAttr(n, "ceil_mode", c.getCeilMode());
        intAttr(n, "count_include_pad", c.getCountIncludePad());
        return success();
      })
      .Case([&](GlobalAvgPoolOp) {
        return simple("GlobalAveragePool"), success();
      })
      .Case([&](ReshapeOp c) {
        node("Reshape", op, {in(0), intInit(c.getShape(), "shape")}, out);
        return success();
      })
      .Case([&](TransposeOp c) {
        ints(simple("Transpose"), "perm", c.getPerm());
        return success();
      })
      .Case([&](FlattenOp c) {
        intAttr(simple("Flatten"), "axis", c.getAxis());
        return success();
      })
      .Case([&](ConcatOp c) {
        intAttr(simple("Concat"), "axis", c.getAxis());
        return success();
      })
      .Case([&](SliceOp c) {
        SmallVector<int64_t> ends, axes;
        for (auto [i, s] : llvm::enumerate(c.getStarts())) {
          ends.push_back(s + (c.getSizes()[i] - 1) * c.getSteps()[i] + 1);
          axes.push_back(i);
        }
        node("Slice", op,
             {in(0), intInit(c.getStarts(), "starts"), intInit(ends, "ends"),
              intInit(axes, "axes"), intInit(c.getSteps(), "steps")},
             out);
        return success();
      })
      .Case([&](PadOp c) {
        node("Pad", op,
             {in(0), intInit(c.getPads(), "pads"),
              scalarInit(c.getValue().convertToFloat(), "pad_value")},
             out);
        return success();
      })
      .Default([&](Operation *) -> LogicalResult {
        return op->emitError() << "'" << op->getName()
                               << "' has no ONNX export";
      });
}

} // namespace

LogicalResult mlir::rep::exportOnnx(func::FuncOp func, llvm::raw_ostream &os) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("repc");
  onnx::OperatorSetIdProto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(17);
  onnx::GraphProto *graph = model.mutable_graph();
  graph->set_name(func.getSymName().str());
  if (failed(Exporter(*graph).run(func)))
    return failure();
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    return func.emitError("the ONNX model could not be serialized"), failure();
  os << bytes;
  return success();
}
