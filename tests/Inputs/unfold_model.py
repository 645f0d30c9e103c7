"""unfold_model.py OUT_DIR: fc layers over nn.Unfold patches, exported by
torch 1.13 (opset 13): Unfold becomes Pad, Range, Gather and Shape chains.
Writes NAME.onnx, NAME.x.npy and PyTorch's NAME.y.npy for
- cs: RaftMLP's cross-scale embedding (Unfold 4x4/s4 and 8x8/s4 with
  padding 2, concatenated, one Linear) on an odd 16x20 input;
- s2: one 3x3/s2 unfold with padding 1 on a 7x9 input (odd grid);
- dilated: a 3x3 unfold with dilation 2 (a 5x5 window with holes: the
  conv would cost more than the fc);
- pixels: a 1x1 unfold (the fc is already a 1x1 conv);
- ln: a 3x3/s2 unfold with padding 1 on 7x9 and a LayerNorm over each
  patch before the Linear (T2T-ViT's and EAMLP's tokens-to-token stem);
- ln_tapmajor: the same with the patch features reordered tap-major."""
import os
import sys

import numpy as np
import torch


class PatchFc(torch.nn.Module):
    def __init__(self, unfolds, c=3, dim=16):
        super().__init__()
        self.unfolds = torch.nn.ModuleList(
            torch.nn.Unfold(k, stride=s, padding=p, dilation=d)
            for k, s, p, d in unfolds)
        self.fc = torch.nn.Linear(sum(c * k * k for k, _, _, _ in unfolds), dim)

    def forward(self, x):
        return self.fc(torch.cat([u(x) for u in self.unfolds], dim=1)
                       .transpose(1, 2))


class PatchNormFc(torch.nn.Module):
    def __init__(self, tap_major=False, c=3, dim=16):
        super().__init__()
        self.unfold = torch.nn.Unfold(3, stride=2, padding=1)
        self.tap_major = tap_major
        self.norm = torch.nn.LayerNorm(c * 9)
        self.fc = torch.nn.Linear(c * 9, dim)

    def forward(self, x):
        p = self.unfold(x)
        if self.tap_major:
            n, f, l = p.shape
            p = p.reshape(n, f // 9, 9, l).transpose(1, 2).reshape(n, f, l)
        return self.fc(self.norm(p.transpose(1, 2)))


CASES = {
    'cs': ([(4, 4, 0, 1), (8, 4, 2, 1)], (2, 3, 16, 20)),
    's2': ([(3, 2, 1, 1)], (2, 3, 7, 9)),
    'dilated': ([(3, 1, 2, 2)], (2, 3, 7, 7)),
    'pixels': ([(1, 1, 0, 1)], (2, 3, 5, 5)),
    'ln': ([], (2, 3, 7, 9)),
    'ln_tapmajor': ([], (2, 3, 7, 9)),
}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
for name, (unfolds, shape) in CASES.items():
    m = PatchFc(unfolds).eval()
    if name.startswith('ln'):
        m = PatchNormFc(name == 'ln_tapmajor').eval()
    x = torch.randn(*shape)
    torch.onnx.export(m, x, os.path.join(out, name + '.onnx'), opset_version=13)
    np.save(os.path.join(out, name + '.x.npy'), x.numpy())
    np.save(os.path.join(out, name + '.y.npy'), m(x).detach().numpy())
