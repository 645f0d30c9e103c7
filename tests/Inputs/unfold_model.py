"""unfold_model.py OUT_DIR: a RaftMLP-style cross-scale embedding (nn.Unfold
4x4/s4 and 8x8/s4 with padding 2, concatenated, one Linear) on an odd
16x20 input, exported by torch 1.13 (opset 13): Unfold becomes Pad, Range,
Gather and Shape chains. Writes cs.onnx, x.npy and PyTorch's y.npy."""
import os
import sys

import numpy as np
import torch


class CrossScale(torch.nn.Module):
    def __init__(self, c=3, dim=16):
        super().__init__()
        self.u4 = torch.nn.Unfold(4, stride=4)
        self.u8 = torch.nn.Unfold(8, stride=4, padding=2)
        self.fc = torch.nn.Linear(c * 16 + c * 64, dim)

    def forward(self, x):
        return self.fc(torch.cat([self.u4(x), self.u8(x)], dim=1).transpose(1, 2))


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
m = CrossScale().eval()
x = torch.randn(2, 3, 16, 20)
torch.onnx.export(m, x, os.path.join(out, 'cs.onnx'), opset_version=13)
np.save(os.path.join(out, 'x.npy'), x.numpy())
np.save(os.path.join(out, 'y.npy'), m(x).detach().numpy())
