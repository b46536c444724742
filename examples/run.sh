#!/usr/bin/env bash
# Runs the doctor on one example as the README shows: examples/run.sh NAME [more options]
# Uses build/nix-builder-doctor (build it first: scripts/build.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: run.sh NAME [options]}
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$here/prepare.sh" "$name" "$dir"
mapfile -t args < <(sed "s|@DIR@|$dir|g" "$dir/args")
"${NBD_BINARY:-$here/../build/nix-builder-doctor}" --offline --root "$dir/root" "${args[@]}" "$@"
