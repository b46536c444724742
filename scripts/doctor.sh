#!/usr/bin/env bash
# Quick start: install what is needed, build, and run the doctor on this machine.
# When this machine has no Nix configuration, says so and runs a bundled broken example instead.
# Arguments are passed to nix-builder-doctor.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build >/dev/null
if [ -e /etc/nix/nix.conf ] || [ -e /etc/nix/machines ]; then
  exec build/nix-builder-doctor "$@"
fi
echo "This machine has no Nix configuration (/etc/nix/nix.conf and /etc/nix/machines are absent)."
echo "Here is a run on the bundled example examples/root-host-key-unknown instead:"
echo
example=$(mktemp -d)
trap 'rm -rf "$example"' EXIT
examples/prepare.sh root-host-key-unknown "$example"
echo "\$ nix-builder-doctor --root examples/root-host-key-unknown --user alice $*"
build/nix-builder-doctor --root "$example" --user alice "$@" || true
