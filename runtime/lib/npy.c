/*===- npy.c - float32 .npy files for the repc runtime tools ----------------===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*/

#include "rep/npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (err && len)
    vsnprintf(err, len, fmt, ap);
  va_end(ap);
  return 1;
}

size_t rep_npy_numel(const rep_npy *t) {
  size_t n = 1;
  for (uint32_t i = 0; i < t->rank; ++i)
    n *= (size_t)t->dims[i];
  return n;
}

void rep_npy_free(rep_npy *t) {
  free(t->data);
  t->data = NULL;
}

int rep_npy_read(const char *path, rep_npy *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
  unsigned char magic[10];
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "\x93NUMPY", 6) != 0) {
    fclose(f);
    return fail(err, errlen, "%s: not a .npy file", path);
  }
  unsigned major = magic[6];
  size_t headerLen;
  if (major == 1) {
    unsigned char l[2];
    if (fread(l, 1, 2, f) != 2)
      goto truncated;
    headerLen = l[0] | (size_t)l[1] << 8;
  } else if (major == 2 || major == 3) {
    unsigned char l[4];
    if (fread(l, 1, 4, f) != 4)
      goto truncated;
    headerLen = l[0] | (size_t)l[1] << 8 | (size_t)l[2] << 16 |
                (size_t)l[3] << 24;
  } else {
    fclose(f);
    return fail(err, errlen, "%s: unsupported .npy version %u", path, major);
  }
  if (headerLen > 65536) {
    fclose(f);
    return fail(err, errlen, "%s: .npy header too long", path);
  }
  char *header = calloc(headerLen + 1, 1);
  if (!header || fread(header, 1, headerLen, f) != headerLen) {
    free(header);
    goto truncated;
  }
  if (!strstr(header, "'descr': '<f4'")) {
    free(header);
    fclose(f);
    return fail(err, errlen, "%s: expected float32 ('<f4') data", path);
  }
  if (strstr(header, "'fortran_order': True")) {
    free(header);
    fclose(f);
    return fail(err, errlen, "%s: Fortran-order arrays are not supported",
                path);
  }
  char *shape = strstr(header, "'shape': (");
  if (!shape) {
    free(header);
    fclose(f);
    return fail(err, errlen, "%s: .npy header has no shape", path);
  }
  shape += strlen("'shape': (");
  while (*shape && *shape != ')') {
    while (*shape == ' ' || *shape == ',')
      ++shape;
    if (*shape == ')')
      break;
    char *end;
    long long d = strtoll(shape, &end, 10);
    if (end == shape || d < 0 || out->rank == REP_NPY_MAX_RANK) {
      free(header);
      fclose(f);
      return fail(err, errlen, "%s: bad .npy shape", path);
    }
    out->dims[out->rank++] = d;
    shape = end;
  }
  free(header);
  /* The data must be exactly what the shape needs: checked, without
     overflow, against what the file holds before anything is allocated. */
  long here = ftell(f);
  if (here < 0 || fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return fail(err, errlen, "%s: cannot seek", path);
  }
  long size = ftell(f);
  if (size < here || fseek(f, here, SEEK_SET) != 0) {
    fclose(f);
    return fail(err, errlen, "%s: cannot seek", path);
  }
  size_t avail = (size_t)(size - here) / sizeof(float), n = 1;
  for (uint32_t i = 0; i < out->rank; ++i) {
    size_t d = (size_t)out->dims[i];
    if (d && n > avail / d) {
      n = SIZE_MAX;
      break;
    }
    n *= d;
  }
  for (uint32_t i = 0; i < out->rank; ++i)
    if (out->dims[i] == 0)
      n = 0;
  if (n > avail) {
    fclose(f);
    return fail(err, errlen, "%s: truncated .npy file (its shape needs more "
                             "data than it holds)", path);
  }
  out->data = malloc(n ? n * sizeof(float) : 1);
  if (!out->data) {
    fclose(f);
    return fail(err, errlen, "%s: out of memory", path);
  }
  if (fread(out->data, sizeof(float), n, f) != n) {
    rep_npy_free(out);
    goto truncated;
  }
  fclose(f);
  return 0;
truncated:
  fclose(f);
  return fail(err, errlen, "%s: truncated .npy file", path);
}

int rep_npy_write(const char *path, uint32_t rank, const int64_t *dims,
                  const float *data, char *err, size_t errlen) {
  char header[256];
  int len = snprintf(header, sizeof header,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (");
  size_t n = 1;
  for (uint32_t i = 0; i < rank; ++i) {
    len += snprintf(header + len, sizeof header - len, "%lld%s",
                    (long long)dims[i], rank == 1 ? "," : i + 1 < rank ? ", " : "");
    n *= (size_t)dims[i];
  }
  len += snprintf(header + len, sizeof header - len, "), }");
  /* Pad with spaces so the data starts 64-byte aligned, then a newline. */
  int total = 10 + len + 1;
  int pad = (64 - total % 64) % 64;
  FILE *f = fopen(path, "wb");
  if (!f)
    return fail(err, errlen, "%s: cannot write: %s", path, strerror(errno));
  unsigned short hl = (unsigned short)(len + pad + 1);
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                           (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
  int ok = fwrite(pre, 1, 10, f) == 10 &&
           fwrite(header, 1, len, f) == (size_t)len;
  for (int i = 0; ok && i < pad; ++i)
    ok = fputc(' ', f) != EOF;
  ok = ok && fputc('\n', f) != EOF && fwrite(data, sizeof(float), n, f) == n;
  if (fclose(f) != 0 || !ok)
    return fail(err, errlen, "%s: write failed", path);
  return 0;
}
