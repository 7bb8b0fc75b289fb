#!/usr/bin/env bash
# Builds the project's libFuzzer targets with clang (libFuzzer, AddressSanitizer,
# UndefinedBehaviorSanitizer; -DMCSCALE_BUILD_FUZZ=ON) in a build folder of their own and
# runs each, one after the other, for a bounded time on a copy of its seed corpus (libFuzzer
# adds new inputs to its first corpus folder: the seeds stay clean). Fails on any crash,
# leak, sanitizer report or hang, after running every target; the input that caused it is
# left in the artifacts folder printed below, named after the target.
#   MCSCALE_FUZZ_BUILD_DIR     build folder (default: build-fuzz)
#   MCSCALE_FUZZ_SECONDS       how long to run each target (default: the target's own, below;
#                              0 skips fuzzing)
#   MCSCALE_FILE_FUZZ_SECONDS  the multipart parser's time, over MCSCALE_FUZZ_SECONDS (0 skips it)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
started=$SECONDS

# One line per target: CMake target, seed corpus folder, default seconds, libFuzzer options.
targets=(
  "cachenode_protocol_fuzzer      cachenode/fuzz/corpus              60 -max_len=65536"
  "file_service_multipart_fuzzer  frontend/file_service/fuzz/corpus  30 -max_len=16384"
  "http_request_parser_fuzzer     common/fuzz/http_request_corpus    30 -max_len=8192"
)

say() { echo "fuzz: $*"; }
build=${MCSCALE_FUZZ_BUILD_DIR:-$root/build-fuzz}
artifacts=$build/fuzz-artifacts

# What runs and for how long: MCSCALE_FUZZ_SECONDS when set, else each target's default;
# MCSCALE_FILE_FUZZ_SECONDS (from when scripts/test.d/file_service_e2e.sh fuzzed the parser)
# still sets the multipart parser's. 0 skips the target.
names=() corpora=() seconds=() options=()
for line in "${targets[@]}"; do
  read -r name corpus default opts <<<"$line"
  s=${MCSCALE_FUZZ_SECONDS:-$default}
  [ "$name" = file_service_multipart_fuzzer ] && s=${MCSCALE_FILE_FUZZ_SECONDS:-$s}
  if [ "$s" = 0 ]; then say "$name skipped (0 s)"; continue; fi
  names+=("$name") corpora+=("$corpus") seconds+=("$s") options+=("$opts")
done
[ ${#names[@]} -gt 0 ] || exit 0

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMCSCALE_BUILD_FUZZ=ON -DMCSCALE_BUILD_TESTS=OFF -DMCSCALE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j 2 --target "${names[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
failed=()
for i in "${!names[@]}"; do
  name=${names[$i]}
  mkdir "$work/$name"
  cp "$root/${corpora[$i]}"/* "$work/$name"/
  say "$name for ${seconds[$i]} s on ${corpora[$i]}; crashing inputs go to $artifacts/$name-*"
  # shellcheck disable=SC2086  # the options are words
  "$build/bin/$name" -max_total_time="${seconds[$i]}" -timeout=10 -rss_limit_mb=2048 ${options[$i]} \
    -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$work/$name" || failed+=("$name")
done
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED after $((SECONDS - started)) s: ${failed[*]} found a problem (inputs in $artifacts/)"
  exit 1
fi
say "passed in $((SECONDS - started)) s: ${names[*]}"
