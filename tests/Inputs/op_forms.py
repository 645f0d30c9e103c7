#!/usr/bin/env python3
"""op_forms.py OUT_DIR [--check=interp,native,cuda] [CASE...]

Writes one small ONNX model per opset form of the ops the importer takes
from opsets 11-23 (built with onnx.helper, never checked against Debian's
older onnx), its input x.npy and numpy's output (float64, then float32):
OUT_DIR/CASE.onnx, OUT_DIR/CASE.x.npy, OUT_DIR/CASE.y.npy. Prints the case
names. With --check, also runs each case through repc's interpreter
(interp), native code on two threads (native) and the CUDA driver emulator
(cuda: REPC_CUDA_EMULATOR names its directory), prints one line per case,
`CASE: interp OK native OK`, with FAIL and the error in place of an OK, and
exits 1 on any failure. The shapes are odd on purpose, and the inputs hold negative values,
values near the clip and hard-sigmoid corners, and exact zeros."""

import math
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

R = np.random.RandomState(11)


def x_of(shape):
    x = R.randn(*shape) * 3
    flat = x.reshape(-1)
    # Zeros, and the corners of HardSigmoid/HardSwish and ReLU6.
    flat[:8] = [0, -0.0, 3, -3, 6, 2.5, -2.5, 0.5][:flat.size]
    return x.astype(np.float32)


def erf(v):
    return np.vectorize(math.erf)(v)


def softmax(x, axes):
    m = x.max(axis=axes, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axes, keepdims=True)


def const_i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def const_f32(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.float32), name)


# name: (opset, shape, nodes, initializers, numpy reference of x (float64))
CASES = {}


def case(name, opset, shape, nodes, inits, ref):
    CASES[name] = (opset, shape, nodes, inits, ref)


N = helper.make_node
# Gelu (opset 20): exact and the tanh approximation.
case('gelu_none', 20, (2, 5, 7), [N('Gelu', ['x'], ['y'])], [],
     lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))))
case('gelu_tanh', 20, (2, 5, 7), [N('Gelu', ['x'], ['y'], approximate='tanh')], [],
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))))
# Unary math.
for op, fn in (('Tanh', np.tanh), ('Exp', lambda x: np.exp(x / 4)),
               ('Abs', np.abs), ('Neg', lambda x: -x)):
    nodes = [N(op, ['x'], ['y'])]
    ref = fn
    if op == 'Exp':
        nodes = [N('Div', ['x', 'four'], ['q']), N('Exp', ['q'], ['y'])]
    case(op.lower(), 13, (3, 9), nodes,
         [const_f32('four', 4.0)] if op == 'Exp' else [], ref)
case('log', 13, (3, 9), [N('Abs', ['x'], ['a']), N('Add', ['a', 'one'], ['p']),
                         N('Log', ['p'], ['y'])],
     [const_f32('one', 1.0)], lambda x: np.log(np.abs(x) + 1))
case('reciprocal', 13, (3, 9), [N('Abs', ['x'], ['a']), N('Add', ['a', 'one'], ['p']),
                                N('Reciprocal', ['p'], ['y'])],
     [const_f32('one', 1.0)], lambda x: 1 / (np.abs(x) + 1))
# Clip: min and max as inputs (opset 11+), one of them missing; ReLU6.
case('clip_relu6', 13, (2, 3, 5, 5), [N('Clip', ['x', 'lo', 'hi'], ['y'])],
     [const_f32('lo', 0.0), const_f32('hi', 6.0)], lambda x: np.clip(x, 0, 6))
case('clip_max_only', 13, (2, 3, 5, 5), [N('Clip', ['x', '', 'hi'], ['y'])],
     [const_f32('hi', 1.5)], lambda x: np.minimum(x, 1.5))
case('hardsigmoid', 13, (2, 3, 5, 5),
     [N('HardSigmoid', ['x'], ['y'], alpha=0.25, beta=0.4)], [],
     lambda x: np.clip(0.25 * x + 0.4, 0, 1))
case('hardswish', 14, (2, 3, 5, 5), [N('HardSwish', ['x'], ['y'])], [],
     lambda x: x * np.clip(x / 6 + 0.5, 0, 1))
case('leakyrelu', 16, (2, 3, 5, 5), [N('LeakyRelu', ['x'], ['y'], alpha=0.1)], [],
     lambda x: np.where(x > 0, x, 0.1 * x))
