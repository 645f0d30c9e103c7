//===- OnnxImporter.cpp - ONNX protobuf to rep dialect --------------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Import/OnnxImporter.h"
#include "rep/Dialect/RepDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include "onnx/onnx_pb.h"
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/text_format.h>

#include <climits>
#include <cmath>
#include <fcntl.h>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <unistd.h>

using namespace mlir;
using namespace mlir::rep;

namespace {

/// The default domain's opsets repc imports (ONNX 1.18 defines up to 23),
/// and the newest IR version (ONNX 1.18: 11).
constexpr int64_t kMinOpset = 11, kMaxOpset = 23, kMaxIrVersion = 11;

enum OnnxType : int32_t {
  kFloat = onnx::TensorProto::FLOAT,
  kInt32 = onnx::TensorProto::INT32,
  kInt64 = onnx::TensorProto::INT64,
  kBool = onnx::TensorProto::BOOL,
  kDouble = onnx::TensorProto::DOUBLE,
};

/// A value the importer knows at import time: the int64 results of shape
/// arithmetic, and Constant nodes. Float ones become rep.constant when an
/// op reads them.
struct HostTensor {
  SmallVector<int64_t> shape;
  bool isFloat = false;
  std::vector<int64_t> ints;
  std::vector<float> floats;

  int64_t numel() const { return computeProduct(shape); }
  double at(int64_t i) const { return isFloat ? floats[i] : ints[i]; }
  void resize() {
    if (isFloat)
      floats.assign(numel(), 0);
    else
      ints.assign(numel(), 0);
  }
  void set(int64_t i, double v) {
    if (isFloat)
      floats[i] = v;
    else
      ints[i] = (int64_t)v;
  }
};

/// Row-major strides of `shape`, with 0 where `shape` broadcasts into `out`.
SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> out) {
  SmallVector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (int64_t i = shape.size() - 1, j = out.size() - 1; i >= 0; --i, --j) {
    strides[j] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/// The most elements one tensor may hold (8 GiB of float32): more is a
/// malformed or mistyped shape, refused before anything is allocated.
constexpr int64_t kMaxElements = int64_t(1) << 31;

/// The element count of `shape`, or nullopt when a dim is negative or the
/// count passes kMaxElements (checked as it multiplies: no overflow).
std::optional<int64_t> elementCount(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d == 0)
      return 0; // Later dims cannot raise the count past zero.
    if (n > kMaxElements / d)
      return std::nullopt;
    n *= d;
  }
  return n;
}

class Importer {
public:
  /// Reads `path`, or parses `contents` as the file `path` would hold.
  Importer(MLIRContext *ctx, StringRef path, const OnnxImportOptions &options,
           std::optional<StringRef> contents = std::nullopt)
      : ctx(ctx), b(ctx), path(path.str()), contents(contents),
        options(options), fileLoc(FileLineColLoc::get(ctx, path, 0, 0)),
        loc(fileLoc) {}

  OwningOpRef<ModuleOp> run();

private:
  LogicalResult load();
  LogicalResult checkNames();
  LogicalResult importInputs(SmallVectorImpl<Type> &argTypes);
  LogicalResult importNode(const onnx::NodeProto &node);
  InFlightDiagnostic nodeError() {
    return emitError(loc) << node->op_type() << ": ";
  }

  // Values and constants.
  FailureOr<Value> value(StringRef name);
  FailureOr<Value> input(int i) {
    if (i >= node->input_size() || node->input(i).empty())
      return nodeError() << "missing input " << i, failure();
    return value(node->input(i));
  }
  Value optionalInput(int i, bool &ok) {
    if (i >= node->input_size() || node->input(i).empty())
      return nullptr;
    auto v = value(node->input(i));
    ok &= succeeded(v);
    return succeeded(v) ? *v : nullptr;
  }
  const HostTensor *host(StringRef name);
  FailureOr<const HostTensor *> hostInput(int i, StringRef what);
  FailureOr<ElementsAttr> weightAttr(onnx::TensorProto &t, StringRef name);
  FailureOr<HostTensor> decodeHost(const onnx::TensorProto &t);
  FailureOr<std::string> readExternal(const onnx::TensorProto &t);
  Value constant(const HostTensor &h, StringRef name);
  Value scalar(float v) {
    HostTensor h;
    h.isFloat = true;
    h.floats = {v};
    return constant(h, "");
  }
  /// Input `i` as the importer knows it: a host constant or an IR value,
  /// with its shape either way.
  struct Operand {
    const HostTensor *host = nullptr;
    Value value;
    SmallVector<int64_t> shape;
  };
  FailureOr<Operand> operand(int i) {
    Operand o;
    if (isHost(i)) {
      o.host = host(node->input(i));
      o.shape = o.host->shape;
      return o;
    }
    auto v = input(i);
    if (failed(v))
      return failure();
    o.value = *v;
    o.shape.assign(cast<RankedTensorType>(v->getType()).getShape().begin(),
                   cast<RankedTensorType>(v->getType()).getShape().end());
    return o;
  }
  /// Whether input `i` is known at import: a host value, or a small
  /// initializer (also when an earlier node took it as a weight: DBB's pad
  /// value is computed from the statistics of the BN that uses them).
  bool isHost(int i) {
    if (i >= node->input_size())
      return false;
    auto it = values.find(node->input(i));
    if (it != values.end() && !it->second.getDefiningOp<ConstantOp>())
      return false;
    return host(node->input(i));
  }

  // Definitions.
  LogicalResult define(FailureOr<Value> v, int out = 0) {
    if (failed(v))
      return failure();
    values[node->output(out)] = *v;
    return success();
  }
  LogicalResult defineHost(HostTensor h, int out = 0) {
    hosts[node->output(out)] = std::move(h);
    return success();
  }

  /// Builds an op with a placeholder result type, then sets the type its
  /// shape rule infers; a shape error names the node and leaves no op.
  template <typename OpTy, typename... Args>
  FailureOr<Value> make(Args &&...args) {
    auto placeholder = UnrankedTensorType::get(b.getF32Type());
    auto op = b.create<OpTy>(loc, placeholder, std::forward<Args>(args)...);
    SmallVector<Type, 1> types;
    auto infer = cast<InferTypeOpInterface>(op.getOperation());
    if (failed(infer.inferReturnTypes(
            ctx, loc, op->getOperands(), op->getAttrDictionary(),
            op->getPropertiesStorage(), op->getRegions(), types))) {
      op->erase();
      return failure();
    }
    if (auto t = dyn_cast<RankedTensorType>(types[0]);
        t && !elementCount(t.getShape())) {
      op->erase();
      return emitError(loc) << node->op_type() << ": the result "
                            << formatShape(t.getShape()) << " has more than "
                            << kMaxElements << " elements",
             failure();
    }
    op->getResult(0).setType(types[0]);
    return op->getResult(0);
  }
  /// Checks a host value's shape before it is allocated.
  LogicalResult checkHostShape(ArrayRef<int64_t> shape) {
    if (!elementCount(shape))
      return nodeError() << "shape " << formatShape(shape)
                         << " has a negative dim or more than " << kMaxElements
                         << " elements";
    return success();
  }
  Value reshape(Value v, ArrayRef<int64_t> shape) {
    return *make<ReshapeOp>(v, b.getDenseI64ArrayAttr(shape));
  }

  // Attributes.
  const onnx::AttributeProto *attr(StringRef name) const {
    for (const auto &a : node->attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  int64_t intAttr(StringRef name, int64_t def) const {
    auto *a = attr(name);
    return a ? a->i() : def;
  }
  float floatAttr(StringRef name, float def) const {
    auto *a = attr(name);
    return a ? a->f() : def;
  }
  std::string strAttr(StringRef name, StringRef def) const {
    auto *a = attr(name);
    return a ? a->s() : def.str();
  }
  SmallVector<int64_t> intsAttr(StringRef name,
                                ArrayRef<int64_t> def = {}) const {
    auto *a = attr(name);
    if (!a)
      return SmallVector<int64_t>(def);
    return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
  }
  FailureOr<int64_t> normAxis(int64_t axis, int64_t rank) {
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
      return nodeError() << "axis " << axis << " is out of range for rank "
                         << rank,
             failure();
    return a;
  }
  /// Axes from the `axes` attribute (older opsets) or input `i` (newer).
  FailureOr<SmallVector<int64_t>> axesOperand(int i, int64_t rank,
                                              bool allIfMissing);
  LogicalResult windowAttrs(const char *what, SmallVector<int64_t> &kernel,
                            SmallVector<int64_t> &strides,
                            SmallVector<int64_t> &pads,
                            SmallVector<int64_t> &dilations,
                            ArrayRef<int64_t> inShape);
  int outputCount() const {
    int n = 0;
    for (const auto &o : node->output())
      n += !o.empty();
    return n;
  }

  // Op handlers.
  LogicalResult importConv();
  LogicalResult importBatchNorm();
  LogicalResult importGemm();
  LogicalResult importBinary();
  LogicalResult importPool(bool isMax);
  LogicalResult importReshape();
  LogicalResult importSqueeze(bool unsqueeze);
  LogicalResult importConcat();
  LogicalResult importSlice();
  LogicalResult importPad();
  LogicalResult importGather();
  LogicalResult importCast();
  LogicalResult importLayerNorm();
  LogicalResult importConstant();
  LogicalResult importGelu();
  LogicalResult importUnary();
  LogicalResult importVariadic();
  LogicalResult importClip();
  LogicalResult importHardSigmoid();
  LogicalResult importLeakyRelu();
  LogicalResult importReduce();
  LogicalResult importSoftmax();
  LogicalResult importSplit();
  LogicalResult importInstanceNorm();
  LogicalResult importGroupNorm();
  LogicalResult importWhere();
  LogicalResult importExpand();
  LogicalResult importHostOnly();
  LogicalResult importResize();
  LogicalResult importEinsum();
  LogicalResult importScatterND();
  /// A ScatterND result on activations as `base * keep + put`, so that a
  /// chain of them composes into one.
  struct ScatterChain {
    Value base;
    HostTensor keep, put;
  };
  llvm::StringMap<ScatterChain> scatterChains;

  /// Ops the importer builds from others.
  Value clamp(Value x, float lo, float hi) {
    Value y = x;
    if (lo != -std::numeric_limits<float>::infinity())
      y = *make<MaximumOp>(y, scalar(lo));
    if (hi != std::numeric_limits<float>::infinity())
      y = *make<MinimumOp>(y, scalar(hi));
    return y;
  }
  /// max(x, 0) + slope * min(x, 0): exact (one of the terms is a zero).
  FailureOr<Value> leakyRelu(Value x, Value slope) {
    Value pos = *make<MaximumOp>(x, scalar(0)),
          neg = *make<MinimumOp>(x, scalar(0));
    auto scaled = make<MulOp>(slope, neg);
    if (failed(scaled))
      return failure();
    return make<AddOp>(pos, *scaled);
  }
  FailureOr<Value> constantOf(ArrayRef<int64_t> shape, float v) {
    HostTensor h;
    h.isFloat = true;
    h.shape.assign(shape.begin(), shape.end());
    h.floats.assign(h.numel(), v);
    return constant(h, "");
  }
  /// An int64 host value from an optional input: nullptr when absent.
  FailureOr<const HostTensor *> optionalHost(int i, StringRef what) {
    if (i >= node->input_size() || node->input(i).empty())
      return (const HostTensor *)nullptr;
    return hostInput(i, what);
  }

  MLIRContext *ctx;
  OpBuilder b;
  std::string path;
  std::optional<StringRef> contents;
  const OnnxImportOptions &options;
  Location fileLoc;
  Location loc;
  onnx::ModelProto model;
  int64_t opset = 0;
  const onnx::NodeProto *node = nullptr;
  llvm::StringMap<Value> values;
  llvm::StringMap<HostTensor> hosts;
  llvm::StringMap<onnx::TensorProto *> initializers;
  /// Initializers whose data was found bad (and reported) when decoded.
  llvm::StringSet<> badInitializers;
};

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

struct TextErrors : google::protobuf::io::ErrorCollector {
  std::string first;
  void AddError(int line, int column, const std::string &message) override {
    if (first.empty())
      first = "line " + std::to_string(line + 1) + ": " + message;
  }
};

LogicalResult Importer::load() {
  bool text = StringRef(path).ends_with(".onnxtxt") ||
              StringRef(path).ends_with(".textproto");
  if (!contents && !llvm::sys::fs::exists(path))
    return emitError(fileLoc) << "no such file", failure();
  if (!contents && llvm::sys::fs::is_directory(path))
    return emitError(fileLoc) << "is a directory, not an ONNX model", failure();
  std::unique_ptr<llvm::MemoryBuffer> file;
  if (text && !contents) {
    auto buffer = llvm::MemoryBuffer::getFile(path);
    if (!buffer)
      return emitError(fileLoc)
                 << "cannot read: " << buffer.getError().message(),
             failure();
    file = std::move(*buffer);
    contents = file->getBuffer();
  }
  // protobuf takes at most 2 GiB in one message (an int size).
  if (contents && contents->size() > (size_t)INT_MAX)
    return emitError(fileLoc) << "is over 2 GiB, the most protobuf parses "
                                 "(large weights go in a .onnx.data file)",
           failure();
  if (text) {
    google::protobuf::TextFormat::Parser parser;
    TextErrors errors;
    parser.RecordErrorsTo(&errors);
    google::protobuf::io::ArrayInputStream stream(contents->data(),
                                                  (int)contents->size());
    if (!parser.Parse(&stream, &model))
      return emitError(fileLoc)
                 << "not a valid ONNX text model: " << errors.first,
             failure();
  } else if (contents) {
    if (!model.ParseFromArray(contents->data(), (int)contents->size()))
      return emitError(fileLoc)
                 << "not a valid ONNX model (protobuf parse failed; is the "
                    "file truncated?)",
             failure();
  } else {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0)
      return emitError(fileLoc) << "cannot open: " << strerror(errno),
             failure();
    google::protobuf::io::FileInputStream stream(fd);
    stream.SetCloseOnDelete(true);
    if (!model.ParseFromZeroCopyStream(&stream))
      return emitError(fileLoc)
                 << "not a valid ONNX model (protobuf parse failed; is the "
                    "file truncated?)",
             failure();
  }
  if (!model.has_graph() || model.graph().node_size() == 0)
    return emitError(fileLoc) << "not an ONNX model: it has no graph nodes",
           failure();
  for (const auto &imp : model.opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(fileLoc) << "ONNX opset " << opset
                              << " is not supported (repc imports opsets "
                              << kMinOpset << " to " << kMaxOpset << ")",
           failure();
  if (model.ir_version() > kMaxIrVersion)
    return emitError(fileLoc)
               << "ONNX IR version " << model.ir_version()
               << " is newer than repc reads (up to " << kMaxIrVersion << ")",
           failure();
  return success();
}

FailureOr<std::string> Importer::readExternal(const onnx::TensorProto &t) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : t.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if ((kv.key() == "offset" &&
              StringRef(kv.value()).getAsInteger(10, offset)) ||
             (kv.key() == "length" &&
              StringRef(kv.value()).getAsInteger(10, length)))
      return emitError(fileLoc) << "initializer '" << t.name() << "': bad "
                                << kv.key() << " '" << kv.value() << "'",
             failure();
  }
  // As ONNX Runtime: the data lies in the model's directory or below it.
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                          llvm::sys::path::end(location)),
                         ".."))
    return emitError(fileLoc)
               << "initializer '" << t.name() << "': external data location '"
               << location << "' is outside the model's directory",
           failure();
  SmallString<256> file(llvm::sys::path::parent_path(path));
  llvm::sys::path::append(file, location);
  uint64_t size = 0;
  if (location.empty() || llvm::sys::fs::file_size(file, size))
    return emitError(fileLoc)
               << "initializer '" << t.name()
               << "': cannot read external data file '" << location << "'",
           failure();
  if (length < 0)
    length = offset <= (int64_t)size ? size - offset : 0;
  if (offset < 0 || (uint64_t)offset + (uint64_t)length > size)
    return emitError(fileLoc)
               << "initializer '" << t.name() << "': external data file '"
               << location << "' holds " << size << " bytes, the tensor "
               << "needs " << length << " at offset " << offset,
           failure();
  // Memory-mapped where the slice is large (MemoryBuffer's choice).
  auto buffer = llvm::MemoryBuffer::getFileSlice(file, length, offset,
                                                 /*IsVolatile=*/false);
  if (!buffer)
    return emitError(fileLoc)
               << "initializer '" << t.name()
               << "': cannot read external data file '" << location << "'",
           failure();
  return (*buffer)->getBuffer().str();
}

