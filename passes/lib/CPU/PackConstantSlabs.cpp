//===- PackConstantSlabs.cpp - store sliced weights slab by slab ----------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A kernel split over threads by output channels reads its weights one slab
// of `b` columns at a time. Row-major, a slab is `b` floats in every row of
// the whole weight: 128 bytes every 5 KB for RepVGG-A0's 1280-filter conv,
// a new page per row, which the hardware prefetchers do not follow. Stored
// slab by slab, each slab is one contiguous run.
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::rep {
#define GEN_PASS_DEF_PACKCONSTANTSLABS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;
using namespace mlir::rep;

namespace {

/// The slab width `b` of a slice that takes every row of `type` and `b`
/// columns of its last dim, starting at a multiple of `b`; else 0.
int64_t slabWidthOf(tensor::ExtractSliceOp slice, RankedTensorType type) {
  int64_t rank = type.getRank();
  ArrayRef<int64_t> shape = type.getShape();
  if (!slice.hasUnitStride() ||
      ShapedType::isDynamicShape(slice.getStaticSizes()))
    return 0;
  ArrayRef<int64_t> sizes = slice.getStaticSizes();
  ArrayRef<int64_t> offsets = slice.getStaticOffsets();
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (offsets[d] != 0 || sizes[d] != shape[d])
      return 0;
  int64_t b = sizes.back(), cols = shape.back();
  if (b >= cols || cols % b)
    return 0;
  if (!ShapedType::isDynamic(offsets.back()))
    return offsets.back() % b ? 0 : b;
  // A dynamic offset: a thread's slab index times a multiple of `b`, or a
  // cache tile loop's counter that starts at and steps by multiples of it.
  Value offset = slice.getOffsets().back();
  if (scf::ForOp loop = scf::getForInductionVarOwner(offset)) {
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    return lb && step && *lb % b == 0 && *step % b == 0 ? b : 0;
  }
  auto apply = offset.getDefiningOp<affine::AffineApplyOp>();
  if (!apply || apply.getAffineMap().getNumResults() != 1 ||
      !apply.getAffineMap().getResult(0).isMultipleOf(b))
    return 0;
  return b;
}

/// `data` ([rows, cols] of `bytes`-wide elements) as [cols / b, rows, b].
std::vector<char> packSlabs(ArrayRef<char> data, int64_t rows, int64_t cols,
                            int64_t b, int64_t bytes) {
  std::vector<char> packed(data.size());
  char *out = packed.data();
  for (int64_t j = 0; j < cols / b; ++j)
    for (int64_t r = 0; r < rows; ++r, out += b * bytes)
      std::memcpy(out, data.data() + (r * cols + j * b) * bytes, b * bytes);
  return packed;
}

struct PackConstantSlabsPass
    : rep::impl::PackConstantSlabsBase<PackConstantSlabsPass> {
  void runOnOperation() override {
    SmallVector<arith::ConstantOp> constants;
    getOperation().walk([&](arith::ConstantOp op) { constants.push_back(op); });
    for (arith::ConstantOp op : constants)
      pack(op);
  }

  void pack(arith::ConstantOp op) {
    auto attr = dyn_cast<DenseElementsAttr>(op.getValue());
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!attr || attr.isSplat() || !type || type.getRank() < 2 ||
        !type.hasStaticShape() || !type.getElementType().isIntOrFloat() ||
        type.getElementTypeBitWidth() % 8 || op->use_empty())
      return;
    // Every reader must take whole slabs of one width; the constant is
    // replaced, not copied.
    int64_t b = 0;
    SmallVector<tensor::ExtractSliceOp> slices;
    for (Operation *user : op->getUsers()) {
      auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
      int64_t w = slice ? slabWidthOf(slice, type) : 0;
      if (!w || (b && w != b))
        return;
      b = w;
      slices.push_back(slice);
    }

    ArrayRef<int64_t> shape = type.getShape();
    int64_t cols = shape.back(), rows = type.getNumElements() / cols;
    SmallVector<int64_t> packedShape = {cols / b};
    packedShape.append(shape.begin(), shape.end() - 1);
    packedShape.push_back(b);
    auto packedType = RankedTensorType::get(packedShape, type.getElementType());
    std::vector<char> data = packSlabs(attr.getRawData(), rows, cols, b,
                                       type.getElementTypeBitWidth() / 8);
    OpBuilder builder(op);
    auto packed = builder.create<arith::ConstantOp>(
        op.getLoc(), DenseElementsAttr::getFromRawBuffer(packedType, data));

    int64_t rank = type.getRank();
    for (tensor::ExtractSliceOp slice : slices) {
      builder.setInsertionPoint(slice);
      Location loc = slice.getLoc();
      // The slab index: the column offset over `b`.
      OpFoldResult index;
      int64_t offset = slice.getStaticOffsets().back();
      if (ShapedType::isDynamic(offset)) {
        Value dynamic = slice.getOffsets().back();
        AffineMap map = builder.getDimIdentityMap();
        ValueRange operands = dynamic;
        if (auto apply = dynamic.getDefiningOp<affine::AffineApplyOp>()) {
          map = apply.getAffineMap();
          operands = apply.getOperands();
        }
        index = builder
                    .create<affine::AffineApplyOp>(
                        loc,
                        AffineMap::get(map.getNumDims(), map.getNumSymbols(),
                                       map.getResult(0).floorDiv(b)),
                        operands)
                    .getResult();
      } else {
        index = builder.getIndexAttr(offset / b);
      }
      SmallVector<OpFoldResult> offsets(rank + 1, builder.getIndexAttr(0));
      offsets[0] = index;
      SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(1)};
      for (int64_t d = 0; d + 1 < rank; ++d)
        sizes.push_back(builder.getIndexAttr(shape[d]));
      sizes.push_back(builder.getIndexAttr(b));
      SmallVector<OpFoldResult> strides(rank + 1, builder.getIndexAttr(1));
      auto replacement = builder.create<tensor::ExtractSliceOp>(
          loc, slice.getType(), packed, offsets, sizes, strides);
      slice.replaceAllUsesWith(replacement.getResult());
      slice.erase();
    }
    op.erase();
  }
};

} // namespace