slope = np.array([0.1, -0.3, 0.7], np.float32).reshape(3, 1, 1)
case('prelu', 16, (2, 3, 5, 5), [N('PRelu', ['x', 'slope'], ['y'])],
     [numpy_helper.from_array(slope, 'slope')],
     lambda x: np.where(x > 0, x, slope * x))
# Variadic Max/Min/Sum/Mean with broadcasting.
b3 = np.array([0.5, -1.0, 2.0], np.float32).reshape(3, 1)
for op, fn in (('Max', lambda x: np.maximum(np.maximum(x, b3), -x)),
               ('Min', lambda x: np.minimum(np.minimum(x, b3), -x)),
               ('Sum', lambda x: x + b3 + -x * 2),
               ('Mean', lambda x: (x + b3 + -x * 2) / 3)):
    case(op.lower(), 13, (2, 3, 7),
         [N('Neg', ['x'], ['n']), N('Add', ['n', 'n'], ['m'])
          if op in ('Sum', 'Mean') else N('Identity', ['n'], ['m']),
          N(op, ['x', 'b', 'm'], ['y'])],
         [numpy_helper.from_array(b3, 'b')], fn)
# Reductions: axes as attribute (opset 13) and as input (18), none given,
# noop_with_empty_axes, keepdims 0.
case('reducemean_attr', 13, (2, 3, 5, 7),
     [N('ReduceMean', ['x'], ['y'], axes=[1, -1], keepdims=1)], [],
     lambda x: x.mean(axis=(1, 3), keepdims=True))
case('reducemean_input', 18, (2, 3, 5, 7),
     [N('ReduceMean', ['x', 'axes'], ['y'], keepdims=0)], [const_i64('axes', [2])],
     lambda x: x.mean(axis=2))
case('reducesum_input', 13, (2, 3, 5, 7),
     [N('ReduceSum', ['x', 'axes'], ['y'])], [const_i64('axes', [-1, 1])],
     lambda x: x.sum(axis=(1, 3), keepdims=True))
case('reducesum_all', 13, (2, 3, 5),
     [N('ReduceSum', ['x'], ['y'], keepdims=0)], [], lambda x: x.sum().reshape(()))
case('reducesum_noop', 18, (2, 3, 5),
     [N('ReduceSum', ['x'], ['y'], noop_with_empty_axes=1)], [], lambda x: x)
case('reducemax_attr', 13, (2, 3, 5, 7),
     [N('ReduceMax', ['x'], ['y'], axes=[3])], [], lambda x: x.max(axis=3, keepdims=True))
case('reducemax_input', 18, (2, 3, 5, 7),
     [N('ReduceMax', ['x', 'axes'], ['y'], keepdims=0)], [const_i64('axes', [1, 2])],
     lambda x: x.max(axis=(1, 2)))
case('reducemin', 18, (2, 3, 5, 7),
     [N('ReduceMin', ['x', 'axes'], ['y'])], [const_i64('axes', [0])],
     lambda x: x.min(axis=0, keepdims=True))
case('reducel1', 18, (2, 3, 5), [N('ReduceL1', ['x', 'axes'], ['y'])],
     [const_i64('axes', [2])], lambda x: np.abs(x).sum(axis=2, keepdims=True))
case('reducel2', 13, (2, 3, 5), [N('ReduceL2', ['x'], ['y'], axes=[1])], [],
     lambda x: np.sqrt((x * x).sum(axis=1, keepdims=True)))
case('reducesumsquare', 18, (2, 3, 5), [N('ReduceSumSquare', ['x', 'axes'], ['y'])],
     [const_i64('axes', [1])], lambda x: (x * x).sum(axis=1, keepdims=True))
case('reducelogsumexp', 13, (2, 3, 5),
     [N('ReduceLogSumExp', ['x'], ['y'], axes=[2], keepdims=0)], [],
     lambda x: np.log(np.exp(x).sum(axis=2)))
# Softmax: opset 11 flattens from `axis` (default 1), 13 takes one axis
# (default -1); LogSoftmax.
case('softmax_11', 11, (2, 3, 5), [N('Softmax', ['x'], ['y'])], [],
     lambda x: softmax(x, (1, 2)))
case('softmax_13', 13, (2, 3, 5), [N('Softmax', ['x'], ['y'])], [],
     lambda x: softmax(x, (2,)))
case('softmax_13_axis1', 13, (2, 3, 5), [N('Softmax', ['x'], ['y'], axis=1)], [],
     lambda x: softmax(x, (1,)))
case('logsoftmax_13', 13, (2, 3, 5), [N('LogSoftmax', ['x'], ['y'], axis=-2)], [],
     lambda x: np.log(softmax(x, (1,))))
