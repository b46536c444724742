# Structured attributes: Nix puts every attribute into one JSON env var, __json, and the
# features are a JSON list there (not in the env).
derivation {
  name = "nbd-structured";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-c" ". .attrs.sh; echo $name > \${outputs[out]}" ];
  __structuredAttrs = true;
  requiredSystemFeatures = [ "nixos-test" "benchmark" ];
  count = 3;
  nested = { list = [ 1 "two" ]; flag = true; };
}
