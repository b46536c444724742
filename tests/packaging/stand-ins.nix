# Small stand-ins for what nix/*.nix and flake.nix take from nixpkgs, so the real Nix can
# evaluate them here without a nixpkgs checkout. Each function does what nixpkgs' function of
# the same name does for the arguments these files pass (lib/strings.nix, lib/lists.nix,
# lib/modules.nix, lib/options.nix, lib/fileset, pkgs/stdenv/generic/make-derivation.nix);
# option types only record their name.
{
  hostSystem ? "x86_64-linux",
  buildSystem ? hostSystem,
}:

let
  isDarwin = builtins.match ".*-darwin" hostSystem != null;
  platform = system: {
    inherit system;
    isLinux = !(builtins.match ".*-darwin" system != null);
    isDarwin = builtins.match ".*-darwin" system != null;
  };
  # A package: a name, a store path and, for getExe, meta.mainProgram.
  package = name: {
    type = "derivation";
    pname = name;
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta.mainProgram = name;
  };

  lib = rec {
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    optionalAttrs = cond: as: if cond then as else { };
    optionalString = cond: s: if cond then s else "";
    concatMap = builtins.concatMap;
    concatStringsSep = builtins.concatStringsSep;
    concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
    hasPrefix = pref: str: builtins.substring 0 (builtins.stringLength pref) str == pref;
    unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    makeBinPath = ps: builtins.concatStringsSep ":" (map (p: "${p}/bin") ps);
    getExe = p: "${p}/bin/${p.meta.mainProgram}";
    escapeShellArg =
      arg:
      if builtins.match "[[:alnum:],._+:@%/=-]+" arg != null then
        arg
      else
        "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] arg}'";
    escapeShellArgs = args: builtins.concatStringsSep " " (map escapeShellArg args);
    cmakeBool = name: value: "-D${name}:BOOL=${if value then "TRUE" else "FALSE"}";
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = what: mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable ${what}.";
    };
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
    mkDefault = x: x;
    types = {
      bool = "bool";
      str = "str";
      lines = "lines";
      package = "package";
      ints.positive = "positive int";
      listOf = t: "list of ${if builtins.isString t then t else "submodule"}";
      enum = values: "one of ${builtins.concatStringsSep ", " values}";
      submodule = m: { _type = "submodule"; options = m.options; };
    };
    licenses.unfree = { shortName = "unfree"; free = false; };
    platforms = {
      linux = [ "x86_64-linux" "aarch64-linux" ];
      darwin = [ "x86_64-darwin" "aarch64-darwin" ];
    };
    # A fileset here is the list of its paths; the source is the root with that list beside it.
    fileset = {
      unions = paths: paths;
      toSource = { root, fileset }: { inherit root; files = fileset; };
    };
    nixosSystem = args: { config.systemd.units."nix-builder-doctor.service".unit = { nixosSystemArgs = args; }; };
  };

  stdenv = {
    hostPlatform = platform hostSystem;
    buildPlatform = platform buildSystem // {
      canExecute = other: other.system == buildSystem;
    };
    # make-derivation.nix: a function of finalAttrs is called with its own result.
    mkDerivation = f: let attrs = if builtins.isFunction f then f attrs else f; in
      attrs // {
        type = "derivation";
        outPath = "/nix/store/00000000000000000000000000000000-${attrs.pname}-${attrs.version}";
      };
  };

  pkgs = {
    inherit lib stdenv;
    callPackage = fn: overrides:
      let
        f = if builtins.isFunction fn then fn else import fn;
        wanted = builtins.functionArgs f;
        given = builtins.mapAttrs (name: _: pkgs.${name} or (package name)) wanted;
      in
      f (given // overrides);
    mkShell = attrs: attrs // { shell = true; };
  };

  # Evaluates a NixOS or nix-darwin module far enough to read what it sets: option defaults
  # filled in under the user's settings, mkIf applied (one level, as these modules use it).
  evalModule =
    { module, settings, extraArgs ? { } }:
    let
      m = (import module) ({ inherit config lib pkgs; } // extraArgs);
      declared = m.options.services.nix-builder-doctor;
      defaults = builtins.mapAttrs (_: o: o.default or null) declared;
      config = {
        services.nix-builder-doctor = defaults // settings;
        nix.package = package "nix";
        programs.ssh.package = package "openssh";
      };
      unIf = x: if builtins.isAttrs x && x ? _type && x._type == "if" then (if x.condition then unIf x.content else null) else
        if builtins.isAttrs x && !(x ? outPath) then builtins.mapAttrs (_: unIf) x else x;
    in
    {
      inherit declared;
      config = unIf m.config;
    };
in
{
  inherit lib stdenv pkgs package evalModule;
  utils.escapeSystemdExecArgs = lib.concatMapStringsSep " " (arg: builtins.replaceStrings [ "%" "$" ] [ "%%" "$$" ] (builtins.toJSON arg));
}
