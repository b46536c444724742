#!/usr/bin/env bash
# Installs what building and testing nix-builder-doctor needs on Debian 12 (as root, or with sudo).
# Skips apt entirely when everything is already there.
set -euo pipefail

packages=(g++ make cmake pkg-config git ca-certificates
          libssh2-1-dev nlohmann-json3-dev libcxxopts-dev libgtest-dev libssl-dev libplist-dev
          openssh-client)
if [ "${1:-}" = "--test" ]; then
  # The tests also run real sshd and Nix, and build the fuzzers with clang. nix-setup-systemd is
  # what nix-bin only recommends: the nixbld group and build users, /etc/nix and /nix/var, which
  # a real multi-user install has and the lab's bind mounts need as mount points. zsh, fish,
  # groff and man check the generated completions and man page (tests/packaging).
  packages+=(openssh-server nix-bin nix-setup-systemd clang libclang-rt-14-dev python3 iproute2 util-linux procps time libxml2-utils python3-jsonschema prometheus
             zsh fish groff-base man-db)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}" >&2
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
