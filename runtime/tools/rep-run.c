/*===- rep-run.c - run and time a compiled repc model ----------------------===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*
 *
 *   rep-run MODEL.so|MODEL_EXE --input=x.npy [--input=...] [--output=y.npy]
 *           [--repeat=N] [--warmup=N] [--threads=N] [--device=cpu|cuda]
 *           [--weights=FILE]
 *
 * --weights names the weights file of a model compiled with repc
 * --weights=FILE (by default it is looked up beside the model).
 * --device states where the model must run (a model runs where repc
 * --target= compiled it for); a mismatch is an error. The last line
 * printed is one JSON object:
 *   {"median_ms": .., "min_ms": .., "repeat": .., "device": ".."}
 * Built with REP_STATIC_MODEL, this is the main of `repc --emit=exe`
 * binaries: the same flags, without MODEL, for the model linked in.
 *
 *===----------------------------------------------------------------------===*/

#include "rep/npy.h"
#include "rep/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef REP_STATIC_MODEL
const rep_model_abi *rep_model_entry(void);
#define TOOL "model"
#else
#define TOOL "rep-run"
#endif

#define MAX_IO 16

static int usage(const char *argv0) {
  fprintf(stderr,
#ifdef REP_STATIC_MODEL
          "usage: %s --input=x.npy [--output=y.npy]"
#else
          "usage: %s MODEL.so|MODEL_EXE --input=x.npy [--output=y.npy]"
#endif
          " [--repeat=N] [--warmup=N] [--threads=N] [--device=cpu|cuda]"
          " [--weights=FILE]\n",
          argv0);
  return 2;
}

static int parseCount(const char *flag, const char *v, int min, int *out) {
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (!*v || *end || errno || n < min || n > 1000000) {
    fprintf(stderr, TOOL ": error: %s=%s: expected an integer >= %d\n", flag, v,
            min);
    return 1;
  }
  *out = (int)n;
  return 0;
}

static double nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compareDouble(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const char *modelPath = NULL, *weights = NULL, *inputs[MAX_IO],
             *outputs[MAX_IO];
  int numInputs = 0, numOutputs = 0, repeat = 1, warmup = 0, threads = 0;
  int device = -1;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strncmp(a, "--input=", 8) && numInputs < MAX_IO)
      inputs[numInputs++] = a + 8;
    else if (!strncmp(a, "--output=", 9) && numOutputs < MAX_IO)
      outputs[numOutputs++] = a + 9;
    else if (!strncmp(a, "--weights=", 10))
      weights = a + 10;
    else if (!strncmp(a, "--repeat=", 9)) {
      if (parseCount("--repeat", a + 9, 1, &repeat))
        return 2;
    } else if (!strncmp(a, "--warmup=", 9)) {
      if (parseCount("--warmup", a + 9, 0, &warmup))
        return 2;
    } else if (!strncmp(a, "--threads=", 10)) {
      if (parseCount("--threads", a + 10, 0, &threads))
        return 2;
    } else if (!strncmp(a, "--device=", 9)) {
      if (!strcmp(a + 9, "cpu"))
        device = REP_DEVICE_CPU;
      else if (!strcmp(a + 9, "cuda"))
        device = REP_DEVICE_CUDA;
      else {
        fprintf(stderr, TOOL ": error: %s: expected cpu or cuda\n", a);
        return 2;
      }
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(argv[0]);
      return 0;
#ifndef REP_STATIC_MODEL
    } else if (a[0] != '-' && !modelPath) {
      modelPath = a;
#endif
    } else {
      fprintf(stderr, TOOL ": error: unknown argument '%s'\n", a);
      return usage(argv[0]);
    }
  }

  rep_model *model;
  rep_status s;
#ifdef REP_STATIC_MODEL
  s = rep_model_from_abi_with_weights(rep_model_entry(), weights, &model);
#else
  if (!modelPath)
    return usage(argv[0]);
  /* dlopen searches the library path for a bare file name. */
  char local[4096];
  if (!strchr(modelPath, '/') && strlen(modelPath) + 3 < sizeof local) {
    snprintf(local, sizeof local, "./%s", modelPath);
    modelPath = local;
  }
  s = rep_model_open_with_weights(modelPath, weights, &model);
  size_t len = strlen(modelPath);
  int isLibrary = len > 3 && !strcmp(modelPath + len - 3, ".so");
  if (s == REP_ERROR_OPEN && !isLibrary && access(modelPath, X_OK) == 0) {
    /* An --emit=exe binary takes the same flags. */
    char *args[2 * MAX_IO + 8];
    int n = 0;
    args[n++] = (char *)modelPath;
    for (int i = 1; i < argc && n < 2 * MAX_IO + 7; ++i)
      if (strncmp(argv[i], "-", 1) == 0)
        args[n++] = argv[i];
    args[n] = NULL;
    execv(modelPath, args);
  }
