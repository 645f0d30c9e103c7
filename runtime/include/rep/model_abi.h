/*===- model_abi.h - the ABI of compiled models and the runtime ----*- C -*-===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*
 *
 * What `repc` writes and the runtime (rep/runtime.h) reads: the descriptor
 * a compiled model exports, the launch table of a CUDA model, and the
 * header of a weights file. The compiler includes this header for the
 * constants and checks its LLVM types against these structs; the runtime
 * refuses a descriptor of another REP_MODEL_ABI_VERSION. Apps include
 * rep/runtime.h only. Any change to a struct or a meaning here bumps
 * REP_MODEL_ABI_VERSION.
 *
 *===----------------------------------------------------------------------===*/

#ifndef REP_MODEL_ABI_H
#define REP_MODEL_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A CUDA model (repc --target=cuda) is data the runtime interprets: one PTX
   module, loaded once per handle through the CUDA driver (libcuda.so.1,
   opened at run time, so CPU-only machines need no CUDA), its weights,
   uploaded once, and the kernel launches of one run, in order, on one
   stream. Each kernel argument is a device pointer into one of four
   buffers. */
enum {
  REP_CUDA_INPUT = 0,     /* inputs[index] */
  REP_CUDA_OUTPUT = 1,    /* outputs[index] */
  REP_CUDA_WORKSPACE = 2, /* workspace_size bytes of activations */
  REP_CUDA_WEIGHTS = 3,   /* the uploaded weights */
};
typedef struct rep_cuda_arg {
  uint32_t buffer; /* REP_CUDA_* */
  uint32_t index;
  uint64_t offset; /* bytes */
} rep_cuda_arg;
typedef struct rep_cuda_launch {
  uint32_t kernel; /* into kernel_names */
  uint32_t grid[3];
  uint32_t block[3];
  uint32_t shared_bytes;
  uint32_t first_arg, num_args; /* into args */
} rep_cuda_launch;
typedef struct rep_cuda_program {
  const char *ptx;  /* NUL-terminated */
  const char *arch; /* the PTX target, e.g. "sm_80" */
  uint32_t num_kernels;
  uint32_t num_launches;
  const char *const *kernel_names;
  const rep_cuda_launch *launches;
  const rep_cuda_arg *args;
  const void *weights;
  uint64_t weights_size;
} rep_cuda_program;

/* The weights file of a model compiled with `repc --weights=FILE`: a
   64-byte header (bytes 0-7 REP_WEIGHTS_MAGIC, 8-15 the fingerprint, 16-23
   the file's size, little-endian), then the constants at 64-byte aligned
   offsets. The fingerprint ties the file to one compiled model. */
#define REP_WEIGHTS_MAGIC "REPCWTS1"
#define REP_WEIGHTS_HEADER_SIZE 64

/* The descriptor a compiled model exports (ABI version 4). */
#define REP_MODEL_ABI_VERSION 4
#ifndef REP_MODEL_ABI_TYPEDEF
#define REP_MODEL_ABI_TYPEDEF
typedef struct rep_model_abi rep_model_abi;
#endif
struct rep_model_abi {
  uint32_t abi_version; /* REP_MODEL_ABI_VERSION */
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t reserved;
  const char *name;              /* the model symbol (repc --name) */
  const char *compiler;          /* "repc X.Y.Z" */
  const char *const *io_names;   /* inputs, then outputs */
  const uint32_t *io_ranks;      /* inputs, then outputs */
  const int64_t *io_dims;        /* every dim, inputs then outputs */
  /* 0 on success. `workspace`: workspace_size bytes, 64-byte aligned,
     used by one run at a time; its contents need not survive. `weights`:
     the weights file's contents when weights_file is set, else NULL. */
  int (*run)(const float *const *inputs, float *const *outputs, void *workspace,
             int num_threads, const void *weights); /* NULL for CUDA models */
  uint64_t workspace_size;
  uint32_t device; /* rep_device of rep/runtime.h: 0 CPU, 1 CUDA */
  uint32_t reserved2;
  const rep_cuda_program *cuda; /* REP_DEVICE_CUDA models */
  /* External weights (repc --weights=FILE); NULL and 0 when built in. */
  const char *weights_file; /* the file's name, looked up beside the model */
  uint64_t weights_size;    /* bytes, header included */
  uint64_t weights_fingerprint; /* as in the file's header */
};

#ifdef __cplusplus
}
#endif

#endif /* REP_MODEL_ABI_H */
