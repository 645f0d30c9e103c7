/*===- cuda.h - running CUDA models through the driver API --------*- C -*-===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*/

#ifndef REP_RUNTIME_CUDA_H
#define REP_RUNTIME_CUDA_H

#include "rep/model_abi.h"
#include "rep/runtime.h"

typedef struct rep_cuda_model rep_cuda_model;

/* Opens libcuda.so.1, loads the model's PTX, uploads its weights (from
   `weights`, the mapped weights file, when the model has one) and captures
   its launches into a CUDA graph where the driver can. On failure, writes
   one line to `err`. */
rep_status rep_cuda_open(const rep_model_abi *abi, const void *weights,
                         rep_cuda_model **model, char *err, size_t errSize);
/* One run: inputs to the GPU, the graph (or every launch), outputs back.
   Serialized per model. */
rep_status rep_cuda_run(rep_cuda_model *model, const float *const *inputs,
                        float *const *outputs, char *err, size_t errSize);
void rep_cuda_close(rep_cuda_model *model);

#endif /* REP_RUNTIME_CUDA_H */
