# nix-darwin module: services.nix-builder-doctor runs `nix-builder-doctor check` as a launchd
# daemon (as root: the daemon's view is root's) every `interval` seconds and at load.
# Option names used from nix-darwin, checked against its sources:
#   launchd.daemons.<name>.{script,path,serviceConfig}   modules/launchd/default.nix
#   serviceConfig.{StartInterval,RunAtLoad,StandardOutPath,StandardErrorPath,Umask}  modules/launchd/launchd.nix
#   nix.package                                          modules/nix/default.nix
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.nix-builder-doctor;
  common = import ./module-common.nix { inherit lib; };
  check = lib.escapeShellArgs ([ (lib.getExe cfg.package) ] ++ common.checkArguments cfg);
in
{
  options.services.nix-builder-doctor = common.options { inherit pkgs; } // {
    interval = lib.mkOption {
      type = lib.types.ints.positive;
      default = 3600;
      description = "Seconds between two checks (launchd StartInterval); the first runs when the daemon is loaded.";
    };
    logFile = lib.mkOption {
      type = lib.types.str;
      default = "/var/log/nix-builder-doctor.log";
      description = "Where the check's output goes.";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = common.assertions cfg;

    launchd.daemons.nix-builder-doctor = {
      # The check, then onFailure when it fails; the daemon's exit status is the check's.
      script = ''
        status=0
        ${check} || status=$?
        if [ "$status" -ne 0 ]; then
          echo "nix-builder-doctor check failed with exit status $status" >&2
          ${cfg.onFailure}
        fi
        exit "$status"
      '';
      # Nix, then the system's ssh (/usr/bin/ssh, the one the Nix daemon runs on macOS).
      path = [
        config.nix.package
        "/usr/bin"
        "/bin"
        "/usr/sbin"
        "/sbin"
      ];
      serviceConfig = {
        StartInterval = cfg.interval;
        RunAtLoad = true;
        StandardOutPath = cfg.logFile;
        StandardErrorPath = cfg.logFile;
        Umask = 18; # 0022: the reports are readable by others (e.g. node_exporter)
      };
    };
  };
}
