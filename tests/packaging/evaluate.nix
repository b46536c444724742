# What tests/packaging/test_packaging.py asserts, evaluated by the real Nix from nix/*.nix and
# flake.nix with the stand-ins of stand-ins.nix. `nix-instantiate --eval --strict --json
# evaluate.nix --argstr what package|package-cross|nixos|nixos-plain|darwin|flake [--argstr settings JSON]`.
{
  what,
  settings ? "{}",
}:

let
  here = ./.;
  root = ../..;
  s = import ./stand-ins.nix { };
  cross = import ./stand-ins.nix { hostSystem = "aarch64-linux"; buildSystem = "x86_64-linux"; };
  names = map (p: p.pname);
  user = builtins.fromJSON settings;
  # A JSON-given package is { outPath; mainProgram }.
  userSettings =
    user
    // (
      if user ? package then
        { package = { outPath = user.package.outPath; meta.mainProgram = user.package.mainProgram; }; }
      else
        { }
    );

  describePackage =
    stand:
    let
      drv = stand.pkgs.callPackage (root + "/nix/package.nix") { };
    in
    {
      inherit (drv)
        pname
        version
        cmakeFlags
        doCheck
        checkPhase
        postFixup
        strictDeps
        meta
        ;
      nativeBuildInputs = names drv.nativeBuildInputs;
      buildInputs = names drv.buildInputs;
      checkInputs = names drv.checkInputs;
      src = {
        root = toString drv.src.root;
        files = map toString drv.src.files;
      };
    };

  module =
    file: extraArgs:
    (s.evalModule {
      module = root + "/nix/${file}";
      settings = userSettings;
      inherit extraArgs;
    });

  nixos = module "nixos-module.nix" { inherit (s) utils; };
  darwin = module "darwin-module.nix" { };

  flake =
    let
      f = import (root + "/flake.nix");
      nixpkgs = {
        lib = s.lib;
        legacyPackages = s.lib.genAttrs [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ] (
          system: (import ./stand-ins.nix { hostSystem = system; }).pkgs
        );
      };
      out = f.outputs { self = out; inherit nixpkgs; };
      overlaid = out.overlays.default nixpkgs.legacyPackages.x86_64-linux nixpkgs.legacyPackages.x86_64-linux;
    in
    {
      inputs = builtins.attrNames f.inputs;
      nixpkgsUrl = f.inputs.nixpkgs.url;
      systems = builtins.attrNames out.packages;
      packageNames = builtins.attrNames out.packages.x86_64-linux;
      defaultPname = out.packages.aarch64-darwin.default.pname;
      app = out.apps.x86_64-linux.default;
      overlayPname = overlaid.nix-builder-doctor.pname;
      nixosModule = toString out.nixosModules.default;
      darwinModule = toString out.darwinModules.default;
      linuxChecks = builtins.attrNames out.checks.x86_64-linux;
      darwinChecks = builtins.attrNames out.checks.aarch64-darwin;
      nixosCheckModules = builtins.length out.checks.x86_64-linux.nixos-module.nixosSystemArgs.modules;
      devShellInputs = map (p: p.pname) out.devShells.x86_64-linux.default.inputsFrom;
    };
in
{
  package = describePackage s;
  package-cross = describePackage cross;
  nixos = {
    inherit (nixos) config;
    options = builtins.attrNames nixos.declared;
  };
  darwin = {
    inherit (darwin) config;
    options = builtins.attrNames darwin.declared;
  };
  inherit flake;
}
.${what}
