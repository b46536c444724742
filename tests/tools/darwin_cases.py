# macOS cases (tests/golden/darwin-*, examples/macos-*): trees as a Mac has them, read by
# make_examples.py. Accounts are Open Directory records (binary property lists under
# /var/db/dslocal/nodes/Default), root's home is /var/root, nix-daemon is a launchd service, and
# nix-darwin's /etc files are links through /etc/static into the store.
import hashlib as _hashlib
import plistlib as _plistlib

_NIX_BASE32 = "0123456789abcdfghijklmnpqrsvwxyz"

def _store(name):
    """A store path for NAME with a fixed fake hash, so regenerating changes nothing."""
    digest = _hashlib.sha256(name.encode()).digest()
    return "/nix/store/" + "".join(_NIX_BASE32[b % 32] for b in digest[:32]) + "-" + name

def _bplist(record):
    """A dslocal record: every attribute an array of strings, binary like macOS writes them."""
    return _plistlib.dumps({k: v if isinstance(v, list) else [v] for k, v in record.items()}, fmt=_plistlib.FMT_BINARY)

def _uuid(name):
    h = _hashlib.sha256(("uuid " + name).encode()).hexdigest().upper()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

DSLOCAL = "var/db/dslocal/nodes/Default"

def _user(name, uid, gid, home, shell, realname=""):
    return {f"{DSLOCAL}/users/{name}.plist": _bplist({"name": name, "uid": str(uid), "gid": str(gid), "home": home,
                                                      "shell": shell, "realname": realname or name,
                                                      "generateduid": _uuid(name), "passwd": "********"})}

def _group(name, gid, users=(), members=()):
    record = {"name": name, "gid": str(gid), "realname": name, "generateduid": _uuid("group " + name), "passwd": "*"}
    if users: record["users"] = list(users)
    if members: record["groupmembers"] = [_uuid(m) for m in members]
    return {f"{DSLOCAL}/groups/{name}.plist": _bplist(record)}

SYSTEM_VERSION = _plistlib.dumps({"ProductBuildVersion": "23F79", "ProductCopyright": "1983-2024 Apple Inc.",
                                  "ProductName": "macOS", "ProductUserVisibleVersion": "14.5", "ProductVersion": "14.5",
                                  "iOSSupportVersion": "17.5"}).decode()

# macOS's own /etc/passwd and /etc/group: a few system accounts, consulted in single-user mode only.
MAC_PASSWD = ("##\n# User Database\n#\n# Note that this file is consulted directly only when the system is running\n"
              "# in single-user mode.  At other times this information is provided by\n# Open Directory.\n#\n"
              "# See the opendirectoryd(8) man page for additional information about\n# Open Directory.\n##\n"
              "nobody:*:-2:-2:Unprivileged User:/var/empty:/usr/bin/false\n"
              "root:*:0:0:System Administrator:/var/root:/bin/sh\n"
              "daemon:*:1:1:System Services:/var/root:/usr/bin/false\n"
              "_sshd:*:75:75:sshd Privilege separation:/var/empty:/usr/bin/false\n")
MAC_GROUP = ("##\n# Group Database\n#\n# Note that this file is consulted directly only when the system is running\n"
             "# in single-user mode.  At other times this information is provided by\n# Open Directory.\n##\n"
             "nobody:*:-2:\nnogroup:*:-1:\nwheel:*:0:root\ndaemon:*:1:root\nstaff:*:20:root\nadmin:*:80:root\n")

def _daemon_plist(label, program):
    return _plistlib.dumps({"Label": label, "ProgramArguments": program, "KeepAlive": True, "RunAtLoad": True,
                            "StandardErrorPath": "/var/log/nix-daemon.log", "StandardOutPath": "/dev/null"}).decode()

NIX_DAEMON_PLIST = _daemon_plist("org.nixos.nix-daemon", ["/bin/sh", "-c", "/bin/wait4path /nix/var/nix/profiles/default/bin/nix-daemon "
                                                          "&& exec /nix/var/nix/profiles/default/bin/nix-daemon"])
