#!/usr/bin/env bash
# Installs repc's dependencies from Debian's archive (once) and builds into
# build/, tools in build/bin/.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ ccache
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools libomp-19-dev
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libcurl4-openssl-dev
  libprotobuf-dev protobuf-compiler libabsl-dev libgtest-dev libonnx-dev
  python3-torch python3-onnx python3-numpy
  graphviz chromium fonts-dejavu-core
)
source scripts/install-packages.sh
install_packages "${packages[@]}"

# ONNX Runtime (npm's onnxruntime-node) runs the graphs repc writes back as
# ONNX; the tests use it when it is there. Node may come from elsewhere
# (NodeSource ships npm inside nodejs), so Debian's npm is only a fallback.
if ! command -v npm >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends nodejs npm ||
    echo "== npm unavailable: the ONNX Runtime checks are skipped"
fi
if command -v npm >/dev/null && [ ! -d build/ort/node_modules/onnxruntime-node ]; then
  echo "== installing onnxruntime-node into build/ort"
  mkdir -p build/ort
  npm install --prefix build/ort --ignore-scripts --no-audit --no-fund \
    --loglevel=error onnxruntime-node >/dev/null ||
    echo "== onnxruntime-node unavailable: the ONNX Runtime checks are skipped"
fi

echo "== building into build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
