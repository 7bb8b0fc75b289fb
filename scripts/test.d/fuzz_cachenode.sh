#!/usr/bin/env bash
# Builds the cachenode protocol fuzzer with clang (libFuzzer, AddressSanitizer,
# UndefinedBehaviorSanitizer) in a build folder of its own and runs it for a bounded time on
# the seed corpus in cachenode/fuzz/corpus. Fails on any crash, leak, sanitizer report or
# hang; the input that caused it is left in the artifacts folder printed below.
#   MCSCALE_FUZZ_BUILD_DIR  build folder (default: build-fuzz)
#   MCSCALE_FUZZ_SECONDS    how long to fuzz (default: 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${MCSCALE_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${MCSCALE_FUZZ_SECONDS:-60}

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMCSCALE_BUILD_FUZZ=ON -DMCSCALE_BUILD_TESTS=OFF -DMCSCALE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j 2 --target cachenode_protocol_fuzzer

# libFuzzer adds new inputs to its first corpus folder: work on a copy, keep the seeds clean.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root"/cachenode/fuzz/corpus/* "$work"/
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
echo "fuzzing for ${seconds}s; crashing inputs go to $artifacts/"
"$build/bin/cachenode_protocol_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" "$work"