# Split: attribute sizes (opset 11), input sizes (13), equal parts,
# num_outputs with a smaller last part (18); outputs recombined.
def split_case(name, opset, shape, split_node, inits, axis, sizes):
    outs = ['s%d' % i for i in range(len(sizes))]
    split_node.output.extend(outs)
    scale = [N('Mul', [o, 'w%d' % i], ['m%d' % i]) for i, o in enumerate(outs)]
    ws = [const_f32('w%d' % i, float(i + 1)) for i in range(len(sizes))]

    def ref(x):
        parts = np.split(x, np.cumsum(sizes)[:-1], axis=axis)
        return np.concatenate([p * (i + 1) for i, p in enumerate(parts)], axis=axis)
    case(name, opset, shape,
         [split_node] + scale + [N('Concat', ['m%d' % i for i in range(len(sizes))],
                                   ['y'], axis=axis)], inits + ws, ref)


split_case('split_attr', 11, (2, 7, 3), N('Split', ['x'], [], axis=1, split=[2, 5]),
           [], 1, [2, 5])
split_case('split_input', 13, (2, 7, 3), N('Split', ['x', 'sizes'], [], axis=-2),
           [const_i64('sizes', [3, 1, 3])], 1, [3, 1, 3])
split_case('split_equal', 13, (2, 3, 9), N('Split', ['x'], [], axis=2), [], 2, [3, 3, 3])
split_case('split_num_outputs', 18, (2, 3, 7),
           N('Split', ['x'], [], axis=2, num_outputs=3), [], 2, [3, 3, 1])
# InstanceNormalization and GroupNormalization (per-group parameters at
# opset 18, per-channel at 21).
g6 = np.linspace(0.5, 1.5, 6).astype(np.float32)
s6 = np.linspace(-0.3, 0.4, 6).astype(np.float32)


def group_norm(x, groups, scale, bias, eps):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    y = (g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + eps)
    y = y.reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * scale.reshape(shape) + bias.reshape(shape)


case('instancenorm', 13, (2, 6, 5, 3),
     [N('InstanceNormalization', ['x', 'g', 's'], ['y'], epsilon=1e-3)],
     [numpy_helper.from_array(g6, 'g'), numpy_helper.from_array(s6, 's')],
     lambda x: group_norm(x, 6, g6, s6, 1e-3))
g3 = np.array([0.7, 1.2, -0.9], np.float32)
s3 = np.array([0.1, -0.2, 0.3], np.float32)
case('groupnorm_18', 18, (2, 6, 5, 3),
     [N('GroupNormalization', ['x', 'g', 's'], ['y'], num_groups=3, epsilon=1e-4)],
     [numpy_helper.from_array(g3, 'g'), numpy_helper.from_array(s3, 's')],
     lambda x: group_norm(x, 3, np.repeat(g3, 2), np.repeat(s3, 2), 1e-4))
case('groupnorm_21', 21, (2, 6, 5, 3),
     [N('GroupNormalization', ['x', 'g', 's'], ['y'], num_groups=2, epsilon=1e-4)],
     [numpy_helper.from_array(g6, 'g'), numpy_helper.from_array(s6, 's')],
     lambda x: group_norm(x, 2, g6, s6, 1e-4))
# LayerNormalization at opset 17 and 20 (stash_type, no bias).
case('layernorm_nobias', 20, (2, 5, 6),
     [N('LayerNormalization', ['x', 'g'], ['y'], axis=-1, epsilon=1e-5, stash_type=1)],
     [numpy_helper.from_array(g6, 'g')],
     lambda x: (x - x.mean(-1, keepdims=True)) /
     np.sqrt(x.var(-1, keepdims=True) + 1e-5) * g6)
# Shape logic at import: Shape -> Gather (tensor indices) -> Equal/Where ->
# Expand (the cls-token idiom expand(B, -1, -1)); Pad with axes (opset 18).
cls = np.linspace(-1, 1, 7).astype(np.float32).reshape(1, 1, 7)
case('expand_where', 18, (2, 3, 7),
     [N('Shape', ['x'], ['sh']),
      N('Gather', ['sh', 'i0'], ['b'], axis=0),
      N('Concat', ['b', 'm1', 'm1'], ['want'], axis=0),
      N('Equal', ['want', 'm1'], ['is_neg']),
      N('Where', ['is_neg', 'ones', 'want'], ['target']),
      N('Expand', ['cls', 'target'], ['e']),
      N('Concat', ['e', 'x'], ['y'], axis=1)],
     [const_i64('i0', [0]), const_i64('m1', [-1]), const_i64('ones', [1, 1, 1]),
      numpy_helper.from_array(cls, 'cls')],
     lambda x: np.concatenate([np.broadcast_to(cls, (2, 1, 7)), x], axis=1))
