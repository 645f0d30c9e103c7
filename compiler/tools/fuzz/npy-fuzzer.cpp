//===- npy-fuzzer.cpp - libFuzzer target: both .npy readers ---------------===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reads the input as a .npy file with the compiler's reader (repc --run,
// --verify) and the runtime's (rep-run, model executables). Both read
// paths, so the input goes through a file of this process's own.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"
#include "rep/Support/Npy.h"
#include "rep/npy.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static rep::fuzz::ScratchFile file(".npy");
  if (!file.write(data, size))
    return 0;
  if (auto t = mlir::rep::readNpy(file.path()); !t)
    llvm::consumeError(t.takeError());
  rep_npy out;
  char err[512];
  if (rep_npy_read(file.path().c_str(), &out, err, sizeof err) == 0) {
    // Every element the header promises is there to read.
    volatile float sink = 0;
    size_t n = rep_npy_numel(&out);
    if (n)
      sink = out.data[n - 1];
    (void)sink;
    rep_npy_free(&out);
  }
  return 0;
}
