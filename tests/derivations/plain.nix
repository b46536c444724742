# A plain input-addressed derivation with one output and no inputs.
derivation {
  name = "nbd-plain";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-c" "echo hello > $out" ];
}
