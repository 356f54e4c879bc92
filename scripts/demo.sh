#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds the epslice tool and runs the main demo on built-in defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${EPSLICE_PACKAGES[@]}"

build_dir=${EPSLICE_BUILD_DIR:-build-demo}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DEPSLICE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j2 --target epslice_cli
tool="$build_dir/examples/epslice"
data=tests/data

echo "== The sample objects (kubectl-shaped JSON of one dual-stack Service 'web')"
"$tool" describe "$data"/*.json
echo
echo "== epslice validate: the API server's rules"
if "$tool" validate "$data"/*.json; then echo "all objects valid"; fi
echo
echo "== epslice validate on a broken slice (expected: exit 1, one line per problem)"
broken='{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"Web_1","namespace":"shop"},'
broken+='"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.300"]},{"addresses":["127.0.0.1"],'
broken+='"hostname":"--bad"}],"ports":[{"name":"http","protocol":"HTTP","port":80}]}'
set +e
echo "$broken" | "$tool" validate -
echo "exit code: $?"
set -e
echo
echo "== epslice fmt: decode + re-encode is lossless (same JSON value as the input)"
"$tool" fmt --compact "$data/endpointslices-web.json" | head -c 600
echo "..."
