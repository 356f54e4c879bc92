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

# The packages every build needs.
EPSLICE_PACKAGES=(cmake make g++ nlohmann-json3-dev catch2 libbenchmark-dev libyaml-cpp-dev)