/// Weights keep protobuf's own buffer: the blob takes ownership of the
/// released raw_data string, so the import holds each weight once.
FailureOr<ElementsAttr> Importer::weightAttr(onnx::TensorProto &t,
                                             StringRef name) {
  if (t.data_type() != kFloat)
    return emitError(fileLoc)
               << "initializer '" << name << "' has ONNX data "
               << "type " << t.data_type() << "; repc takes float32 weights",
           failure();
  SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return emitError(fileLoc)
               << "initializer '" << name << "' has a negative dim",
           failure();
  if (!elementCount(shape))
    return emitError(fileLoc)
               << "initializer '" << name << "' has dims " << formatShape(shape)
               << ", more than " << kMaxElements << " elements",
           failure();
  size_t bytes = computeProduct(shape) * sizeof(float);
  // An empty tensor has no data for a blob to hold (found by
  // rep-import-text-fuzzer: a blob of it copies from a null pointer).
  if (!bytes && t.data_location() != onnx::TensorProto::EXTERNAL &&
      t.raw_data().empty() && t.float_data_size() == 0)
    return cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get(shape, b.getF32Type()), ArrayRef<float>()));
  AsmResourceBlob blob;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    auto data = readExternal(t);
    if (failed(data))
      return failure();
    t.set_raw_data(std::move(*data));
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != bytes)
      return emitError(fileLoc) << "initializer '" << name << "' holds "
                                << t.raw_data().size() << " bytes, its dims "
                                << formatShape(shape) << " need " << bytes,
             failure();
    std::string *data = t.release_raw_data();
    blob = AsmResourceBlob(
        ArrayRef<char>(data->data(), data->size()), alignof(float),
        [data](void *, size_t, size_t) { delete data; },
        /*dataIsMutable=*/false);
  } else {
    if ((size_t)t.float_data_size() * sizeof(float) != bytes)
      return emitError(fileLoc)
                 << "initializer '" << name << "' holds " << t.float_data_size()
                 << " floats, its dims " << formatShape(shape) << " need "
                 << computeProduct(shape),
             failure();
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef<char>((const char *)t.float_data().data(), bytes),
        alignof(float));
    t.clear_float_data();
  }
  // Resource keys must print as bare identifiers.
  std::string key = name.str();
  for (char &c : key)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  if (key.empty() || llvm::isDigit(key[0]))
    key = "w_" + key;
  return cast<ElementsAttr>(DenseResourceElementsAttr::get(
      RankedTensorType::get(shape, b.getF32Type()), key, std::move(blob)));
}

FailureOr<HostTensor> Importer::decodeHost(const onnx::TensorProto &t) {
  HostTensor h;
  h.shape.assign(t.dims().begin(), t.dims().end());
  if (!elementCount(h.shape))
    return emitError(loc) << "tensor '" << t.name() << "' has dims "
                          << formatShape(h.shape)
                          << ": a negative dim or more than " << kMaxElements
                          << " elements",
           failure();
  int64_t n = h.numel();
  std::string raw = t.raw_data();
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    auto data = readExternal(t);
    if (failed(data))
      return failure();
    raw = std::move(*data);
  }
  auto bad = [&]() -> FailureOr<HostTensor> {
    return emitError(loc) << "tensor '" << t.name() << "' of type "
                          << t.data_type() << " holds the wrong number of "
                          << "elements for dims " << formatShape(h.shape),
           failure();
  };
  auto fromRaw = [&](auto elem, auto store) -> bool {
    using T = decltype(elem);
    if (raw.size() != n * sizeof(T))
      return false;
    for (int64_t i = 0; i < n; ++i) {
      T v;
      memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
      store(v);
    }
    return true;
  };
  switch (t.data_type()) {
  case kFloat:
  case kDouble:
    h.isFloat = true;
    if (!raw.empty() || t.has_raw_data()) {
      bool ok =
          t.data_type() == kFloat
              ? fromRaw(float(), [&](float v) { h.floats.push_back(v); })
              : fromRaw(double(), [&](double v) { h.floats.push_back(v); });
      if (!ok)
        return bad();
    } else if (t.data_type() == kFloat) {
      h.floats.assign(t.float_data().begin(), t.float_data().end());
    } else {
      h.floats.assign(t.double_data().begin(), t.double_data().end());
    }
    if ((int64_t)h.floats.size() != n)
      return bad();
    return h;
  case kInt64:
  case kInt32:
  case kBool:
    if (!raw.empty() || t.has_raw_data()) {
      bool ok =
          t.data_type() == kInt64
              ? fromRaw(int64_t(), [&](int64_t v) { h.ints.push_back(v); })
          : t.data_type() == kInt32
              ? fromRaw(int32_t(), [&](int32_t v) { h.ints.push_back(v); })
              : fromRaw(uint8_t(), [&](uint8_t v) { h.ints.push_back(v); });
      if (!ok)
        return bad();
    } else if (t.data_type() == kInt64) {
      h.ints.assign(t.int64_data().begin(), t.int64_data().end());
    } else {
      h.ints.assign(t.int32_data().begin(), t.int32_data().end());
    }
    if ((int64_t)h.ints.size() != n)
      return bad();
    return h;
  default:
    return emitError(loc) << "tensor '" << t.name() << "' has unsupported "
                          << "ONNX data type " << t.data_type(),
           failure();
  }
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

Value Importer::constant(const HostTensor &h, StringRef name) {
  auto type = RankedTensorType::get(h.shape, b.getF32Type());
  std::vector<float> data(h.numel());
  for (int64_t i = 0; i < h.numel(); ++i)
    data[i] = h.at(i);
  ElementsAttr attr;
  if (data.size() <= 16)
    attr = DenseElementsAttr::get(type, ArrayRef<float>(data));
  else
    attr = DenseResourceElementsAttr::get(
        type, "const",
        HeapAsmResourceBlob::allocateAndCopyWithAlign(
            ArrayRef<char>((const char *)data.data(), data.size() * 4),
            alignof(float)));
  Location l =
      name.empty() ? loc : Location(NameLoc::get(b.getStringAttr(name)));
  return b.create<ConstantOp>(l, type, attr);
}

FailureOr<Value> Importer::value(StringRef name) {
  if (auto it = values.find(name); it != values.end())
    return it->second;
  if (badInitializers.count(name))
    return failure(); // Reported when it was decoded.
  if (auto it = hosts.find(name); it != hosts.end()) {
    if (!it->second.isFloat)
      return nodeError() << "input '" << name
                         << "' is an integer tensor; repc computes in "
                            "float32 only",
             failure();
    return values[name] = constant(it->second, name);
  }
  if (auto it = initializers.find(name); it != initializers.end()) {
    int32_t type = it->second->data_type();
    if (type == kInt64 || type == kInt32 || type == kBool) {
      auto h = decodeHost(*it->second);
      if (failed(h))
        return failure();
      hosts[name] = std::move(*h);
      return value(name);
    }
    auto attr = weightAttr(*it->second, name);
    if (failed(attr))
      return failure();
    return values[name] = b.create<ConstantOp>(
               NameLoc::get(b.getStringAttr(name)), attr->getType(), *attr);
  }
  return nodeError() << "input '" << name
                     << "' is not produced by any node, graph input or "
                        "initializer",
         failure();
}

const HostTensor *Importer::host(StringRef name) {
  if (auto it = hosts.find(name); it != hosts.end())
    return &it->second;
  // A small weight an earlier node took (its protobuf buffer now belongs
  // to the constant): read it back from the constant.
  if (auto it = values.find(name); it != values.end()) {
    auto c = it->second.getDefiningOp<ConstantOp>();
    auto type = cast<RankedTensorType>(it->second.getType());
    if (!c || type.getNumElements() > 4096 || !type.getElementType().isF32())
      return nullptr;
    HostTensor h;
    h.isFloat = true;
    h.shape.assign(type.getShape().begin(), type.getShape().end());
    if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue())) {
      auto v = dense.getValues<float>();
      h.floats.assign(v.begin(), v.end());
    } else if (auto res =
                   dyn_cast<DenseF32ResourceElementsAttr>(c.getValue())) {
      auto data = res.tryGetAsArrayRef();
      if (!data)
        return nullptr;
      h.floats.assign(data->begin(), data->end());
    } else {
      return nullptr;
    }
    return &(hosts[name] = std::move(h));
  }
  auto it = initializers.find(name);
  if (it == initializers.end())
    return nullptr;
  auto count = elementCount(SmallVector<int64_t>(it->second->dims().begin(),
                                                 it->second->dims().end()));
  if (count && *count > 4096)
    return nullptr;
  auto h = decodeHost(*it->second);
  if (failed(h)) {
    badInitializers.insert(name);
    return nullptr;
  }
  return &(hosts[name] = std::move(*h));
}

FailureOr<const HostTensor *> Importer::hostInput(int i, StringRef what) {
  if (i >= node->input_size() || node->input(i).empty())
    return nodeError() << "missing " << what, failure();
  if (isHost(i))
    return host(node->input(i));
  if (badInitializers.count(node->input(i)))
    return failure(); // Reported when it was decoded.
  return nodeError() << what << " '" << node->input(i)
                     << "' must be a constant (computed from static shapes)",
         failure();
}

