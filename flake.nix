{
  description = "Find why Nix remote builds over SSH fail, and how to fix it";

  # No flake.lock is committed yet: this repository is developed on machines without network
  # access, where nothing can be locked. The first `nix run`/`nix build` (or `nix flake lock`)
  # writes one; commit it then.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});
    in
    {
      overlays.default = final: prev: { nix-builder-doctor = final.callPackage ./nix/package.nix { }; };

      packages = forAllSystems (
        system: pkgs: {
          nix-builder-doctor = pkgs.callPackage ./nix/package.nix { };
          default = self.packages.${system}.nix-builder-doctor;
        }
      );

      # nix run github:OWNER/nix-builder-doctor -- check
      apps = forAllSystems (
        system: pkgs: {
          default = {
            type = "app";
            program = lib.getExe self.packages.${system}.default;
          };
        }
      );

      # services.nix-builder-doctor; the package defaults to this flake's (nix/package.nix).
      nixosModules.default = ./nix/nixos-module.nix;
      darwinModules.default = ./nix/darwin-module.nix;

      checks = forAllSystems (
        system: pkgs:
        {
          # Builds and runs the unit and golden tests (doCheck).
          package = self.packages.${system}.default;
        }
        // lib.optionalAttrs pkgs.stdenv.hostPlatform.isLinux {
          # The module evaluates in a real NixOS and its unit files build.
          nixos-module =
            (lib.nixosSystem {
              inherit system;
              modules = [
                self.nixosModules.default
                {
                  boot.isContainer = true;
                  system.stateVersion = "25.05";
                  services.nix-builder-doctor = {
                    enable = true;
                    reports = [
                      {
                        format = "prometheus";
                        file = "/var/lib/node-exporter-textfiles/nix-builder-doctor.prom";
                      }
                    ];
                    onFailure = "echo failed";
                  };
                }
              ];
            }).config.systemd.units."nix-builder-doctor.service".unit;
        }
      );

      devShells = forAllSystems (
        system: pkgs: {
          default = pkgs.mkShell {
            inputsFrom = [ self.packages.${system}.default ];
            packages = [
              pkgs.gtest
              pkgs.python3
              pkgs.openssh
            ];
          };
        }
      );
    };
}
