#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the whole test suite under ctest:
# lit + FileCheck tests and GoogleTest.
#
#   scripts/test.sh [--sanitize] [CTEST ARGS...]
#
# --sanitize builds repc with clang-19, AddressSanitizer and UBSan into
# build-asan/ (REPC_SANITIZE) and runs the same suite there: every
# sanitizer report fails the test that triggered it.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=0
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=1
  shift
fi
scripts/setup.sh
if ((!sanitize)); then
  ctest --test-dir build --output-on-failure "$@"
  exit
fi

source scripts/install-packages.sh
install_packages clang-19 libclang-rt-19-dev
echo "== building with ASan + UBSan into build-asan/"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DREPC_SANITIZE=ON >/dev/null
cmake --build build-asan
# ONNX Runtime for the export tests, as the plain build has it.
[ -d build/ort ] && [ ! -e build-asan/ort ] && ln -s ../build/ort build-asan/ort
# Leaks are findings too; a report stops the program with an error.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build-asan --output-on-failure "$@"
