#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds everything (tests, examples, benchmarks), checks that every
# public header compiles on its own and runs every test through ctest. Usage: ./scripts/test.sh [extra cmake arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${EPSLICE_PACKAGES[@]}"

build_dir=${EPSLICE_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DEPSLICE_BUILD_BENCH=ON "$@" >/dev/null
cmake --build "$build_dir" -j2
# Every public header compiles on its own (CMake's VERIFY_INTERFACE_HEADER_SETS check).
cmake --build "$build_dir" -j2 --target all_verify_interface_header_sets
ctest --test-dir "$build_dir" --output-on-failure -j2
