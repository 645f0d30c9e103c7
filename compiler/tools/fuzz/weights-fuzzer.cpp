//===- weights-fuzzer.cpp - libFuzzer target: the runtime's weights file --===//
//
// Part of the repc project, under the Apache License v2.0 with LLVM
// Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Opens a tiny RepVGG compiled with --weights (linked in, `fuzz_model_abi`)
// on the input as its weights file, and runs it when the runtime accepts
// the file. The seed is the file repc wrote, so mutations that keep its
// size and header reach the model's code with arbitrary weights.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"
#include "fuzz_model.h"
#include "rep/runtime.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static rep::fuzz::ScratchFile file(".weights");
  if (!file.write(data, size))
    return 0;
  rep_model *model = nullptr;
  if (rep_model_from_abi_with_weights(fuzz_model_abi(), file.path().c_str(),
                                      &model) != REP_OK)
    return 0;
  // One thread: OpenMP's spinning barriers make run time depend on what
  // else the machine runs, and libFuzzer's per-input timeout would see it.
  rep_model_set_threads(model, 1);
  const rep_tensor_info *in = rep_model_input(model, 0);
  const rep_tensor_info *out = rep_model_output(model, 0);
  std::vector<float> x(rep_tensor_numel(in), 0.5f), y(rep_tensor_numel(out));
  const float *inputs[] = {x.data()};
  float *outputs[] = {y.data()};
  (void)rep_model_run(model, inputs, outputs);
  rep_model_close(model);
  return 0;
}