#endif
  if (s != REP_OK) {
    fprintf(stderr, TOOL ": error: %s\n", rep_last_error());
    return 1;
  }

  /* Every exit from here on releases what it holds (a leak checker sees
     the error paths too). */
  int rc = 1;
  uint32_t numRead = 0, numAlloc = 0;
  rep_npy in[MAX_IO];
  float *outPtrs[MAX_IO];
  double *times = NULL;
  static const char *const deviceNames[] = {"cpu", "cuda"};
  rep_device actual = rep_model_device(model);
  if (device >= 0 && (rep_device)device != actual) {
    fprintf(stderr,
            TOOL ": error: --device=%s, but model '%s' was compiled for %s "
                 "(repc --target=%s)\n",
            deviceNames[device], rep_model_name(model), deviceNames[actual],
            deviceNames[device]);
    goto done;
  }

  uint32_t nIn = rep_model_num_inputs(model), nOut = rep_model_num_outputs(model);
  if ((uint32_t)numInputs != nIn) {
    fprintf(stderr, TOOL ": error: model '%s' takes %u input(s), got %d --input\n",
            rep_model_name(model), nIn, numInputs);
    goto done;
  }
  if (numOutputs && (uint32_t)numOutputs != nOut) {
    fprintf(stderr,
            TOOL ": error: model '%s' has %u output(s), got %d --output\n",
            rep_model_name(model), nOut, numOutputs);
    goto done;
  }
  const float *inPtrs[MAX_IO];
  char err[512];
  for (uint32_t i = 0; i < nIn; ++i) {
    if (rep_npy_read(inputs[i], &in[i], err, sizeof err)) {
      fprintf(stderr, TOOL ": error: %s\n", err);
      goto done;
    }
    numRead = i + 1;
    const rep_tensor_info *info = rep_model_input(model, i);
    int same = in[i].rank == info->rank;
    for (uint32_t d = 0; same && d < info->rank; ++d)
      same = in[i].dims[d] == info->dims[d];
    if (!same) {
      char want[128] = "", got[128] = "";
      for (uint32_t d = 0; d < info->rank; ++d)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld",
                 d ? "x" : "", (long long)info->dims[d]);
      for (uint32_t d = 0; d < in[i].rank; ++d)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld",
                 d ? "x" : "", (long long)in[i].dims[d]);
      fprintf(stderr,
              TOOL ": error: %s: shape %s, but input '%s' of the model is %s\n",
              inputs[i], got, info->name, want);
      goto done;
    }
    inPtrs[i] = in[i].data;
  }
  for (uint32_t i = 0; i < nOut; ++i) {
    outPtrs[i] = calloc(rep_tensor_numel(rep_model_output(model, i)) + 1,
                        sizeof(float));
    if (!outPtrs[i]) {
      fprintf(stderr, TOOL ": error: out of memory\n");
      goto done;
    }
    numAlloc = i + 1;
  }
  rep_model_set_threads(model, threads);

  times = calloc((size_t)repeat, sizeof(double));
  if (!times) {
    fprintf(stderr, TOOL ": error: out of memory\n");
    goto done;
  }
  for (int i = 0; i < warmup + repeat; ++i) {
    double t0 = nowMs();
    s = rep_model_run(model, inPtrs, outPtrs);
    double t1 = nowMs();
    if (s != REP_OK) {
      fprintf(stderr, TOOL ": error: %s%s%s\n", rep_status_string(s),
              *rep_last_error() ? ": " : "", rep_last_error());
      goto done;
    }
    if (i >= warmup)
      times[i - warmup] = t1 - t0;
  }
  for (int i = 0; i < numOutputs; ++i) {
    const rep_tensor_info *info = rep_model_output(model, (uint32_t)i);
    if (rep_npy_write(outputs[i], info->rank, info->dims, outPtrs[i], err,
                      sizeof err)) {
      fprintf(stderr, TOOL ": error: %s\n", err);
      goto done;
    }
  }
  qsort(times, (size_t)repeat, sizeof(double), compareDouble);
  double median = repeat % 2 ? times[repeat / 2]
                             : (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
  printf("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"repeat\": %d, "
         "\"device\": \"%s\"}\n",
         median, times[0], repeat, deviceNames[actual]);
  rc = 0;
done:
  free(times);
  for (uint32_t i = 0; i < numRead; ++i)
    rep_npy_free(&in[i]);
  for (uint32_t i = 0; i < numAlloc; ++i)
    free(outPtrs[i]);
  rep_model_close(model);
  return rc;
}
