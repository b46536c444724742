# What the NixOS and nix-darwin modules share: the options (but `interval`, which is a systemd
# calendar event on NixOS and seconds for launchd) and the check's command line.
{ lib }:

let
  # The formats --report takes (nix-builder-doctor --help; the man page lists them).
  formats = [
    "text"
    "json"
    "junit"
    "sarif"
    "github"
    "prometheus"
    "machines"
  ];
in
{
  inherit formats;

  options =
    { pkgs }:
    {
      enable = lib.mkEnableOption "periodic checks of this machine's Nix remote builders with nix-builder-doctor";

      package = lib.mkOption {
        type = lib.types.package;
        default = pkgs.callPackage ./package.nix { };
        defaultText = lib.literalExpression "pkgs.callPackage ./nix/package.nix { }";
        description = "The nix-builder-doctor package to run.";
      };

      extraArgs = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
        example = [
          "--fail-on"
          "warning"
          "--ignore"
          "keys.legacy-type"
        ];
        description = "More arguments for `nix-builder-doctor check` (see nix-builder-doctor(1)).";
      };

      reports = lib.mkOption {
        type = lib.types.listOf (
          lib.types.submodule {
            options = {
              format = lib.mkOption {
                type = lib.types.enum formats;
                example = "prometheus";
                description = "The report's format.";
              };
              file = lib.mkOption {
                type = lib.types.str;
                example = "/var/lib/prometheus-node-exporter-text-files/nix-builder-doctor.prom";
                description = "The file the report replaces atomically on each run (an absolute path).";
              };
            };
          }
        );
        default = [ ];
        example = lib.literalExpression ''
          [ { format = "prometheus"; file = "/var/lib/prometheus-node-exporter-text-files/nix-builder-doctor.prom"; } ]
        '';
        description = ''
          Report files written on every run (`--report FORMAT=FILE`). For node_exporter's textfile
          collector, name a file in the folder given to it with
          `services.prometheus.exporters.node.extraFlags = [ "--collector.textfile.directory=DIR" ]`
          (nixpkgs fixes no such folder).
        '';
      };

      onFailure = lib.mkOption {
        type = lib.types.lines;
        default = "";
        example = ''
          ''${pkgs.curl}/bin/curl -fsS -m 10 --retry 3 https://hc-ping.com/UUID/fail
        '';
        description = "Shell commands run when a check fails (findings at or above --fail-on, or an error).";
      };
    };

  # `check`, each report, then the user's arguments.
  checkArguments =
    cfg: [ "check" ] ++ lib.concatMap (r: [ "--report=${r.format}=${r.file}" ]) cfg.reports ++ cfg.extraArgs;

  assertions =
    cfg:
    map (r: {
      assertion = lib.hasPrefix "/" r.file;
      message = "services.nix-builder-doctor.reports: '${r.file}' is not an absolute path";
    }) cfg.reports;
}
