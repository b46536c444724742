# A derivation that asks for builder features: Nix writes the list into the env as one
# space-separated string. The env also carries characters that the ATerm writer escapes.
derivation {
  name = "nbd-features";
  system = "aarch64-linux";
  builder = "/bin/sh";
  args = [ "-c" "echo built > $out" ];
  requiredSystemFeatures = [ "kvm" "big-parallel" ];
  escapes = "quote \" backslash \\ newline \n tab \t return \r dollar \${x} end";
}
