"""Writes rep dialect text for the test models in tests/Inputs: random
constants and convs."""


def tensor(shape):
    return 'tensor<%sxf32>' % 'x'.join(map(str, shape))


def const(rng, name, shape, scale=1.0):
    """A rep.constant of `shape` with random normal values times `scale`."""
    data = (rng.randn(*shape) * scale).astype('<f4')
    return '  %%%s = rep.constant dense<"0x%s"> : %s' % (
        name, data.tobytes().hex().upper(), tensor(shape))


def conv(out, x, w, b, xs, ws, ys, groups=1, pads=(0, 0, 0, 0),
         strides=(1, 1), dilations=(1, 1)):
    """A rep.conv2d of %x (shape xs) by %w (ws) into %out (ys), with bias %b
    unless b is None."""
    operands = '%%%s, %%%s' % (x, w) + (', %%%s' % b if b else '')
    types = [tensor(xs), tensor(ws)] + ([tensor((ws[0],))] if b else [])
    return ('  %%%s = rep.conv2d %s {dilations = array<i64: %d, %d>, '
            'groups = %d : i64, pads = array<i64: %d, %d, %d, %d>, '
            'strides = array<i64: %d, %d>} : (%s) -> %s' % (
                out, operands, *dilations, groups, *pads, *strides,
                ', '.join(types), tensor(ys)))
