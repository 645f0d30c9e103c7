#!/usr/bin/env python3
"""compare_npy.py ACTUAL.npy EXPECTED.npy [--tolerance 1e-4]

Prints the max abs error and the relative error (max abs error / max abs
expected value) and exits 1 when the relative error exceeds the tolerance
or the shapes differ."""

import argparse
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument('actual')
    p.add_argument('expected')
    p.add_argument('--tolerance', type=float, default=1e-4)
    args = p.parse_args()
    a, e = np.load(args.actual), np.load(args.expected)
    if a.shape != e.shape:
        print('shape mismatch: %s vs %s' % (a.shape, e.shape))
        return 1
    err = float(np.max(np.abs(a.astype(np.float64) - e)))
    rel = err / max(float(np.max(np.abs(e))), 1e-30)
    ok = rel <= args.tolerance and np.all(np.isfinite(a))
    print('max_abs_err %.3g rel_err %.3g %s' % (err, rel, 'OK' if ok else 'FAIL'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
