#!/usr/bin/env bash
# Installs every build and test dependency of mcscale on Debian 12 with apt-get.
# Idempotent: when every package is already installed it only checks and returns.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates curl
  redis-server redis-tools memcached
  libhiredis-dev libevent-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libssl-dev libsqlite3-dev sqlite3
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-dev
  procps iproute2 netcat-openbsd python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

# The Debian packages start system-wide redis and memcached services; mcscale starts its
# own on free ports, so the system ones are left alone but never relied upon.
echo "setup: done"
