"""Prints a rep model whose reductions the GPU back end computes as
cooperative kernels (rep-map-reductions-to-gpu; CodeGen/cuda/reductions.test),
at the borders. Rows (the reduced loop runs along memory; a warp a row): a
LayerNorm over 45 channels of 370 rows (each lane's loop partial, 47
blocks of 8 rows, the last with 2), the mean over those channels (its
division fused after the sum), a LayerNorm over 37 of 10 rows (2 blocks,
the second with 2 rows). Columns (the output's last loop runs along
memory; a lane an output, warps splitting the reduction): a mean over 37
rows of 45 columns (2 column tiles, the second with 13 lanes, 2 slices),
and a global average pool over a 1x1 conv's 37 x 45 NHWC pixels of 20
channels (12 lanes idle, 32 slices, two reduced loops). And a mean over
10 rows of 37, too short for either, left to a thread per output. Random
input, weights, scale and bias, so that a partial taken from the wrong
lane, row or slice changes the output."""
import numpy as np

import rep_text

rng = np.random.RandomState(13)


def const(name, shape, scale=1.0):
    print(rep_text.const(rng, name, shape, scale))


print('func.func @main(%x: tensor<2x5x37x45xf32>) -> tensor<10x86xf32> {')
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
print('  %h = rep.reduce_mean %x {axes = array<i64: 2>, keepdims = false} '
      ': (tensor<2x5x37x45xf32>) -> tensor<2x5x45xf32>')
print('  %hr = rep.reshape %h {shape = array<i64: 10, 45>} : '
      '(tensor<2x5x45xf32>) -> tensor<10x45xf32>')
const('w', (20, 5, 1, 1))
print(rep_text.conv('p', 'x', 'w', None, (2, 5, 37, 45), (20, 5, 1, 1),
                    (2, 20, 37, 45)))
print('  %gp = rep.global_avg_pool %p : (tensor<2x20x37x45xf32>) '
      '-> tensor<2x20x1x1xf32>')
print('  %gr = rep.reshape %gp {shape = array<i64: 10, 4>} : '
      '(tensor<2x20x1x1xf32>) -> tensor<10x4xf32>')
print('  %o = rep.concat %y, %hr, %gr {axis = 1 : i64} : (tensor<10x37xf32>, '
      'tensor<10x45xf32>, tensor<10x4xf32>) -> tensor<10x86xf32>')
print('  return %o : tensor<10x86xf32>')
print('}')
