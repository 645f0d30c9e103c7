"""Prints a rep model whose weights the CPU back end packs in slabs
(CodeGen/ops/slabs.test): a pointwise conv with a GELU whose 256 outputs
are computed in two 128-column cache tiles (a tile loop's slabs); a
stride-2 conv whose 80-filter weight outweighs its input, so threads split
it into five 16-filter slabs; and an fc whose 96 outputs threads split into
three 32-column slabs. Random weights, so that a slab taken from the wrong
columns or rows changes the output."""
import numpy as np

import rep_text

rng = np.random.RandomState(7)


def const(name, shape, scale=1.0):
    return rep_text.const(rng, name, shape, scale)


print('func.func @main(%x: tensor<2x8x16x16xf32>) -> tensor<2x96xf32> {')
print(const('w0', (256, 8, 1, 1)))
print(const('b0', (256,)))
print('  %p = rep.conv2d %x, %w0, %b0 {dilations = array<i64: 1, 1>, '
      'groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, '
      'strides = array<i64: 1, 1>} : (tensor<2x8x16x16xf32>, '
      'tensor<256x8x1x1xf32>, tensor<256xf32>) -> tensor<2x256x16x16xf32>')
print('  %g = rep.gelu %p : tensor<2x256x16x16xf32>')
print(const('w1', (80, 256, 3, 3), 0.1))
print(const('b1', (80,)))
print('  %c = rep.conv2d %g, %w1, %b1 {dilations = array<i64: 1, 1>, '
      'groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, '
      'strides = array<i64: 2, 2>} : (tensor<2x256x16x16xf32>, '
      'tensor<80x256x3x3xf32>, tensor<80xf32>) -> tensor<2x80x8x8xf32>')
print('  %r = rep.relu %c : tensor<2x80x8x8xf32>')
print('  %f = rep.flatten %r {axis = 1 : i64} : (tensor<2x80x8x8xf32>) '
      '-> tensor<2x5120xf32>')
print(const('w2', (96, 5120)))
print(const('b2', (96,)))
print('  %y = rep.fc %f, %w2, %b2 : (tensor<2x5120xf32>, tensor<96x5120xf32>, '
      'tensor<96xf32>) -> tensor<2x96xf32>')
print('  return %y : tensor<2x96xf32>')
print('}')
