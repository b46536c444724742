{ config, pkgs, lib, ... }:
# lib.mkForce in a comment
{
  nix.settings.max-jobs = lib.mkDefault 4;
}
