#!/usr/bin/env python3
"""Times repc against ONNX Runtime and PyTorch on the paper-size models.

    bench.py [--models repvgg,repmlpnet,convmlp,convmixer,resmlp]  (also: repvgg_b1g2,
             mixer, gmlp, hornet, container)
             [--batches 1,8] [--threads 2] [--rounds 5] [--work bench-out]
             [--cpu x86-64-v3]

For each model and batch: exports it from PyTorch (examples/models), compiles
it with repc (timing the compile), checks the compiled output against
PyTorch's (1e-4 relative), writes repc's folded graph as ONNX, then times,
in interleaved rounds on the same pinned cores: repc (rep-run), ONNX
Runtime on the training-time ONNX and on repc's folded ONNX, and PyTorch
eager. Prints median ms, the ratios, and GFLOP/s against this machine's
peak, measured here with an FMA loop. ONNX Runtime is npm's
onnxruntime-node, installed into build/ort when missing.
Not a test: absolute times drift on shared machines, ratios from one run
are what to compare.

    bench.py --gpu [--models ...] [--batches 1,64]

times the same models on an NVIDIA GPU instead: repc --target=cuda (run by
rep-run --device=cuda), PyTorch eager (cuDNN) and torch.compile, fp32 with
TF32 off, interleaved, and checks repc's output against PyTorch's. Every
time is host to host, as rep_run is: the input copied to the GPU, the
model, the output copied back (PyTorch: model(x.cuda()).cpu()).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'examples', 'models'))
import repc_models  # noqa: E402

BIN = os.path.join(ROOT, 'build', 'bin')
ORT = os.path.join(ROOT, 'build', 'ort')

PEAK_C = r'''
#include <omp.h>
#include <stdio.h>
/* The widest vector the ISA it is compiled for has: 16 floats in a zmm,
   8 in a ymm, 4 in an xmm (an "impossible constraint" otherwise). */
#if defined(__AVX512F__)
#define LANES 16
#define ISA "AVX-512"
#elif defined(__AVX2__) && defined(__FMA__)
#define LANES 8
#define ISA "AVX2"
#elif defined(__AVX__)
#define LANES 8
#define ISA "AVX"
#else
#define LANES 4
#define ISA "SSE"
#endif
typedef float v16 __attribute__((vector_size(LANES * 4)));
#define ACC(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
int main(void) {
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    long iters = 50000000;
    int nt = 1;
    double t0 = omp_get_wtime();
#pragma omp parallel
    {
      v16 m, b;
      for (int i = 0; i < LANES; ++i) { m[i] = 0.9999999f; b[i] = 1e-7f; }
#define DECL(i) v16 a##i = b * (float)(i + 1);
      ACC(DECL)
      for (long it = 0; it < iters; ++it) {
#define FMA(i) a##i = a##i * m + b;
        ACC(FMA)
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3));
      }
      v16 s = {0};
#define SUM(i) s += a##i;
      ACC(SUM)
      if (s[0] == 12345.f) printf("x");
#pragma omp master
      nt = omp_get_num_threads();
    }
    double t = omp_get_wtime() - t0;
    double gf = 2.0 * LANES * 12 * iters * nt / t / 1e9;
    if (gf > best) best = gf;
  }
  printf("%s %.1f\n", ISA, best);
  return 0;
}
'''


def sh(cmd, env=None, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        sys.exit('bench: %s failed:\n%s%s' % (' '.join(cmd), r.stdout, r.stderr))
    return r


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def rel_err(got, want):
    """Max abs difference over max abs reference."""
    return float(np.max(np.abs(got.astype(np.float64) - want)) /
                 max(float(np.max(np.abs(want))), 1e-30))


def gpu_medians(rep_run, family, x, rounds, per_round):
    """Median ms of `rep_run` (a rep-run command without --repeat), and of
    PyTorch eager and torch.compile on the family's paper-size model, on
    input `x`, host to host, in interleaved rounds; fp32, TF32 off."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    build, _ = repc_models.FAMILIES[family]['paper']
    torch.manual_seed(0)
    model = build().eval().cuda()
    compiled = torch.compile(model)
    xt = torch.from_numpy(x)

    def timed(fn, warmup=2):
        times = []
        with torch.no_grad():
            for i in range(warmup + per_round):
                torch.cuda.synchronize()
                t = time.perf_counter()
                fn(xt.cuda()).cpu()
                torch.cuda.synchronize()
                if i >= warmup:
                    times.append((time.perf_counter() - t) * 1e3)
        return statistics.median(times)
    times = {'repc': [], 'eager': [], 'compile': []}
    for _ in range(rounds):
        r = sh(rep_run + ['--repeat=%d' % per_round, '--warmup=2'])
        times['repc'].append(last_json(r.stdout)['median_ms'])
        times['eager'].append(timed(model))
        times['compile'].append(timed(compiled))
    return {k: statistics.median(v) for k, v in times.items()}