FailureOr<SmallVector<int64_t>> Importer::axesOperand(int i, int64_t rank,
                                                      bool allIfMissing) {
  SmallVector<int64_t> axes;
  if (attr("axes")) {
    axes = intsAttr("axes");
  } else if (i < node->input_size() && !node->input(i).empty()) {
    auto h = hostInput(i, "axes");
    if (failed(h))
      return failure();
    axes.assign((*h)->ints.begin(), (*h)->ints.end());
  } else if (allIfMissing) {
    for (int64_t a = 0; a < rank; ++a)
      axes.push_back(a);
  }
  for (int64_t &a : axes) {
    auto n = normAxis(a, rank);
    if (failed(n))
      return failure();
    a = *n;
  }
  return axes;
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

/// The name diagnostics give the graph's `index`-th node: its own, or
/// OpType_index when the export left it empty.
static std::string nodeName(const onnx::NodeProto &n, size_t index) {
  return n.name().empty() ? n.op_type() + "_" + std::to_string(index)
                          : n.name();
}

/// ONNX graphs are in SSA form and sorted: every name is defined once (by
/// a graph input, an initializer or one node output) and before the nodes
/// that read it. A graph that breaks this would import as something else
/// (the later definition silently wins, or a reader finds nothing), so it
/// is refused, naming the node or the name.
LogicalResult Importer::checkNames() {
  const auto &graph = model.graph();
  llvm::StringSet<> initNames, inputNames, outputNames;
  for (const auto &init : graph.initializer())
    if (!initNames.insert(init.name()).second)
      return emitError(fileLoc)
                 << "initializer '" << init.name() << "' is defined twice",
             failure();
  for (const auto &in : graph.input())
    if (!inputNames.insert(in.name()).second)
      return emitError(fileLoc)
                 << "graph input '" << in.name() << "' is declared twice",
             failure();
  for (const auto &out : graph.output())
    if (!outputNames.insert(out.name()).second)
      return emitError(fileLoc)
                 << "graph output '" << out.name() << "' is listed twice",
             failure();
  // Which node defines each name (optional outputs are empty names).
  llvm::StringMap<int> producer;
  for (auto [i, n] : llvm::enumerate(graph.node()))
    for (const std::string &out : n.output()) {
      if (out.empty())
        continue;
      node = &n;
      loc = NameLoc::get(b.getStringAttr(nodeName(n, i)));
      if (inputNames.count(out) || initNames.count(out))
        return nodeError() << "output '" << out
                           << "' redefines a graph input or initializer",
               failure();
      if (auto [it, fresh] = producer.try_emplace(out, i); !fresh) {
        return nodeError() << "output '" << out
                           << "' is already produced by node '"
                           << nodeName(graph.node(it->second), it->second)
                           << "'",
               failure();
      }
    }
  for (auto [i, n] : llvm::enumerate(graph.node()))
    for (const std::string &in : n.input()) {
      auto it = producer.find(in);
      if (it == producer.end() || it->second < (int)i)
        continue;
      node = &n;
      loc = NameLoc::get(b.getStringAttr(nodeName(n, i)));
      return nodeError() << "input '" << in << "' comes from node '"
                         << nodeName(graph.node(it->second), it->second)
                         << "', which is not before it: the graph has a "
                            "cycle or is not topologically sorted",
             failure();
    }
  node = nullptr;
  return success();
}

LogicalResult Importer::importInputs(SmallVectorImpl<Type> &argTypes) {
  llvm::StringSet<> graphInputs;
  for (const auto &in : model.graph().input())
    graphInputs.insert(in.name());
  for (const auto &kv : options.inputShapes)
    if (!graphInputs.count(kv.getKey()) || initializers.count(kv.getKey()))
      return emitError(fileLoc) << "--input-shape names '" << kv.getKey()
                                << "', which is not a graph input",
             failure();
  for (const auto &in : model.graph().input()) {
    if (initializers.count(in.name()))
      continue; // Older exports list initializers as inputs too.
    Location inLoc = NameLoc::get(b.getStringAttr(in.name()));
    const auto &tt = in.type().tensor_type();
    if (!in.type().has_tensor_type() || tt.elem_type() != kFloat)
      return emitError(inLoc) << "graph input '" << in.name()
                              << "' is not a float32 tensor; repc takes "
                                 "float32 inputs",
             failure();
    SmallVector<int64_t> shape;
    if (auto it = options.inputShapes.find(in.name());
        it != options.inputShapes.end()) {
      shape = it->second;
    } else {
      for (const auto &d : tt.shape().dim()) {
        if (!d.has_dim_value() || d.dim_value() <= 0)
          return emitError(inLoc)
                     << "graph input '" << in.name() << "' has a dynamic dim '"
                     << d.dim_param()
                     << "'; give its shape with --input-shape=" << in.name()
                     << ":1x3x224x224",
                 failure();
        shape.push_back(d.dim_value());
      }
    }
    if (!elementCount(shape))
      return emitError(inLoc) << "graph input '" << in.name() << "' has shape "
                              << formatShape(shape) << ", more than "
                              << kMaxElements << " elements",
             failure();
    argTypes.push_back(RankedTensorType::get(shape, b.getF32Type()));
  }
  return success();
}

OwningOpRef<ModuleOp> Importer::run() {
  if (failed(load()))
    return nullptr;
  if (failed(checkNames()))
    return nullptr;
  for (auto &init : *model.mutable_graph()->mutable_initializer())
    initializers[init.name()] = &init;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> argTypes;
  if (failed(importInputs(argTypes)))
    return nullptr;
  auto func =
      b.create<func::FuncOp>(fileLoc, "main", b.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  int argIndex = 0;
  for (const auto &in : model.graph().input()) {
    if (initializers.count(in.name()))
      continue;
    values[in.name()] = body->getArgument(argIndex);
    func.setArgAttr(argIndex++, "rep.name", b.getStringAttr(in.name()));
  }
  b.setInsertionPointToEnd(body);

  int index = 0;
  for (const auto &n : model.graph().node()) {
    node = &n;
    loc = NameLoc::get(b.getStringAttr(nodeName(n, index)));
    ++index;
    if (failed(importNode(n)))
      return nullptr;
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &out : model.graph().output()) {
    loc = NameLoc::get(b.getStringAttr(out.name()));
    node = nullptr;
    if (!values.count(out.name()) && !hosts.count(out.name()))
      return emitError(loc) << "graph output '" << out.name()
                            << "' is not produced by any node",
             nullptr;
    if (!values.count(out.name()))
      values[out.name()] = constant(hosts[out.name()], out.name());
    Value v = values[out.name()];
    auto type = cast<RankedTensorType>(v.getType());
    const auto &dims = out.type().tensor_type().shape().dim();
    bool staticDecl =
        out.type().tensor_type().has_shape() &&
        llvm::all_of(dims, [](const auto &d) { return d.has_dim_value(); });
    if (staticDecl && !options.inputShapes.size()) {
      SmallVector<int64_t> declared;
      for (const auto &d : dims)
        declared.push_back(d.dim_value());
      if (ArrayRef<int64_t>(declared) != type.getShape())
        return emitError(loc)
                   << "graph output '" << out.name() << "' is declared as "
                   << formatShape(declared) << " but the graph computes "
                   << formatShape(type.getShape()),
               nullptr;
    }
    results.push_back(v);
    resultTypes.push_back(type);
  }
  b.create<func::ReturnOp>(fileLoc, results);
  func.setFunctionType(b.getFunctionType(argTypes, resultTypes));
  for (auto [i, out] : llvm::enumerate(model.graph().output()))
    func.setResultAttr(i, "rep.name", b.getStringAttr(out.name()));
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Nodes
//===----------------------------------------------------------------------===//

/// Host-side evaluation of an elementwise op over broadcast shapes.
/// Comparisons and logic give booleans (held as 0/1 integers); `fmod`
/// picks Mod's C semantics over its default, the sign of the divisor.
HostTensor hostBinary(const HostTensor &x, const HostTensor &y,
                      ArrayRef<int64_t> shape, StringRef op,
                      bool fmod = false) {
  HostTensor out;
  out.shape.assign(shape.begin(), shape.end());
  bool logical = op == "Equal" || op == "Less" || op == "Greater" ||
                 op == "LessOrEqual" || op == "GreaterOrEqual" || op == "And" ||
                 op == "Or" || op == "Xor";
  out.isFloat = !logical && (x.isFloat || y.isFloat);
  out.resize();
  auto sx = broadcastStrides(x.shape, shape),
       sy = broadcastStrides(y.shape, shape);
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t ix = 0, iy = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      ix += idx[d] * sx[d], iy += idx[d] * sy[d];
    double a = x.at(ix), c = y.at(iy), r = 0;
    if (op == "Add")
      r = a + c;
    else if (op == "Sub")
      r = a - c;
    else if (op == "Mul")
      r = a * c;
    else if (op == "Div")
      r = out.isFloat ? a / c
                      : (c == 0 ? 0 : (double)((int64_t)a / (int64_t)c));
    else if (op == "Pow")
      r = std::pow(a, c);
    else if (op == "Max")
      r = std::max(a, c);
    else if (op == "Min")
      r = std::min(a, c);
    else if (op == "Equal")
      r = a == c;
    else if (op == "Less")
      r = a < c;
    else if (op == "Greater")
      r = a > c;
    else if (op == "LessOrEqual")
      r = a <= c;
    else if (op == "GreaterOrEqual")
      r = a >= c;
    else if (op == "And")
      r = a != 0 && c != 0;
    else if (op == "Or")
      r = a != 0 || c != 0;
    else if (op == "Xor")
      r = (a != 0) != (c != 0);
    else if (op == "Mod" && (fmod || out.isFloat))
      r = std::fmod(a, c);
    else if (op == "Mod") {
      int64_t ia = a, ic = c;
      int64_t m = ic == 0 ? 0 : ia % ic;
      r = m != 0 && ((m < 0) != (ic < 0)) ? m + ic : m;
    }
    out.set(i, r);
    for (int64_t d = shape.size() - 1; d >= 0 && ++idx[d] == shape[d]; --d)
      idx[d] = 0;
  }
  return out;
}

LogicalResult Importer::importNode(const onnx::NodeProto &n) {
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    return nodeError() << "unsupported op in domain '" << n.domain() << "'";
  StringRef op = n.op_type();
  if (n.output_size() == 0 || n.output(0).empty())
    return nodeError() << "node has no output";
  if (n.input_size() == 0 && op != "Constant" && op != "Range")
    return nodeError() << "node has no input";

  if (op == "Conv")
    return importConv();
  if (op == "BatchNormalization")
    return importBatchNorm();
  if (op == "Gemm")
    return importGemm();
  if (op == "MatMul") {
    auto x = input(0), y = input(1);
    if (failed(x) || failed(y))
      return failure();
    return define(make<MatmulOp>(*x, *y));
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow")
    return importBinary();
  if (op.starts_with("Reduce"))
    return importReduce();
  if (op == "Gelu")
    return importGelu();
  if (op == "Relu" || op == "Sigmoid" || op == "Erf" || op == "Sqrt" ||
      op == "Tanh" || op == "Exp" || op == "Log" || op == "Abs" ||
      op == "Neg" || op == "Reciprocal")
    return importUnary();
  if (op == "Max" || op == "Min" || op == "Sum" || op == "Mean")
    return importVariadic();
  if (op == "Clip")
    return importClip();
  if (op == "HardSigmoid" || op == "HardSwish")
    return importHardSigmoid();
  if (op == "LeakyRelu" || op == "PRelu")
    return importLeakyRelu();
  if (op == "Softmax" || op == "LogSoftmax")
    return importSoftmax();
  if (op == "Split")
    return importSplit();
  if (op == "InstanceNormalization")
    return importInstanceNorm();
  if (op == "GroupNormalization")
    return importGroupNorm();
  if (op == "Where")
    return importWhere();
  if (op == "Expand")
    return importExpand();
  if (op == "Resize")
    return importResize();
  if (op == "Einsum")
    return importEinsum();
  if (op == "ScatterND")
    return importScatterND();
  if (op == "Equal" || op == "Less" || op == "Greater" || op == "LessOrEqual" ||
      op == "GreaterOrEqual" || op == "Mod" || op == "And" || op == "Or" ||
      op == "Xor" || op == "Not")
    return importHostOnly();
  if (op == "LayerNormalization")
    return importLayerNorm();
  if (op == "MaxPool" || op == "AveragePool")
    return importPool(op == "MaxPool");
  if (op == "GlobalAveragePool") {
    auto x = input(0);
    if (failed(x))
      return failure();
    return define(make<GlobalAvgPoolOp>(*x));
  }
  if (op == "Reshape")
    return importReshape();
  if (op == "Squeeze" || op == "Unsqueeze")
    return importSqueeze(op == "Unsqueeze");
  if (op == "Flatten") {
    auto x = input(0);
    if (failed(x))
      return failure();
    int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
    int64_t axis = intAttr("axis", 1);
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis > rank)
      return nodeError() << "axis " << intAttr("axis", 1)
                         << " is out of range for rank " << rank;
    return define(make<FlattenOp>(*x, b.getI64IntegerAttr(axis)));
  }
  if (op == "Transpose") {
    auto x = operand(0);
    if (failed(x))
      return failure();
    int64_t rank = x->shape.size();
    SmallVector<int64_t> perm;
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
    perm = intsAttr("perm", perm);
    if (const HostTensor *h = x->host) {
      if (perm.size() != h->shape.size())
        return nodeError() << "perm does not match rank " << h->shape.size();
      HostTensor out;
      out.isFloat = h->isFloat;
      for (int64_t p : perm)
        out.shape.push_back(h->shape[p]);
      out.resize();
      SmallVector<int64_t> strides = computeStrides(h->shape);
      forEachIndex(out.shape, [&](int64_t i, ArrayRef<int64_t> idx) {
        int64_t off = 0;
        for (size_t d = 0; d < idx.size(); ++d)
          off += idx[d] * strides[perm[d]];
        out.set(i, h->at(off));
      });
      return defineHost(std::move(out));
    }
    return define(make<TransposeOp>(x->value, b.getDenseI64ArrayAttr(perm)));
  }
  if (op == "Concat")
    return importConcat();
  if (op == "Slice")
    return importSlice();
  if (op == "Pad")
    return importPad();
  if (op == "Identity" || op == "Dropout") {
    if (op == "Dropout" && outputCount() > 1)
      return nodeError() << "the mask output is not supported";
    if (isHost(0))
      return defineHost(*host(n.input(0)));
    return define(input(0));
  }
  if (op == "Constant")
    return importConstant();
  if (op == "Shape") {
    auto x = operand(0);
    if (failed(x))
      return failure();
    ArrayRef<int64_t> shape = x->shape;
    int64_t rank = shape.size();
    int64_t start = intAttr("start", 0), end = intAttr("end", rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    HostTensor h;
    for (int64_t i = start; i < end; ++i)
      h.ints.push_back(shape[i]);
    h.shape = {(int64_t)h.ints.size()};
    return defineHost(std::move(h));
  }
  if (op == "Gather")
    return importGather();
  if (op == "Cast")
    return importCast();
  if (op == "ConstantOfShape") {
    auto shape = hostInput(0, "shape");
    if (failed(shape))
      return failure();
    HostTensor h;
    h.shape.assign((*shape)->ints.begin(), (*shape)->ints.end());
    if (failed(checkHostShape(h.shape)))
      return failure();
    double fill = 0;
    h.isFloat = true;
    if (auto *a = attr("value")) {
      auto v = decodeHost(a->t());
      if (failed(v) || v->numel() != 1)
        return nodeError() << "expects a one-element value";
      h.isFloat = v->isFloat;
      fill = v->at(0);
    }
    h.resize();
    for (int64_t i = 0; i < h.numel(); ++i)
      h.set(i, fill);
    return defineHost(std::move(h));
  }
  if (op == "Range") {
    auto s = hostInput(0, "start"), l = hostInput(1, "limit"),
         d = hostInput(2, "delta");
    if (failed(s) || failed(l) || failed(d))
      return failure();
    HostTensor h;
    h.isFloat = (*s)->isFloat;
    double start = (*s)->at(0), limit = (*l)->at(0), delta = (*d)->at(0);
    if (delta == 0)
      return nodeError() << "delta is zero";
    double steps = std::ceil((limit - start) / delta);
    if (!(steps <= (double)kMaxElements)) // NaN too
      return nodeError() << "range of " << steps << " elements";
    int64_t count = std::max<int64_t>(0, steps);
    h.shape = {count};
    h.resize();
    for (int64_t i = 0; i < count; ++i)
      h.set(i, start + i * delta);
    return defineHost(std::move(h));
  }
  return emitError(loc) << "unsupported ONNX op '" << op << "'";
}

LogicalResult Importer::windowAttrs(const char *what,
                                    SmallVector<int64_t> &kernel,
                                    SmallVector<int64_t> &strides,
                                    SmallVector<int64_t> &pads,
                                    SmallVector<int64_t> &dilations,
                                    ArrayRef<int64_t> inShape) {
  // 1-D windows (Conv1d, pools over NCL) are 2-D ones of height 1.
  SmallVector<int64_t> in(inShape);
  bool oneD = in.size() == 3 && kernel.size() == 1;
  if (oneD) {
    in.insert(in.begin() + 2, 1);
    kernel.insert(kernel.begin(), 1);
  }
  if (in.size() != 4)
    return nodeError() << "only 1-D and 2-D " << what << " on NCL and NCHW "
                       << "input are supported, input is "
                       << formatShape(inShape);
  if (kernel.size() != 2)
    return nodeError() << "expects a 2-D kernel_shape";
  strides = intsAttr("strides",
                     oneD ? ArrayRef<int64_t>{1} : ArrayRef<int64_t>{1, 1});
  dilations = intsAttr("dilations",
                       oneD ? ArrayRef<int64_t>{1} : ArrayRef<int64_t>{1, 1});
  pads = intsAttr("pads", oneD ? ArrayRef<int64_t>{0, 0}
                               : ArrayRef<int64_t>{0, 0, 0, 0});
  if (oneD) {
    if (strides.size() != 1 || dilations.size() != 1 || pads.size() != 2)
      return nodeError() << "expects 1 stride, 1 dilation and 2 pads";
    strides.insert(strides.begin(), 1);
    dilations.insert(dilations.begin(), 1);
    pads = {0, pads[0], 0, pads[1]};
  }
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return nodeError() << "expects 2 strides, 2 dilations and 4 pads";
  std::string autoPad = strAttr("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int i = 0; i < 2; ++i) {
      int64_t out = (in[2 + i] + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] +
                                               (kernel[i] - 1) * dilations[i] +
                                               1 - in[2 + i]);
      int64_t small = total / 2;
      pads[i] = autoPad == "SAME_UPPER" ? small : total - small;
      pads[i + 2] = total - pads[i];
    }
  } else if (autoPad != "NOTSET" && !autoPad.empty()) {
    return nodeError() << "unsupported auto_pad '" << autoPad << "'";
  }
  return success();
}

LogicalResult Importer::importConv() {
  auto x = input(0), w = input(1);
  if (failed(x) || failed(w))
    return failure();
  bool ok = true;
  Value bias = optionalInput(2, ok);
  if (!ok)
    return failure();
  SmallVector<int64_t> wShape(cast<RankedTensorType>(w->getType()).getShape());
  if (wShape.size() != 4 && wShape.size() != 3)
    return nodeError() << "only 1-D and 2-D convolutions are supported "
                       << "(weight " << formatShape(wShape) << ")";
  SmallVector<int64_t> kernel =
      intsAttr("kernel_shape", ArrayRef<int64_t>(wShape).drop_front(2));
  if (ArrayRef<int64_t>(kernel) != ArrayRef<int64_t>(wShape).drop_front(2))
    return nodeError() << "kernel_shape " << formatShape(kernel)
                       << " does not match the weight " << formatShape(wShape);
  SmallVector<int64_t> strides, pads, dilations;
  SmallVector<int64_t> xShape(cast<RankedTensorType>(x->getType()).getShape());
  if (failed(windowAttrs("convolutions", kernel, strides, pads, dilations,
                         xShape)))
    return failure();
  // Conv1d: a conv2d of height 1 on [N, C, 1, L].
  bool oneD = wShape.size() == 3;
  Value in = *x, weight = *w;
  if (oneD) {
    if (xShape.size() != 3)
      return nodeError() << "a 1-D weight " << formatShape(wShape)
                         << " needs an NCL input, got " << formatShape(xShape);
    in = reshape(in, {xShape[0], xShape[1], 1, xShape[2]});
    weight = reshape(weight, {wShape[0], wShape[1], 1, wShape[2]});
  }
  auto y = make<Conv2dOp>(in, weight, bias, b.getDenseI64ArrayAttr(strides),
                          b.getDenseI64ArrayAttr(pads),
                          b.getDenseI64ArrayAttr(dilations),
                          b.getI64IntegerAttr(intAttr("group", 1)));
  if (failed(y) || !oneD)
    return define(y);
  auto out = cast<RankedTensorType>(y->getType()).getShape();
  return define(reshape(*y, {out[0], out[1], out[3]}));
}

LogicalResult Importer::importBatchNorm() {
  if (outputCount() > 1 || intAttr("training_mode", 0) != 0)
    return emitError(loc) << "BatchNormalization in training mode (it has "
                          << outputCount()
                          << " outputs): export the model after model.eval()";
  SmallVector<Value, 5> in;
  for (int i = 0; i < 5; ++i) {
    auto v = input(i);
    if (failed(v))
      return failure();
    in.push_back(*v);
  }
  return define(
      make<BatchNormOp>(in[0], in[1], in[2], in[3], in[4],
                        b.getF32FloatAttr(floatAttr("epsilon", 1e-5f))));
}

LogicalResult Importer::importGemm() {
  auto a = input(0), w = input(1);
  if (failed(a) || failed(w))
    return failure();
  bool ok = true;
  Value c = optionalInput(2, ok);
  if (!ok)
    return failure();
  float alpha = floatAttr("alpha", 1), beta = floatAttr("beta", 1);
  if (cast<RankedTensorType>(a->getType()).getRank() != 2 ||
      cast<RankedTensorType>(w->getType()).getRank() != 2)
    return nodeError() << "expects 2-D A and B";
  Value lhs = *a, weight = *w;
  if (intAttr("transA", 0))
    lhs = *make<TransposeOp>(lhs, b.getDenseI64ArrayAttr({1, 0}));
  // fc takes the weight as MxK, which is B when transB is set.
  if (!intAttr("transB", 0))
    weight = *make<TransposeOp>(weight, b.getDenseI64ArrayAttr({1, 0}));
  int64_t m = cast<RankedTensorType>(weight.getType()).getDimSize(0);
  bool biasInFc =
      c && alpha == 1 && beta == 1 &&
      cast<RankedTensorType>(c.getType()).getShape() == ArrayRef<int64_t>{m};
  auto y = make<FcOp>(lhs, weight, biasInFc ? c : Value());
  if (failed(y))
    return failure();
  if (alpha != 1)
    y = make<MulOp>(*y, scalar(alpha));
  if (c && !biasInFc) {
    if (beta != 1)
      c = *make<MulOp>(c, scalar(beta));
    y = make<AddOp>(*y, c);
  }
  return define(y);
}

LogicalResult Importer::importBinary() {
  StringRef op = node->op_type();
  if (isHost(0) && isHost(1)) {
    const HostTensor *x = host(node->input(0)), *y = host(node->input(1));
    auto shape = broadcastShapes(x->shape, y->shape);
    if (failed(shape))
      return nodeError() << "operand shapes " << formatShape(x->shape)
                         << " and " << formatShape(y->shape)
                         << " do not broadcast";
    if (failed(checkHostShape(*shape)))
      return failure();
    return defineHost(hostBinary(*x, *y, *shape, op));
  }
  auto x = input(0), y = input(1);
  if (failed(x) || failed(y))
    return failure();
  if (op == "Add")
    return define(make<AddOp>(*x, *y));
  if (op == "Sub")
    return define(make<SubOp>(*x, *y));
  if (op == "Mul")
    return define(make<MulOp>(*x, *y));
  if (op == "Div")
    return define(make<DivOp>(*x, *y));
  return define(make<PowOp>(*x, *y));
}

LogicalResult Importer::importPool(bool isMax) {
  auto x = input(0);
  if (failed(x))
    return failure();
  if (isMax && outputCount() > 1)
    return nodeError() << "the Indices output is not supported";
  if (isMax && intAttr("storage_order", 0) != 0)
    return nodeError() << "unsupported storage_order "
                       << intAttr("storage_order", 0);
  SmallVector<int64_t> kernel = intsAttr("kernel_shape"), strides, pads,
                       dilations;
  if (failed(windowAttrs(isMax ? "max pooling" : "average pooling", kernel,
                         strides, pads, dilations,
                         cast<RankedTensorType>(x->getType()).getShape())))
    return failure();
  if (dilations != SmallVector<int64_t>{1, 1})
    return nodeError() << "dilated pooling is not supported";
  auto k = b.getDenseI64ArrayAttr(kernel), s = b.getDenseI64ArrayAttr(strides),
       p = b.getDenseI64ArrayAttr(pads);
  auto ceil = b.getBoolAttr(intAttr("ceil_mode", 0));
  // 1-D pools: 2-D ones of height 1 on [N, C, 1, L].
  auto xShape = cast<RankedTensorType>(x->getType()).getShape();
  bool oneD = xShape.size() == 3;
  Value in = oneD ? reshape(*x, {xShape[0], xShape[1], 1, xShape[2]}) : *x;
  auto y =
      isMax ? make<MaxPoolOp>(in, k, s, p, ceil)
            : make<AvgPoolOp>(in, k, s, p, ceil,
                              b.getBoolAttr(intAttr("count_include_pad", 0)));
  if (failed(y) || !oneD)
    return define(y);
  auto out = cast<RankedTensorType>(y->getType()).getShape();
  return define(reshape(*y, {out[0], out[1], out[3]}));
}

LogicalResult Importer::importReshape() {
  auto target = hostInput(1, "shape");
  if (failed(target))
    return failure();
  auto x = operand(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> in = x->shape;
  SmallVector<int64_t> shape;
  int64_t inferAt = -1, known = 1;
  bool allowZero = intAttr("allowzero", 0);
  for (auto [i, d] : llvm::enumerate((*target)->ints)) {
    int64_t dim = d;
    if (dim == 0 && !allowZero) {
      if (i >= in.size())
        return nodeError() << "shape copies dim " << i << " of a rank "
                           << in.size() << " input";
      dim = in[i];
    }
    if (dim == -1) {
      if (inferAt >= 0)
        return nodeError() << "shape has more than one -1";
      inferAt = i;
    } else if (dim < 0) {
      return nodeError() << "shape has negative dim " << dim;
    } else {
      // Checked as it multiplies: a fuzzed 2^61 must not overflow.
      if (dim && known > kMaxElements / dim)
        return nodeError() << "shape has more than " << kMaxElements
                           << " elements";
      known *= dim;
    }
    shape.push_back(dim);
  }
  if (inferAt >= 0) {
    if (known == 0 || computeProduct(in) % known)
      return nodeError() << "cannot reshape " << formatShape(in) << " to "
                         << formatShape((*target)->ints);
    shape[inferAt] = computeProduct(in) / known;
  }
  if (x->host) {
    HostTensor h = *x->host;
    if (computeProduct(shape) != h.numel())
      return nodeError() << "cannot reshape " << formatShape(in) << " to "
                         << formatShape(shape);
    h.shape = shape;
    return defineHost(std::move(h));
  }
  return define(make<ReshapeOp>(x->value, b.getDenseI64ArrayAttr(shape)));
}

LogicalResult Importer::importSqueeze(bool unsqueeze) {
  auto x = operand(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> in = x->shape;
  int64_t outRank = in.size();
  SmallVector<int64_t> shape;
  if (unsqueeze) {
    SmallVector<int64_t> raw =
        attr("axes") ? intsAttr("axes") : SmallVector<int64_t>();
    if (!attr("axes")) {
      auto h = hostInput(1, "axes");
      if (failed(h))
        return failure();
      raw.assign((*h)->ints.begin(), (*h)->ints.end());
    }
    outRank += raw.size();
    SmallVector<bool> isNew(outRank, false);
    for (int64_t a : raw) {
      auto n = normAxis(a, outRank);
      if (failed(n))
        return failure();
      isNew[*n] = true;
    }
    for (int64_t i = 0, j = 0; i < outRank; ++i)
      shape.push_back(isNew[i] ? 1 : in[j++]);
  } else {
    auto axes = axesOperand(1, in.size(), /*allIfMissing=*/false);
    if (failed(axes))
      return failure();
    for (auto [i, d] : llvm::enumerate(in)) {
      bool drop =
          axes->empty() ? d == 1 : llvm::is_contained(*axes, (int64_t)i);
      if (drop && d != 1)
        return nodeError() << "cannot squeeze dim " << i << " of size " << d;
      if (!drop)
        shape.push_back(d);
    }
  }
  if (x->host) {
    HostTensor h = *x->host;
    h.shape = shape;
    return defineHost(std::move(h));
  }
  return define(make<ReshapeOp>(x->value, b.getDenseI64ArrayAttr(shape)));
}

LogicalResult Importer::importConcat() {
  bool allHost = true;
  for (int i = 0; i < node->input_size(); ++i)
    allHost &= isHost(i);
  if (allHost) {
    const HostTensor *first = host(node->input(0));
    auto axis = normAxis(intAttr("axis", 0), first->shape.size());
    if (failed(axis))
      return failure();
    HostTensor out;
    out.shape = first->shape;
    out.shape[*axis] = 0;
    out.isFloat = first->isFloat;
    int64_t outer =
        computeProduct(ArrayRef<int64_t>(first->shape).take_front(*axis));
    SmallVector<const HostTensor *> parts;
    for (int i = 0; i < node->input_size(); ++i) {
      parts.push_back(host(node->input(i)));
      if (parts.back()->shape.size() != first->shape.size() ||
          parts.back()->isFloat != first->isFloat)
        return nodeError() << "inputs differ in rank or type";
      out.shape[*axis] += parts.back()->shape[*axis];
    }
    out.resize();
    int64_t pos = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (const HostTensor *p : parts) {
        int64_t chunk = p->numel() / std::max<int64_t>(outer, 1);
        for (int64_t k = 0; k < chunk; ++k)
          out.set(pos++, p->at(o * chunk + k));
      }
    return defineHost(std::move(out));
  }
  SmallVector<Value> inputs;
  for (int i = 0; i < node->input_size(); ++i) {
    auto v = input(i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  int64_t rank = cast<RankedTensorType>(inputs[0].getType()).getRank();
  auto axis = normAxis(intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  return define(make<ConcatOp>(inputs, b.getI64IntegerAttr(*axis)));
}

LogicalResult Importer::importSlice() {
  auto x = operand(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> in = x->shape;
  auto starts = hostInput(1, "starts"), ends = hostInput(2, "ends");
  if (failed(starts) || failed(ends))
    return failure();
  int64_t n = (*starts)->numel();
  SmallVector<int64_t> axes, steps(n, 1);
  for (int64_t i = 0; i < n; ++i)
    axes.push_back(i);
  if (node->input_size() > 3 && !node->input(3).empty()) {
    auto h = hostInput(3, "axes");
    if (failed(h))
      return failure();
    axes.assign((*h)->ints.begin(), (*h)->ints.end());
  }
  if (node->input_size() > 4 && !node->input(4).empty()) {
    auto h = hostInput(4, "steps");
    if (failed(h))
      return failure();
    steps.assign((*h)->ints.begin(), (*h)->ints.end());
  }
  if ((*ends)->numel() != n || (int64_t)axes.size() != n ||
      (int64_t)steps.size() != n)
    return nodeError() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> outStart(in.size(), 0), outSize(in),
      outStep(in.size(), 1);
  for (int64_t i = 0; i < n; ++i) {
    auto axis = normAxis(axes[i], in.size());
    if (failed(axis))
      return failure();
    // ONNX Slice semantics, negative steps included (PyTorch reverses pad
    // lists with them).
    int64_t dim = in[*axis], step = steps[i];
    if (step == 0)
      return nodeError() << "step is zero";
    int64_t s = (*starts)->ints[i], e = (*ends)->ints[i];
    s = s < 0 ? s + dim : s;
    e = e < 0 ? e + dim : e;
    // Counted without overflow for any int64 step (the fold fuzzer's
    // -2^63 + 1 overflowed `s - e - step`): ceil(span / |step|), with the
    // magnitude taken unsigned.
    uint64_t mag = step > 0 ? uint64_t(step) : 0 - uint64_t(step);
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      outSize[*axis] = e > s ? int64_t(uint64_t(e - s - 1) / mag) + 1 : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      outSize[*axis] = s > e ? int64_t(uint64_t(s - e - 1) / mag) + 1 : 0;
    }
    outStart[*axis] = s;
    // One element (or none) reads the same with any step; a step of 1
    // keeps huge ones out of the strides computed from it.
    outStep[*axis] = outSize[*axis] > 1 ? step : 1;
  }
  if (const HostTensor *h = x->host) {
    HostTensor out;
    out.isFloat = h->isFloat;
    out.shape = outSize;
    out.resize();
    SmallVector<int64_t> strides = computeStrides(in);
    forEachIndex(outSize, [&](int64_t i, ArrayRef<int64_t> idx) {
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        off += (outStart[d] + idx[d] * outStep[d]) * strides[d];
      out.set(i, h->at(off));
    });
    return defineHost(std::move(out));
  }
  if (llvm::any_of(outStep, [](int64_t st) { return st < 0; }))
    return nodeError() << "negative steps on computed tensors are not "
                          "supported";
  return define(make<SliceOp>(x->value, b.getDenseI64ArrayAttr(outStart),
                              b.getDenseI64ArrayAttr(outSize),
                              b.getDenseI64ArrayAttr(outStep)));
}

LogicalResult Importer::importPad() {
  std::string mode = strAttr("mode", "constant");
  if (mode != "constant")
    return nodeError() << "unsupported mode '" << mode
                       << "' (only constant padding)";
  auto x = input(0);
  if (failed(x))
    return failure();
  SmallVector<int64_t> pads = intsAttr("pads");
  if (!attr("pads")) {
    auto h = hostInput(1, "pads");
    if (failed(h))
      return failure();
    pads.assign((*h)->ints.begin(), (*h)->ints.end());
  }
  float fill = floatAttr("value", 0);
  if (node->input_size() > 2 && !node->input(2).empty()) {
    auto h = hostInput(2, "constant_value");
    if (failed(h))
      return failure();
    fill = (*h)->numel() ? (*h)->at(0) : 0;
  }
  auto rank = (int64_t)cast<RankedTensorType>(x->getType()).getRank();
  // Opset 18: the pads apply to `axes` only.
  auto axesIn = optionalHost(3, "axes");
  if (failed(axesIn))
    return failure();
  if (*axesIn) {
    int64_t n = (*axesIn)->numel();
    if ((int64_t)pads.size() != 2 * n)
      return nodeError() << "expects 2 pads per axis, got " << pads.size()
                         << " for " << n << " axes";
    SmallVector<int64_t> full(2 * rank, 0);
    for (int64_t i = 0; i < n; ++i) {
      auto a = normAxis((*axesIn)->ints[i], rank);
      if (failed(a))
        return failure();
      full[*a] = pads[i];
      full[*a + rank] = pads[i + n];
    }
    pads = full;
  }
  if ((int64_t)pads.size() != 2 * rank)
    return nodeError() << "expects " << 2 * rank << " pads, got "
                       << pads.size();
  // Negative pads crop: pad by the positive ones, then slice.
  SmallVector<int64_t> grow(pads), starts(rank, 0), steps(rank, 1);
  bool crop = false;
  for (int64_t &p : grow)
    if (p < 0)
      p = 0, crop = true;
  // A pad of zeros stays an op: the folds take its node into provenance.
  FailureOr<Value> y =
      make<PadOp>(*x, b.getDenseI64ArrayAttr(grow), b.getF32FloatAttr(fill));
  if (failed(y) || !crop)
    return define(y);
  SmallVector<int64_t> sizes(cast<RankedTensorType>(y->getType()).getShape());
  for (int64_t d = 0; d < rank; ++d) {
    // Each crop is at most the dim before it is negated or summed (the
    // import fuzzer's -2^63 overflowed the negation).
    if (pads[d] < -sizes[d] || pads[d + rank] < -sizes[d])
      return nodeError() << "pads crop dim " << d << " below zero";
    starts[d] = -std::min<int64_t>(pads[d], 0);
    sizes[d] +=
        std::min<int64_t>(pads[d], 0) + std::min<int64_t>(pads[d + rank], 0);
    if (sizes[d] < 0)
      return nodeError() << "pads crop dim " << d << " below zero";
  }
  return define(make<SliceOp>(*y, b.getDenseI64ArrayAttr(starts),
                              b.getDenseI64ArrayAttr(sizes),
                              b.getDenseI64ArrayAttr(steps)));
}

LogicalResult Importer::importGather() {
  auto indices = hostInput(1, "indices");
  if (failed(indices))
    return failure();
  const HostTensor *idx = *indices;
  auto x = operand(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = x->shape;
  auto axis = normAxis(intAttr("axis", 0), shape.size());
  if (failed(axis))
    return failure();
  // out = shape[:axis] + indices.shape + shape[axis+1:]
  SmallVector<int64_t> outShape(shape.begin(), shape.begin() + *axis);
  outShape.append(idx->shape.begin(), idx->shape.end());
  outShape.append(shape.begin() + *axis + 1, shape.end());
  SmallVector<int64_t> picks;
  for (int64_t i = 0; i < idx->numel(); ++i) {
    int64_t j = idx->ints[i] < 0 ? idx->ints[i] + shape[*axis] : idx->ints[i];
    if (j < 0 || j >= shape[*axis])
      return nodeError() << "index " << idx->ints[i] << " is out of range";
    picks.push_back(j);
  }
  int64_t outer = computeProduct(shape.take_front(*axis));
  int64_t inner = computeProduct(shape.drop_front(*axis + 1));
  if (const HostTensor *data = x->host) {
    HostTensor out;
    out.isFloat = data->isFloat;
    out.shape = outShape;
    out.resize();
    int64_t pos = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j : picks)
        for (int64_t k = 0; k < inner; ++k)
          out.set(pos++, data->at((o * shape[*axis] + j) * inner + k));
    return defineHost(std::move(out));
  }
  // Activations: one slice per index along the axis, concatenated, then
  // the index dims put in place by a reshape.
  SmallVector<Value> parts;
  for (int64_t j : picks) {
    SmallVector<int64_t> starts(shape.size(), 0), sizes(shape),
        steps(shape.size(), 1);
    starts[*axis] = j;
    sizes[*axis] = 1;
    auto slice = make<SliceOp>(x->value, b.getDenseI64ArrayAttr(starts),
                               b.getDenseI64ArrayAttr(sizes),
                               b.getDenseI64ArrayAttr(steps));
    if (failed(slice))
      return failure();
    parts.push_back(*slice);
  }
  if (parts.empty())
    return nodeError() << "gathers no index";
  Value joined = parts.size() == 1
                     ? parts[0]
                     : *make<ConcatOp>(parts, b.getI64IntegerAttr(*axis));
  return define(reshape(joined, outShape));
}

LogicalResult Importer::importCast() {
  int64_t to = intAttr("to", 0);
  bool toFloat = to == kFloat || to == kDouble;
  bool toInt = to == kInt64 || to == kInt32 || to == kBool;
  if (isHost(0) && (toFloat || toInt)) {
    HostTensor h = *host(node->input(0));
    if (toFloat && !h.isFloat) {
      h.floats.assign(h.ints.begin(), h.ints.end());
      h.isFloat = true;
    } else if (toInt && h.isFloat) {
      for (float f : h.floats)
        h.ints.push_back(to == kBool ? f != 0 : (int64_t)f);
      h.isFloat = false;
    }
    return defineHost(std::move(h));
  }
  if (to != kFloat)
    return nodeError() << "cast of a computed tensor to ONNX type " << to
                       << " is not supported (float32 only)";
  return define(input(0));
}

LogicalResult Importer::importLayerNorm() {
  if (outputCount() > 1)
    return nodeError() << "only the first output is supported";
  auto x = input(0), scale = input(1);
  if (failed(x) || failed(scale))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  auto axis = normAxis(intAttr("axis", -1), type.getRank());
  if (failed(axis))
    return failure();
  bool ok = true;
  Value bias = optionalInput(2, ok);
  if (!ok)
    return failure();
  if (!bias) {
    HostTensor zeros;
    zeros.isFloat = true;
    zeros.shape.assign(type.getShape().begin() + *axis, type.getShape().end());
    zeros.resize();
    bias = constant(zeros, "");
  }
  return define(
      make<LayerNormOp>(*x, *scale, bias, b.getI64IntegerAttr(*axis),
                        b.getF32FloatAttr(floatAttr("epsilon", 1e-5f))));
}

LogicalResult Importer::importConstant() {
  HostTensor h;
  if (auto *a = attr("value")) {
    auto v = decodeHost(a->t());
    if (failed(v))
      return failure();
    h = std::move(*v);
  } else if (auto *a = attr("value_float")) {
    h.isFloat = true;
    h.floats = {a->f()};
  } else if (auto *a = attr("value_floats")) {
    h.isFloat = true;
    h.floats.assign(a->floats().begin(), a->floats().end());
    h.shape = {(int64_t)h.floats.size()};
  } else if (auto *a = attr("value_int")) {
    h.ints = {a->i()};
  } else if (auto *a = attr("value_ints")) {
    h.ints.assign(a->ints().begin(), a->ints().end());
    h.shape = {(int64_t)h.ints.size()};
  } else {
    return nodeError() << "unsupported constant kind (sparse or string)";
  }
  return defineHost(std::move(h));
}

//===----------------------------------------------------------------------===//
// Activations, reductions and normalizations of opsets 13-23
//===----------------------------------------------------------------------===//

/// Gelu (opset 20): exact, or its tanh approximation written as
/// x * sigmoid(2u), u = sqrt(2/pi) * (x + 0.044715 x^3), which equals
/// 0.5 x (1 + tanh(u)) since 1 + tanh(u) = 2 sigmoid(2u).
LogicalResult Importer::importGelu() {
  auto x = input(0);
  if (failed(x))
    return failure();
  std::string approx = strAttr("approximate", "none");
  if (approx == "none")
    return define(make<GeluOp>(*x));
  if (approx != "tanh")
    return nodeError() << "unsupported approximate '" << approx << "'";
  Value x3 = *make<MulOp>(*make<MulOp>(*x, *x), *x);
  Value inner = *make<AddOp>(*x, *make<MulOp>(x3, scalar(0.044715f)));
  Value twoU =
      *make<MulOp>(inner, scalar((float)(2.0 * std::sqrt(2.0 / M_PI))));
  return define(make<MulOp>(*x, *make<SigmoidOp>(twoU)));
}

LogicalResult Importer::importUnary() {
  StringRef op = node->op_type();
  // On known values (BN statistics feeding DBB's pad value): evaluated
  // in double and rounded once, which equals float arithmetic for these.
  if (isHost(0) && (op == "Neg" || op == "Abs" || op == "Sqrt" ||
                    op == "Reciprocal" || op == "Relu")) {
    HostTensor h = *host(node->input(0));
    if (!h.isFloat && (op == "Sqrt" || op == "Reciprocal")) {
      h.isFloat = true;
      h.floats.assign(h.ints.begin(), h.ints.end());
      h.ints.clear();
    }
    for (int64_t i = 0; i < h.numel(); ++i) {
      double v = h.at(i);
      h.set(i, op == "Neg"    ? -v
               : op == "Abs"  ? std::fabs(v)
               : op == "Sqrt" ? std::sqrt(v)
               : op == "Relu" ? std::max(v, 0.0)
                              : 1.0 / v);
    }
    return defineHost(std::move(h));
  }
  auto x = input(0);
  if (failed(x))
    return failure();
  if (op == "Relu")
    return define(make<ReluOp>(*x));
  if (op == "Sigmoid")
    return define(make<SigmoidOp>(*x));
  if (op == "Erf")
    return define(make<ErfOp>(*x));
  if (op == "Sqrt")
    return define(make<SqrtOp>(*x));
  if (op == "Tanh")
    return define(make<TanhOp>(*x));
  if (op == "Exp")
    return define(make<ExpOp>(*x));
  if (op == "Log")
    return define(make<LogOp>(*x));
  if (op == "Abs")
    return define(make<AbsOp>(*x));
  if (op == "Neg") // Exact: only the sign changes.
    return define(make<MulOp>(*x, scalar(-1)));
  return define(make<DivOp>(scalar(1), *x)); // Reciprocal
}

/// Max, Min, Sum and Mean over any number of broadcast inputs.
LogicalResult Importer::importVariadic() {
  StringRef op = node->op_type();
  int n = node->input_size();
  bool allHost = true;
  for (int i = 0; i < n; ++i)
    allHost &= isHost(i);
  if (allHost && op != "Mean") {
    HostTensor acc = *host(node->input(0));
    for (int i = 1; i < n; ++i) {
      const HostTensor *y = host(node->input(i));
      auto shape = broadcastShapes(acc.shape, y->shape);
      if (failed(shape))
        return nodeError() << "operand shapes " << formatShape(acc.shape)
                           << " and " << formatShape(y->shape)
                           << " do not broadcast";
      if (failed(checkHostShape(*shape)))
        return failure();
      acc = hostBinary(acc, *y, *shape, op == "Sum" ? "Add" : op);
    }
    return defineHost(std::move(acc));
  }
  auto acc = input(0);
  if (failed(acc))
    return failure();
  for (int i = 1; i < n; ++i) {
    auto y = input(i);
    if (failed(y))
      return failure();
    if (op == "Max")
      acc = make<MaximumOp>(*acc, *y);
    else if (op == "Min")
      acc = make<MinimumOp>(*acc, *y);
    else
      acc = make<AddOp>(*acc, *y);
    if (failed(acc))
      return failure();
  }
  if (op == "Mean" && n > 1)
    acc = make<DivOp>(*acc, scalar(n));
  return define(acc);
}

/// Clip: min and max are inputs from opset 11 (attributes before); ReLU6
/// exports as Clip(0, 6).
LogicalResult Importer::importClip() {
  float lo = floatAttr("min", -std::numeric_limits<float>::infinity());
  float hi = floatAttr("max", std::numeric_limits<float>::infinity());
  for (int i : {1, 2}) {
    auto h = optionalHost(i, i == 1 ? "min" : "max");
    if (failed(h))
      return failure();
    if (!*h)
      continue;
    if ((*h)->numel() != 1)
      return nodeError() << (i == 1 ? "min" : "max") << " must be a scalar";
    (i == 1 ? lo : hi) = (*h)->at(0);
  }
  auto x = input(0);
  if (failed(x))
    return failure();
  return define(clamp(*x, lo, hi));
}

/// HardSigmoid: clip(alpha x + beta, 0, 1); HardSwish: x * HardSigmoid
/// with alpha = 1/6, beta = 1/2.
LogicalResult Importer::importHardSigmoid() {
  bool swish = node->op_type() == "HardSwish";
  float alpha = swish ? 1.0f / 6 : floatAttr("alpha", 0.2f);
  float beta = swish ? 0.5f : floatAttr("beta", 0.5f);
  auto x = input(0);
  if (failed(x))
    return failure();
  Value y =
      clamp(*make<AddOp>(*make<MulOp>(*x, scalar(alpha)), scalar(beta)), 0, 1);
  return define(swish ? make<MulOp>(*x, y) : FailureOr<Value>(y));
}

LogicalResult Importer::importLeakyRelu() {
  auto x = input(0);
  if (failed(x))
    return failure();
  if (node->op_type() == "LeakyRelu")
    return define(leakyRelu(*x, scalar(floatAttr("alpha", 0.01f))));
  auto slope = input(1);
  if (failed(slope))
    return failure();
  return define(leakyRelu(*x, *slope));
}

/// Every ReduceX of opsets 11-23: axes as an attribute or (ReduceSum from
/// 13, the others from 18) an input; no axes reduces all of them unless
/// `noop_with_empty_axes` says to pass the input through. Min, L1, L2,
/// SumSquare and LogSumExp are built from sum and max.
LogicalResult Importer::importReduce() {
  StringRef op = node->op_type();
  static const char *known[] = {
      "ReduceMean", "ReduceSum", "ReduceMax",       "ReduceMin",
      "ReduceL1",   "ReduceL2",  "ReduceSumSquare", "ReduceLogSumExp"};
  if (!llvm::is_contained(known, op))
    return emitError(loc) << "unsupported ONNX op '" << op << "'";
  auto x = input(0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  bool noop = intAttr("noop_with_empty_axes", 0);
  auto axes = axesOperand(1, rank, /*allIfMissing=*/!noop);
  if (failed(axes))
    return failure();
  if (axes->empty()) {
    if (noop)
      return define(*x);
    for (int64_t a = 0; a < rank; ++a)
      axes->push_back(a);
  }
  llvm::sort(*axes);
  if (std::adjacent_find(axes->begin(), axes->end()) != axes->end())
    return nodeError() << "axes repeat";
  auto a = b.getDenseI64ArrayAttr(*axes);
  auto keep = b.getBoolAttr(intAttr("keepdims", 1));
  Value in = *x;
  if (op == "ReduceMean")
    return define(make<ReduceMeanOp>(in, a, keep));
  if (op == "ReduceMax")
    return define(make<ReduceMaxOp>(in, a, keep));
  if (op == "ReduceMin") // min(x) = -max(-x), exactly.
    return define(make<MulOp>(
        *make<ReduceMaxOp>(*make<MulOp>(in, scalar(-1)), a, keep), scalar(-1)));
  if (op == "ReduceL1")
    in = *make<AbsOp>(in);
  else if (op == "ReduceL2" || op == "ReduceSumSquare")
    in = *make<MulOp>(in, in);
  else if (op == "ReduceLogSumExp")
    in = *make<ExpOp>(in);
  auto sum = make<ReduceSumOp>(in, a, keep);
  if (op == "ReduceL2")
    return define(make<SqrtOp>(*sum));
  if (op == "ReduceLogSumExp")
    return define(make<LogOp>(*sum));
  return define(sum);
}

/// Softmax and LogSoftmax with the max subtracted first. Before opset 13
/// the input is taken as 2-D at `axis` (default 1): the normalization runs
/// over every dim from `axis` on; from 13 over `axis` (default -1) alone.
LogicalResult Importer::importSoftmax() {
  auto x = input(0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto axis = normAxis(intAttr("axis", opset < 13 ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes = {*axis};
  if (opset < 13)
    for (int64_t d = *axis + 1; d < rank; ++d)
      axes.push_back(d);
  auto a = b.getDenseI64ArrayAttr(axes);
  auto keep = b.getBoolAttr(true);
  Value shifted = *make<SubOp>(*x, *make<ReduceMaxOp>(*x, a, keep));
  Value e = *make<ExpOp>(shifted);
  Value sum = *make<ReduceSumOp>(e, a, keep);
  if (node->op_type() == "LogSoftmax")
    return define(make<SubOp>(shifted, *make<LogOp>(sum)));
  return define(make<DivOp>(e, sum));
}

/// Split into the node's outputs along `axis`: sizes from the `split`
/// attribute (before opset 13) or input, else `num_outputs` parts (opset
/// 18; the last one smaller) or equal parts.
LogicalResult Importer::importSplit() {
  auto x = operand(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> in = x->shape;
  auto axis = normAxis(intAttr("axis", 0), in.size());
  if (failed(axis))
    return failure();
  int64_t dim = in[*axis], outs = node->output_size();
  SmallVector<int64_t> sizes = intsAttr("split");
  if (!attr("split")) {
    auto h = optionalHost(1, "split");
    if (failed(h))
      return failure();
    if (*h)
      sizes.assign((*h)->ints.begin(), (*h)->ints.end());
  }
  if (sizes.empty()) {
    int64_t parts = attr("num_outputs") ? intAttr("num_outputs", 1) : outs;
    if (parts != outs || parts <= 0)
      return nodeError() << "num_outputs " << parts << " does not match its "
                         << outs << " outputs";
    int64_t each = (dim + parts - 1) / parts;
    if (!attr("num_outputs") && dim % parts)
      return nodeError() << "cannot split " << dim << " into " << parts
                         << " equal parts";
    for (int64_t i = 0, left = dim; i < parts; ++i, left -= each)
      sizes.push_back(std::max<int64_t>(0, std::min(each, left)));
  }
  if ((int64_t)sizes.size() != outs ||
      llvm::any_of(sizes, [](int64_t s) { return s < 0; }) ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != dim)
    return nodeError() << "split sizes " << formatShape(sizes)
                       << " do not divide dim " << dim << " into " << outs
                       << " outputs";
  int64_t start = 0;
  for (int64_t i = 0; i < outs; start += sizes[i++]) {
    if (node->output(i).empty())
      continue;
    SmallVector<int64_t> starts(in.size(), 0), shape(in), steps(in.size(), 1);
    starts[*axis] = start;
    shape[*axis] = sizes[i];
    if (const HostTensor *h = x->host) {
      HostTensor out;
      out.isFloat = h->isFloat;
      out.shape = shape;
      out.resize();
      SmallVector<int64_t> strides = computeStrides(in);
      forEachIndex(shape, [&](int64_t j, ArrayRef<int64_t> idx) {
        int64_t off = 0;
        for (size_t d = 0; d < idx.size(); ++d)
          off += (starts[d] + idx[d]) * strides[d];
        out.set(j, h->at(off));
      });
      (void)defineHost(std::move(out), i);
      continue;
    }
    if (failed(define(make<SliceOp>(x->value, b.getDenseI64ArrayAttr(starts),
                                    b.getDenseI64ArrayAttr(shape),
                                    b.getDenseI64ArrayAttr(steps)),
                      i)))
      return failure();
  }
  return success();
}

/// InstanceNormalization: each (image, channel) normalized over its
/// spatial dims, then a per-channel scale and shift: a layer norm from
/// axis 2 with unit scale, then a channel affine.
LogicalResult Importer::importInstanceNorm() {
  auto x = input(0), scale = input(1), bias = input(2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  if (in.size() < 3)
    return nodeError() << "expects an input of rank 3 or more, got "
                       << formatShape(in);
  ArrayRef<int64_t> spatial = in.drop_front(2);
  auto normed = make<LayerNormOp>(
      *x, *constantOf(spatial, 1), *constantOf(spatial, 0),
      b.getI64IntegerAttr(2), b.getF32FloatAttr(floatAttr("epsilon", 1e-5f)));
  if (failed(normed))
    return failure();
  return define(
      make<ChannelAffineOp>(*normed, *scale, *bias, b.getI64IntegerAttr(1)));
}

/// GroupNormalization (opsets 18 and 21): the channels in `num_groups`
/// groups, each normalized over its channels and spatial dims, then a
/// scale and shift per group (opset 18) or per channel (21).
LogicalResult Importer::importGroupNorm() {
  auto x = input(0);
  if (failed(x))
    return failure();
  auto scale = operand(1), bias = operand(2);
  if (failed(scale) || failed(bias))
    return failure();
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  int64_t groups = intAttr("num_groups", 0);
  if (in.size() < 3 || groups <= 0 || in[1] % groups)
    return nodeError() << "cannot make " << groups << " groups of the "
                       << "channels of " << formatShape(in);
  int64_t c = in[1], n = in[0];
  int64_t inner = computeProduct(in) / (n * groups);
  SmallVector<int64_t> grouped = {n, groups, inner};
  auto normed = make<LayerNormOp>(
      reshape(*x, grouped), *constantOf({inner}, 1), *constantOf({inner}, 0),
      b.getI64IntegerAttr(2), b.getF32FloatAttr(floatAttr("epsilon", 1e-5f)));
  if (failed(normed))
    return failure();
  Value y = reshape(*normed, in);
  // Per-group parameters repeat over their group's channels.
  SmallVector<Value, 2> params;
  for (Operand *p : {&*scale, &*bias}) {
    int64_t size = computeProduct(p->shape);
    if (size != c && size != groups)
      return nodeError() << "scale and bias must have " << groups << " or " << c
                         << " elements";
    Value v = p->host ? constant(*p->host, "") : p->value;
    v = reshape(v, {size});
    if (size != c) {
      v = reshape(v, {groups, 1});
      v = *make<AddOp>(v, *constantOf({groups, c / groups}, 0));
      v = reshape(v, {c});
    }
    params.push_back(v);
  }
  return define(
      make<ChannelAffineOp>(y, params[0], params[1], b.getI64IntegerAttr(1)));
}

/// Where: evaluated at import on known values; on computed ones with a
/// known condition, x * c + y * (1 - c), exact for finite values.
LogicalResult Importer::importWhere() {
  auto cond = operand(0), x = operand(1), y = operand(2);
  if (failed(cond) || failed(x) || failed(y))
    return failure();
  auto shape = broadcastShapes(cond->shape, x->shape);
  if (succeeded(shape))
    shape = broadcastShapes(*shape, y->shape);
  if (failed(shape))
    return nodeError() << "operand shapes do not broadcast";
  if (cond->host && x->host && y->host) {
    if (failed(checkHostShape(*shape)))
      return failure();
    HostTensor out;
    out.isFloat = x->host->isFloat || y->host->isFloat;
    out.shape = *shape;
    out.resize();
    auto sc = broadcastStrides(cond->shape, *shape),
         sx = broadcastStrides(x->shape, *shape),
         sy = broadcastStrides(y->shape, *shape);
    forEachIndex(*shape, [&](int64_t i, ArrayRef<int64_t> idx) {
      int64_t ic = 0, ix = 0, iy = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        ic += idx[d] * sc[d], ix += idx[d] * sx[d], iy += idx[d] * sy[d];
      out.set(i, cond->host->at(ic) ? x->host->at(ix) : y->host->at(iy));
    });
    return defineHost(std::move(out));
  }
  if (!cond->host)
    return nodeError() << "a condition computed from activations is not "
                          "supported";
  HostTensor c = *cond->host, notC = c;
  c.floats.clear();
  notC.floats.clear();
  for (int64_t i = 0; i < c.numel(); ++i) {
    c.floats.push_back(c.at(i) != 0);
    notC.floats.push_back(c.floats.back() == 0);
  }
  c.isFloat = notC.isFloat = true;
  c.ints.clear();
  notC.ints.clear();
  auto xv = input(1), yv = input(2);
  if (failed(xv) || failed(yv))
    return failure();
  Value lhs = *make<MulOp>(*xv, constant(c, "")),
        rhs = *make<MulOp>(*yv, constant(notC, ""));
  return define(make<AddOp>(lhs, rhs));
}

/// Expand: numpy broadcasting of the input to the shape input.
LogicalResult Importer::importExpand() {
  auto target = hostInput(1, "shape");
  if (failed(target))
    return failure();
  auto x = operand(0);
  if (failed(x))
    return failure();
  auto shape = broadcastShapes(x->shape, (*target)->ints);
  if (failed(shape))
    return nodeError() << "cannot expand " << formatShape(x->shape) << " to "
                       << formatShape((*target)->ints);
  if (failed(checkHostShape(*shape)))
    return failure();
  if (x->host) {
    HostTensor zeros;
    zeros.shape = *shape;
    zeros.isFloat = x->host->isFloat;
    zeros.resize();
    return defineHost(hostBinary(*x->host, zeros, *shape, "Add"));
  }
  if (ArrayRef<int64_t>(*shape) == ArrayRef<int64_t>(x->shape))
    return define(x->value);
  // x + 0 broadcast: exact.
  return define(make<AddOp>(x->value, *constantOf((*target)->ints, 0)));
}

/// `h` with every axis along which it does not vary cut to size 1, so a
/// constant that is the same for every image of a batch broadcasts.
static HostTensor shrinkUniformAxes(HostTensor h) {
  for (size_t d = 0; d < h.shape.size(); ++d) {
    if (h.shape[d] == 1)
      continue;
    SmallVector<int64_t> strides = computeStrides(h.shape);
    bool uniform = true;
    for (int64_t i = 0; i < h.numel() && uniform; ++i) {
      int64_t first = i - (i / strides[d] % h.shape[d]) * strides[d];
      uniform = h.at(i) == h.at(first);
    }
    if (!uniform)
      continue;
    HostTensor out;
    out.isFloat = h.isFloat;
    out.shape = h.shape;
    out.shape[d] = 1;
    out.resize();
    SmallVector<int64_t> outStrides = computeStrides(out.shape);
    forEachIndex(out.shape, [&](int64_t i, ArrayRef<int64_t> idx) {
      int64_t src = 0;
      for (size_t k = 0; k < idx.size(); ++k)
        src += idx[k] * strides[k];
      out.set(i, h.at(src));
    });
    h = std::move(out);
  }
  return h;
}

/// ScatterND (opsets 11-18) with indices known at import. On known data
/// and updates it is evaluated. On activations each index tuple selects a
/// slice of `data` of the trailing dims; with `reduction` none the result
/// is `data * K + U` (K zero where written, U the updates there), with add
/// `data + U`, mul `data * M`, max/min `maximum/minimum(data, X)` (the
/// neutral value elsewhere): exact for finite data. PyTorch's in-place
/// border writes on a zero pad (DBB's BNAndPadLayer) chain four of them;
/// the chain composes, and since the pad border is zero, K drops:
/// `pad(x) + U`, a per-channel constant map the DBB folds take. Updates
/// that are activations must fill a box (slice assignment): they are
/// padded into place.
LogicalResult Importer::importScatterND() {
  auto idx = hostInput(1, "indices");
  if (failed(idx))
    return failure();
  auto data = operand(0), updates = operand(2);
  if (failed(data) || failed(updates))
    return failure();
  std::string reduction = strAttr("reduction", "none");
  if (reduction != "none" &&
      !(opset >= 16 && (reduction == "add" || reduction == "mul")) &&
      !(opset >= 18 && (reduction == "max" || reduction == "min")))
    return nodeError() << "reduction '" << reduction
                       << "' is not defined at opset " << opset;
  ArrayRef<int64_t> ds = data->shape, is = (*idx)->shape;
  int64_t r = ds.size(), q = is.size();
  if (q < 1 || is.back() < 1 || is.back() > r)
    return nodeError() << "indices of shape " << formatShape(is)
                       << " do not index data of rank " << r;
  int64_t k = is.back();
  SmallVector<int64_t> us(is.begin(), is.end() - 1);
  us.append(ds.begin() + k, ds.end());
  if (ArrayRef<int64_t>(us) != ArrayRef<int64_t>(updates->shape))
    return nodeError() << "updates of shape " << formatShape(updates->shape)
                       << " do not match " << formatShape(us);
  int64_t slice = computeProduct(ds.drop_front(k));
  int64_t tuples = computeProduct(is.drop_back());
  SmallVector<int64_t> strides = computeStrides(ds);
  std::vector<int64_t> offsets;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t v = (*idx)->ints[t * k + j];
      if (v < -ds[j] || v >= ds[j])
        return nodeError() << "index " << v << " is out of range for dim " << j
                           << " of size " << ds[j];
      off += (v < 0 ? v + ds[j] : v) * strides[j];
    }
    offsets.push_back(off);
  }
  if (reduction == "none") {
    std::vector<int64_t> sorted = offsets;
    llvm::sort(sorted);
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      return nodeError() << "indices repeat a position (the result is "
                            "undefined without a reduction)";
  }
  auto apply = [&](double acc, double u) {
    if (reduction == "add")
      return acc + u;
    if (reduction == "mul")
      return acc * u;
    if (reduction == "max")
      return std::max(acc, u);
    if (reduction == "min")
      return std::min(acc, u);
    return u;
  };
  if (data->host && updates->host) {
    if (failed(checkHostShape(ds)))
      return failure();
    HostTensor out = *data->host;
    out.isFloat = data->host->isFloat;
    for (int64_t t = 0; t < tuples; ++t)
      for (int64_t e = 0; e < slice; ++e)
        out.set(offsets[t] + e, apply(out.at(offsets[t] + e),
                                      updates->host->at(t * slice + e)));
    return defineHost(std::move(out));
  }
  if (failed(checkHostShape(ds)))
    return failure();
  auto dv = input(0);
  if (failed(dv))
    return failure();
  double neutral = reduction == "mul"   ? 1.0
                   : reduction == "max" ? -INFINITY
                   : reduction == "min" ? INFINITY
                                        : 0.0;
  HostTensor keep, put;
  keep.isFloat = put.isFloat = true;
  keep.shape = put.shape = SmallVector<int64_t>(ds);
  keep.resize();
  put.resize();
  std::fill(keep.floats.begin(), keep.floats.end(), 1.0f);
  std::fill(put.floats.begin(), put.floats.end(), (float)neutral);
  for (int64_t t = 0; t < tuples; ++t)
    for (int64_t e = 0; e < slice; ++e) {
      keep.floats[offsets[t] + e] = 0.0f;
      if (updates->host) {
        float &p = put.floats[offsets[t] + e];
        p = apply(p, updates->host->at(t * slice + e));
      }
    }
  // The value that reaches the data's positions.
  Value placed;
  if (updates->host) {
    // Compose with the scatter this one writes into (the chain of in-place
    // border writes): keep' = keep0 * keep, put' = put0 * keep + put.
    if (reduction == "none") {
      if (auto it = scatterChains.find(node->input(0));
          it != scatterChains.end()) {
        const ScatterChain &prev = it->second;
        for (int64_t i = 0; i < keep.numel(); ++i) {
          put.floats[i] += prev.put.floats[i] * keep.floats[i];
          keep.floats[i] *= prev.keep.floats[i];
        }
        *dv = prev.base;
      }
      scatterChains[node->output(0)] = {*dv, keep, put};
    }
    placed = constant(shrinkUniformAxes(put), "");
  } else {
    // Activations: the written positions must be a box, in row-major order
    // (what slice assignment exports).
    SmallVector<int64_t> lo(k), hi(k);
    for (int64_t j = 0; j < k; ++j) {
      lo[j] = INT64_MAX;
      hi[j] = INT64_MIN;
    }
    for (int64_t t = 0; t < tuples; ++t)
      for (int64_t j = 0; j < k; ++j) {
        int64_t v = offsets[t] / strides[j] % ds[j];
        lo[j] = std::min(lo[j], v);
        hi[j] = std::max(hi[j], v + 1);
      }
    SmallVector<int64_t> box;
    for (int64_t j = 0; j < k; ++j)
      box.push_back(hi[j] - lo[j]);
    bool isBox = computeProduct(box) == tuples;
    SmallVector<int64_t> boxStrides = computeStrides(box);
    for (int64_t t = 0; t < tuples && isBox; ++t) {
      int64_t at = 0;
      for (int64_t j = 0; j < k; ++j)
        at += (offsets[t] / strides[j] % ds[j] - lo[j]) * boxStrides[j];
      isBox = at == t;
    }
    if (!isBox)
      return nodeError() << "updates computed from activations must fill a "
                            "box of positions in order (slice assignment)";
    auto uv = input(2);
    if (failed(uv))
      return failure();
    SmallVector<int64_t> shaped(box);
    shaped.append(ds.begin() + k, ds.end());
    SmallVector<int64_t> pads(2 * r, 0);
    for (int64_t j = 0; j < k; ++j) {
      pads[j] = lo[j];
      pads[r + j] = ds[j] - hi[j];
    }
    placed = *make<PadOp>(reshape(*uv, shaped), b.getDenseI64ArrayAttr(pads),
                          b.getF32FloatAttr(neutral));
  }
  Value d = *dv;
  if (reduction == "add")
    return define(make<AddOp>(d, placed));
  if (reduction == "mul")
    return define(make<MulOp>(d, placed));
  if (reduction == "max")
    return define(make<MaximumOp>(d, placed));
  if (reduction == "min")
    return define(make<MinimumOp>(d, placed));
  // A zero pad that is written only on its border needs no keep mask.
  bool keepNeeded = true;
  if (auto pad = d.getDefiningOp<PadOp>(); pad && pad.getValue().isZero()) {
    ArrayRef<int64_t> p = pad.getPads();
    keepNeeded = false;
    forEachIndex(ds, [&](int64_t i, ArrayRef<int64_t> at) {
      if (keep.floats[i] != 0.0f)
        return;
      bool interior = true;
      for (int64_t j = 0; j < r; ++j)
        interior &= at[j] >= p[j] && at[j] < ds[j] - p[r + j];
      keepNeeded |= interior;
    });
  }
  if (keepNeeded)
    d = *make<MulOp>(d, constant(shrinkUniformAxes(keep), ""));
  return define(make<AddOp>(d, placed));
}

/// Comparisons, logic and Mod: shape arithmetic, evaluated at import.
LogicalResult Importer::importHostOnly() {
  StringRef op = node->op_type();
  int arity = op == "Not" ? 1 : 2;
  for (int i = 0; i < arity; ++i)
    if (!isHost(i)) {
      if (failed(input(i)))
        return failure();
      return nodeError() << "supported on values known at import only "
                            "(shapes and constants), not on activations";
    }
  const HostTensor *x = host(node->input(0));
  if (op == "Not") {
    HostTensor h = *x;
    h.isFloat = false;
    h.ints.clear();
    for (int64_t i = 0; i < x->numel(); ++i)
      h.ints.push_back(x->at(i) == 0);
    h.floats.clear();
    return defineHost(std::move(h));
  }
  const HostTensor *y = host(node->input(1));
  auto shape = broadcastShapes(x->shape, y->shape);
  if (failed(shape))
    return nodeError() << "operand shapes " << formatShape(x->shape) << " and "
                       << formatShape(y->shape) << " do not broadcast";
  if (failed(checkHostShape(*shape)))
    return failure();
  return defineHost(hostBinary(*x, *y, *shape, op, intAttr("fmod", 0)));
}

/// Resize (opsets 11-19) on activations: per resized axis, the output is a
/// fixed linear map of the input along that axis, so each axis becomes an
/// fc with the [out, in] interpolation matrix (nearest: one 1 per row;
/// linear: two taps; cubic: four), between transposes that bring the axis
/// last. Exact for finite inputs: the taps' products are summed with zeros
/// for the rest (an inf elsewhere in the row would make a NaN).
/// Coordinate modes half_pixel, pytorch_half_pixel, align_corners,
/// asymmetric and half_pixel_symmetric; every nearest_mode; cubic with

/// Einsum (opset 12) as transposes, sums and batched matmuls: each operand
/// first sums the letters no other operand and not the output uses; then
/// operands contract left to right, each pair as one matmul of
/// [batch, free-left, contracted] by [batch, contracted, free-right];
/// the result is transposed into the output's order. Ellipses stand for
/// the same leading dims in every term (broadcast as matmul broadcasts).
/// A letter repeated within one term (a diagonal or trace) is refused.
LogicalResult Importer::importEinsum() {
  std::string eq = strAttr("equation", "");
  eq.erase(llvm::remove_if(eq, [](char c) { return c == ' '; }), eq.end());
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  SmallVector<std::string> terms;
  for (StringRef t : llvm::split(StringRef(lhs), ','))
    terms.push_back(t.str());
  if ((int)terms.size() != node->input_size())
    return nodeError() << "equation '" << eq << "' has " << terms.size()
                       << " terms for " << node->input_size() << " inputs";
  SmallVector<Value> vals;
  SmallVector<SmallVector<int64_t>> shapes;
  for (int i = 0; i < node->input_size(); ++i) {
    auto v = input(i);
    if (failed(v))
      return failure();
    vals.push_back(*v);
    auto s = cast<RankedTensorType>(v->getType()).getShape();
    shapes.emplace_back(s.begin(), s.end());
  }
  // Ellipsis dims become the letters '0'..'9' (left-aligned to the
  // longest ellipsis, as numpy broadcasts them).
  int64_t ellipsis = 0;
  for (auto [t, shape] : llvm::zip(terms, shapes)) {
    size_t e = t.find("...");
    int64_t letters = t.size() - (e == std::string::npos ? 0 : 3);
    if (e == std::string::npos ? letters != (int64_t)shape.size()
                               : letters > (int64_t)shape.size())
      return nodeError() << "term '" << t << "' does not match rank "
                         << shape.size();
    if (e != std::string::npos)
      ellipsis = std::max<int64_t>(ellipsis, shape.size() - letters);
  }
  if (ellipsis > 10)
    return nodeError() << "an ellipsis of more than 10 dims";
  auto expand = [&](std::string t, int64_t rank) {
    size_t e = t.find("...");
    if (e == std::string::npos)
      return t;
    int64_t n = rank - (t.size() - 3);
    std::string dims;
    for (int64_t k = ellipsis - n; k < ellipsis; ++k)
      dims.push_back('0' + k);
    return t.substr(0, e) + dims + t.substr(e + 3);
  };
  for (auto [t, shape] : llvm::zip(terms, shapes))
    t = expand(t, shape.size());
  std::string out;
  if (arrow != std::string::npos) {
    out = eq.substr(arrow + 2);
    if (out.find("...") != std::string::npos) {
      size_t e = out.find("...");
      std::string dims;
      for (int64_t k = 0; k < ellipsis; ++k)
        dims.push_back('0' + k);
      out = out.substr(0, e) + dims + out.substr(e + 3);
    }
  } else {
    // Implicit output: the ellipsis, then every letter used once, sorted.
    std::map<char, int> uses;
    for (const std::string &t : terms)
      for (char c : t)
        ++uses[c];
    for (auto [c, n] : uses)
      if (isdigit(c) || (n == 1 && isalpha(c)))
        out.push_back(c);
  }
  SmallVector<std::string> all(terms);
  all.push_back(out);
  for (const std::string &t : all)
    for (size_t i = 0; i < t.size(); ++i) {
      if (!isalnum(t[i]))
        return nodeError() << "equation '" << eq << "' is malformed";
      if (t.find(t[i], i + 1) != std::string::npos)
        return nodeError() << "letter '" << t[i] << "' repeats in term '" << t
                           << "' (a diagonal or trace)";
    }
  // The size of each letter: equal where two terms use it, or 1 on one side
  // (broadcast).
  std::map<char, int64_t> size;
  for (auto [t, shape] : llvm::zip(terms, shapes))
    for (auto [c, d] : llvm::zip(t, shape)) {
      auto [it, inserted] = size.try_emplace(c, d);
      if (!inserted && it->second != d) {
        if (it->second != 1 && d != 1)
          return nodeError() << "letter '" << c << "' is " << it->second
                             << " in one term and " << d << " in another";
        it->second = std::max(it->second, d);
      }
    }
  for (char c : out)
    if (!size.count(c))
      return nodeError() << "output letter '" << c << "' is in no input";

  auto transposeTo = [&](Value v, std::string &have, StringRef want) {
    if (have == want)
      return v;
    SmallVector<int64_t> perm;
    for (char c : want)
      perm.push_back(have.find(c));
    have = want.str();
    return *make<TransposeOp>(v, b.getDenseI64ArrayAttr(perm));
  };
  // Letters a term holds that nothing after it needs are summed away.
  auto needed = [&](char c, size_t self) {
    if (out.find(c) != std::string::npos)
      return true;
    for (size_t j = 0; j < terms.size(); ++j)
      if (j != self && terms[j].find(c) != std::string::npos)
        return true;
    return false;
  };
  for (size_t i = 0; i < terms.size(); ++i) {
    SmallVector<int64_t> axes;
    std::string kept;
    for (size_t k = 0; k < terms[i].size(); ++k)
      if (needed(terms[i][k], i))
        kept.push_back(terms[i][k]);
      else
        axes.push_back(k);
    if (axes.empty())
      continue;
    auto sum = make<ReduceSumOp>(vals[i], b.getDenseI64ArrayAttr(axes),
                                 b.getBoolAttr(false));
    if (failed(sum))
      return failure();
    vals[i] = *sum;
    terms[i] = kept;
  }
  Value acc = vals[0];
  std::string accTerm = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) {
    // After this pair, a letter is needed by the output or a later term.
    auto later = [&](char c) {
      if (out.find(c) != std::string::npos)
        return true;
      for (size_t j = i + 1; j < terms.size(); ++j)
        if (terms[j].find(c) != std::string::npos)
          return true;
      return false;
    };
    const std::string &rt = terms[i];
    std::string batch, left, right, contract;
    for (char c : accTerm)
      (rt.find(c) != std::string::npos ? (later(c) ? batch : contract) : left)
          .push_back(c);
    for (char c : rt)
      if (accTerm.find(c) == std::string::npos)
        right.push_back(c);
    // A letter only one side holds that nothing later needs was summed
    // above; a shared one that nothing later needs contracts.
    auto prod = [&](StringRef letters, StringRef term,
                    ArrayRef<int64_t> shape) {
      int64_t n = 1;
      for (char c : letters)
        n *= shape[term.find(c)];
      return n;
    };
    Value l = transposeTo(acc, accTerm, batch + left + contract);
    Value r = vals[i];
    std::string rTerm = rt;
    r = transposeTo(r, rTerm, batch + contract + right);
    auto lShape = cast<RankedTensorType>(l.getType()).getShape();
    auto rShape = cast<RankedTensorType>(r.getType()).getShape();
    // Batch dims keep their own sizes (1 broadcasts in the matmul).
    SmallVector<int64_t> lNew(lShape.begin(), lShape.begin() + batch.size());
    SmallVector<int64_t> rNew(rShape.begin(), rShape.begin() + batch.size());
    SmallVector<int64_t> outShape;
    for (auto [x, y] : llvm::zip(lNew, rNew))
      outShape.push_back(std::max(x, y));
    lNew.push_back(prod(left, accTerm, lShape));
    lNew.push_back(prod(contract, accTerm, lShape));
    rNew.push_back(prod(contract, rTerm, rShape));
    rNew.push_back(prod(right, rTerm, rShape));
    if (lNew[batch.size() + 1] != rNew[batch.size()])
      return nodeError() << "contracted letters '" << contract
                         << "' differ in size between terms";
    auto m = make<MatmulOp>(reshape(l, lNew), reshape(r, rNew));
    if (failed(m))
      return failure();
    for (char c : left)
      outShape.push_back(lShape[accTerm.find(c)]);
    for (char c : right)
      outShape.push_back(rShape[rTerm.find(c)]);
    acc = reshape(*m, outShape);
    accTerm = batch + left + right;
  }
  return define(transposeTo(acc, accTerm, out));
}

/// cubic_coeff_a and exclude_outside; scales or sizes, and opset 18's axes.
LogicalResult Importer::importResize() {
  auto x = input(0);
  if (failed(x))
    return failure();
  SmallVector<int64_t> in(cast<RankedTensorType>(x->getType()).getShape());
  int64_t rank = in.size();
  std::string mode = strAttr("mode", "nearest");
  std::string coord = strAttr("coordinate_transformation_mode", "half_pixel");
  std::string nearestMode = strAttr("nearest_mode", "round_prefer_floor");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return nodeError() << "unsupported mode '" << mode << "'";
  if (coord == "tf_crop_and_resize")
    return nodeError() << "coordinate_transformation_mode "
                          "'tf_crop_and_resize' is not supported";
  if (intAttr("antialias", 0))
    return nodeError() << "antialias is not supported";
  if (strAttr("keep_aspect_ratio_policy", "stretch") != "stretch")
    return nodeError() << "keep_aspect_ratio_policy other than stretch is "
                          "not supported";
  // Axes the scales and sizes name (opset 18), else every axis.
  SmallVector<int64_t> axes = intsAttr("axes");
  for (int64_t &a : axes) {
    auto n = normAxis(a, rank);
    if (failed(n))
      return failure();
    a = *n;
  }
  if (axes.empty())
    for (int64_t a = 0; a < rank; ++a)
      axes.push_back(a);
  auto scalesIn = optionalHost(2, "scales");
  auto sizesIn = optionalHost(3, "sizes");
  if (failed(scalesIn) || failed(sizesIn))
    return failure();
  const HostTensor *scalesT =
      *scalesIn && (*scalesIn)->numel() ? *scalesIn : nullptr;
  const HostTensor *sizesT =
      *sizesIn && (*sizesIn)->numel() ? *sizesIn : nullptr;
  if (!scalesT == !sizesT)
    return nodeError() << "expects exactly one of scales and sizes";
  const HostTensor *given = scalesT ? scalesT : sizesT;
  if (given->numel() != (int64_t)axes.size())
    return nodeError() << "expects " << axes.size() << " scales or sizes, got "
                       << given->numel();
  SmallVector<double> scale(rank, 1.0);
  SmallVector<int64_t> out(in);
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (scalesT) {
      scale[a] = scalesT->at(i);
      if (!(scale[a] > 0))
        return nodeError() << "scale " << scale[a] << " is not positive";
      out[a] = (int64_t)std::floor(in[a] * scale[a] + 1e-9);
    } else {
      out[a] = (int64_t)sizesT->at(i);
      scale[a] = (double)out[a] / in[a];
    }
    if (out[a] <= 0)
      return nodeError() << "output dim " << a << " would be " << out[a];
  }
  if (failed(checkHostShape(out)))
    return failure();
  double cubicA = floatAttr("cubic_coeff_a", -0.75f);
  bool excludeOutside = intAttr("exclude_outside", 0);
  Value y = *x;
  for (int64_t a = 0; a < rank; ++a) {
    if (out[a] == in[a] && scale[a] == 1.0)
      continue;
    int64_t n = in[a], m = out[a];
    double s = scale[a];
    // The input coordinate each output index reads.
    auto source = [&](int64_t i) -> double {
      if (coord == "half_pixel")
        return (i + 0.5) / s - 0.5;
      if (coord == "pytorch_half_pixel")
        return m > 1 ? (i + 0.5) / s - 0.5 : 0.0;
      if (coord == "align_corners")
        return m == 1 ? 0.0 : i * (double)(n - 1) / (m - 1);
      if (coord == "asymmetric")
        return i / s;
      // half_pixel_symmetric (opset 19)
      double adjustment = m / (s * n), center = n / 2.0;
      return center * (1 - adjustment) + (i + 0.5) / s - 0.5;
    };
    if (coord != "half_pixel" && coord != "pytorch_half_pixel" &&
        coord != "align_corners" && coord != "asymmetric" &&
        coord != "half_pixel_symmetric")
      return nodeError() << "unsupported coordinate_transformation_mode '"
                         << coord << "'";
    HostTensor w;
    w.isFloat = true;
    w.shape = {m, n};
    w.resize();
    auto clampIdx = [&](int64_t k) { return std::clamp<int64_t>(k, 0, n - 1); };
    for (int64_t i = 0; i < m; ++i) {
      double c = source(i);
      if (mode == "nearest") {
        double f = std::floor(c), frac = c - f;
        int64_t k;
        if (nearestMode == "floor")
          k = (int64_t)f;
        else if (nearestMode == "ceil")
          k = (int64_t)std::ceil(c);
        else if (nearestMode == "round_prefer_ceil")
          k = frac == 0.5 ? (int64_t)f + 1 : (int64_t)std::round(c);
        else if (nearestMode == "round_prefer_floor")
          k = frac == 0.5 ? (int64_t)f : (int64_t)std::round(c);
        else
          return nodeError()
                 << "unsupported nearest_mode '" << nearestMode << "'";
        w.floats[i * n + clampIdx(k)] = 1;
      } else if (mode == "linear") {
        double f = std::floor(c), r = c - f;
        w.floats[i * n + clampIdx((int64_t)f)] += 1 - r;
        w.floats[i * n + clampIdx((int64_t)f + 1)] += r;
      } else {
        double f = std::floor(c), r = c - f;
        double coeffs[4];
        for (int t = 0; t < 4; ++t) {
          double d = std::fabs(r - (t - 1)); // distance to tap f - 1 + t
          coeffs[t] = d <= 1 ? ((cubicA + 2) * d - (cubicA + 3)) * d * d + 1
                      : d < 2
                          ? ((cubicA * d - 5 * cubicA) * d + 8 * cubicA) * d -
                                4 * cubicA
                          : 0;
        }
        double sum = 0;
        for (int t = 0; t < 4; ++t) {
          int64_t k = (int64_t)f - 1 + t;
          if (excludeOutside && (k < 0 || k >= n))
            coeffs[t] = 0;
          sum += coeffs[t];
        }
        for (int t = 0; t < 4; ++t)
          w.floats[i * n + clampIdx((int64_t)f - 1 + t)] +=
              excludeOutside && sum != 0 ? coeffs[t] / sum : coeffs[t];
      }
    }
    // Bring axis a last, multiply by the [m, n] matrix, put it back.
    SmallVector<int64_t> perm;
    for (int64_t d = 0; d < rank; ++d)
      if (d != a)
        perm.push_back(d);
    perm.push_back(a);
    SmallVector<int64_t> back(rank);
    for (int64_t d = 0; d < rank; ++d)
      back[perm[d]] = d;
    bool last = a == rank - 1;
    Value t = last ? y : *make<TransposeOp>(y, b.getDenseI64ArrayAttr(perm));
    auto r = make<FcOp>(t, constant(w, ""), Value());
    if (failed(r))
      return failure();
    y = last ? *r : *make<TransposeOp>(*r, b.getDenseI64ArrayAttr(back));
  }
  return define(y);
}

} // namespace

OwningOpRef<ModuleOp>
mlir::rep::importOnnxFile(StringRef path, MLIRContext *ctx,
                          const OnnxImportOptions &options) {
  ctx->loadDialect<RepDialect, func::FuncDialect>();
  return Importer(ctx, path, options).run();
}

OwningOpRef<ModuleOp>
mlir::rep::importOnnxBuffer(StringRef contents, StringRef name,
                            MLIRContext *ctx,
                            const OnnxImportOptions &options) {
  ctx->loadDialect<RepDialect, func::FuncDialect>();
  return Importer(ctx, name, options, contents).run();
}

OwningOpRef<ModuleOp>
mlir::rep::loadModelFile(StringRef path, MLIRContext *ctx,
                         const OnnxImportOptions &options) {
  if (!path.ends_with(".mlir"))
    return importOnnxFile(path, ctx, options);
  std::string err;
  auto file = openInputFile(path, &err);
  if (!file) {
    emitError(FileLineColLoc::get(ctx, path, 0, 0)) << err;
    return nullptr;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, ctx);
}

LogicalResult mlir::rep::parseInputShape(StringRef spec,
                                         OnnxImportOptions &options,
                                         std::string &err) {
  auto [name, dims] = spec.rsplit(':');
  SmallVector<int64_t> shape;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d <= 0) {
      err = ("--input-shape=" + spec +
             ": expected NAME:DxDx... with positive dims")
                .str();
      return failure();
    }
    shape.push_back(d);
  }
  if (name.empty() || shape.empty()) {
    err = ("--input-shape=" + spec + ": expected NAME:DxDx...").str();
    return failure();
  }
  options.inputShapes[name] = shape;
  return success();
}

void mlir::rep::registerImportDialects(DialectRegistry &registry) {
  registry.insert<RepDialect, func::FuncDialect>();
}
