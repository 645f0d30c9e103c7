#!/usr/bin/env python3
"""Checks and times repc's CUDA models on a GPU machine that has no LLVM
(no repc), from what this machine compiled for it.

    gpu_bundle.py make [--out gpu-bundle] [--models ...] [--batches 1,64]

compiles here, into OUT: rep-run (it needs only libc); every tiny model in
tests/models for sm_80 (the driver compiles its PTX for newer GPUs); and
the paper-size models (examples/bench/bench.py's exports in bench-out) for
sm_90 with their weights in a file of their own, of which only the 64-byte
header is kept (the full files are 33-150 MB each). For those, the
weights are synthesized: the header, then normal floats of a fixed seed
times 0.05; at batch 1 this machine runs each through the CUDA driver
emulator on them (and on an input of a fixed seed) and keeps the output.

    gpu_bundle.py run [--bundle gpu-bundle] [--rounds 5] [--per-round 20]

on the GPU machine (its repo checkout, the bundle carried): each tiny
model through its CUDA graph, and RepVGG's kernel by kernel too, against
PyTorch's output (1e-4 relative); each paper model on the same
synthesized weights against the emulator's output; then repc against
PyTorch eager (cuDNN) and torch.compile on models of the same shapes,
fp32 with TF32 off, host to host, interleaved (as bench.py --gpu does).
Speed does not depend on the weights' values: the kernels have no
data-dependent branches.
"""

import argparse
import glob
import json
import os
import shutil
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, 'build', 'bin')
HEADER = 64

sys.path.insert(0, os.path.join(ROOT, 'examples', 'bench'))
from bench import export, gpu_medians, rel_err, sh  # noqa: E402


def synthesize(header, size, path):
    """A weights file: `header`, then normal floats of seed 0 times 0.05."""
    n = (size - HEADER) // 4
    body = (np.random.RandomState(0).standard_normal(n) * 0.05).astype('<f4')
    with open(path, 'wb') as f:
        f.write(header)
        f.write(body.tobytes())
        f.write(b'\0' * (size - HEADER - 4 * n))


def synthetic_input(shape):
    return np.random.RandomState(1).standard_normal(shape).astype(np.float32)


def make(args):
    repc = os.path.join(BIN, 'repc')
    out = args.out
    os.makedirs(os.path.join(out, 'tiny'), exist_ok=True)
    os.makedirs(os.path.join(out, 'paper'), exist_ok=True)
    shutil.copy(os.path.join(BIN, 'rep-run'), out)
    for onnx in sorted(glob.glob(os.path.join(ROOT, 'tests/models/*_tiny.onnx'))):
        name = os.path.basename(onnx)[:-len('.onnx')]
        sh([repc, onnx, '--target=cuda', '-o',
            os.path.join(out, 'tiny', name + '.so')])
        print('tiny %s' % name, flush=True)
    for family in args.models.split(','):
        for batch in [int(b) for b in args.batches.split(',')]:
            stem = export(family, batch, args.work)
            name = '%s_b%d' % (family, batch)
            base = os.path.join(out, 'paper', name)
            with tempfile.TemporaryDirectory() as tmp:
                weights = os.path.join(tmp, 'w')
                sh([repc, stem + '.onnx', '--target=cuda', '--gpu-arch=sm_90',
                    '--weights=' + weights, '-o', base + '.so'])
                size = os.path.getsize(weights)
                with open(weights, 'rb') as f:
                    header = f.read(HEADER)
                shape = list(np.load(stem + '.input.npy', mmap_mode='r').shape)
                meta = {'family': family, 'batch': batch, 'shape': shape,
                        'weights_bytes': size, 'header': header.hex()}
                if batch == 1:
                    # The emulator runs the host build of the same kernels.
                    host = os.path.join(tmp, 'host.so')
                    sh([repc, stem + '.onnx', '--target=cuda',
                        '--gpu-arch=sm_90', '--gpu-host-kernels',
                        '--weights=' + weights, '-o', host])
                    synthesize(header, size, weights)
                    x = os.path.join(tmp, 'x.npy')
                    np.save(x, synthetic_input(shape))
                    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(
                        ROOT, 'build', 'cuda-emulator'))
                    sh([os.path.join(BIN, 'rep-run'), host, '--device=cuda',
                        '--weights=' + weights, '--input=' + x,
                        '--output=' + base + '.expected.npy'], env=env)
            with open(base + '.json', 'w') as f:
                json.dump(meta, f)
            print('paper %s: %d weight bytes' % (name, size), flush=True)


