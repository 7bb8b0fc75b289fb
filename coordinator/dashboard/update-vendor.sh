#!/usr/bin/env bash
# Refreshes the charting library the dashboard embeds (uPlot, MIT) from the npm registry:
# installs the pinned version into a temporary folder and copies the files the page uses
# into coordinator/dashboard/vendor/ (minified script, stylesheet, license, version).
# The C++ build reads only those committed files, so it never needs npm or the network;
# run this by hand to move to another version, then rebuild and commit vendor/.
#
#   coordinator/dashboard/update-vendor.sh [VERSION]    # default: the version pinned below
set -euo pipefail
version=${1:-1.6.32}
here=$(cd "$(dirname "$0")" && pwd)
command -v npm >/dev/null || { echo "update-vendor.sh: npm is not installed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mcscale-uplot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm install --no-audit --no-fund --loglevel=error "uplot@$version" >/dev/null)
pkg=$tmp/node_modules/uplot
cp "$pkg/dist/uPlot.iife.min.js" "$here/vendor/uplot.iife.min.js"
cp "$pkg/dist/uPlot.min.css" "$here/vendor/uplot.min.css"
cp "$pkg/LICENSE" "$here/vendor/LICENSE.uplot"
installed=$(node -p "require('$pkg/package.json').version" 2>/dev/null || echo "$version")
echo "uplot $installed (npm), MIT license" >"$here/vendor/VERSION"
echo "update-vendor.sh: uPlot $installed copied into $here/vendor"
