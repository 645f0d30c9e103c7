#!/usr/bin/env python3
"""Import benchmark: generates the paper-size exports (once, into
bench-out/) and times `repc MODEL --emit=stats` on each, reporting wall time
and peak RSS against the file size. Targets: under 10 s, and a peak RSS
under 2x the file size; for files small next to repc's own footprint (the
LLVM/MLIR shared libraries, measured on a tiny model and printed), the
growth above that baseline must stay under 1x the file size instead. With --check it also runs the reference interpreter on each
model and compares with PyTorch (slow: the interpreter is plain loops).

    examples/bench/import_bench.py [--models repvgg,repmlpnet] [--check]
"""

import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPC = os.path.join(ROOT, 'build', 'bin', 'repc')
GEN = os.path.join(ROOT, 'examples', 'models', 'generate.py')
COMPARE = os.path.join(ROOT, 'tests', 'tools', 'compare_npy.py')
DEFAULT = 'repvgg,repmlpnet,convmlp,convmixer,resmlp'


def run_measured(cmd):
    """Runs cmd, returns (seconds, peak RSS in bytes, returncode)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.monotonic() - start, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--models', default=DEFAULT)
    p.add_argument('--out', default=os.path.join(ROOT, 'bench-out'))
    p.add_argument('--check', action='store_true')
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    _, baseline, _ = run_measured(
        [REPC, os.path.join(ROOT, 'tests', 'models', 'repvgg_tiny.onnx'),
         '--emit=stats'])
    print('baseline RSS of repc on a tiny model: %.1f MB' % (baseline / 1e6))
    print('%-28s %9s %8s %9s %7s %9s %s' % ('model', 'file MB', 'time s',
                                            'peak MB', 'peak/x', 'growth/x',
                                            'verdict'))
    failed = False
    for family in args.models.split(','):
        base = os.path.join(args.out, family + '_paper')
        if not os.path.exists(base + '.fused.onnx'):
            subprocess.run([sys.executable, GEN, family, '--size', 'paper',
                            '--out', args.out], check=True,
                           stdout=subprocess.DEVNULL)
        for style in ('.onnx', '.fused.onnx'):
            path = base + style
            size = os.path.getsize(path)
            secs, rss, rc = run_measured([REPC, path, '--emit=stats'])
            ratio, growth = rss / size, (rss - baseline) / size
            ok = rc == 0 and secs < 10 and (ratio < 2 or growth < 1)
            failed |= not ok
            print('%-28s %9.1f %8.2f %9.1f %7.2f %9.2f %s' % (
                os.path.basename(path), size / 1e6, secs, rss / 1e6, ratio,
                growth, 'OK' if ok else 'FAIL'))
            if args.check:
                y = base + style + '.repc.npy'
                subprocess.run([REPC, path, '--run', '--input=' + base + '.input.npy',
                                '--output=' + y], check=True)
                subprocess.run([sys.executable, COMPARE, y, base + '.output.npy'])
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
