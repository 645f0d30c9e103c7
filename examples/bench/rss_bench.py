#!/usr/bin/env python3
"""Peak-memory check of compiled models: compiles each paper-size model
(batch 1 and 8, the exports bench.py made in bench-out/, made here when
missing) and runs it once through rep-run, with its weights built in and
with --weights=FILE. Reports the peak RSS against the bound of issue 4:
weights + 3x the largest activation + 50 MB, where the weights are the
compiled model's constants (the weights file, less its header) and the
largest activation is the largest tensor ONNX shape inference finds in
repc's folded ONNX (inputs and outputs included).

    examples/bench/rss_bench.py [--models repvgg,convmixer] [--batches 1,8]
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import shape_inference

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, 'build', 'bin')
DEFAULT = 'repvgg,repmlpnet,convmlp,convmixer,resmlp'
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def run_peak(cmd):
    """Runs cmd; returns its peak RSS in bytes; raises on failure.

    Through GNU time: Linux carries the high-water RSS of the process that
    forks into the exec'd child, so this (large) Python process must not be
    the one that forks the command."""
    proc = subprocess.run(['/usr/bin/time', '-f', 'maxrss %M'] + cmd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode:
        raise SystemExit('failed: ' + ' '.join(cmd) + '\n' + proc.stderr)
    line = [l for l in proc.stderr.splitlines() if l.startswith('maxrss ')][-1]
    return int(line.split()[1]) * 1024


def largest_activation(folded):
    """Bytes of the largest activation of a folded ONNX model."""
    model = onnx.load(folded)
    inferred = shape_inference.infer_shapes(model)
    init = {t.name for t in model.graph.initializer}
    largest = 0
    for v in list(inferred.graph.value_info) + list(inferred.graph.input) + \
            list(inferred.graph.output):
        if v.name in init:
            continue
        dims = [d.dim_value for d in v.type.tensor_type.shape.dim]
        if dims and all(d > 0 for d in dims):
            largest = max(largest, 4 * int(np.prod(dims)))
    return largest


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--models', default=DEFAULT)
    p.add_argument('--batches', default='1,8')
    p.add_argument('--work', default=os.path.join(ROOT, 'bench-out'))
    args = p.parse_args()
    import bench
    os.makedirs(args.work, exist_ok=True)
    print('%-11s %5s %10s %10s %10s %13s %13s %s' % (
        'model', 'batch', 'weights MB', 'act MB', 'bound MB',
        'built-in MB', '--weights MB', 'verdict'))
    failed = False
    for family in args.models.split(','):
        for batch in [int(b) for b in args.batches.split(',')]:
            stem = bench.export(family, batch, args.work)
            folded = stem + '.rss.folded.onnx'
            lib = stem + '.rss.so'
            ext, wfile = stem + '.rss-ext.so', stem + '.rss-ext.weights'
            repc = os.path.join(BIN, 'repc')
            subprocess.run([repc, stem + '.onnx', '--emit=onnx', '-o', folded],
                           check=True)
            subprocess.run([repc, stem + '.onnx', '-o', lib], check=True)
            subprocess.run([repc, stem + '.onnx', '-o', ext,
                            '--weights=' + wfile], check=True)
            weights = os.path.getsize(wfile) - 64
            act = largest_activation(folded)
            bound = weights + 3 * act + 50e6
            peaks = [run_peak([os.path.join(BIN, 'rep-run'), so,
                               '--input=' + stem + '.input.npy', '--threads=2'])
                     for so in (lib, ext)]
            ok = max(peaks) <= bound
            failed |= not ok
            print('%-11s %5d %10.1f %10.1f %10.1f %13.1f %13.1f %s' % (
                family, batch, weights / 1e6, act / 1e6, bound / 1e6,
                peaks[0] / 1e6, peaks[1] / 1e6, 'OK' if ok else 'OVER'),
                flush=True)
            for f in (folded, lib, ext, wfile):
                os.remove(f)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
