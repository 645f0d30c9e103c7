#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then the main job on an embedded example:
# generate a small training-time RepVGG with the project's generator, import
# it, print its stats, run it in the reference interpreter and compare with
# PyTorch's output.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

demo=build/demo
mkdir -p "$demo"
echo "== generating a tiny training-time RepVGG (BatchNorm kept)"
/usr/bin/python3 examples/models/generate.py repvgg --size tiny --out "$demo"
echo "== repc --emit=stats"
build/bin/repc "$demo/repvgg_tiny.onnx" --emit=stats
echo "== repc --verify (imported vs re-parameterized graph, 3 random inputs)"
build/bin/repc "$demo/repvgg_tiny.onnx" --verify
echo "== repc --run (re-parameterized graph, reference interpreter) vs PyTorch"
build/bin/repc "$demo/repvgg_tiny.onnx" --run \
  --input="$demo/repvgg_tiny.input.npy" --output="$demo/repvgg_tiny.repc.npy"
/usr/bin/python3 tests/tools/compare_npy.py "$demo/repvgg_tiny.repc.npy" \
  "$demo/repvgg_tiny.output.npy"
echo "== repc (native code, shared library) + rep-run on 2 threads vs PyTorch"
build/bin/repc "$demo/repvgg_tiny.onnx" -o "$demo/repvgg_tiny.so"
build/bin/rep-run "$demo/repvgg_tiny.so" --input="$demo/repvgg_tiny.input.npy" \
  --output="$demo/repvgg_tiny.native.npy" --threads=2 --repeat=20 --warmup=2
/usr/bin/python3 tests/tools/compare_npy.py "$demo/repvgg_tiny.native.npy" \
  "$demo/repvgg_tiny.output.npy"
