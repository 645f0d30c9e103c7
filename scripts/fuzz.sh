#!/usr/bin/env bash
# Builds repc's libFuzzer targets (clang-19, ASan + UBSan, in build-fuzz/)
# and runs each for SECONDS (default 60) or RUNS executions, whichever comes
# first, from seed corpora made of the test models and lit inputs.
#
#   scripts/fuzz.sh [SECONDS] [RUNS] [TARGET...]
#
# TARGETs: import import-text fold npy weights (default: all). Each keeps
# its corpus in build-fuzz/corpus/TARGET and writes what it finds to
# build-fuzz/findings/TARGET/; a finding fails the script. Turn a finding
# into a regression test (tests/Import/errors, tests/Runtime) once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
runs=${2:--1}
shift $(($# > 2 ? 2 : $#))
targets=("$@")
((${#targets[@]})) || targets=(import import-text fold npy weights)

source scripts/install-packages.sh
install_packages clang-19 libclang-rt-19-dev cmake ninja-build
# The rest of the dependencies, and a plain build the lit inputs come from.
[ -x build/bin/repc ] || scripts/setup.sh

echo "== building the fuzz targets into build-fuzz/"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DREPC_FUZZ=ON >/dev/null
bins=()
for t in "${targets[@]}"; do bins+=("rep-$t-fuzzer"); done
cmake --build build-fuzz --target "${bins[@]}"

# Seeds: small binary models, the text models of the lit suite, .npy files
# and the fuzzed model's own weights file.
seed=build-fuzz/seeds
rm -rf "$seed" && mkdir -p "$seed"/{import,import-text,npy,weights}
find tests -name '*.onnx' -size -256k -exec cp {} "$seed/import/" \;
find tests -name '*.onnxtxt' -exec cp {} "$seed/import-text/" \;
find tests -name '*.npy' -size -64k -exec cp {} "$seed/npy/" \;
cp build-fuzz/compiler/tools/fuzz/fuzz_model.weights "$seed/weights/"
dict=compiler/tools/fuzz/onnx.dict

status=0
for t in "${targets[@]}"; do
  case $t in
    import|fold) seeds=$seed/import; flags=(-dict=$dict) ;;
    import-text) seeds=$seed/import-text; flags=(-dict=$dict) ;;
    *) seeds=$seed/$t; flags=() ;;
  esac
  corpus=build-fuzz/corpus/$t findings=build-fuzz/findings/$t
  mkdir -p "$corpus" "$findings"
  echo "== rep-$t-fuzzer: ${seconds} s or ${runs} runs"
  # One second per input at most; 4 GiB of RSS; leaks are findings.
  if ! (cd build-fuzz && "./bin/rep-$t-fuzzer" "${flags[@]/#-dict=/-dict=../}" \
        -max_total_time="$seconds" -runs="$runs" -timeout=1 \
        -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="findings/$t/" "corpus/$t" "../$seeds") \
        > "build-fuzz/$t.log" 2>&1; then
    status=1
    echo "   FINDING: see build-fuzz/$t.log and $findings/"
  fi
  grep -E '^(Done|#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::peak_rss_mb)' \
    "build-fuzz/$t.log" | tail -3 | sed 's/^/   /'
done
exit $status
