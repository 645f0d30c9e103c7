"""Prints a rep model whose convs and matmuls the GPU back end computes as
shared-memory tiled kernels (CodeGen/cuda/contractions.test), at the
borders. Too small to fill a GPU, so the GEMMs take 64- or 32-row tiles,
and the two with enough work per thread split their depth across blocks
(against sm_80's 108 multiprocessors): odd input sizes; a stride-2,
dilated, asymmetrically padded conv with 308 output pixels (five 64-row
tiles, the last partial), 60 filters (64 as lowered: conv outputs are
padded to multiples of 16) and a depth of 45 (three 16-deep rounds, the
last partial); a grouped conv (groups as independent GEMMs) with 80
filters per group and a depth of 270, split into 5 x 48 + 30 (the last
round partial); a depthwise conv on 11 columns (one thread per channel
and 4 columns: the last 3-column tile guarded); a pointwise conv to 144
channels (three 48-column tiles) of depth 160, split into 5 x 32, its
bias and ReLU fused into the kernel that adds the splits, which also
writes the ReLU's output into the next conv's padded input (a ConvMixer
block: a depthwise conv whose residual reads the unpadded output); a
stride-2, dilated, asymmetrically
padded depthwise conv to 5 columns (one tile of 5); an fc on a 2-row
input with 48 outputs and its ReLU; and a batched matmul to 33 columns
(a 32-row tile of 40 columns, the last 7 guarded, 2 rows a thread).
Random weights, so that an operand staged from the wrong place changes
the output."""
import numpy as np

import rep_text

rng = np.random.RandomState(11)


def const(name, shape, scale=1.0):
    return rep_text.const(rng, name, shape, scale)


def conv(*args, **kwargs):
    print(rep_text.conv(*args, **kwargs))


print('func.func @main(%x: tensor<2x5x29x23xf32>) -> tensor<2x3x33xf32> {')
print(const('w0', (60, 5, 3, 3), 0.3))
print(const('b0', (60,)))
conv('c0', 'x', 'w0', 'b0', (2, 5, 29, 23), (60, 5, 3, 3), (2, 60, 14, 11),
     pads=(1, 0, 2, 1), strides=(2, 2), dilations=(2, 1))
print('  %r0 = rep.relu %c0 : tensor<2x60x14x11xf32>')
print(const('w1', (160, 30, 3, 3), 0.1))
print(const('b1', (160,)))
conv('c1', 'r0', 'w1', 'b1', (2, 60, 14, 11), (160, 30, 3, 3),
     (2, 160, 14, 11), groups=2, pads=(1, 1, 1, 1))
print(const('wd1', (160, 1, 3, 3), 0.3))
print(const('bd1', (160,)))
conv('d1', 'c1', 'wd1', 'bd1', (2, 160, 14, 11), (160, 1, 3, 3),
     (2, 160, 14, 11), groups=160, pads=(1, 1, 1, 1))
print(const('w2', (144, 160, 1, 1), 0.1))
print(const('b2', (144,)))
conv('c2', 'd1', 'w2', 'b2', (2, 160, 14, 11), (144, 160, 1, 1),
     (2, 144, 14, 11))
print('  %r2 = rep.relu %c2 : tensor<2x144x14x11xf32>')
print(const('wd2', (144, 1, 3, 3), 0.3))
print(const('bd2', (144,)))
print(const('wd3', (144, 1, 3, 3), 0.3))
print(const('bd3', (144,)))
conv('d3', 'r2', 'wd3', 'bd3', (2, 144, 14, 11), (144, 1, 3, 3),
     (2, 144, 14, 11), groups=144, pads=(1, 1, 1, 1))
print('  %s3 = rep.add %d3, %r2 : (tensor<2x144x14x11xf32>, '
      'tensor<2x144x14x11xf32>) -> tensor<2x144x14x11xf32>')
conv('d2', 's3', 'wd2', 'bd2', (2, 144, 14, 11), (144, 1, 3, 3),
     (2, 144, 7, 5), groups=144, pads=(1, 0, 2, 1), strides=(2, 2),
     dilations=(2, 1))
print('  %m = rep.reduce_mean %d2 {axes = array<i64: 2, 3>, keepdims = false} '
      ': (tensor<2x144x7x5xf32>) -> tensor<2x144xf32>')
print(const('w3', (48, 144), 0.1))
print(const('b3', (48,)))
print('  %f = rep.fc %m, %w3, %b3 : (tensor<2x144xf32>, tensor<48x144xf32>, '
      'tensor<48xf32>) -> tensor<2x48xf32>')
print('  %fr = rep.relu %f : tensor<2x48xf32>')
print('  %s = rep.reshape %fr {shape = array<i64: 2, 3, 16>} : '
      '(tensor<2x48xf32>) -> tensor<2x3x16xf32>')
print(const('w4', (16, 33)))
print('  %y = rep.matmul %s, %w4 : (tensor<2x3x16xf32>, tensor<16x33xf32>) '
      '-> tensor<2x3x33xf32>')
print('  return %y : tensor<2x3x33xf32>')
print('}')