case('pad_axes', 18, (2, 3, 5, 4),
     [N('Pad', ['x', 'pads', 'v', 'axes'], ['y'])],
     [const_i64('pads', [1, 2, 0, 1]), const_f32('v', 0.5), const_i64('axes', [-1, 2])],
     lambda x: np.pad(x, ((0, 0), (0, 0), (2, 1), (1, 0)), constant_values=0.5))
# Negative pads crop (opset 13, pads as an input).
def pad_crop(x):
    y = np.pad(x, ((0, 0), (0, 0), (0, 2), (1, 0)))
    return y[:, :, 1:, :-1]


case('pad_negative', 13, (2, 3, 5, 4),
     [N('Pad', ['x', 'pads'], ['y'])], [const_i64('pads', [0, 0, -1, 1, 0, 0, 2, -1])],
     pad_crop)
# Gather of activations with a 2-D index tensor (the Unfold idiom).
idx = np.array([[0, 2], [4, 1]], np.int64)
case('gather_2d', 13, (2, 5, 3), [N('Gather', ['x', 'idx'], ['y'], axis=1)],
     [numpy_helper.from_array(idx, 'idx')], lambda x: np.take(x, idx, axis=1))

# Conv1d and 1-D pools (EANet's memory units, token convs): 2-D ones of
# height 1. Stride 2, dilation, asymmetric pads and groups on odd lengths.


def conv1d(x, w, b, stride, pads, dil, groups):
    n, c, l = x.shape
    f, cg, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[1])))
    out = (xp.shape[2] - dil * (k - 1) - 1) // stride + 1
    y = np.zeros((n, f, out))
    fg = f // groups
    for o in range(f):
        g = o // fg
        for t in range(out):
            win = xp[:, g * cg:(g + 1) * cg, t * stride:t * stride + dil * (k - 1) + 1:dil]
            y[:, o, t] = (win * w[o]).sum(axis=(1, 2)) + b[o]
    return y


w1d = (R.randn(6, 2, 3) * 0.5).astype(np.float32)
b1d = (R.randn(6) * 0.1).astype(np.float32)
case('conv1d', 13, (2, 4, 11),
     [N('Conv', ['x', 'w', 'b'], ['y'], strides=[2], pads=[2, 1], dilations=[2],
        group=2)],
     [numpy_helper.from_array(w1d, 'w'), numpy_helper.from_array(b1d, 'b')],
     lambda x: conv1d(x, w1d, b1d, 2, (2, 1), 2, 2))

