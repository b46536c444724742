# nix-builder-doctor as nixpkgs packages a CMake C++ program: `pkgs.callPackage ./nix/package.nix { }`
# (the flake does that). The attribute names are nixpkgs' own, checked against its sources:
# pkgs/by-name/{li/libssh2,nl/nlohmann_json,cx/cxxopts,li/libplist,gt/gtest}/package.nix and
# pkgs/top-level/all-packages.nix (cmake, pkg-config, makeWrapper, openssl, openssh).
{
  lib,
  stdenv,
  cmake,
  pkg-config,
  makeWrapper,
  libssh2,
  openssl,
  nlohmann_json,
  cxxopts,
  libplist,
  gtest,
  openssh,
}:

let
  # One version, the one CMakeLists.txt's project() declares.
  cmakeLists = builtins.readFile ../CMakeLists.txt;
  version = builtins.head (
    builtins.match ".*project\\(nix_builder_doctor VERSION ([0-9.]+) .*" (
      builtins.replaceStrings [ "\n" ] [ " " ] cmakeLists
    )
  );
in
stdenv.mkDerivation (finalAttrs: {
  pname = "nix-builder-doctor";
  inherit version;

  # What the build and its tests read; editing README.md or the Nix files rebuilds nothing.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../CMakeLists.txt
      ../cmake
      ../include
      ../src
      ../rules
      ../tools
      ../packaging
      ../tests
      ../examples
      ../docs
    ];
  };

  strictDeps = true;

  nativeBuildInputs = [
    cmake
    pkg-config
    makeWrapper
  ];

  buildInputs = [
    libssh2
    openssl
    nlohmann_json
    cxxopts
    libplist
  ];

  checkInputs = [ gtest ];

  cmakeFlags = [
    (lib.cmakeBool "NBD_TESTS" finalAttrs.doCheck)
    # The man page and completions are made by a helper the build runs: not when cross-compiling.
    (lib.cmakeBool "NBD_DOCS" (stdenv.buildPlatform.canExecute stdenv.hostPlatform))
  ];

  # The unit and golden tests (ctest: gtest_discover_tests). The lab (tests/lab: real sshd and
  # Nix builders in network namespaces, as root) cannot run in the build sandbox and is not run.
  # Tests that need root, /usr/bin/ssh, sshd or promtool skip themselves when those are missing.
  doCheck = stdenv.buildPlatform.canExecute stdenv.hostPlatform;
  checkPhase = ''
    runHook preCheck
    ctest --output-on-failure -j $NIX_BUILD_CORES
    runHook postCheck
  '';

  # The ground truth runs `ssh` exactly as Nix does. --suffix: an ssh already on PATH (the one the
  # daemon runs, with its config) wins; this package's openssh is only the fallback.
  postFixup = ''
    wrapProgram $out/bin/nix-builder-doctor --suffix PATH : ${lib.makeBinPath [ openssh ]}
  '';

  meta = {
    description = "Find why Nix remote builds over SSH fail, and how to fix it";
    longDescription = ''
      nix-builder-doctor reads the files Nix and OpenSSH read, the way they read them, probes
      every remote builder the way Nix connects to it, and tells which thing is wrong, where,
      and the command that fixes it. It never writes a file, never accepts a host key and never
      prints key material.
    '';
    homepage = "https://github.com/nix-builder-doctor/nix-builder-doctor";
    # The repository has no LICENSE yet, so no licence may be claimed: all rights reserved is
    # `unfree` (nixpkgs then asks for NIXPKGS_ALLOW_UNFREE=1). Name the licence here once chosen.
    license = lib.licenses.unfree;
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
    mainProgram = "nix-builder-doctor";
  };
})