DETERMINATE_PLIST = _daemon_plist("systems.determinate.nix-daemon", ["/usr/local/bin/determinate-nixd", "daemon"])

# What the Nix installer adds on macOS: only to files interactive shells read.
INSTALLER_BLOCK = ("\n# Nix\nif [ -e '/nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh' ]; then\n"
                   "  . '/nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh'\nfi\n# End Nix\n\n")
MAC_SSH_CONFIG = ("# This is the ssh client system-wide configuration file.\nInclude /etc/ssh/ssh_config.d/*\n\n"
                  "Host *\n    SendEnv LANG LC_*\n")
MAC_SSHD_CONFIG = ("# This sshd was compiled with PATH=/usr/bin:/bin:/usr/sbin:/sbin\n\nInclude /etc/ssh/sshd_config.d/*\n\n"
                   "AuthorizedKeysFile\t.ssh/authorized_keys\nUsePAM yes\nSubsystem\tsftp\t/usr/libexec/sftp-server\n")

def mac_accounts(people, nixbld=True):
    """root, the people (name, uid, shell), admin membership, and the build users group."""
    files = {}
    files.update(_user("root", 0, 0, "/var/root", "/bin/sh", "System Administrator"))
    files.update(_user("_sshd", 75, 75, "/var/empty", "/usr/bin/false"))
    for name, uid, shell in people:
        files.update(_user(name, uid, 20, "/Users/" + name, shell))
    files.update(_group("wheel", 0, ["root"]))
    files.update(_group("staff", 20, ["root"]))
    files.update(_group("admin", 80, ["root"] + [p[0] for p in people]))
    if nixbld:
        for i in (1, 2, 3):
            files.update(_user(f"_nixbld{i}", 350 + i, 350, "/var/empty", "/usr/bin/false", f"Nix build user {i}"))
        # The installer adds members with dseditgroup, which writes both lists.
        files.update(_group("nixbld", 350, [f"_nixbld{i}" for i in (1, 2, 3)], [f"_nixbld{i}" for i in (1, 2, 3)]))
    return files

def mac_system():
    return {"System/Library/CoreServices/SystemVersion.plist": SYSTEM_VERSION, "etc/passwd": MAC_PASSWD,
            "etc/group": MAC_GROUP, "etc/zshrc": "# System-wide profile for interactive zsh(1) shells.\n" + INSTALLER_BLOCK,
            "etc/bashrc": "# System-wide .bashrc file for interactive bash(1) shells.\n" + INSTALLER_BLOCK}

ROOT_KEY = "/var/root/.ssh/nixbuild"
MAC_MODES = ["root/var/root/.ssh 0700", "root/Users/alice/.ssh 0700"]

def nix_darwin_etc(files):
    """nix-darwin's /etc: each file a link to /etc/static/PATH, /etc/static a link to the system's etc
    in the store, whose entries link to one store file each."""
    etc = _store("etc")
    out = {"etc/static": Link(etc + "/etc")}
    for path, text in files.items():
        name = path.split("/")[-1]
        target = _store("etc-" + name)
        out[f"{etc[1:]}/etc/{path}"] = Link(target)
        out[target[1:]] = text
        out[f"etc/{path}"] = Link(f"/etc/static/{path}")
    return out

NIX_DARWIN_HEADER = "# WARNING: this file is generated from the nix.* options in\n# your nix-darwin configuration. Do not edit it!\n"
NIX_DARWIN_CONF = (NIX_DARWIN_HEADER + "allowed-users = *\nbuild-users-group = nixbld\nbuilders-use-substitutes = true\n"
                   "max-jobs = auto\nrequire-sigs = true\nsandbox = false\nsubstituters = https://cache.nixos.org/\n"
                   "trusted-public-keys = cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=\n"
                   "trusted-users = root\nextra-experimental-features = nix-command flakes\n\n")
MAC_MACHINES = machines_line(systems="x86_64-linux,aarch64-linux", key_path=ROOT_KEY)