# Conv2d and fcs at the reference interpreter's block borders (it computes
# up to 4 output channels, or 4 fc rows, at a time, one output row of a
# conv at a time, and a 1x1 conv over the whole map): stride 2 with
# dilation and asymmetric pads in groups, pads wider than the kernel (a
# column no tap reaches is the bias), pointwise convs whose channel
# counts leave a block of 2 or 1, and an fc over 35 rows.
def conv2d(x, w, b, strides, pads, dil, groups):
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (xp.shape[3] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    y = np.zeros((n, f, oh, ow))
    fg = f // groups
    for o in range(f):
        g = o // fg
        for ky in range(kh):
            for kx in range(kw):
                tap = xp[:, g * cg:(g + 1) * cg,
                         ky * dil[0]:ky * dil[0] + strides[0] * (oh - 1) + 1:strides[0],
                         kx * dil[1]:kx * dil[1] + strides[1] * (ow - 1) + 1:strides[1]]
                y[:, o] += np.einsum('nchw,c->nhw', tap, w[o, :, ky, kx])
        y[:, o] += b[o]
    return y


def conv2d_case(name, shape, wshape, **attrs):
    w = (R.randn(*wshape) * 0.5).astype(np.float32)
    b = (R.randn(wshape[0]) * 0.1).astype(np.float32)
    k = wshape[2:]
    strides = attrs.get('strides', [1, 1])
    pads = attrs.get('pads', [0, 0, 0, 0])
    dil = attrs.get('dilations', [1, 1])
    groups = attrs.get('group', 1)
    case(name, 13, shape,
         [N('Conv', ['x', 'w', 'b'], ['y'], kernel_shape=list(k), **attrs)],
         [numpy_helper.from_array(w, 'w'), numpy_helper.from_array(b, 'b')],
         lambda x: conv2d(x, w, b, strides, pads, dil, groups))


conv2d_case('conv2d_strided', (2, 6, 9, 11), (9, 2, 3, 3), strides=[2, 1],
            pads=[2, 0, 1, 1], dilations=[2, 1], group=3)
conv2d_case('conv2d_wide_pads', (1, 3, 4, 5), (5, 3, 3, 3), strides=[2, 2],
            pads=[3, 4, 3, 4])
conv2d_case('conv2d_pointwise', (2, 5, 7, 9), (6, 5, 1, 1))
conv2d_case('conv2d_pointwise_groups', (1, 6, 5, 3), (10, 3, 1, 1), group=2)
w_fc = (R.randn(13, 9) * 0.5).astype(np.float32)
b_fc = (R.randn(9) * 0.1).astype(np.float32)
case('fc_35_rows', 13, (5, 7, 13),
     [N('MatMul', ['x', 'w'], ['t']), N('Add', ['t', 'b'], ['y'])],
     [numpy_helper.from_array(w_fc, 'w'), numpy_helper.from_array(b_fc, 'b')],
     lambda x: x.astype(np.float64) @ w_fc + b_fc)

case('maxpool1d', 13, (2, 3, 11),
     [N('MaxPool', ['x'], ['y'], kernel_shape=[3], strides=[2], pads=[1, 1])], [],
     lambda x: np.stack([np.pad(x, ((0, 0), (0, 0), (1, 1)), constant_values=-np.inf)
                         [:, :, t * 2:t * 2 + 3].max(axis=2) for t in range(6)], axis=2))
case('avgpool1d', 13, (2, 3, 11),
     [N('AveragePool', ['x'], ['y'], kernel_shape=[4], strides=[3])], [],
     lambda x: np.stack([x[:, :, t * 3:t * 3 + 4].mean(axis=2) for t in range(3)], axis=2))

# Attention between activations (Container, EANet): softmax(Q K^T / sqrt(d))
# V with Q, K, V slices of the input, batched over two heads.
def attention(x):
    q, k, v = x[..., 0:4], x[..., 4:8], x[..., 8:12]
    return softmax(q @ np.swapaxes(k, -1, -2) * 0.5, (3,)) @ v


case('attention', 13, (2, 2, 5, 12),
     [N('Split', ['x', 'qkv'], ['q', 'k', 'v'], axis=3),
      N('Transpose', ['k'], ['kt'], perm=[0, 1, 3, 2]),
      N('MatMul', ['q', 'kt'], ['s']),
      N('Mul', ['s', 'half'], ['ss']),
      N('Softmax', ['ss'], ['p'], axis=-1),
      N('MatMul', ['p', 'v'], ['y'])],
     [const_i64('qkv', [4, 4, 4]), const_f32('half', 0.5)], attention)

# Einsum (opset 12) in its matmul-like forms: attention scores between two
# activations, a Linear with its weight, an ellipsis that broadcasts, the
# implicit output (sorted letters used once), a sum and a transpose of one
# operand, three operands, and a batch dim of 1 against 2.
W45 = R.randn(4, 5).astype(np.float32)
W56 = R.randn(5, 6).astype(np.float32)
W145 = R.randn(1, 4, 5).astype(np.float32)
W73 = R.randn(7, 3).astype(np.float32)
case('einsum_attention', 12, (2, 3, 5, 8),
     [N('Split', ['x'], ['q', 'k'], axis=3, split=[4, 4]),
      N('Einsum', ['q', 'k'], ['y'], equation='bhid,bhjd->bhij')], [],
     lambda x: np.einsum('bhid,bhjd->bhij', x[..., :4], x[..., 4:]))
case('einsum_linear', 12, (2, 5, 3),
     [N('Einsum', ['x', 'w'], ['y'], equation='bnc, dc -> bnd')],
     [const_f32('w', W73)], lambda x: np.einsum('bnc,dc->bnd', x, W73))
case('einsum_ellipsis', 12, (2, 3, 1, 4),
     [N('Einsum', ['x', 'w'], ['y'], equation='...ij,...jk->...ik')],
     [const_f32('w', W145)],
     lambda x: np.einsum('...ij,...jk->...ik', x, W145))
case('einsum_implicit', 12, (3, 4),
     [N('Einsum', ['x', 'w'], ['y'], equation='ij,jk')],
     [const_f32('w', W45)], lambda x: np.einsum('ij,jk', x, W45))
case('einsum_sum_transpose', 12, (2, 3, 4),
     [N('Einsum', ['x'], ['y'], equation='abc->ca')], [],
     lambda x: np.einsum('abc->ca', x))
case('einsum_three', 12, (3, 4),
     [N('Einsum', ['x', 'w', 'v'], ['y'], equation='ab,bc,cd->da')],
     [const_f32('w', W45), const_f32('v', W56)],
     lambda x: np.einsum('ab,bc,cd->da', x, W45, W56))
case('einsum_outer_sum', 12, (2, 3, 4),
     [N('Split', ['x'], ['p', 'q'], axis=2, split=[2, 2]),
      N('Einsum', ['p', 'q'], ['y'], equation='bip,bjq->bij')], [],
     lambda x: np.einsum('bip,bjq->bij', x[..., :2], x[..., 2:]))
case('einsum_broadcast_batch', 12, (2, 3, 4),
     [N('Einsum', ['x', 'w'], ['y'], equation='bij,bjk->bik')],
     [const_f32('w', W145)], lambda x: np.einsum('bij,bjk->bik', x, W145))

# ScatterND with indices known at import: whole rows (k < rank) with a
# negative index, single elements (k = rank), the add/mul reductions
# (opset 16, repeated positions accumulate) and max/min (opset 18), and
# activation updates that fill a box (slice assignment); plus the official
# DBB's chain of border writes on a zero pad.
def scatter(x, idx, upd, red='none'):
    out = x.copy()
    for t in np.ndindex(idx.shape[:-1]):
        pos = tuple(int(i) for i in idx[t])
        u = upd[t]
        if red == 'add':
            out[pos] = out[pos] + u
        elif red == 'mul':
            out[pos] = out[pos] * u
        elif red == 'max':
            out[pos] = np.maximum(out[pos], u)
        elif red == 'min':
            out[pos] = np.minimum(out[pos], u)
        else:
            out[pos] = u
    return out


SC_ROWS = np.array([[1, -1], [0, 2]], dtype=np.int64)  # rows of a (2, 3, 5)
SC_ROW_UPD = R.randn(2, 5).astype(np.float32)
SC_ELEMS = np.array([[[0, 1, 4]], [[1, 2, 0]], [[1, 0, 3]]], dtype=np.int64)
SC_ELEM_UPD = R.randn(3, 1).astype(np.float32)
SC_REP = np.array([[0, 1], [0, 1], [1, 2]], dtype=np.int64)  # repeats (0, 1)
SC_REP_UPD = (R.rand(3, 5) + 0.5).astype(np.float32)
case('scatternd_rows', 13, (2, 3, 5),
     [N('ScatterND', ['x', 'i', 'u'], ['y'])],
     [const_i64('i', SC_ROWS), const_f32('u', SC_ROW_UPD)],
     lambda x: scatter(x, SC_ROWS % np.array([2, 3]), SC_ROW_UPD))
case('scatternd_elements', 11, (2, 3, 5),
     [N('ScatterND', ['x', 'i', 'u'], ['y'])],
     [const_i64('i', SC_ELEMS), const_f32('u', SC_ELEM_UPD)],
     lambda x: scatter(x, SC_ELEMS, SC_ELEM_UPD))
for red, opset in (('add', 16), ('mul', 16), ('max', 18), ('min', 18)):
    case('scatternd_' + red, opset, (2, 3, 5),
         [N('ScatterND', ['x', 'i', 'u'], ['y'], reduction=red)],
         [const_i64('i', SC_REP), const_f32('u', SC_REP_UPD)],
         lambda x, red=red: scatter(x, SC_REP, SC_REP_UPD, red))
# x[:, 1:3, 2:4] = relu(x[:, 0:2, 0:2]) as the exporter writes it: the
# updates are activations, the indices a box in row-major order.
SC_BOX = np.array([[[[b, c, w] for w in (2, 3)] for c in (1, 2)] for b in (0, 1)],
                  dtype=np.int64)
case('scatternd_box', 13, (2, 3, 5),
     [N('Slice', ['x', 's0', 's1', 'sa'], ['p']), N('Relu', ['p'], ['r']),
      N('ScatterND', ['x', 'i', 'r'], ['y'])],
     [const_i64('s0', [0, 0]), const_i64('s1', [2, 2]), const_i64('sa', [1, 2]),
      const_i64('i', SC_BOX)],
     lambda x: scatter(x, SC_BOX, np.maximum(x[:, 0:2, 0:2], 0)))
# DBB's BNAndPadLayer: pad by 1, then rows 0 and -1 and columns 0 and -1
# of every channel set to that channel's value, as four ScatterNDs.
PADV = np.array([0.5, -1.5], dtype=np.float32)


def border(h, w, rows, cols):
    return np.array([[[[b, c, r, q] for q in cols] for r in rows]
                     for b in range(2) for c in range(2)],
                    dtype=np.int64).reshape(2, 2, len(rows), len(cols), 4)


def bn_and_pad(x):
    out = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    out[:, :, [0, -1], :] = PADV[None, :, None, None]
    out[:, :, :, [0, -1]] = PADV[None, :, None, None]
    return out


sc_nodes = [N('Pad', ['x', 'pads'], ['p0'])]
sc_inits = [const_i64('pads', [0, 0, 1, 1, 0, 0, 1, 1])]
for sc_n, (sc_rows, sc_cols) in enumerate((([0], range(7)), ([5], range(7)),
                                          (range(6), [0]), (range(6), [6]))):
    sc_idx = border(6, 7, list(sc_rows), list(sc_cols))
    sc_upd = np.broadcast_to(PADV[None, :, None, None],
                             sc_idx.shape[:-1]).astype(np.float32)
    sc_nodes.append(N('ScatterND', ['p%d' % sc_n, 'i%d' % sc_n, 'u%d' % sc_n],
                      ['y' if sc_n == 3 else 'p%d' % (sc_n + 1)]))
    sc_inits += [const_i64('i%d' % sc_n, sc_idx), const_f32('u%d' % sc_n, sc_upd)]
case('scatternd_border_chain', 13, (2, 2, 4, 5), sc_nodes, sc_inits, bn_and_pad)

# Resize: each axis a fixed [out, in] interpolation matrix (the ONNX
# reference's taps, edge indices clamped).
def resize_matrix(n, m, scale, mode, coord, nearest='round_prefer_floor',
                  a=-0.75, exclude=False):
    w = np.zeros((m, n))
    for i in range(m):
        if coord == 'half_pixel':
            c = (i + 0.5) / scale - 0.5
        elif coord == 'pytorch_half_pixel':
            c = (i + 0.5) / scale - 0.5 if m > 1 else 0.0
        elif coord == 'align_corners':
            c = 0.0 if m == 1 else i * (n - 1) / (m - 1)
        else:
            c = i / scale
        f = np.floor(c)
        r = c - f
        if mode == 'nearest':
            k = {'floor': f, 'ceil': np.ceil(c),
                 'round_prefer_floor': f if r == 0.5 else np.round(c),
                 'round_prefer_ceil': f + 1 if r == 0.5 else np.round(c)}[nearest]
            w[i, int(np.clip(k, 0, n - 1))] = 1
        elif mode == 'linear':
            w[i, int(np.clip(f, 0, n - 1))] += 1 - r
            w[i, int(np.clip(f + 1, 0, n - 1))] += r
        else:
            taps = []
            for t in range(4):
                d = abs(r - (t - 1))
                taps.append(((a + 2) * d - (a + 3)) * d * d + 1 if d <= 1 else
                            ((a * d - 5 * a) * d + 8 * a) * d - 4 * a if d < 2 else 0)
            ks = [int(f) - 1 + t for t in range(4)]
            if exclude:
                taps = [0 if (k < 0 or k >= n) else c_ for k, c_ in zip(ks, taps)]
                total = sum(taps)
                taps = [c_ / total for c_ in taps]
            for k, c_ in zip(ks, taps):
                w[i, int(np.clip(k, 0, n - 1))] += c_
    return w


def resized(x, outs, scales, **kw):
    h = resize_matrix(x.shape[2], outs[0], scales[0], **kw)
    v = resize_matrix(x.shape[3], outs[1], scales[1], **kw)
    return np.einsum('ih,nchw,jw->ncij', h, x, v)


case('resize_nearest', 13, (2, 3, 5, 4),
     [N('Resize', ['x', '', 'sc'], ['y'], mode='nearest',
        coordinate_transformation_mode='asymmetric', nearest_mode='floor')],
     [const_f32('sc', [1, 1, 2, 2])],
     lambda x: resized(x, (10, 8), (2, 2), mode='nearest', coord='asymmetric',
                       nearest='floor'))
case('resize_nearest_half', 13, (2, 3, 5, 4),
     [N('Resize', ['x', '', 'sc'], ['y'], mode='nearest')],
     [const_f32('sc', [1, 1, 1.5, 0.5])],
     lambda x: resized(x, (7, 2), (1.5, 0.5), mode='nearest', coord='half_pixel'))
case('resize_bilinear', 13, (2, 3, 5, 4),
     [N('Resize', ['x', '', 'sc'], ['y'], mode='linear',
        coordinate_transformation_mode='pytorch_half_pixel')],
     [const_f32('sc', [1, 1, 2, 2])],
     lambda x: resized(x, (10, 8), (2, 2), mode='linear', coord='pytorch_half_pixel'))
case('resize_align_corners', 13, (2, 3, 5, 4),
     [N('Resize', ['x', '', '', 'sz'], ['y'], mode='linear',
        coordinate_transformation_mode='align_corners')],
     [const_i64('sz', [2, 3, 9, 3])],
     lambda x: resized(x, (9, 3), (9 / 5, 3 / 4), mode='linear', coord='align_corners'))
case('resize_cubic', 13, (2, 3, 5, 4),
     [N('Resize', ['x', '', 'sc'], ['y'], mode='cubic')],
     [const_f32('sc', [1, 1, 1.6, 2])],
     lambda x: resized(x, (8, 8), (1.6, 2), mode='cubic', coord='half_pixel'))
case('resize_cubic_exclude', 13, (2, 3, 5, 4),
     [N('Resize', ['x', '', 'sc'], ['y'], mode='cubic', cubic_coeff_a=-0.5,
        exclude_outside=1)],
     [const_f32('sc', [1, 1, 2, 0.75])],
     lambda x: resized(x, (10, 3), (2, 0.75), mode='cubic', coord='half_pixel',
                       a=-0.5, exclude=True))
case('resize_axes', 18, (2, 3, 5, 4),
     [N('Resize', ['x', '', '', 'sz'], ['y'], mode='linear', axes=[3, 2])],
     [const_i64('sz', [7, 6])],
     lambda x: resized(x, (6, 7), (6 / 5, 7 / 4), mode='linear', coord='half_pixel'))


def write(out, name):
    opset, shape, nodes, inits, ref = CASES[name]
    x = x_of(shape)
    y = np.asarray(ref(x.astype(np.float64))).astype(np.float32)
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, list(shape))],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)])
    model.ir_version = 8
    with open(os.path.join(out, name + '.onnx'), 'wb') as f:
        f.write(model.SerializeToString())
    np.save(os.path.join(out, name + '.x.npy'), x)
    np.save(os.path.join(out, name + '.y.npy'), y)


