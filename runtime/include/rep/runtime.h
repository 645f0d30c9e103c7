/*===- runtime.h - the repc runtime: open and run compiled models --*- C -*-===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*
 *
 * Plain C, no MLIR. A model compiled by `repc --emit=lib` is a shared
 * library exporting `rep_model_entry`, which returns its `rep_model_abi`
 * descriptor; `--emit=obj` models export `SYM_abi` instead, for
 * rep_model_from_abi(). All tensors are float32, row-major, with the shapes
 * the model was compiled for.
 *
 * Worked example (error handling shortened):
 *
 *   #include "rep/runtime.h"
 *
 *   rep_model *m;
 *   if (rep_model_open("repvgg.so", &m) != REP_OK) {
 *     fprintf(stderr, "%s\n", rep_last_error());
 *     return 1;
 *   }
 *   const rep_tensor_info *in = rep_model_input(m, 0);   // e.g. 1x3x224x224
 *   const rep_tensor_info *out = rep_model_output(m, 0); // e.g. 1x1000
 *   float *x = calloc(rep_tensor_numel(in), sizeof(float));
 *   float *y = calloc(rep_tensor_numel(out), sizeof(float));
 *   rep_model_set_threads(m, 2);
 *   rep_status s = rep_model_run(m, (const float *const[]){x}, (float *[]){y});
 *   if (s != REP_OK)
 *     fprintf(stderr, "%s\n", rep_status_string(s));
 *   rep_model_close(m);
 *   free(x); free(y);
 *
 * Ownership: rep_model_open() allocates the handle, rep_model_close() frees
 * it and unloads the library; the rep_tensor_info pointers live as long as
 * the handle. The caller owns every input and output buffer.
 *
 * Memory: a model's activations live in one workspace whose size the
 * compiler planned (rep_model_workspace_size()). The handle keeps the
 * workspaces it allocated and reuses them, so a run after the first
 * allocates nothing; rep_model_close() frees them.
 *
 * Threads: rep_model_run() may be called on one handle from several threads
 * at once (each concurrent call takes its own workspace). The thread count is
 * the caller's: the one set with rep_model_set_threads() (0 = the OpenMP
 * default, OMP_NUM_THREADS or all cores), applied to each run's own team.
 * Concurrent runs of one CUDA model take turns on its stream.
 *
 *===----------------------------------------------------------------------===*/

#ifndef REP_RUNTIME_H
#define REP_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes; rep_status_string() describes each. */
typedef enum rep_status {
  REP_OK = 0,
  REP_ERROR_OPEN = 1,        /* the library could not be loaded */
  REP_ERROR_NOT_A_MODEL = 2, /* no rep_model_entry, or a foreign ABI */
  REP_ERROR_ARGUMENT = 3,    /* a NULL handle, buffer or bad index */
  REP_ERROR_RUN = 4,         /* the compiled code reported a failure */
  REP_ERROR_MEMORY = 5,
  REP_ERROR_DEVICE = 6,  /* the model's GPU or its driver is not usable */
  REP_ERROR_WEIGHTS = 7, /* the weights file is missing or another build's */
} rep_status;

/* Where a model runs (repc --target=). */
typedef enum rep_device { REP_DEVICE_CPU = 0, REP_DEVICE_CUDA = 1 } rep_device;

/* The descriptor a compiled model exports (rep/model_abi.h: the contract
   between the compiler and this runtime, which apps need not read). */
#ifndef REP_MODEL_ABI_TYPEDEF
#define REP_MODEL_ABI_TYPEDEF
typedef struct rep_model_abi rep_model_abi;
#endif

/* One input or output. */
typedef struct rep_tensor_info {
  const char *name;
  uint32_t rank;
  const int64_t *dims;
} rep_tensor_info;

typedef struct rep_model rep_model;

/* Loads a model library (`repc --emit=lib`). A CUDA model also loads its
   kernels and weights onto GPU 0 (REP_CUDA_DEVICE=N picks another) and
   captures its launches into a CUDA graph (REP_CUDA_GRAPHS=0: none), or
   fails with REP_ERROR_DEVICE when there is no usable driver or GPU. */
rep_status rep_model_open(const char *path, rep_model **model);
/* Wraps a descriptor of a model linked into the program (`--emit=obj`,
   `SYM_abi()`). */
rep_status rep_model_from_abi(const rep_model_abi *abi, rep_model **model);

/* A model compiled with `repc --weights=FILE` maps its weights file (read
   only, shared between handles by the page cache) when it is opened:
   rep_model_open() and rep_model_from_abi() look for FILE's name in the
   directory of the library or executable that holds the model; these take
   its path instead. REP_ERROR_WEIGHTS when the file is missing, truncated,
   or was written for another compilation of the model (its fingerprint
   differs), or when the model has its weights built in. */
rep_status rep_model_open_with_weights(const char *path, const char *weights,
                                       rep_model **model);
rep_status rep_model_from_abi_with_weights(const rep_model_abi *abi,
                                           const char *weights,
                                           rep_model **model);
void rep_model_close(rep_model *model);

const char *rep_model_name(const rep_model *model);
uint32_t rep_model_num_inputs(const rep_model *model);
uint32_t rep_model_num_outputs(const rep_model *model);
/* NULL when the index is out of range. */
const rep_tensor_info *rep_model_input(const rep_model *model, uint32_t i);
const rep_tensor_info *rep_model_output(const rep_model *model, uint32_t i);
size_t rep_tensor_numel(const rep_tensor_info *info);

rep_device rep_model_device(const rep_model *model);

/* Bytes of scratch memory one run uses (activations, planned statically). */
size_t rep_model_workspace_size(const rep_model *model);

/* 0 restores the OpenMP default. */
rep_status rep_model_set_threads(rep_model *model, int num_threads);
rep_status rep_model_run(rep_model *model, const float *const *inputs,
                         float *const *outputs);

const char *rep_status_string(rep_status status);
/* Details of the last failure of rep_model_open() or rep_model_run() on
   this thread. */
const char *rep_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* REP_RUNTIME_H */
