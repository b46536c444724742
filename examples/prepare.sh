#!/usr/bin/env bash
# Copies examples/NAME into DEST and gives its files the modes git does not keep (from NAME/modes).
# Usage: examples/prepare.sh NAME DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: prepare.sh NAME DEST}
dest=${2:?usage: prepare.sh NAME DEST}
[ -d "$here/$name" ] || { echo "prepare.sh: no example '$name' in $here" >&2; exit 2; }
mkdir -p "$dest"
cp -R "$here/$name"/. "$dest"/
# Plain defaults first (a umask of 002 must not make a healthy example unhealthy), then the manifest.
find "$dest" -type d -exec chmod 0755 {} +
find "$dest" -type f -exec chmod 0644 {} +
while read -r path mode; do
  [ -n "$path" ] && chmod "$mode" "$dest/$path"
done < "$dest/modes"
# What git cannot keep (FIFOs, devices, hundreds of generated files): the case's `setup` script.
if [ -f "$dest/setup" ]; then (cd "$dest" && sh ./setup); fi
