//===- Npy.h - float32 .npy files -------------------------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_SUPPORT_NPY_H
#define REP_SUPPORT_NPY_H

#include "rep/Eval/Tensor.h"

#include "llvm/Support/Error.h"

namespace mlir::rep {

/// Reads a little-endian float32, C-order .npy file (format 1.0 to 3.0).
/// The error names the file and what is wrong with it.
llvm::Expected<Tensor> readNpy(llvm::StringRef path);

/// Writes `t` as a float32 .npy file (format 1.0).
llvm::Error writeNpy(llvm::StringRef path, const Tensor &t);

} // namespace mlir::rep

#endif // REP_SUPPORT_NPY_H
