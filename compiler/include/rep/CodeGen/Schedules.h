//===- Schedules.h - transform-dialect schedules per kernel -----*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_CODEGEN_SCHEDULES_H
#define REP_CODEGEN_SCHEDULES_H

#include "rep/CodeGen/CpuCodeGen.h"

#include <string>

namespace mlir::rep {

/// The transform script that schedules every linalg op of `module` it has a
/// kernel class for (conv, depthwise conv, matmul, elementwise); it tags
/// each op with `rep.kernel = N` so the script can name it.
std::string buildScheduleScript(ModuleOp module,
                                const CpuCodeGenOptions &options);

/// Builds the script and applies it with the transform interpreter.
LogicalResult applyKernelSchedules(ModuleOp module,
                                   const CpuCodeGenOptions &options);

/// `--rep-print-scheduled`: print the schedule script, and the IR once the
/// schedules and constant slabs are applied (debugging the back end).
bool printScheduled();

/// Lowers vector contractions, transfers and shapes (after bufferization).
LogicalResult lowerVectors(ModuleOp module);

} // namespace mlir::rep

#endif // REP_CODEGEN_SCHEDULES_H
