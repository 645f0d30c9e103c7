"""Prints a rep model whose reductions along contiguous rows the GPU back
end computes a warp per row (rep-map-row-reductions-to-gpu;
CodeGen/cuda/reductions.test), at the borders: a LayerNorm over 45
channels of 370 rows (each lane's loop partial, 46 blocks of 8 rows, the
last with 2), the mean over those channels (its division fused after the
sum), a LayerNorm over 37 of 10 rows (2 blocks, the second with 2 rows),
and a mean over rows, which runs across memory and keeps a thread per
output. Random input, scale and bias, so that a partial taken from the
wrong lane or row changes the output."""
import numpy as np

import rep_text

rng = np.random.RandomState(13)


def const(name, shape, scale=1.0):
    print(rep_text.const(rng, name, shape, scale))


print('func.func @main(%x: tensor<2x5x37x45xf32>) -> tensor<10x37xf32> {')
const('g1', (45,))
const('b1', (45,))
print('  %n1 = rep.layer_norm %x, %g1, %b1 {axis = 3 : i64, '
      'epsilon = 1.0e-05 : f32} : (tensor<2x5x37x45xf32>, tensor<45xf32>, '
      'tensor<45xf32>) -> tensor<2x5x37x45xf32>')
print('  %m = rep.reduce_mean %n1 {axes = array<i64: 3>, keepdims = false} '
      ': (tensor<2x5x37x45xf32>) -> tensor<2x5x37xf32>')
print('  %r = rep.reshape %m {shape = array<i64: 10, 37>} : '
      '(tensor<2x5x37xf32>) -> tensor<10x37xf32>')
const('g2', (37,))
const('b2', (37,))
print('  %n2 = rep.layer_norm %r, %g2, %b2 {axis = 1 : i64, '
      'epsilon = 1.0e-05 : f32} : (tensor<10x37xf32>, tensor<37xf32>, '
      'tensor<37xf32>) -> tensor<10x37xf32>')
print('  %c = rep.reduce_mean %n2 {axes = array<i64: 0>, keepdims = true} '
      ': (tensor<10x37xf32>) -> tensor<1x37xf32>')
print('  %y = rep.add %n2, %c : (tensor<10x37xf32>, tensor<1x37xf32>) '
      '-> tensor<10x37xf32>')
print('  return %y : tensor<10x37xf32>')
print('}')
