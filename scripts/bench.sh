#!/usr/bin/env bash
# Builds (Release) and prints the offline benchmarks. Usage: scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DNBD_TESTS=OFF >/dev/null
python3 scripts/bench.py build-release/nix-builder-doctor "${1:-20}"
if [ "$(id -u)" -eq 0 ]; then
  python3 scripts/bench_live.py build-release/nix-builder-doctor --runs 3
else
  echo "live benchmark skipped: it starts real builders in namespaces and needs root"
fi
