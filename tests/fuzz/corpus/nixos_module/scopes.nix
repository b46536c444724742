args@{ pkgs, lib ? pkgs.lib, ... }:
let
  inherit (pkgs) stdenv;
  helper = { lib, ... }: lib.mkDefault 1;
in
with pkgs; rec {
  /* block comment with lib.x */
  x = "${lib.version}";
  y = ./lib/default.nix;
  z = <nixpkgs/lib>;
  u = https://example.org/lib.nix;
}