def darwin_base():
    """A nix-darwin Mac (alice, a launchd nix-daemon) offloading to the Linux builder of base()."""
    local = {}
    local.update(mac_system())
    local.update(mac_accounts([("alice", 501, "/bin/zsh")]))
    local.update(nix_darwin_etc({"nix/nix.conf": NIX_DARWIN_CONF, "nix/machines": MAC_MACHINES}))
    local.update({
        "Library/LaunchDaemons/org.nixos.nix-daemon.plist": NIX_DAEMON_PLIST,
        "etc/ssh/ssh_config": MAC_SSH_CONFIG,
        "var/root/.ssh/nixbuild": (key("root_nixbuild"), "0600"),
        "var/root/.ssh/nixbuild.pub": key("root_nixbuild.pub"),
        "Users/alice/.ssh/id_ed25519": (key("alice_id"), "0600"),
        "Users/alice/.ssh/id_ed25519.pub": key("alice_id.pub"),
        "Users/alice/.ssh/known_hosts": BUILDER + " " + HOST_PUB,
    })
    _, builder = base()
    return local, builder

def darwin(name, readme, expected, **kw):
    kw.setdefault("modes", MAC_MODES)
    golden(name, readme, expected, base_tree=kw.pop("base_tree", darwin_base), **kw)

darwin("darwin-nix-darwin-healthy",
       "A nix-darwin Mac: accounts in Open Directory (nixbld there, not in /etc/group), nix.conf and the\n"
       "machines file linked through /etc/static into the store, root's key in /var/root/.ssh, the launchd\n"
       "nix-daemon, a healthy Linux builder. Nothing to report.", [])

DETERMINATE_CONF = ("# Generated by https://github.com/DeterminateSystems/nix-installer.\n"
                    "# See `/nix/nix-installer --version` for the version details.\n\n"
                    "always-allow-substitutes = true\nbash-prompt-prefix = (nix:$name)\\040\nbuild-users-group = nixbld\n"
                    "experimental-features = nix-command flakes\nextra-nix-path = nixpkgs=flake:nixpkgs\nmax-jobs = auto\n"
                    "upgrade-nix-store-path-url = https://install.determinate.systems/nix-upgrade/stable/universal\n\n"
                    "!include nix.custom.conf\n")

def determinate_base(custom=True):
    def tree():
        local, builder = darwin_base()
        for path in [p for p in local if p.startswith("etc/nix/") or p.startswith("etc/static") or p.startswith("nix/store/")]:
            del local[path]
        local.pop("Library/LaunchDaemons/org.nixos.nix-daemon.plist")
        local.update({"Library/LaunchDaemons/systems.determinate.nix-daemon.plist": DETERMINATE_PLIST,
                      "etc/nix/nix.conf": DETERMINATE_CONF, "etc/nix/machines": MAC_MACHINES})
        if custom:
            local["etc/nix/nix.custom.conf"] = ("# Written by https://github.com/DeterminateSystems/nix-installer.\n"
                                                "# The contents below are based on options specified at installation time.\n\n"
                                                "trusted-users = root alice\nbuilders-use-substitutes = true\n")
        return local, builder
    return tree

darwin("darwin-determinate-healthy",
       "A Mac with Determinate Nix: nix.conf `!include`s nix.custom.conf (which trusts alice and sets\n"
       "builders-use-substitutes), the daemon is launchd's systems.determinate.nix-daemon. Nothing to report.", [],
       base_tree=determinate_base(True))

darwin("darwin-determinate-no-custom-conf",
       "Determinate Nix before nix.custom.conf was written: Nix ignores a missing `!include` file. Silent.", [],
       base_tree=determinate_base(False))

LINUX_BUILDER_KEY = "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUpCV2N4Yi9CbGFxdDFhdU90RStGOFFVV3JVb3RpQzVxQkorVXVFV2RWQ2Igcm9vdEBuaXhvcwo="
LINUX_BUILDER_SSH = ("Host linux-builder\n  User builder\n  Hostname localhost\n  HostKeyAlias linux-builder\n  Port 31022\n"
                     "  IdentityFile /etc/nix/builder_ed25519\n")

