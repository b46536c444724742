# A fixed-output derivation with a recursive (NAR) hash given in SRI form.
derivation {
  name = "nbd-fixed-recursive";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-c" "mkdir $out" ];
  outputHashMode = "recursive";
  outputHash = "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo=";
}
