# Three outputs, an input derivation (plain.nix, output "out") and an input source (builder.sh).
let plain = import ./plain.nix; in
derivation {
  name = "nbd-multi";
  system = "x86_64-darwin";
  builder = "/bin/sh";
  args = [ ./builder.sh ];
  outputs = [ "out" "dev" "doc" ];
  dep = plain;
}
