//===- OutlineParallelRegions.cpp - a function per OpenMP region ----------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::rep {
#define GEN_PASS_DEF_OUTLINEPARALLELREGIONS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;

namespace {

/// Ops that are cheaper to clone into the new function than to pass: they
/// read nothing and LLVM folds them (loop bounds, strides, weights).
bool isClonable(Operation *op) {
  return op && op->getNumOperands() == 0 && op->getNumRegions() == 0 &&
         (op->hasTrait<OpTrait::ConstantLike>() ||
          isa<LLVM::AddressOfOp, LLVM::ZeroOp, LLVM::UndefOp, LLVM::PoisonOp>(
              op));
}

struct OutlineParallelRegions
    : rep::impl::OutlineParallelRegionsBase<OutlineParallelRegions> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<LLVM::LLVMFuncOp> funcs(module.getOps<LLVM::LLVMFuncOp>());
    for (LLVM::LLVMFuncOp func : funcs) {
      SmallVector<omp::ParallelOp> regions;
      func.walk([&](omp::ParallelOp par) {
        if (!par->getParentOfType<omp::ParallelOp>())
          regions.push_back(par);
      });
      // One region alone is already in a function of its size.
      if (regions.size() < 2)
        continue;
      for (auto [i, par] : llvm::enumerate(regions))
        outline(func, par, i, symbols);
    }
  }

  void outline(LLVM::LLVMFuncOp func, omp::ParallelOp par, size_t index,
               SymbolTable &symbols) {
    // What the region reads from around it, in first-use order.
    llvm::SetVector<Value> captured(par->operand_begin(), par->operand_end());
    getUsedValuesDefinedAbove(par->getRegions(), captured);
    SmallVector<Value> args;
    SmallVector<Operation *> clones;
    for (Value v : captured) {
      if (isClonable(v.getDefiningOp()))
        clones.push_back(v.getDefiningOp());
      else
        args.push_back(v);
    }

    OpBuilder b(func);
    b.setInsertionPointToEnd(func->getParentOfType<ModuleOp>().getBody());
    Location loc = par.getLoc();
    auto type = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(&getContext()),
        llvm::to_vector(llvm::map_range(args, [](Value v) { return v.getType(); })));
    auto outlined = b.create<LLVM::LLVMFuncOp>(
        loc, (func.getName() + "_parallel" + Twine(index)).str(), type,
        LLVM::Linkage::Internal);
    // A unique name; the symbol table renames on a clash.
    symbols.insert(outlined);
    Block *entry = outlined.addEntryBlock(b);
    IRMapping map;
    map.map(args, entry->getArguments());
    b.setInsertionPointToStart(entry);
    for (Operation *op : clones)
      b.clone(*op, map);
    b.clone(*par, map);
    b.create<LLVM::ReturnOp>(loc, ValueRange());

    b.setInsertionPoint(par);
    b.create<LLVM::CallOp>(loc, outlined, args);
    par.erase();
  }
};

} // namespace
