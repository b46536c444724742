#!/usr/bin/env bash
# Quick start: install what is needed, build, and run the doctor on this machine.
# When this machine has no Nix configuration or no builders, says so and also shows a run on a
# bundled example. Arguments are passed to nix-builder-doctor.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "Building nix-builder-doctor (a few minutes the first time)..." >&2
build_log=$(mktemp)
if ! scripts/build.sh build >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  echo "doctor.sh: the build failed; the full log is $build_log" >&2
  exit 2
fi
rm -f "$build_log"
status=0
if [ -e /etc/nix/nix.conf ] || [ -e /etc/nix/machines ]; then
  build/nix-builder-doctor "$@" || status=$?
  if grep -qsE '^[[:space:]]*builders[[:space:]]*=[[:space:]]*[^[:space:]]' /etc/nix/nix.conf || [ -s /etc/nix/machines ]; then
    exit "$status"
  fi
  echo
  echo "This machine has no remote builders configured."
else
  echo "This machine has no Nix configuration (/etc/nix/nix.conf and /etc/nix/machines are absent)."
fi
echo "Here is a run on the bundled example examples/root-host-key-unknown:"
echo
echo "\$ examples/run.sh root-host-key-unknown $*"
examples/run.sh root-host-key-unknown "$@" || true
exit "$status"
