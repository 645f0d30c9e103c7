"""Prints a rep model whose 3x3 convs the CPU back end computes as Winograd
F(2x2, 3x3) (CodeGen/ops/winograd.test): a padded conv with a bias on
non-square 10x12 maps, 48 channels, then ReLU; an unpadded conv
without bias whose 40 filters are padded to 48 and sliced off after; and,
after a stride-2 conv, a conv on 4x5 maps (odd width), which stays
direct. Random weights, so that a tap, channel or tile taken from the wrong
place changes the output."""
import numpy as np

import rep_text

rng = np.random.RandomState(11)


def const(name, shape):
    return rep_text.const(rng, name, shape, 0.2)


def conv(out, x, w, bias, xs, ws, ys, pads, strides=(1, 1)):
    print(rep_text.conv(out, x, w, bias, xs, ws, ys, pads=pads,
                        strides=strides))


print('func.func @main(%x: tensor<2x48x10x12xf32>) -> tensor<2x16x4x5xf32> {')
print(const('w1', (48, 48, 3, 3)))
print(const('b1', (48,)))
conv('c1', 'x', 'w1', 'b1', (2, 48, 10, 12), (48, 48, 3, 3), (2, 48, 10, 12),
     (1, 1, 1, 1))
print('  %r1 = rep.relu %c1 : tensor<2x48x10x12xf32>')
print(const('w2', (40, 48, 3, 3)))
conv('c2', 'r1', 'w2', None, (2, 48, 10, 12), (40, 48, 3, 3), (2, 40, 8, 10),
     (0, 0, 0, 0))
print(const('w3', (40, 40, 3, 3)))
conv('c3', 'c2', 'w3', None, (2, 40, 8, 10), (40, 40, 3, 3), (2, 40, 4, 5),
     (1, 1, 1, 1), (2, 2))
print(const('w4', (16, 40, 3, 3)))
print(const('b4', (16,)))
conv('c4', 'c3', 'w4', 'b4', (2, 40, 4, 5), (16, 40, 3, 3), (2, 16, 4, 5),
     (1, 1, 1, 1))
print('  return %c4 : tensor<2x16x4x5xf32>')
print('}')
