# NixOS module: services.nix-builder-doctor runs `nix-builder-doctor check` from a systemd timer,
# as root (the daemon's view is root's), read-only but for the report files' folders.
# Option names used from nixpkgs, checked against its sources:
#   systemd.services.<name>.{path,onFailure,serviceConfig,unitConfig}, systemd.timers.<name>.timerConfig,
#   systemd.tmpfiles.rules                     nixos/lib/systemd-unit-options.nix, nixos/modules/system/boot/systemd/tmpfiles.nix
#   utils.escapeSystemdExecArgs                 nixos/lib/utils.nix
#   nix.package, programs.ssh.package           nixos/modules/config/nix.nix, nixos/modules/programs/ssh.nix
#   (nix-daemon runs ssh from programs.ssh.package: nixos/modules/services/system/nix-daemon.nix)
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:

let
  cfg = config.services.nix-builder-doctor;
  common = import ./module-common.nix { inherit lib; };
  reportDirectories = lib.unique (map (r: dirOf r.file) cfg.reports);
  command = [ (lib.getExe cfg.package) ] ++ common.checkArguments cfg;
in
{
  options.services.nix-builder-doctor = common.options { inherit pkgs; } // {
    interval = lib.mkOption {
      type = lib.types.str;
      default = "hourly";
      example = "*:0/15";
      description = "How often the check runs: a systemd calendar event (OnCalendar=, see systemd.time(7)).";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = common.assertions cfg;

    # A report folder that does not exist yet is made (root's, 0755); one that exists is left as it is.
    systemd.tmpfiles.rules = map (dir: "d ${dir} - - - -") reportDirectories;

    systemd.services.nix-builder-doctor = {
      description = "Check the Nix remote builders (nix-builder-doctor)";
      documentation = [ "man:nix-builder-doctor(1)" ];
      wants = [ "network-online.target" ];
      after = [
        "network-online.target"
        "nix-daemon.socket"
      ];
      # The ssh and Nix the daemon itself runs.
      path = [
        config.nix.package
        config.programs.ssh.package
      ];
      # Exit 1 (findings at or above --fail-on), 2 or 3 fails the unit, which starts onFailure.
      onFailure = lib.optional (cfg.onFailure != "") "nix-builder-doctor-on-failure.service";
      serviceConfig = {
        Type = "oneshot";
        ExecStart = utils.escapeSystemdExecArgs command;
        User = "root";
        UMask = "0022";
        # Read-only everywhere (it reads /etc, /nix, /root/.ssh and the users' ~/.ssh), but the
        # report files' folders.
        ProtectSystem = "strict";
        ProtectHome = "read-only";
        ReadWritePaths = reportDirectories;
        PrivateTmp = true;
        PrivateDevices = true;
        NoNewPrivileges = true;
        # ssh to the builders (IPv4, IPv6) and the local sockets (nix-daemon, ssh-agent, ProxyCommand).
        RestrictAddressFamilies = [
          "AF_UNIX"
          "AF_INET"
          "AF_INET6"
        ];
        # Root reads other users' ~/.ssh (0700) and writes reports into folders it may not own.
        CapabilityBoundingSet = [
          "CAP_DAC_OVERRIDE"
          "CAP_DAC_READ_SEARCH"
        ];
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        MemoryDenyWriteExecute = true;
        SystemCallArchitectures = "native";
      };
    };

    systemd.timers.nix-builder-doctor = {
      description = "Check the Nix remote builders periodically";
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnCalendar = cfg.interval;
        Persistent = true;
        RandomizedDelaySec = "5min";
      };
    };

    systemd.services.nix-builder-doctor-on-failure = lib.mkIf (cfg.onFailure != "") {
      description = "React to a failed nix-builder-doctor check";
      # systemd (>= 251) passes the failed unit's result as $MONITOR_SERVICE_RESULT, $MONITOR_EXIT_STATUS, ...
      script = cfg.onFailure;
      serviceConfig.Type = "oneshot";
    };
  };
}
