# Edit this configuration file to define what should be installed on
# your system.
{ config, pkgs, ... }:

{
  imports = [ ./hardware-configuration.nix ];
  nix.distributedBuilds = true;
  nix.buildMachines = [ {
    hostName = "builder";
    system = "x86_64-linux";
    sshKey = "/root/.ssh/id_builder";
    supportedFeatures = [ "big-parallel" "kvm" ];
  } ];
  nix.settings.trusted-users = lib.mkForce [ "root" "@wheel" ];
  environment.etc."motd".text = ''
    Welcome ${config.networking.hostName}! ''${not.interpolated}
  '';
}
