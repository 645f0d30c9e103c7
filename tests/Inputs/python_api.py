"""Exercises the repc Python package (build/python) on the tiny models:
prints one line per check, and the error lines repc.Error carries."""
import os
import sys

import numpy as np

import repc

# In an ASan build lit preloads the sanitizer runtime into this python,
# which is not instrumented; the tools the package starts carry their own.
os.environ.pop('LD_PRELOAD', None)

models = sys.argv[1]
work = sys.argv[2]


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


x = np.load(models + '/repvgg_tiny.input.npy')
want = np.load(models + '/repvgg_tiny.output.npy')
m = repc.compile(models + '/repvgg_tiny.onnx', output=work + '/vgg.so')
print('version', repc.__version__)
print('inputs', m.inputs)
print('outputs', m.outputs)
print('device', m.device)
print('numpy', 'OK' if rel(m(x), want) < 1e-4 else 'FAIL')
m.set_threads(1)
print('one thread', 'OK' if rel(m(x), want) < 1e-4 else 'FAIL')
again = repc.Model(work + '/vgg.so')
print('reopened', 'OK' if rel(again(x), want) < 1e-4 else 'FAIL')

# Weights in a file beside the library.
w = repc.compile(models + '/repvgg_tiny.onnx', output=work + '/vggw.so',
                 weights=work + '/vggw.weights')
print('weights file', 'OK' if rel(w(x), want) < 1e-4 else 'FAIL')

# A torch module, exported inside with its BatchNorms kept; torch in and out.
import torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1),
                          torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                          torch.nn.Conv2d(8, 4, 1)).eval()
with torch.no_grad():
    net[1].running_mean.uniform_(-0.3, 0.3)
    net[1].running_var.uniform_(0.5, 2.0)
t = torch.randn(2, 3, 9, 7)
y = repc.compile(net, example_inputs=(t,), verify=True)(t)
print('torch', type(y).__name__, 'OK' if rel(y.numpy(), net(t).detach().numpy()) < 1e-4 else 'FAIL')

# rep-inspect's report.
report = repc.inspect(models + '/repvgg_tiny.onnx')
print('inspect', len(report), report[0]['before']['conv'], report[0]['after']['conv'], len(report[0]['kernels']))

# Errors: the tools' and the runtime's one line.
for what, call in (
        ('missing file', lambda: repc.compile(work + '/nope.onnx')),
        ('wrong shape', lambda: m(np.zeros((1, 3, 5, 5), np.float32))),
        ('wrong count', lambda: m(x, x)),
        ('not a model', lambda: repc.Model(models + '/repvgg_tiny.input.npy'))):
    try:
        call()
        print(what, 'no error')
    except repc.Error as e:
        print(what, 'Error:', e)