def measure_peak(env, work, cpu=None):
    """(ISA, GFLOP/s): an FMA loop on the widest vectors of `cpu` (gcc's
    -march name; default this host), the ISA it was built for."""
    src = os.path.join(work, 'peak.c')
    exe = os.path.join(work, 'peak')
    with open(src, 'w') as f:
        f.write(PEAK_C)
    sh(['cc', '-O3', '-march=' + (cpu or 'native'), '-ffp-contract=fast',
        '-fopenmp', src, '-o', exe])
    # The best of five: a neighbour's burst on a shared host once measured
    # half the peak, which doubled every model's percentage.
    runs = [sh(['taskset', '-c', env['PIN'], exe], env=env).stdout.split()
            for _ in range(5)]
    return runs[0][0], max(float(r[1]) for r in runs)


def cpu_name():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown CPU'


def ensure_ort():
    if os.path.isdir(os.path.join(ORT, 'node_modules', 'onnxruntime-node')):
        return True
    print('== installing onnxruntime-node into build/ort', flush=True)
    r = subprocess.run(['npm', 'install', '--prefix', ORT, '--ignore-scripts',
                        '--no-audit', '--no-fund', '--loglevel=error',
                        'onnxruntime-node'], capture_output=True, text=True)
    return r.returncode == 0


def reference_blas():
    """Whether this PyTorch multiplies matrices with the reference BLAS
    (Debian's python3-torch: BLAS_INFO=generic, 128 ms for a 196x512x2048
    matmul that MKL does in about 2): timing it measures that BLAS, not
    PyTorch."""
    return 'BLAS_INFO=generic' in torch.__config__.show()


def torch_timer(family, input_path, threads):
    build, _ = repc_models.FAMILIES[family]['paper']
    torch.manual_seed(0)
    model = build().eval()
    x = torch.from_numpy(np.load(input_path))
    torch.set_num_threads(threads)

    def run(repeat, warmup):
        times = []
        with torch.no_grad():
            for i in range(warmup + repeat):
                t0 = time.perf_counter()
                model(x)
                if i >= warmup:
                    times.append((time.perf_counter() - t0) * 1e3)
        return times
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--models', default='repvgg,repmlpnet,convmlp,convmixer,resmlp')
    p.add_argument('--batches', default='1,8')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--per-round', type=int, default=3)
    p.add_argument('--work', default=os.path.join(ROOT, 'bench-out'))
    p.add_argument('--cpu', help='compile for this CPU (repc --cpu=, gcc -march=): '
                   'x86-64-v3 or znver3 measures AVX2 code on an AVX-512 host')
    p.add_argument('--torch', choices=('auto', 'yes', 'no'), default='auto',
                   help='time PyTorch eager too (auto: not when this PyTorch '
                   'multiplies with the reference BLAS)')
    p.add_argument('--gpu', action='store_true',
                   help='time on the GPU against PyTorch eager and torch.compile')
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    if args.gpu:
        return main_gpu(args)
    env = dict(os.environ)
    env['PIN'] = ','.join(str(c) for c in range(args.threads))
    env['OMP_PROC_BIND'] = 'true'
    env['OMP_NUM_THREADS'] = str(args.threads)
    env['NODE_PATH'] = os.path.join(ORT, 'node_modules')
    have_ort = ensure_ort()
    isa, peak = measure_peak(env, args.work, args.cpu)
    print('CPU: %s; code for %s (%s); peak (FMA loop, %d threads): %.1f GFLOP/s' % (
        cpu_name(), args.cpu or 'this host', isa, args.threads, peak))
    cpu_flag = ['--cpu=' + args.cpu] if args.cpu else []
    time_torch = args.torch == 'yes' or (args.torch == 'auto' and not reference_blas())
    if not time_torch:
        print('PyTorch: not timed (%s)' % ('--torch=no' if args.torch == 'no' else
              'this build multiplies with the reference BLAS, BLAS_INFO=generic: '
              'Debian 12\'s Mixer-S/16 took 2.3 s; --torch=yes times it anyway'))
    # The bench process itself (PyTorch) runs on the same cores.
    os.sched_setaffinity(0, set(range(args.threads)))
    pin = ['taskset', '-c', env['PIN']]
    rows = []
    for family in args.models.split(','):
        for batch in [int(b) for b in args.batches.split(',')]:
            stem = export(family, batch, args.work)
            t0 = time.perf_counter()
            sh([os.path.join(BIN, 'repc'), stem + '.onnx', '-o', stem + '.so'] + cpu_flag)
            compile_s = time.perf_counter() - t0
            sh([os.path.join(BIN, 'repc'), stem + '.onnx', '--emit=onnx',
                '-o', stem + '.folded.onnx'])
            stats = json.loads(sh([os.path.join(BIN, 'repc'), stem + '.onnx',
                                   '--emit=stats']).stdout)
            flops = stats['after']['flops']
            sh(pin + [os.path.join(BIN, 'rep-run'), stem + '.so',
                      '--input=' + stem + '.input.npy', '--output=' + stem + '.repc.npy',
                      '--threads=%d' % args.threads], env=env)
            rel = rel_err(np.load(stem + '.repc.npy'), np.load(stem + '.output.npy'))
            runners = {
                'repc': lambda s=stem: pin + [
                    os.path.join(BIN, 'rep-run'), s + '.so', '--input=' + s + '.input.npy',
                    '--repeat=%d' % args.per_round, '--warmup=1',
                    '--threads=%d' % args.threads]}
            if have_ort:
                for key, model in (('ort_train', stem + '.onnx'),
                                   ('ort_folded', stem + '.folded.onnx')):
                    runners[key] = lambda m=model, s=stem: pin + [
                        'node', os.path.join(ROOT, 'examples/bench/ort_bench.js'), m,
                        s + '.input.npy', str(args.per_round), '1', str(args.threads)]
            times = {k: [] for k in runners}
            if time_torch:
                times['torch'] = []
                timer = torch_timer(family, stem + '.input.npy', args.threads)
            for _ in range(args.rounds):
                for key, cmd in runners.items():
                    r = sh(cmd(), env=env)
                    times[key].append(last_json(r.stdout)['median_ms'])
                if time_torch:
                    times['torch'].append(statistics.median(timer(args.per_round, 1)))
            med = {k: statistics.median(v) for k, v in times.items() if v}
            rows.append((family, batch, compile_s, rel, flops, med))
            print_row(rows[-1], peak, flush=True)
    print()
    print_table(rows, peak)


