//===- rep-opt.cpp - mlir-opt with the rep dialect and passes -------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "rep/CodeGen/CpuCodeGen.h"
#include "rep/CodeGen/Passes.h"
#include "rep/Import/OnnxImporter.h"
#include "rep/Transforms/Passes.h"
#include "rep/Transforms/Utils.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::rep::registerImportDialects(registry);
  mlir::rep::registerDebugFlag();
  mlir::rep::registerRepPasses();
  mlir::rep::registerReparameterizePipeline();
  mlir::rep::registerCodeGenDialects(registry);
  mlir::rep::registerCodeGenPipelines();
  mlir::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "rep optimizer driver\n", registry));
}
