#!/usr/bin/env bash
# Builds the Debian package (cpack -G DEB, in build-deb/ with prefix /usr) and tests it:
#  - its control fields: every shared library the binary needs comes from a declared dependency,
#    and openssh-client is declared (the ground truth runs ssh as Nix does);
#  - its files: the binary, the man page, the bash, zsh and fish completions where Debian looks;
#  - the extracted binary prints its version and checks a bundled example;
#  - with --fresh-machine (as root; needs debootstrap; 5-10 min): `apt-get install ./FILE.deb`
#    in a bare Debian 12 (../shared/tools/fresh-machine.sh), then --version, the man page's
#    presence and two example runs (healthy: exit 0; root-host-key-unknown: exit 1).
# Commit first: the fresh machine runs the examples from a clone of the committed checkout.
# DEB_BUILD_DIR (default build-deb) is the build folder; an existing one is reused. Prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=0
[ "${1:-}" = "--fresh-machine" ] && fresh=1
scripts/install-deps.sh
dir=${DEB_BUILD_DIR:-build-deb}
# RelWithDebInfo, as scripts/build.sh builds; CPack strips the binary. An existing build folder
# (scripts/test.sh passes DEB_BUILD_DIR=build) is only re-configured with the /usr prefix: the
# prefix changes no compile flag, so nothing is compiled twice.
if [ -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
else
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr -DNBD_TESTS=OFF >/dev/null
fi
cmake --build "$dir" -j"$(nproc)" >/dev/null
rm -f "$dir"/nix-builder-doctor_*.deb
(cd "$dir" && cpack -G DEB >/dev/null)
deb=$(ls "$dir"/nix-builder-doctor_*.deb)
version=$(sed -n 's/^project(nix_builder_doctor VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
echo "-- $deb"

passed=0
failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
expect() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

depends=$(dpkg-deb -f "$deb" Depends)
# A package named in Depends (each entry's first word; names like libstdc++6 are no regexes).
declared() { awk -v RS=',' -v p="$1" '$1 == p {found = 1} END {exit !found}' <<<"$depends"; }
expect "Depends declares openssh-client" "declared openssh-client"
x=$(mktemp -d)
trap 'rm -rf "$x"' EXIT
dpkg-deb -x "$deb" "$x"
# Each NEEDED library of the binary, by the Debian package that ships it here.
# No reader here stops early (no `head`, no awk `exit`): under pipefail a writer that gets
# SIGPIPE fails the whole script (exit 141), as it once did in CI on ldconfig's long listing.
first_owner() { dpkg -S "$1" 2>/dev/null | awk -F: 'NR == 1 {print $1}' || true; }
for lib in $(objdump -p "$x/usr/bin/nix-builder-doctor" | awk '/NEEDED/ {print $2}'); do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !found {print $NF; found = 1}')
  if [ -z "$path" ]; then bad "$lib is in the linker cache (ldconfig -p)"; continue; fi
  pkg=$(first_owner "$(readlink -f "$path")")
  [ -n "$pkg" ] || pkg=$(first_owner "$path")
  expect "$lib (from ${pkg:-no package}) is a declared dependency" "[ -n '$pkg' ] && declared '$pkg'"
done
for f in usr/bin/nix-builder-doctor usr/share/man/man1/nix-builder-doctor.1 \
         usr/share/bash-completion/completions/nix-builder-doctor \
         usr/share/zsh/vendor-completions/_nix-builder-doctor \
         usr/share/fish/vendor_completions.d/nix-builder-doctor.fish; do
  expect "the package holds /$f" "[ -s '$x/$f' ]"
done
expect "the packaged binary prints its version" \
  "[ \"\$('$x/usr/bin/nix-builder-doctor' --version)\" = 'nix-builder-doctor $version' ]"
expect "the packaged binary checks examples/healthy" \
  "NBD_BINARY='$x/usr/bin/nix-builder-doctor' examples/run.sh healthy >/dev/null"

if [ "$fresh" = 1 ]; then
  tool=
  for t in ../shared/tools/fresh-machine.sh /work/shared/tools/fresh-machine.sh; do
    [ -x "$t" ] && tool=$t && break
  done
  [ -n "$tool" ] || { echo "fresh-machine.sh not found beside the checkout" >&2; exit 1; }
  # The package reaches the fresh root as its /src/shared (the tool copies SHARED there).
  carrier=$(mktemp -d)
  cp "$deb" "$carrier/"
  name=$(basename "$deb")
  log=$(mktemp)
  if SHARED=$carrier "$tool" "set -e
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /src/shared/$name >/dev/null
      nix-builder-doctor --version
      test -s /usr/share/man/man1/nix-builder-doctor.1
      NBD_BINARY=/usr/bin/nix-builder-doctor examples/run.sh healthy
      status=0; NBD_BINARY=/usr/bin/nix-builder-doctor examples/run.sh root-host-key-unknown >/dev/null || status=\$?
      echo \"root-host-key-unknown exit \$status\"; test \$status = 1" >"$log" 2>&1; then
    ok "a fresh Debian 12 installs $name with apt-get and runs it"
  else
    bad "a fresh Debian 12 installs $name with apt-get and runs it"
  fi
  tail -n 25 "$log"
  rm -rf "$carrier" "$log"
fi
echo "deb: $passed passed, $failed failed"
[ "$failed" = 0 ]
