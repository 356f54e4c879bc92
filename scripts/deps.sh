# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages epslice needs, only those that are missing (sourced by the scripts).
ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "epslice: installing ${missing[*]}" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The packages the full build needs: the library itself needs only nlohmann-json3-dev; catch2
# and libbenchmark-dev build the tests and benchmarks, libyaml-cpp-dev the tool's YAML input and
# libsimdjson-dev the optional epslice::simdjson target and its tests.
EPSLICE_PACKAGES=(cmake make g++ nlohmann-json3-dev catch2 libbenchmark-dev libyaml-cpp-dev libsimdjson-dev)