def rel_err(got, want):
    if got.shape != want.shape:
        return float('inf')
    scale = max(float(np.max(np.abs(want))), 1e-30)
    return float(np.max(np.abs(got.astype(np.float64) - want))) / scale


def check(out, name, how):
    import subprocess
    stem = os.path.join(out, name)
    words = []
    for mode in how:
        y = '%s.%s.npy' % (stem, mode)
        if mode == 'interp':
            cmds = [['repc', stem + '.onnx', '--run', '--input=' + stem + '.x.npy',
                     '--output=' + y]]
        else:
            lib = '%s.%s.so' % (stem, mode)
            flags = ['--target=cuda', '--gpu-host-kernels'] if mode == 'cuda' else []
            run = ['rep-run', lib, '--input=' + stem + '.x.npy', '--output=' + y]
            run += ['--device=cuda'] if mode == 'cuda' else ['--threads=2']
            cmds = [['repc', stem + '.onnx', '-o', lib] + flags, run]
        env = dict(os.environ)
        if mode == 'cuda':
            env['LD_LIBRARY_PATH'] = os.environ['REPC_CUDA_EMULATOR']
        for cmd in cmds:
            r = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if r.returncode:
                words.append('%s FAIL (%s)' % (mode, (r.stderr or r.stdout).strip()
                                                 .splitlines()[-1:]))
                break
        else:
            err = rel_err(np.load(y), np.load(stem + '.y.npy'))
            words.append('%s %s' % (mode, 'OK' if err <= 1e-4 else 'FAIL (%.2g)' % err))
    print('%s: %s' % (name, ' '.join(words)), flush=True)
    return all(w.endswith('OK') for w in words)


def main():
    out = sys.argv[1]
    args = sys.argv[2:]
    how = None
    if args and args[0].startswith('--check='):
        how = args[0].split('=', 1)[1].split(',')
        args = args[1:]
    os.makedirs(out, exist_ok=True)
    ok = True
    for name in args or CASES:
        write(out, name)
        if how:
            ok &= check(out, name, how)
        else:
            print(name)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