def export(family, batch, work):
    """The training-time ONNX, input and PyTorch output at this batch."""
    stem = os.path.join(work, '%s_paper_b%d' % (family, batch))
    if not os.path.exists(stem + '.onnx'):
        with tempfile.TemporaryDirectory() as tmp:
            sh([sys.executable, os.path.join(ROOT, 'examples/models/generate.py'),
                family, '--size', 'paper', '--batch', str(batch), '--out', tmp])
            for ext in ('.onnx', '.input.npy', '.output.npy'):
                os.replace(os.path.join(tmp, '%s_paper%s' % (family, ext)),
                           stem + ext)
    return stem


def main_gpu(args):
    if not torch.cuda.is_available():
        sys.exit('bench: --gpu: PyTorch sees no CUDA GPU')
    batches = '1,64' if args.batches == '1,8' else args.batches
    print('GPU: %s' % torch.cuda.get_device_name(0))
    print('| model | batch | repc ms | PyTorch eager ms | torch.compile ms '
          '| repc/eager | repc/compile | rel err | compile s |')
    print('|---|---|---|---|---|---|---|---|---|')
    for family in args.models.split(','):
        for batch in [int(b) for b in batches.split(',')]:
            stem = export(family, batch, args.work)
            lib = stem + '.cuda.so'
            t0 = time.perf_counter()
            sh([os.path.join(BIN, 'repc'), stem + '.onnx', '--target=cuda', '-o', lib])
            compile_s = time.perf_counter() - t0
            sh([os.path.join(BIN, 'rep-run'), lib, '--device=cuda',
                '--input=' + stem + '.input.npy', '--output=' + stem + '.cuda.npy'])
            rel = rel_err(np.load(stem + '.cuda.npy'), np.load(stem + '.output.npy'))
            med = gpu_medians(
                [os.path.join(BIN, 'rep-run'), lib, '--device=cuda',
                 '--input=' + stem + '.input.npy'], family,
                np.load(stem + '.input.npy'), args.rounds, args.per_round)
            print('| %s | %d | %s | %s | %s | %.2f | %.2f | %.1e | %.1f |' % (
                family, batch, fmt(med['repc']), fmt(med['eager']),
                fmt(med['compile']), med['repc'] / med['eager'],
                med['repc'] / med['compile'], rel, compile_s), flush=True)


def fmt(ms):
    return '%.1f' % ms if ms >= 10 else '%.2f' % ms


def print_row(row, peak, flush=False):
    family, batch, compile_s, rel, flops, med = row
    print('%s b%d: compile %.1f s, rel err %.1e, %s' % (
        family, batch, compile_s, rel,
        ', '.join('%s %s ms' % (k, fmt(v)) for k, v in med.items())), flush=flush)


def print_table(rows, peak):
    print('| model | batch | repc ms | ORT folded ms | ORT train ms | PyTorch ms '
          '| repc/ORT folded | repc/ORT train | repc/PyTorch | repc GFLOP/s (% of peak) '
          '| rel err | compile s |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|')
    for family, batch, compile_s, rel, flops, med in rows:
        r = med['repc']
        ortf, ortt, pt = med.get('ort_folded'), med.get('ort_train'), med.get('torch')
        gf = flops / (r / 1e3) / 1e9
        print('| %s | %d | %s | %s | %s | %s | %s | %s | %s | %.0f (%.0f%%) | %.1e | %.1f |' % (
            family, batch, fmt(r), fmt(ortf) if ortf else '-', fmt(ortt) if ortt else '-',
            fmt(pt) if pt else '-', '%.2f' % (r / ortf) if ortf else '-',
            '%.2f' % (r / ortt) if ortt else '-', '%.2f' % (r / pt) if pt else '-',
            gf, 100 * gf / peak, rel, compile_s))
    print('peak: %.1f GFLOP/s' % peak)


if __name__ == '__main__':
    main()
