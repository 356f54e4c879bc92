#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds the epslice tool and runs the main demo on built-in defaults:
# what a change to a large Service costs in each layout, and the plots of it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${EPSLICE_PACKAGES[@]}"

build_dir=${EPSLICE_BUILD_DIR:-build-demo}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DEPSLICE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j2 --target epslice_cli
tool="$build_dir/examples/epslice"
out_dir=${EPSLICE_DEMO_DIR:-demo-output}
mkdir -p "$out_dir"

# The world: a Service of 5,000 endpoints on 100 nodes in 3 zones, watched by 3,000 watchers (one
# per node of a large cluster). Every layout and both strategies go through the same three phases.
common=(--endpoints 5000 --zones 3 --watchers 3000)

echo "Objects are measured as the API server stores and sends them (uid, resourceVersion, generation,"
echo "creationTimestamp and managedFields included); add --bare-objects for the controller's objects."
echo

echo "== 1. Rolling update: 5,000 pods replaced, 50 at a time (100 steps)"
"$tool" simulate --compare --scenario rolling-update --batch 50 "${common[@]}"
echo
echo "== 2. Scale-down: 5,000 -> 500 endpoints, 50 random pods removed per step (90 steps)"
"$tool" simulate --compare --scenario scale-down --batch 50 "${common[@]}"
echo
echo "== 3. Random churn: 1% of the endpoints replaced at random per step (200 steps)"
"$tool" simulate --compare --scenario churn --churn-percent 1 --steps 200 "${common[@]}" --svg "$out_dir"
echo
echo "== 4. The published figures, computed with our measured sizes"
"$tool" simulate --published
echo
echo "== 5. One run in detail: the scale-down through upstream's placement (docs/scenarios.md, S4)"
"$tool" simulate --scenario scale-down --endpoints 1000 --batch 10 --steps 90
echo
echo "== 6. The same with compaction (beyond upstream): at most one extra write per reconcile while"
echo "      the slices are less than 80% full"
"$tool" simulate --scenario scale-down --endpoints 1000 --batch 10 --steps 90 --compact-below 0.8 --compaction-budget 1
echo
echo "Plots (SVG): $out_dir/bytes-per-change.svg, $out_dir/churn-slices.svg, $out_dir/churn-fullness.svg"
