#!/usr/bin/env python3
"""compare_stats.py A.json B.json [--keys conv,fc,batch_norm]

Reads two `repc --emit=stats` outputs and compares the counts of their
folded graphs ("after") under the given keys. Prints one line per key and
OK when all are equal, FAIL (exit 1) otherwise."""

import argparse
import json
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument('a')
    p.add_argument('b')
    p.add_argument('--keys', default='conv,fc,batch_norm')
    args = p.parse_args()
    with open(args.a) as f:
        a = json.load(f)['after']
    with open(args.b) as f:
        b = json.load(f)['after']
    ok = True
    for k in args.keys.split(','):
        same = a.get(k) == b.get(k)
        ok &= same
        print('%s %s %s' % (k, a.get(k), b.get(k)))
    print('OK' if ok else 'FAIL')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
