#!/usr/bin/env python3
"""check_provenance.py MODEL.onnx REPORT.json [STATS.json]

Checks rep-inspect's report (--json) against the ONNX graph itself. For
every kernel built by folds, the ONNX nodes it names must be exactly the
linear sub-graph that ends at its output: walking back from its last node
through linear ops (Conv, Gemm, MatMul, BatchNormalization, Add, Mul, Pad,
AveragePool; Mul only by a constant), across single-use views (Reshape, Transpose, Flatten, which
are not named), and stopping at values used elsewhere, nonlinearities,
graph inputs and nodes another kernel names (a raised GELU or norm). An
affine ancestor named beyond that sub-graph was moved into the kernel (BN
across a pool into the classifier) and is accepted as such. With STATS.json (repc --emit=stats) the report's before and
after totals must equal it. Prints one line per kernel checked and exits 1
on the first mismatch."""

import json
import sys

import onnx

LINEAR = {'Conv', 'Gemm', 'MatMul', 'BatchNormalization', 'Add', 'Mul', 'Pad',
          'AveragePool'}
VIEWS = {'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze'}


def main():
    model = onnx.load(sys.argv[1], load_external_data=False)
    report = json.load(open(sys.argv[2]))[0]
    nodes = [n for n in model.graph.node if n.op_type != 'Constant']
    index = {n.name: i for i, n in enumerate(nodes)}
    producer = {o: n for n in nodes for o in n.output}
    uses = {}
    for n in nodes:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    for o in model.graph.output:
        uses[o.name] = uses.get(o.name, 0) + 1

    # Values computed from weights alone are weights, not activations.
    weights = {i.name for i in model.graph.initializer}
    weights |= {o for n in model.graph.node if n.op_type == 'Constant'
                for o in n.output}
    for n in nodes:
        if n.input and all(i in weights or not i for i in n.input):
            weights.update(n.output)

    def linear(n):
        if n.op_type == 'Mul':  # x * constant, not x * y
            return any(i in weights for i in n.input)
        return n.op_type in LINEAR

    owner = {}
    for k in report['kernels']:
        for src in k['sources']:
            owner.setdefault(src, set()).add(k['id'])

    def expected(kernel, end):
        found, stack = set(), [end]
        while stack:
            n = stack.pop()
            if linear(n):
                found.add(n.name)
            for i in n.input:
                p = producer.get(i)
                if p is None or i in weights or uses.get(i, 0) != 1:
                    continue
                if owner.get(p.name, {kernel}) != {kernel}:
                    continue  # another kernel's (a raised GELU, a norm)
                if linear(p) or p.op_type in VIEWS:
                    stack.append(p)
        return found

    def ancestors(end):
        seen, stack = set(), [end]
        while stack:
            for i in stack.pop().input:
                p = producer.get(i)
                if p is not None and p.name not in seen:
                    seen.add(p.name)
                    stack.append(p)
        return seen

    def affine(name):
        n = nodes[index[name]]
        return n.op_type == 'BatchNormalization' or (
            n.op_type in ('Mul', 'Add') and any(i in weights for i in n.input))

    checked = 0
    for k in report['kernels']:
        if not k['folds']:
            continue
        missing = [s for s in k['sources'] if s not in index]
        if missing:
            print('%s %s: unknown nodes %s' % (k['id'], k['name'], missing))
            return 1
        end = nodes[max(index[s] for s in k['sources'])]
        want, got = expected(k['id'], end), set(k['sources'])
        # An affine moved down across ops (into a later fc) is named by the
        # kernel that took it, away from the kernel's own sub-graph.
        up = ancestors(end)
        moved = {s for s in got - want if affine(s) and s in up}
        if want != got - moved:
            print('%s %s: names %s, the graph says %s' %
                  (k['id'], k['name'], sorted(got - want - moved),
                   sorted(want - got)))
            return 1
        print('%s %s: %d nodes OK%s' % (k['id'], k['name'], len(got),
                                        ' (%d moved affine nodes)' % len(moved)
                                        if moved else ''))
        checked += 1
    if len(sys.argv) > 3:
        stats = json.load(open(sys.argv[3]))
        for side in ('before', 'after'):
            if stats[side] != report[side]:
                print('%s totals differ: report %s, stats %s' %
                      (side, report[side], stats[side]))
                return 1
        print('totals match --emit=stats')
    print('%d folded kernels checked' % checked)
    return 0


if __name__ == '__main__':
    sys.exit(main())
