#!/usr/bin/env bash
# The main job must not rot: runs `scripts/demo.sh --smoke` (the pool must grow and shrink
# under the demo's traffic, and everything it started must stop) on the build that
# scripts/test.sh just made, without apt-get.
#   MCSCALE_BUILD_DIR  that build folder (scripts/test.sh passes it; default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
MCSCALE_SKIP_SETUP=1 MCSCALE_BUILD_DIR="${MCSCALE_BUILD_DIR:-$(pwd)/build}" exec scripts/demo.sh --smoke
