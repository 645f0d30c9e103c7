"""Prints a rep model whose weights the CPU back end packs in slabs
(CodeGen/ops/slabs.test): a stride-2 conv whose 80-filter weight outweighs
its input, so threads split it into five 16-filter slabs, and an fc whose
96 outputs threads split into three 32-column slabs. Random weights, so
that a slab taken from the wrong columns or rows changes the output."""
import numpy as np

rng = np.random.RandomState(7)


def const(name, shape):
    data = rng.randn(*shape).astype('<f4')
    ty = 'tensor<%sxf32>' % 'x'.join(map(str, shape))
    return '  %%%s = rep.constant dense<"0x%s"> : %s' % (
        name, data.tobytes().hex().upper(), ty)


print('func.func @main(%x: tensor<2x8x9x9xf32>) -> tensor<2x96xf32> {')
print(const('w1', (80, 8, 3, 3)))
print(const('b1', (80,)))
print('  %c = rep.conv2d %x, %w1, %b1 {dilations = array<i64: 1, 1>, '
      'groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, '
      'strides = array<i64: 2, 2>} : (tensor<2x8x9x9xf32>, '
      'tensor<80x8x3x3xf32>, tensor<80xf32>) -> tensor<2x80x5x5xf32>')
print('  %r = rep.relu %c : tensor<2x80x5x5xf32>')
print('  %f = rep.flatten %r {axis = 1 : i64} : (tensor<2x80x5x5xf32>) '
      '-> tensor<2x2000xf32>')
print(const('w2', (96, 2000)))
print(const('b2', (96,)))
print('  %y = rep.fc %f, %w2, %b2 : (tensor<2x2000xf32>, tensor<96x2000xf32>, '
      'tensor<96xf32>) -> tensor<2x96xf32>')
print('  return %y : tensor<2x96xf32>')
print('}')