def linux_builder_base():
    """nix-darwin's nix.linux-builder, as modules/nix/linux-builder.nix renders it: the ssh_config.d
    block, the ssh-ng machines entry with the module's fixed host key, the key the VM writes."""
    local, builder = darwin_base()
    for path in [p for p in local if p.startswith("etc/nix/") or p.startswith("etc/static") or p.startswith("nix/store/")]:
        del local[path]
    machines = ("ssh-ng://builder@linux-builder aarch64-linux /etc/nix/builder_ed25519 4 1 kvm,benchmark,big-parallel - "
                + LINUX_BUILDER_KEY + "\n")
    local.update(nix_darwin_etc({"nix/nix.conf": NIX_DARWIN_CONF, "nix/machines": machines,
                                 "ssh/ssh_config.d/100-linux-builder.conf": LINUX_BUILDER_SSH}))
    local["etc/nix/builder_ed25519"] = (key("root_nixbuild"), "0600")
    return local, builder

darwin("darwin-linux-builder",
       "nix-darwin's linux-builder: `ssh-ng://builder@linux-builder` reached through the ssh_config.d block\n"
       "(Hostname localhost, Port 31022, HostKeyAlias linux-builder), the module's pinned host key in\n"
       "column 8, /etc/nix/builder_ed25519 written by the VM. No false alarm.", [],
       base_tree=linux_builder_base, args=["--user", "alice"], with_builder=False)

darwin("darwin-root-has-no-key",
       "The classic Mac mistake: alice can ssh to the builder with her own key, but the machines entry\n"
       "names no key and root's home, /var/root, has no ~/.ssh/id_*: nix-daemon (root) has nothing to offer.",
       [("error", "keys.no-identity", URI)],
       drop=("var/root/.ssh/nixbuild", "var/root/.ssh/nixbuild.pub"),
       local={"var/root/.ssh/known_hosts": BUILDER + " " + HOST_PUB},
       base_tree=lambda: _with_machines(darwin_base, MAC_MACHINES.replace(ROOT_KEY, "-")))

def _with_machines(tree, machines):
    local, builder = tree()
    machines_store = [p for p in local if p.endswith("-etc-machines")][0]
    local[machines_store] = machines
    return local, builder

darwin("darwin-build-users-group-missing",
       "Open Directory is in the tree and has no nixbld group (deleted, or never created): every build fails.",
       [("error", "nixconf.build-users-group-missing", "")],
       base_tree=lambda: _without_nixbld(darwin_base))

def _without_nixbld(tree):
    local, builder = tree()
    for path in [p for p in local if "nixbld" in p and p.startswith(DSLOCAL)]:
        del local[path]
    return local, builder

darwin("darwin-without-directory-node",
       "A Mac's files copied without /var/db (root-only): /etc/group has no nixbld, as on every Mac, and\n"
       "that proves nothing. The group is unknown, not missing: silent.", [],
       base_tree=lambda: _without_dslocal(darwin_base))

def _without_dslocal(tree):
    local, builder = tree()
    for path in [p for p in local if p.startswith(DSLOCAL)]:
        del local[path]
    return local, builder

darwin("darwin-malformed-account-record",
       "One group record is not a property list: it is reported (doctor.cannot-read), the other records\n"
       "are still read, and the build users group is unknown rather than missing.",
       [("info", "auth.user-cannot-ping-builder", "ssh-ng://nixbuild@builder.example.org"), ("info", "doctor.cannot-read", "")],
       local={f"{DSLOCAL}/groups/broken.plist": "<?xml version=\"1.0\"?>\n<plist version=\"1.0\"><dict><key>name</key>"},
       base_tree=lambda: _without_nixbld(darwin_base))

