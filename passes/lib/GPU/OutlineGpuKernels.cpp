//===- OutlineGpuKernels.cpp - one gpu.module per model function ----------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Utils.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::rep {
#define GEN_PASS_DEF_OUTLINEGPUKERNELS
#include "rep/Transforms/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;

namespace {

/// Scalar constants are cheaper to rematerialize in the kernel than to pass.
bool isScalarConstant(Operation *op) {
  return isa<arith::ConstantOp>(op) &&
         op->getResult(0).getType().isIntOrIndexOrFloat();
}

struct OutlineGpuKernelsPass
    : rep::impl::OutlineGpuKernelsBase<OutlineGpuKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto func : llvm::to_vector(module.getOps<FunctionOpInterface>())) {
      SmallVector<gpu::LaunchOp> launches;
      func->walk([&](gpu::LaunchOp op) { launches.push_back(op); });
      if (launches.empty())
        continue;
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      auto kernels = b.create<gpu::GPUModuleOp>(
          func.getLoc(), (func.getName() + "_kernels").str());
      symbols.insert(kernels);
      SymbolTable kernelSymbols(kernels);
      for (auto [i, launch] : llvm::enumerate(launches)) {
        if (failed(sinkOperationsIntoLaunchOp(launch, isScalarConstant)))
          return signalPassFailure();
        SmallVector<Value> operands;
        std::string name = (func.getName() + "_k" + Twine(i)).str();
        gpu::GPUFuncOp kernel = outlineKernelFunc(launch, name, operands);
        kernelSymbols.insert(kernel);
        OpBuilder hb(launch);
        hb.create<gpu::LaunchFuncOp>(
            launch.getLoc(), kernel, launch.getGridSizeOperandValues(),
            launch.getBlockSizeOperandValues(),
            launch.getDynamicSharedMemorySize(), operands);
        launch.erase();
      }
    }
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
  }
};

} // namespace
