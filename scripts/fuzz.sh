#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) and runs each for a while.
#
# Usage: ./scripts/fuzz.sh [seconds per target, default 60]
# Environment: EPSLICE_FUZZ_BUILD_DIR (default build-fuzz), FUZZ_TARGETS (space-separated subset,
# default all: fuzz_simdjson is one where CMake finds simdjson), FUZZ_JOBS (targets run at once,
# default 2).
#
# Each target starts from its committed seed corpus and regression inputs and keeps what it finds
# in <build dir>/corpus/<target> (kept between runs, never committed). Prints per target the
# executions, libFuzzer's `cov:` (edges) and `ft:` (features), and any crash, leak, timeout or
# out-of-memory input written; exits 1 when a target found one. A crash found: minimise it
# (<build dir>/tests/fuzz/<target> -minimize_crash=1 -runs=100000 FILE), file the defect, and once it is fixed
# commit the input to tests/fuzz/regressions/<target>/ so that ctest replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [seconds per target]" >&2
  exit 2
fi

source scripts/deps.sh
ensure_packages "${EPSLICE_PACKAGES[@]}" clang libclang-rt-14-dev

build_dir=${EPSLICE_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-2}

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DEPSLICE_BUILD_FUZZ=ON -DEPSLICE_WERROR=ON \
  -DEPSLICE_BUILD_TESTS=OFF -DEPSLICE_BUILD_EXAMPLES=OFF -DEPSLICE_BUILD_BENCH=OFF \
  -DEPSLICE_INSTALL=OFF "${launcher[@]}" >/dev/null
# Every target, as configured: fuzz_simdjson is there only when CMake found simdjson.
read -r -a all_targets < "$build_dir/tests/fuzz/fuzz_targets.txt"
read -r -a targets <<< "${FUZZ_TARGETS:-${all_targets[*]}}"
for t in "${targets[@]}"; do
  if [[ " ${all_targets[*]} " != *" $t "* ]]; then
    echo "epslice: no fuzz target $t in this configuration (targets: ${all_targets[*]})" >&2
    exit 2
  fi
done
# Only the fuzz targets exist in this build directory; building "all" lets make compile two at a
# time (make does not run several --target goals in parallel).
if [ "${targets[*]}" = "${all_targets[*]}" ]; then
  cmake --build "$build_dir" -j2
else
  cmake --build "$build_dir" -j2 --target "${targets[@]}"
fi

# Per target: the longest input, and a dictionary for the JSON targets. The limits keep one input
# cheap enough that the known quadratic cases of issue #13 stay out of reach of a short run.
dict="$root/tests/fuzz/dict/kubernetes.dict"
options_for() {
  case "$1" in
    fuzz_address) echo "-max_len=256" ;;
    fuzz_merge) echo "-max_len=1024" ;;
    fuzz_reconcile) echo "-max_len=16384 -dict=$dict" ;;
    *) echo "-max_len=8192 -dict=$dict" ;;
  esac
}

run_target() {
  local t=$1
  local rc corpus="$build_dir/corpus/$t" artifacts="$build_dir/artifacts/$t/" log="$build_dir/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  local seeds=("$root/tests/fuzz/corpus/$t")
  [ -d "$root/tests/fuzz/regressions/$t" ] && seeds+=("$root/tests/fuzz/regressions/$t")
  # shellcheck disable=SC2046  # options_for prints several words on purpose
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build_dir/tests/fuzz/$t" $(options_for "$t") -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "${seeds[@]}" >"$log" 2>&1 && rc=0 || rc=$?
  echo "$rc" >"$build_dir/logs/$t.status"
}

echo "epslice: fuzzing ${targets[*]} for ${seconds}s each, $jobs at a time (logs in $build_dir/logs)"
for t in "${targets[@]}"; do
  rm -f "$build_dir/artifacts/$t/"{crash,leak,timeout,oom}-* "$build_dir/logs/$t.status" 2>/dev/null || true
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_target "$t" &
done
wait

failed=0
printf '%-16s %12s %8s %8s %8s  %s\n' target executions cov ft corpus result
for t in "${targets[@]}"; do
  log="$build_dir/logs/$t.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<< "$last")
  status=$(cat "$build_dir/logs/$t.status" 2>/dev/null || echo "?")
  found=$(find "$build_dir/artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null || true)
  result=ok
  if [ -n "$found" ] || [ "$status" != 0 ]; then
    result="FAILED (exit $status)"
    failed=1
  fi
  printf '%-16s %12s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
  for f in $found; do echo "  input: $f"; done
  if [ "$result" != ok ]; then grep -m3 -E 'fuzz invariant failed|ERROR: |runtime error' "$log" | sed 's/^/  /' || true; fi
done
exit $failed