# A Mac as the builder (Apple silicon), for a Linux client (the base), over ssh-ng as `builder`.
MAC_BUILDER = "mac.example.org"
MAC_URI = "ssh-ng://builder@" + MAC_BUILDER

def mac_builder_base(zshenv=None, shell="/bin/zsh"):
    def tree():
        local, _ = base()
        local["etc/nix/machines"] = machines_line(uri=MAC_URI, systems="aarch64-darwin,x86_64-darwin", features="big-parallel")
        builder = {}
        builder.update(mac_system())
        builder.update(mac_accounts([("builder", 502, shell)]))
        builder.update({
            "Library/LaunchDaemons/org.nixos.nix-daemon.plist": NIX_DAEMON_PLIST,
            "etc/nix/nix.conf": "\nbuild-users-group = nixbld\ntrusted-users = root builder\n",
            "etc/ssh/sshd_config": MAC_SSHD_CONFIG,
            "etc/ssh/sshd_config.d/100-macos.conf": "# options changed in macOS\nChallengeResponseAuthentication no\n",
            "etc/ssh/ssh_host_ed25519_key.pub": HOST_PUB,
            "Users/builder/.ssh/authorized_keys": (key("root_nixbuild.pub"), "0600"),
        })
        if zshenv:
            builder.update(zshenv)
        return local, builder
    return tree

MAC_BUILDER_ARGS = ["--user", "alice", "--remote-root", MAC_BUILDER + "=@DIR@/builder"]
MAC_BUILDER_MODES = ["builder/Users/builder/.ssh 0700"]

def mac_builder(name, readme, expected, where=None, **kw):
    spec = dict(base_tree=kw.pop("base_tree", mac_builder_base()), args=MAC_BUILDER_ARGS, builder_modes=MAC_BUILDER_MODES, **kw)
    if where:
        example(name, readme, expected, where=where, **spec)
    else:
        golden(name, readme, expected, **spec)

mac_builder("darwin-builder-nix-not-on-path",
            "A Mac builder with a stock Nix install: builder's login shell is zsh, which for `ssh host cmd`\n"
            "reads only /etc/zshenv and ~/.zshenv; the installer put Nix in /etc/zshrc. `nix-daemon` is not found.",
            [("error", "remote.nix-not-on-path", MAC_URI)])

SET_ENVIRONMENT = ("export PATH=$HOME/.nix-profile/bin:/etc/profiles/per-user/$USER/bin:/run/current-system/sw/bin:"
                   "/nix/var/nix/profiles/default/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin\n"
                   "export NIX_SSL_CERT_FILE=\"/etc/ssl/certs/ca-certificates.crt\"\n")
NIX_DARWIN_ZSHENV = ("# /etc/zshenv: DO NOT EDIT -- this file has been generated automatically.\n# This file is read for all shells.\n\n"
                     "# Only execute this file once per shell.\nif [ -n \"${__ETC_ZSHENV_SOURCED-}\" ]; then return; fi\n"
                     "__ETC_ZSHENV_SOURCED=1\n\nif [[ -o rcs ]]; then\n  if [ -z \"${__NIX_DARWIN_SET_ENVIRONMENT_DONE-}\" ]; then\n"
                     "    . " + _store("set-environment") + "\n  fi\nfi\n\n# Read system-wide modifications.\n"
                     "if test -f /etc/zshenv.local; then\n  source /etc/zshenv.local\nfi\n")

def _nix_darwin_zshenv():
    files = nix_darwin_etc({"zshenv": NIX_DARWIN_ZSHENV})
    files[_store("set-environment")[1:]] = SET_ENVIRONMENT
    return files

mac_builder("darwin-builder-nix-darwin-zshenv",
            "A nix-darwin Mac builder: /etc/zshenv (a link through /etc/static) sources set-environment, which\n"
            "puts /run/current-system/sw/bin and the default profile on the PATH. Silent.", [],
            base_tree=mac_builder_base(_nix_darwin_zshenv()))

