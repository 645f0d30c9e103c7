/*===- concurrency_app.c - one model handle, many threads -----------------===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*
 *
 *   concurrency_app MODEL.so INPUT.npy [THREADS [RUNS]]
 *
 * Runs the model once on the calling thread, then THREADS (default 8)
 * threads run the same handle RUNS (default 50) times each, every output
 * compared bit for bit with the first. Prints "MODEL: N runs identical" or
 * the first difference, and exits non-zero on any.
 *
 *===----------------------------------------------------------------------===*/

#include "rep/npy.h"
#include "rep/runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rep_model *model;
static const float *input;
static float *reference;
static size_t out_numel;
static int runs = 50;
static int mismatches;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
  (void)arg;
  float *out = malloc(out_numel * sizeof(float));
  for (int r = 0; r < runs; ++r) {
    memset(out, 0xff, out_numel * sizeof(float)); /* NaNs if left unwritten */
    rep_status s = rep_model_run(model, (const float *const[]){input},
                                 (float *[]){out});
    if (s != REP_OK || memcmp(out, reference, out_numel * sizeof(float))) {
      pthread_mutex_lock(&lock);
      if (!mismatches++)
        fprintf(stderr, "run %d: %s\n", r,
                s != REP_OK ? rep_last_error() : "output differs");
      pthread_mutex_unlock(&lock);
    }
  }
  free(out);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.so INPUT.npy [THREADS [RUNS]]\n", argv[0]);
    return 2;
  }
  int threads = argc > 3 ? atoi(argv[3]) : 8;
  if (argc > 4)
    runs = atoi(argv[4]);
  char err[512];
  rep_npy x;
  if (rep_npy_read(argv[2], &x, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  if (rep_model_open(argv[1], &model) != REP_OK ||
      rep_model_num_inputs(model) != 1) {
    fprintf(stderr, "%s: %s\n", argv[1], rep_last_error());
    return 1;
  }
  input = x.data;
  out_numel = rep_tensor_numel(rep_model_output(model, 0));
  reference = malloc(out_numel * sizeof(float));
  if (rep_model_run(model, (const float *const[]){input},
                    (float *[]){reference}) != REP_OK) {
    fprintf(stderr, "%s\n", rep_last_error());
    return 1;
  }
  pthread_t tids[64];
  if (threads > 64)
    threads = 64;
  for (int t = 0; t < threads; ++t)
    pthread_create(&tids[t], NULL, worker, NULL);
  for (int t = 0; t < threads; ++t)
    pthread_join(tids[t], NULL);
  if (mismatches) {
    printf("%s: %d of %d runs differ\n", rep_model_name(model), mismatches,
           threads * runs);
    return 1;
  }
  printf("%s: %d runs identical\n", rep_model_name(model), threads * runs);
  rep_model_close(model);
  rep_npy_free(&x);
  free(reference);
  return 0;
}
