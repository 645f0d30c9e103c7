"""Prints a rep model whose conv the GPU back end computes with wide
(128 x 128) tiles (CodeGen/cuda/wide-tiles.test): a 3x3 conv with
padding, 5 -> 128 channels, on 2 x 121 x 59 pixels, 14278 rows: 112
row tiles of 128 (the last 70 rows), enough for sm_80's 108
multiprocessors; a depth of 45 (three 16-deep rounds, the last
partial); its bias and ReLU fused. Random weights, so that an operand
staged from the wrong place changes the output."""
import numpy as np

import rep_text

rng = np.random.RandomState(17)

print('func.func @main(%x: tensor<2x5x121x59xf32>) -> tensor<2x128x121x59xf32> {')
print(rep_text.const(rng, 'w', (128, 5, 3, 3), 0.3))
print(rep_text.const(rng, 'b', (128,)))
print(rep_text.conv('c', 'x', 'w', 'b', (2, 5, 121, 59), (128, 5, 3, 3),
                    (2, 128, 121, 59), pads=(1, 1, 1, 1)))
print('  %y = rep.relu %c : tensor<2x128x121x59xf32>')
print('  return %y : tensor<2x128x121x59xf32>')
print('}')
