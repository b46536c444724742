# A system-like toplevel for tests/lab/test_next_generation.py: `etc/` links into the store the
# way NixOS's make-etc.sh builds it (etc/nix/nix.conf -> /nix/store/...-nix.conf), and a
# nixos-version file as a toplevel has. No nixpkgs: only /bin/sh and coreutils of the host.
{ system, name, nixConf, machines, knownHosts }:
let
  nixConfFile = builtins.toFile "nix.conf" nixConf;
  machinesFile = builtins.toFile "machines" machines;
  knownHostsFile = builtins.toFile "ssh_known_hosts" knownHosts;
  etc = derivation {
    name = "${name}-etc";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" ''
      /bin/mkdir -p $out/etc/nix $out/etc/ssh
      /bin/ln -s ${nixConfFile} $out/etc/nix/nix.conf
      /bin/ln -s ${machinesFile} $out/etc/nix/machines
      /bin/ln -s ${knownHostsFile} $out/etc/ssh/ssh_known_hosts
    '' ];
  };
in
derivation {
  inherit name system;
  builder = "/bin/sh";
  args = [ "-c" ''
    /bin/mkdir -p $out
    /bin/ln -s ${etc}/etc $out/etc
    echo 24.05-test > $out/nixos-version
  '' ];
}
