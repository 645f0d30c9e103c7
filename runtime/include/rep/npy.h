/*===- npy.h - float32 .npy files for the repc runtime tools -------*- C -*-===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*/

#ifndef REP_NPY_H
#define REP_NPY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REP_NPY_MAX_RANK 8

typedef struct rep_npy {
  uint32_t rank;
  int64_t dims[REP_NPY_MAX_RANK];
  float *data; /* malloc'd; free with rep_npy_free */
} rep_npy;

/* Reads a little-endian float32, C-order .npy file (format 1.0 to 3.0).
   On failure returns non-zero and writes a line naming the file into err. */
int rep_npy_read(const char *path, rep_npy *out, char *err, size_t errlen);
/* Writes data as a float32 .npy file (format 1.0). */
int rep_npy_write(const char *path, uint32_t rank, const int64_t *dims,
                  const float *data, char *err, size_t errlen);
void rep_npy_free(rep_npy *t);
size_t rep_npy_numel(const rep_npy *t);

#ifdef __cplusplus
}
#endif

#endif /* REP_NPY_H */
