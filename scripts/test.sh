#!/usr/bin/env bash
# Installs dependencies, configures, builds and runs every test of mcscale through CTest.
# Prints every failure in full and exits non-zero on any failure.
#   MCSCALE_BUILD_DIR  build folder (default: build)
#   MCSCALE_TEST_JOBS  tests run in parallel (default: 2)
#   MCSCALE_SKIP_SETUP=1 skips the apt-get step (for quick local runs)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${MCSCALE_BUILD_DIR:-build}
jobs=${MCSCALE_TEST_JOBS:-2}

if [ "${MCSCALE_SKIP_SETUP:-0}" != "1" ]; then
  scripts/setup.sh
fi

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCSCALE_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j "$(nproc)"

status=0
(cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 600) || status=1

for extra in "$root"/scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $(basename "$extra")"
  if ! MCSCALE_BUILD_DIR="$root/$build" bash "$extra"; then
    echo "FAILED: $(basename "$extra")"
    status=1
  fi
done

if [ $status -ne 0 ]; then
  echo "scripts/test.sh: FAILED"
else
  echo "scripts/test.sh: all tests passed"
fi
exit $status
