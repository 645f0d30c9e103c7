"""Exports the trap suite: small graphs where a naive fold is wrong.

Each trap is a PyTorch module in eval mode with random BN statistics,
exported with its BNs kept (opset 13) as TRAP.onnx next to TRAP.input.npy
(odd sizes, batch 2) and PyTorch's output TRAP.output.npy. The lit tests
check that repc either folds each exactly or leaves it unfolded.
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..',
                                'examples', 'models'))
from repc_models import randomize  # noqa: E402


def bn(c):
    return nn.BatchNorm2d(c)


class BnThenPaddedConv(nn.Module):
    """ConvMixer's post-GELU BN before a zero-padded depthwise conv: the
    shift is missing at the border, so the BN must stay."""
    def __init__(self):
        super().__init__()
        self.bn = bn(6)
        self.conv = nn.Conv2d(6, 6, 3, 1, 1, groups=6)

    def forward(self, x):
        return self.conv(self.bn(F.gelu(x)))


class BnThenUnpaddedConv(nn.Module):
    """The same BN before an unpadded 3x3, stride 2: exact to fold."""
    def __init__(self):
        super().__init__()
        self.bn = bn(6)
        self.conv = nn.Conv2d(6, 5, 3, 2, 0)

    def forward(self, x):
        return self.conv(self.bn(F.gelu(x)))


class Conv1x1BiasThenPadded3x3(nn.Module):
    """1x1 with bias then a padded 3x3: the bias does not reach the border,
    so the merge needs a per-position bias map."""
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(6, 4, 1, bias=True)
        self.b = nn.Conv2d(4, 5, 3, 1, 1)

    def forward(self, x):
        return self.b(self.a(x))


class AvgPoolBranch(nn.Module):
    """An avg-pool branch beside a 3x3 conv (DBB)."""
    def __init__(self, count_include_pad):
        super().__init__()
        self.conv = nn.Conv2d(6, 6, 3, 1, 1)
        self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=count_include_pad)
        self.bn = bn(6)

    def forward(self, x):
        return self.conv(x) + self.bn(self.pool(x))


class StrideTwoBranches(nn.Module):
    """3x3 pad 1 and 1x1 pad 0 at stride 2: aligned, one conv."""
    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(6, 8, 3, 2, 1, bias=False), bn(8))
        self.b = nn.Sequential(nn.Conv2d(6, 8, 1, 2, 0, bias=False), bn(8))

    def forward(self, x):
        return self.a(x) + self.b(x)


class EvenKernelBranch(nn.Module):
    """A 2x2 pad-1 branch beside a 3x3 pad-1 at stride 2: not centred, but
    its window lies inside the 3x3 one, so it merges off-centre."""
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(6, 8, 3, 2, 1)
        self.b = nn.Conv2d(6, 8, 2, 2, 1)

    def forward(self, x):
        return self.a(x) + self.b(x)


class GroupedIdentity(nn.Module):
    """RepVGG block with groups=2 and a BN identity branch."""
    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=2, bias=False), bn(8))
        self.b = nn.Sequential(nn.Conv2d(8, 8, 1, 1, 0, groups=2, bias=False), bn(8))
        self.id = bn(8)

    def forward(self, x):
        return F.relu(self.a(x) + self.b(x) + self.id(x))


class DenseThenDepthwise(nn.Module):
    """A dense 1x1 then a depthwise 3x3: merging gives a dense 3x3 that
    costs more than both, so the cost model refuses unless forced."""
    def __init__(self):
        super().__init__()
        self.pw = nn.Conv2d(6, 8, 1, bias=True)
        self.dw = nn.Conv2d(8, 8, 3, 1, 1, groups=8)

    def forward(self, x):
        return self.dw(self.pw(x))


class BranchAcrossRelu(nn.Module):
    """Branches on either side of a ReLU: nothing merges across it."""
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(6, 6, 3, 1, 1)
        self.b = nn.Conv2d(6, 6, 1)

    def forward(self, x):
        return self.a(x) + self.b(F.relu(x))


TRAPS = {
    'bn_padded_conv': BnThenPaddedConv,
    'bn_unpadded_conv': BnThenUnpaddedConv,
    'conv1x1_bias_padded_conv': Conv1x1BiasThenPadded3x3,
    'avgpool_include_pad': lambda: AvgPoolBranch(True),
    'avgpool_exclude_pad': lambda: AvgPoolBranch(False),
    'stride2_branches': StrideTwoBranches,
    'even_kernel_branch': EvenKernelBranch,
    'grouped_identity': GroupedIdentity,
    'dense_then_depthwise': DenseThenDepthwise,
    'branch_across_relu': BranchAcrossRelu,
}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--out', required=True)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    for name, build in TRAPS.items():
        model = build()
        randomize(model, gen)
        model.eval()
        channels = 8 if name == 'grouped_identity' else 6
        x = torch.randn(2, channels, 9, 11, generator=gen)
        with torch.no_grad():
            y = model(x)
        base = os.path.join(args.out, name)
        torch.onnx.export(model, x, base + '.onnx', opset_version=13,
                          input_names=['input'], output_names=['output'],
                          training=torch.onnx.TrainingMode.PRESERVE,
                          do_constant_folding=False)
        np.save(base + '.input.npy', x.numpy())
        np.save(base + '.output.npy', y.numpy())


if __name__ == '__main__':
    main()
