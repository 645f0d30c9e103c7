//===- Tensor.h - the value of a rep op -------------------------*- C++ -*-===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef REP_EVAL_TENSOR_H
#define REP_EVAL_TENSOR_H

#include "llvm/ADT/SmallVector.h"
#include <vector>

namespace mlir::rep {

/// A dense row-major float32 tensor.
struct Tensor {
  llvm::SmallVector<int64_t> shape;
  std::vector<float> data;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

} // namespace mlir::rep

#endif // REP_EVAL_TENSOR_H
