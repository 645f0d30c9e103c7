/*===- classify.c - an app that links a compiled RepVGG ---------------------===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*
 *
 *   classify IMAGES.npy [LOGITS.npy]
 *
 * Classifies a batch of images (float32 NCHW, the shape the model was
 * compiled for) with the RepVGG linked in as vgg.o + vgg.h
 * (repc_add_model), prints the top class of each, and optionally writes
 * the logits.
 *
 *===----------------------------------------------------------------------===*/

#include "rep/npy.h"
#include "vgg.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s IMAGES.npy [LOGITS.npy]\n", argv[0]);
    return 2;
  }
  char err[512];
  rep_npy images;
  if (rep_npy_read(argv[1], &images, err, sizeof err)) {
    fprintf(stderr, "classify: %s\n", err);
    return 1;
  }
  if (rep_npy_numel(&images) != VGG_INPUT_SIZE) {
    fprintf(stderr, "classify: %s: %zu floats, the model takes %d\n", argv[1],
            rep_npy_numel(&images), VGG_INPUT_SIZE);
    return 1;
  }
  static float logits[VGG_OUTPUT_SIZE], again[VGG_OUTPUT_SIZE];
  if (vgg_run(images.data, logits) != 0) {
    fprintf(stderr, "classify: the model failed\n");
    return 1;
  }
  /* Repeated runs can reuse one workspace and allocate nothing. */
  static _Alignas(64) unsigned char workspace[VGG_WORKSPACE_SIZE + 1];
  if (vgg_run_with_workspace(workspace, images.data, again) != 0) {
    fprintf(stderr, "classify: the model failed\n");
    return 1;
  }
  for (int i = 0; i < VGG_OUTPUT_SIZE; ++i)
    if (again[i] != logits[i]) {
      fprintf(stderr, "classify: the two entry points disagree\n");
      return 1;
    }
  for (int n = 0; n < VGG_OUTPUT_DIM0; ++n) {
    const float *row = logits + n * VGG_OUTPUT_DIM1;
    int best = 0;
    for (int c = 1; c < VGG_OUTPUT_DIM1; ++c)
      if (row[c] > row[best])
        best = c;
    printf("image %d: class %d (logit %.4f)\n", n, best, row[best]);
  }
  if (argc > 2) {
    int64_t dims[2] = {VGG_OUTPUT_DIM0, VGG_OUTPUT_DIM1};
    if (rep_npy_write(argv[2], 2, dims, logits, err, sizeof err)) {
      fprintf(stderr, "classify: %s\n", err);
      return 1;
    }
  }
  printf("%s\n", VGG_VERSION);
  rep_npy_free(&images);
  return 0;
}
