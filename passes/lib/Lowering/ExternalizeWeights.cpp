//===- ExternalizeWeights.cpp - constant buffers into one weights blob ----===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/xxhash.h"

namespace mlir::rep {
#define GEN_PASS_DEF_EXTERNALIZEWEIGHTS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// The bytes of a constant global's value, one copy per element for a
/// splat; nullopt when they are not plain whole bytes.
std::optional<std::vector<char>> bytesOf(memref::GlobalOp global) {
  MemRefType type = global.getType();
  Type elt = type.getElementType();
  if (!global.getConstant() || !type.hasStaticShape() ||
      !type.getLayout().isIdentity() || !elt.isIntOrFloat() ||
      elt.getIntOrFloatBitWidth() % 8)
    return std::nullopt;
  size_t bytes = type.getNumElements() * (elt.getIntOrFloatBitWidth() / 8);
  Attribute init = global.getInitialValueAttr();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(init)) {
    ArrayRef<char> raw = dense.getRawData();
    std::vector<char> out;
    out.reserve(bytes);
    if (dense.isSplat())
      for (int64_t i = 0, e = type.getNumElements(); i < e; ++i)
        out.insert(out.end(), raw.begin(), raw.end());
    else
      out.assign(raw.begin(), raw.end());
    if (out.size() == bytes)
      return out;
    return std::nullopt;
  }
  if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(init))
    if (AsmResourceBlob *blob = res.getRawHandle().getBlob())
      if (blob->getData().size() == bytes)
        return std::vector<char>(blob->getData().begin(),
                                 blob->getData().end());
  return std::nullopt;
}

} // namespace

uint64_t rep::writeWeightsHeader(MutableArrayRef<char> file) {
  assert(file.size() >= size_t(kWeightsHeaderBytes) && "no room for a header");
  uint64_t fingerprint = llvm::xxh3_64bits(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(file.data()) + kWeightsHeaderBytes,
      file.size() - kWeightsHeaderBytes));
  std::fill(file.begin(), file.begin() + kWeightsHeaderBytes, 0);
  std::memcpy(file.data(), kWeightsMagic, 8);
  llvm::support::endian::write64le(file.data() + 8, fingerprint);
  llvm::support::endian::write64le(file.data() + 16, file.size());
  return fingerprint;
}

namespace {

struct ExternalizeWeightsPass
    : rep::impl::ExternalizeWeightsBase<ExternalizeWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    SymbolTableCollection symbols;
    SymbolUserMap users(symbols, module);

    // Pack every eligible global, in module order (deterministic).
    std::vector<char> blob(kWeightsHeaderBytes, 0);
    llvm::MapVector<memref::GlobalOp, int64_t> offsets;
    for (auto global : module.getOps<memref::GlobalOp>()) {
      ArrayRef<Operation *> gets = users.getUsers(global);
      bool readOnly = llvm::all_of(gets, [&](Operation *user) {
        auto func = user->getParentOfType<FunctionOpInterface>();
        return isa<memref::GetGlobalOp>(user) && func &&
               users.getUsers(func).empty();
      });
      std::optional<std::vector<char>> bytes = bytesOf(global);
      if (!readOnly || !bytes)
        continue;
      int64_t align = std::max<int64_t>(kWeightsAlignment,
                                        global.getAlignment().value_or(1));
      blob.resize(llvm::alignTo(blob.size(), align), 0);
      offsets[global] = blob.size();
      blob.insert(blob.end(), bytes->begin(), bytes->end());
    }
    // Even a model without constants gets its (header-only) file.
    blob.resize(llvm::alignTo(blob.size(), kWeightsAlignment), 0);

    uint64_t fingerprint = writeWeightsHeader(blob);

    auto blobType =
        MemRefType::get({int64_t(blob.size())}, IntegerType::get(ctx, 8));
    DenseMap<Operation *, Value> argOf;
    OpBuilder b(ctx);
    for (auto [global, offset] : offsets) {
      for (Operation *user : users.getUsers(global)) {
        auto get = cast<memref::GetGlobalOp>(user);
        auto func = get->getParentOfType<FunctionOpInterface>();
        Value &arg = argOf[func];
        if (!arg) {
          unsigned index = func.getNumArguments();
          func.insertArgument(index, blobType,
                              b.getDictionaryAttr(b.getNamedAttr(
                                  "rep.weights", b.getUnitAttr())),
                              func.getLoc());
          arg = func.getArgument(index);
        }
        b.setInsertionPoint(get);
        Value at = b.create<arith::ConstantIndexOp>(get.getLoc(), offset);
        Value view = b.create<memref::ViewOp>(get.getLoc(), get.getType(), arg,
                                              at, ValueRange{});
        get.replaceAllUsesWith(view);
        get.erase();
      }
      global.erase();
    }
    module->setAttr("rep.weights",
                    DenseElementsAttr::getFromRawBuffer(
                        RankedTensorType::get({int64_t(blob.size())},
                                              IntegerType::get(ctx, 8)),
                        blob));
    module->setAttr("rep.weights_fingerprint",
                    b.getI64IntegerAttr(int64_t(fingerprint)));
  }
};

} // namespace
