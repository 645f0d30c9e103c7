/*===- weights_app.c - calls an --emit=obj model with external weights ----===*
 *
 * Part of the repc project, under the Apache License v2.0 with LLVM
 * Exceptions.
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 *===----------------------------------------------------------------------===*
 *
 *   weights_app WEIGHTS IMAGES.npy LOGITS.npy
 *
 * Reads the weights file of vgg.o (repc --emit=obj --name=vgg
 * --weights=...) itself and calls vgg_run directly, as an app without the
 * runtime would; checks that the entry points refuse no weights and another
 * build's weights.
 *
 *===----------------------------------------------------------------------===*/

#include "rep/npy.h"
#include "vgg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  FILE *f = fopen(argv[1], "rb");
  unsigned char *weights = aligned_alloc(64, VGG_WEIGHTS_SIZE);
  if (!f || !weights ||
      fread(weights, 1, VGG_WEIGHTS_SIZE, f) != VGG_WEIGHTS_SIZE) {
    fprintf(stderr, "weights_app: cannot read %s\n", argv[1]);
    return 1;
  }
  fclose(f);
  char err[512];
  rep_npy images;
  if (rep_npy_read(argv[2], &images, err, sizeof err)) {
    fprintf(stderr, "weights_app: %s\n", err);
    return 1;
  }
  static float logits[VGG_OUTPUT_SIZE];
  printf("no weights: %d\n", vgg_run(NULL, images.data, logits));
  weights[8] ^= 1; /* the fingerprint */
  printf("another build: %d\n", vgg_run(weights, images.data, logits));
  weights[8] ^= 1;
  printf("these weights: %d\n", vgg_run(weights, images.data, logits));
  int64_t dims[2] = {VGG_OUTPUT_DIM0, VGG_OUTPUT_DIM1};
  if (rep_npy_write(argv[3], 2, dims, logits, err, sizeof err)) {
    fprintf(stderr, "weights_app: %s\n", err);
    return 1;
  }
  rep_npy_free(&images);
  free(weights);
  return 0;
}