mac_builder("darwin-builder-determinate-zshenv",
            "A Determinate Nix Mac builder: the installer sources nix-daemon.sh from /etc/zshenv for SSH. Silent.", [],
            base_tree=mac_builder_base({"etc/zshenv": "\n# Set up Nix only on SSH connections\n"
                                        "# See: https://github.com/DeterminateSystems/nix-installer/pull/714\n"
                                        "if [ -e '/nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh' ] && "
                                        "[ -n \"${SSH_CONNECTION:-}\" ] && [ \"${SHLVL:-0}\" -eq 1 ]; then\n"
                                        "    . '/nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh'\nfi\n# End Nix\n\n"}))

mac_builder("macos-builder-nix-not-on-path",
            "The Mac builder's Nix is installed and working for people who log in, but `ssh builder@mac.example.org\n"
            "nix-daemon --stdio` runs zsh non-interactively: it reads /etc/zshenv and ~/.zshenv only, and the Nix\n"
            "installer added itself to /etc/zshrc. Nix fails with `zsh:1: command not found: nix-daemon`.",
            [("error", "remote.nix-not-on-path", MAC_URI)], where=EXAMPLES)

# The local system on a Mac tree read elsewhere: nix.conf sets no `system`, so it is aarch64-darwin
# or x86_64-darwin, and only a file can say which (nix-darwin's /run/current-system/system).
def _max_jobs_0(tree, machines=None, extra=None):
    def make():
        local, builder = tree()
        conf = [p for p in local if p.endswith("-etc-nix.conf")][0]
        local[conf] = local[conf].replace("max-jobs = auto\n", "max-jobs = 0\n")
        if machines is not None:
            local[[p for p in local if p.endswith("-etc-machines")][0]] = machines
        local.update(extra or {})
        return local, builder
    return make

darwin("darwin-max-jobs-0-linux-builders-only",
       "A nix-darwin Mac with max-jobs = 0 whose only builder lists x86_64-linux,aarch64-linux: nothing can\n"
       "build the Mac's own derivations (Failed to find a machine for remote build!). nix.conf sets no\n"
       "`system`, so the local system is unknown (aarch64-darwin or x86_64-darwin), neither is listed.",
       [("error", "machines.no-builder-for-system", "")], base_tree=_max_jobs_0(darwin_base), args=["--user", "alice"], with_builder=False)

darwin("darwin-max-jobs-0-mac-builder",
       "max-jobs = 0 on a Mac whose builder lists x86_64-darwin: the tree does not say whether this Mac is\n"
       "aarch64-darwin or x86_64-darwin (not the doctor's own x86_64-linux), so no finding rests on a guess. Silent.",
       [], base_tree=_max_jobs_0(darwin_base, machines_line(systems="x86_64-darwin", key_path=ROOT_KEY)),
       args=["--user", "alice"], with_builder=False)

darwin("darwin-max-jobs-0-current-system-says",
       "As darwin-max-jobs-0-mac-builder, but nix-darwin's /run/current-system/system says aarch64-darwin:\n"
       "the builder's x86_64-darwin does not build this Mac's derivations.",
       [("error", "machines.no-builder-for-system", "")],
       base_tree=_max_jobs_0(darwin_base, machines_line(systems="x86_64-darwin", key_path=ROOT_KEY),
                             {"run/current-system/system": "aarch64-darwin"}),
       args=["--user", "alice"], with_builder=False)

def _linux_builder_before_first_start():
    local, builder = linux_builder_base()
    del local["etc/nix/builder_ed25519"]
    return local, builder

darwin("darwin-linux-builder-not-started",
       "nix-darwin's linux-builder before the VM's first start: /etc/nix/builder_ed25519 does not exist yet\n"
       "(the VM writes it). The fix says to start it once (launchctl kickstart), not to ssh-keygen a key.",
       [("error", "machines.identity-missing", "ssh-ng://builder@linux-builder")],
       base_tree=_linux_builder_before_first_start, args=["--user", "alice"], with_builder=False,
       modes=[m for m in MAC_MODES])
