# The Debian package: `cpack -G DEB` in a build configured with -DCMAKE_INSTALL_PREFIX=/usr
# (scripts/test-deb.sh builds and install-tests it). The runtime dependencies are Debian 12's
# packages of the libraries linked (libssh2-1, libssl3, libplist3 = libplist-2.0.so.3) and
# openssh-client for the ground truth, which runs ssh exactly as Nix does.
set(CPACK_PACKAGE_NAME nix-builder-doctor)
set(CPACK_PACKAGE_VENDOR "nix-builder-doctor")
set(CPACK_PACKAGE_CONTACT "nix-builder-doctor maintainers <nix-builder-doctor@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "find why Nix remote builds over SSH fail, and how to fix it")
set(CPACK_PACKAGE_DESCRIPTION
    "nix-builder-doctor reads the files Nix and OpenSSH read, the way they read them, probes every remote builder the way Nix connects to it, and tells which thing is wrong, where, and the command that fixes it. It is read-only, never accepts a host key and never prints key material.")
set(CPACK_PACKAGE_HOMEPAGE_URL "${NBD_PROJECT_URL}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.34), libstdc++6 (>= 12), libgcc-s1 (>= 3.0), libssh2-1 (>= 1.10), libssl3 (>= 3.0), libplist3 (>= 2.2), openssh-client")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nix-bin | nix")
set(CPACK_GENERATOR DEB)
include(CPack)