def run(args):
    import torch
    bundle = os.path.abspath(args.bundle)
    rep_run = os.path.join(bundle, 'rep-run')
    tmp = tempfile.mkdtemp()
    print('GPU: %s' % torch.cuda.get_device_name(0))
    failed = 0

    print('\n| tiny model | launches | rel err vs PyTorch | |\n|---|---|---|---|')
    for so in sorted(glob.glob(os.path.join(bundle, 'tiny', '*.so'))):
        name = os.path.basename(so)[:-3]
        models = os.path.join(ROOT, 'tests', 'models', name)
        modes = [('graph', None)]
        if name == 'repvgg_tiny':
            modes.append(('kernel by kernel', dict(os.environ,
                                                   REP_CUDA_GRAPHS='0')))
        for mode, env in modes:
            y = os.path.join(tmp, name + '.npy')
            sh([rep_run, so, '--device=cuda', '--input=' + models + '.input.npy',
                '--output=' + y, '--repeat=3'], env=env)
            err = rel_err(np.load(y), np.load(models + '.output.npy'))
            ok = err <= 1e-4
            failed += not ok
            print('| %s | %s | %.1e | %s |' % (name, mode, err,
                                               'OK' if ok else 'FAIL'),
                  flush=True)

    print('\n| model | batch | repc ms | PyTorch eager ms | torch.compile ms '
          '| repc/eager | repc/compile | rel err vs emulator |')
    print('|---|---|---|---|---|---|---|---|')
    for meta_path in sorted(glob.glob(os.path.join(bundle, 'paper', '*.json'))):
        with open(meta_path) as f:
            meta = json.load(f)
        base = meta_path[:-len('.json')]
        weights = os.path.join(tmp, 'w')
        synthesize(bytes.fromhex(meta['header']), meta['weights_bytes'], weights)
        x = synthetic_input(meta['shape'])
        xp = os.path.join(tmp, 'x.npy')
        np.save(xp, x)
        y = os.path.join(tmp, 'y.npy')
        sh([rep_run, base + '.so', '--device=cuda', '--weights=' + weights,
            '--input=' + xp, '--output=' + y])
        err = '-'
        if os.path.exists(base + '.expected.npy'):
            e = rel_err(np.load(y), np.load(base + '.expected.npy'))
            failed += not e <= 1e-4
            err = '%.1e%s' % (e, '' if e <= 1e-4 else ' FAIL')
        med = gpu_medians(
            [rep_run, base + '.so', '--device=cuda', '--weights=' + weights,
             '--input=' + xp], meta['family'], x, args.rounds, args.per_round)
        print('| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %s |' % (
            meta['family'], meta['batch'], med['repc'], med['eager'],
            med['compile'], med['repc'] / med['eager'],
            med['repc'] / med['compile'], err), flush=True)
    shutil.rmtree(tmp)
    sys.exit(1 if failed else 0)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='command', required=True)
    m = sub.add_parser('make')
    m.add_argument('--out', default=os.path.join(ROOT, 'gpu-bundle'))
    m.add_argument('--models', default='repvgg,repmlpnet,convmlp,convmixer,resmlp')
    m.add_argument('--batches', default='1,64')
    m.add_argument('--work', default=os.path.join(ROOT, 'bench-out'))
    r = sub.add_parser('run')
    r.add_argument('--bundle', default=os.path.join(ROOT, 'gpu-bundle'))
    r.add_argument('--rounds', type=int, default=5)
    r.add_argument('--per-round', type=int, default=20)
    args = p.parse_args()
    make(args) if args.command == 'make' else run(args)


if __name__ == '__main__':
    main()
