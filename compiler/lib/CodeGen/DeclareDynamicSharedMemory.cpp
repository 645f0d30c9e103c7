//===- DeclareDynamicSharedMemory.cpp - PTX's extern __shared__ -----------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::rep {
#define GEN_PASS_DEF_DECLAREDYNAMICSHAREDMEMORY
#include "rep/CodeGen/Passes.h.inc"
} // namespace mlir::rep

using namespace mlir;

namespace {

struct DeclareDynamicSharedMemoryPass
    : rep::impl::DeclareDynamicSharedMemoryBase<
          DeclareDynamicSharedMemoryPass> {
  void runOnOperation() override {
    getOperation().walk([](LLVM::GlobalOp global) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() == NVVM::kSharedMemorySpace && array &&
          array.getNumElements() == 0 && !global.getValueOrNull() &&
          global.getInitializerRegion().empty())
        global.setLinkage(LLVM::Linkage::External);
    });
  }
};

} // namespace
