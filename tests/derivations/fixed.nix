# A fixed-output derivation: the output's hash algorithm and hash are in the outputs list.
derivation {
  name = "nbd-fixed";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-c" "printf hello > $out" ];
  outputHashMode = "flat";
  outputHashAlgo = "sha256";
  outputHash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
}
