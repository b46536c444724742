#!/usr/bin/env bash
# Builds and runs every test: unit and golden tests (ctest), the same under ASan/UBSan, and each
# libFuzzer target for a bounded time. Installs what it needs on Debian 12.
# FUZZ_SECONDS (default 20) bounds each fuzzer run.
set -euo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
# Counts for the closing line: "N passed" from every runner below.
count() { grep -oE "$2" "$logs/$1" | grep -oE '[0-9]+' | awk 'NR == 1'; }
# Each stage's heading says how long the run has taken so far.
stage() { echo "== $1 (at ${SECONDS} s)"; }
scripts/install-deps.sh --test

stage "build and unit tests"
scripts/build.sh build
(cd build && ctest --output-on-failure -j"$(nproc)") | tee "$logs/ctest" | grep -vE '^ +(Start|[0-9]+/[0-9]+ Test)'


stage "real builders: the lab self-test, then the doctor against real builds (needs root)"
python3 tests/lab/test_lab_ground_truth.py --no-logs | tee "$logs/lab"
python3 tests/lab/test_doctor_vs_real_build.py build/nix-builder-doctor | tee "$logs/doctor-lab"
python3 tests/lab/test_report_formats.py build/nix-builder-doctor | tee "$logs/formats-lab"
python3 tests/lab/test_route_vs_real_build.py build/nix-builder-doctor | tee "$logs/route-lab"
python3 tests/lab/test_explain_check.py build/nix-builder-doctor | tee "$logs/explain-check-lab"
python3 tests/lab/test_next_generation.py build/nix-builder-doctor | tee "$logs/next-lab"

stage "packaging: the Nix files (real nix-instantiate, stand-in nixpkgs), man page, completions, the .deb"
python3 tests/packaging/test_packaging.py build | tee "$logs/packaging"
DEB_BUILD_DIR=build scripts/test-deb.sh | tee "$logs/deb"

stage "unit tests under ASan/UBSan, in the build that also holds the fuzzers"
# One clang build serves both: every library is built with ASan/UBSan and libFuzzer's coverage
# instrumentation (NBD_FUZZ), so the fuzzers exercise sanitized parsers and the unit tests run
# sanitized too. -O1: -O0 compiled in 570 s instead of 840 s but its tests ran 840 s instead of 266 s
# (measured before unity builds; with them, -O1 compiles in ~400 s and its tests run ~420 s).
CC=clang CXX=clang++ scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DNBD_FUZZ=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j"$(nproc)") |
  tee "$logs/asan" | grep -vE '^ +(Start|[0-9]+/[0-9]+ Test)'

stage "fuzzers (${FUZZ_SECONDS:-20} s each, $(nproc) at once)"
targets=$(cd tests/fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
# One fuzzer: its corpus copied to a scratch folder; its last lines printed in one piece; its
# status returned (a crash fails the run).
run_fuzzer() {
  local name=$1 work status=0 out
  work=$(mktemp -d)
  [ -d "tests/fuzz/corpus/${name#fuzz_}" ] && cp -r "tests/fuzz/corpus/${name#fuzz_}"/. "$work"/
  "build-asan/$name" -max_total_time="${FUZZ_SECONDS:-20}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 "$work" \
    >"$logs/fuzz-$name" 2>&1 || status=$?
  rm -rf "$work"
  out=$(printf -- '-- %s\n' "$name"; tail -n 2 "$logs/fuzz-$name")
  printf '%s\n' "$out"
  return "$status"
}
export -f run_fuzzer
export logs
# shellcheck disable=SC2086
printf '%s\n' $targets | xargs -P "$(nproc)" -I{} bash -c 'run_fuzzer "$1"' _ {}
fuzzers=$(ls tests/fuzz/fuzz_*.cpp | wc -l)
unit=$(count ctest 'out of [0-9]+')
lab=$(count lab '[0-9]+ passed')
doctor_lab=$(count doctor-lab '[0-9]+ passed')
formats_lab=$(count formats-lab '[0-9]+ passed')
route_lab=$(count route-lab '[0-9]+ passed')
explain_check_lab=$(count explain-check-lab '[0-9]+ passed')
next_lab=$(count next-lab '[0-9]+ passed')
packaging=$(count packaging '[0-9]+ passed')
deb=$(count deb '[0-9]+ passed')
asan=$(count asan 'out of [0-9]+')
echo "== all tests passed: $unit unit and golden, $lab lab, $doctor_lab doctor-vs-real-build, $formats_lab report-format checks, $route_lab route-vs-real-build, $explain_check_lab explain --check, $next_lab next-generation checks, $packaging packaging, $deb .deb checks, $asan under ASan/UBSan, $fuzzers fuzzers"
echo "took ${SECONDS} s"
echo "summary: $((unit + lab + doctor_lab + formats_lab + route_lab + explain_check_lab + next_lab + packaging + deb + asan + fuzzers)) passed, 0 failed"
