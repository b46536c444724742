# Golden cases (tests/golden/<name>): one per rule the files can decide, plus tricky healthy
# setups that must stay silent. Read by make_examples.py.
import hashlib, hmac, os as _os

def _hashed(name):
    salt = hashlib.sha256(name.encode()).digest()[:20]  # fixed, so the file does not change on every run
    mac = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return "|1|" + base64.b64encode(salt).decode() + "|" + base64.b64encode(mac).decode()

NOREMOTE = ["--user", "alice"]
NIXCONF = ("build-users-group = nixbld\nexperimental-features = nix-command flakes\nmax-jobs = auto\n"
           "builders = @/etc/nix/machines\n")
BUILDER_NIXCONF = "build-users-group = nixbld\ntrusted-users = root nixbuild\nsystem = x86_64-linux\nextra-platforms = aarch64-linux\n"

golden("nixconf-deprecated-setting", "An old alias of substituters.", [("warning", "nixconf.deprecated-setting", "")],
       local={"etc/nix/nix.conf": NIXCONF + "binary-caches = https://cache.nixos.org/\n"})
golden("nixconf-builders-file-missing", "builders points at a file that does not exist.",
       [("error", "nixconf.builders-file-missing", "")],
       local={"etc/nix/nix.conf": NIXCONF.replace("@/etc/nix/machines", "@/etc/nix/machines.d/builders")},
       args=NOREMOTE, with_builder=False)
golden("nixconf-require-sigs-disabled", "Signatures are not required.", [("warning", "nixconf.require-sigs-disabled", "")],
       local={"etc/nix/nix.conf": NIXCONF + "require-sigs = false\n"})
golden("nixconf-trusted-public-key-malformed", "One trusted key is not base64; the other is fine.",
       [("error", "nixconf.trusted-public-key-malformed", "")],
       local={"etc/nix/nix.conf": NIXCONF + "trusted-public-keys = cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY= mycache:not-base64!\n"})
golden("nixconf-user-not-trusted", "alice sets her own builders, but she is not trusted.",
       [("warning", "nixconf.user-not-trusted", "")],
       local={"home/alice/.config/nix/nix.conf": "builders = ssh://alice@otherbuilder x86_64-linux\n"})
golden("nixconf-user-trusted-via-group", "alice sets her own builders and is trusted through @wheel: silent.", [],
       local={"etc/nix/nix.conf": NIXCONF + "trusted-users = root @wheel\n",
              "home/alice/.config/nix/nix.conf": "builders = ssh://alice@otherbuilder x86_64-linux\n"})
golden("nixconf-build-users-group-missing", "build-users-group names a group /etc/group lacks.",
       [("error", "nixconf.build-users-group-missing", "")],
       local={"etc/nix/nix.conf": NIXCONF.replace("= nixbld", "= nixbuilders")})
golden("nixconf-nix-command-disabled", "nix-command is not enabled (info only).",
       [("info", "nixconf.nix-command-disabled", ""), ("info", "auth.user-cannot-ping-builder", URI)],
       local={"etc/nix/nix.conf": NIXCONF.replace("experimental-features = nix-command flakes\n", "")})
golden("nixconf-ssh-store-as-substituter", "The builder is also a substituter; with only the default cache.nixos.org-1 key trusted, the paths it built itself are refused as well (nixconf.substituter-key-missing).",
       [("warning", "nixconf.ssh-store-as-substituter", ""), ("warning", "nixconf.substituter-key-missing", "")],
       local={"etc/nix/nix.conf": NIXCONF + "substituters = https://cache.nixos.org/ ssh-ng://nixbuild@builder.example.org\n"})
golden("machines-parse-error", "max-jobs is not a number.", [("error", "machines.parse-error", "")],
       local={"etc/nix/machines": "ssh://nixbuild@builder.example.org x86_64-linux - eight\n"},
       args=NOREMOTE, with_builder=False)
golden("machines-unknown-scheme", "sshng:// is not a store type.", [("error", "machines.unknown-scheme", "sshng://nixbuild@builder.example.org")],
       local={"etc/nix/machines": machines_line(uri="sshng://nixbuild@builder.example.org")}, args=NOREMOTE, with_builder=False)
golden("machines-unknown-system", "x86_64_linux is misspelt.", [("error", "machines.unknown-system", URI)],
       local={"etc/nix/machines": machines_line(systems="x86_64_linux")}, args=NOREMOTE, with_builder=False)
golden("machines-identity-missing", "Column 3 names a key that does not exist, and root has no other key: one cause, one finding (machines.identity-missing; keys.no-identity used to fire beside it).",
       [("error", "machines.identity-missing", URI)],
       local={"etc/nix/machines": machines_line(key_path="/root/.ssh/id_builder")})
golden("machines-host-key-is-client-key", "Column 8 pins root's own public key.",
       [("error", "machines.host-key-is-client-key", URI)],
       local={"etc/nix/machines": machines_line(host_key=b64(key("root_nixbuild.pub")))}, args=NOREMOTE, with_builder=False)
golden("machines-host-key-blob-only", "Column 8 is the base64 of the key blob, not of the line.",
       [("error", "machines.host-key-malformed", URI)],
       local={"etc/nix/machines": machines_line(host_key=base64.b64encode(base64.b64decode(HOST_PUB.split()[1])).decode())},
       args=NOREMOTE, with_builder=False)
golden("machines-host-key-mismatch", "Column 8 pins another machine's host key.", [("error", "machines.host-key-mismatch", URI)],
       local={"etc/nix/machines": machines_line(host_key=b64(key("other_host.pub")))})
golden("machines-duplicate-builder", "The same builder twice.", [("warning", "machines.duplicate-builder", URI)],
       local={"etc/nix/machines": machines_line() + machines_line()})
golden("machines-no-builder-for-system", "Local builds are off and the only builder is aarch64-linux.",
       [("error", "machines.no-builder-for-system", "")],
       local={"etc/nix/nix.conf": NIXCONF.replace("max-jobs = auto", "max-jobs = 0"),
              "etc/nix/machines": machines_line(systems="aarch64-linux")},
       args=["--system", "x86_64-linux", "--user", "alice"], with_builder=False)
golden("keys-no-identity", "No column 3 key and no ~/.ssh/id_* for root.", [("error", "keys.no-identity", URI)],
       local={"etc/nix/machines": machines_line(key_path="-")},
       drop=("root/.ssh/nixbuild", "root/.ssh/nixbuild.pub"))
golden("keys-default-identity", "No column 3 key, but root has ~/.ssh/id_ed25519 and it is authorized: silent.", [],
       local={"etc/nix/machines": machines_line(key_path="-"), "root/.ssh/id_ed25519": (key("root_nixbuild"), "0600"),
              "root/.ssh/id_ed25519.pub": key("root_nixbuild.pub")},
       drop=("root/.ssh/nixbuild", "root/.ssh/nixbuild.pub"))
golden("keys-private-public-mismatch", "root's nixbuild.pub holds alice's key.", [("error", "keys.private-public-mismatch", "")],
       local={"root/.ssh/nixbuild.pub": key("alice_id.pub")})
golden("keys-root-reuses-user-key", "root's build key is a copy of alice's.", [("warning", "keys.root-reuses-user-key", "")],
       local={"root/.ssh/nixbuild": (key("alice_id"), "0600"), "root/.ssh/nixbuild.pub": key("alice_id.pub")},
       builder={"home/nixbuild/.ssh/authorized_keys": (key("alice_id.pub"), "0600")})
golden("keys-legacy-type", "root's key is RSA 1024.", [("warning", "keys.legacy-type", "")],
       local={"root/.ssh/nixbuild": (key("legacy_rsa1024"), "0600"), "root/.ssh/nixbuild.pub": key("legacy_rsa1024.pub")},
       builder={"home/nixbuild/.ssh/authorized_keys": (key("legacy_rsa1024.pub"), "0600")})
golden("keys-ssh-dir-permissions", "root's ~/.ssh/config is writable by others.", [("warning", "keys.ssh-dir-permissions", "")],
       local={"root/.ssh/config": ("Host *\n    ServerAliveInterval 60\n", "0666")})
golden("hostkey-user-root-disagree", "root and alice know different keys for the builder.",
       [("warning", "hostkey.user-root-disagree", URI)],
       local={"etc/nix/machines": machines_line(host_key="-"), "root/.ssh/known_hosts": BUILDER + " " + key("other_host.pub")})
golden("hostkey-revoked", "The pinned key is @revoked in /etc/ssh/ssh_known_hosts.", [("error", "hostkey.revoked", URI)],
       local={"etc/ssh/ssh_known_hosts": "@revoked * " + HOST_PUB})
golden("hostkey-hashed-known-hosts", "root knows the builder through a hashed known_hosts line: silent.", [],
       local={"etc/nix/machines": machines_line(host_key="-"), "root/.ssh/known_hosts": _hashed(BUILDER) + " " + HOST_PUB})
golden("hostkey-global-known-hosts-port", "A builder on port 2222 known as [host]:2222 in ssh_known_hosts: no host-key finding. The local Nix version cannot be told from this tree, so machines.port-in-uri warns that only Nix 2.31 and later pass the port in `ssh-ng://...:2222` to ssh.",
       [("warning", "machines.port-in-uri", "ssh-ng://nixbuild@builder.example.org:2222")],
       local={"etc/nix/machines": machines_line(uri="ssh-ng://nixbuild@builder.example.org:2222", host_key="-"),
              "etc/ssh/ssh_known_hosts": "[" + BUILDER + "]:2222 " + HOST_PUB}, args=NOREMOTE, with_builder=False)
golden("hostkey-pin-behind-hostname", "root's ssh_config maps the name to an address, so the column 8 pin (written\n"
       "under the machines name) is never looked up: root does not know the key.",
       [("error", "hostkey.unknown-to-root", URI)],
       local={"root/.ssh/config": "Host builder.example.org\n    HostName 192.0.2.10\n"})
golden("hostkey-pin-with-alias", "The same, fixed with HostKeyAlias: silent.", [],
       local={"root/.ssh/config": "Host builder.example.org\n    HostName 192.0.2.10\n    HostKeyAlias builder.example.org\n"})
golden("sshconfig-host-key-checking-disabled", "root's ssh_config turns host key checking off.",
       [("warning", "sshconfig.host-key-checking-disabled", URI)],
       local={"etc/ssh/ssh_config": "Host *.example.org\n    StrictHostKeyChecking no\n"})
golden("auth-publickey-not-offered", "sshd turns public keys off for nixbuild in a Match block.",
       [("error", "auth.publickey-not-offered", URI)],
       builder={"etc/ssh/sshd_config.d/hardening.conf": "PasswordAuthentication no\nMatch User nixbuild\n    PubkeyAuthentication no\n"})
golden("auth-key-type-mismatch", "root offers an RSA key; the builder has only alice's ed25519 key.",
       [("error", "auth.key-type-mismatch", URI)],
       local={"root/.ssh/nixbuild": (key("root_rsa"), "0600"), "root/.ssh/nixbuild.pub": key("root_rsa.pub")},
       builder={"home/nixbuild/.ssh/authorized_keys": (key("alice_id.pub"), "0600")})
golden("auth-user-key-not-authorized", "alice set up her own access (a Host block), but her key is not authorized.",
       [("warning", "auth.user-key-not-authorized", URI)],
       local={"home/alice/.ssh/config": "Host builder.example.org\n    User nixbuild\n"})
golden("auth-authorized-keys-permissions", "authorized_keys is world-writable; StrictModes makes sshd ignore it.",
       [("error", "auth.authorized-keys-permissions", URI)],
       builder={"home/nixbuild/.ssh/authorized_keys": ("restrict " + key("root_nixbuild.pub"), "0666")})
golden("auth-user-not-allowed", "AllowUsers lists only admin.", [("error", "auth.user-not-allowed", URI)],
       builder={"etc/ssh/sshd_config.d/hardening.conf": "PasswordAuthentication no\nAllowUsers admin\n"})
golden("auth-login-shell-unusable", "nixbuild's shell is nologin.", [("error", "auth.login-shell-unusable", URI)],
       builder={"etc/passwd": "root:x:0:0:root:/root:/bin/bash\nnixbuild:x:1001:1001::/home/nixbuild:/usr/sbin/nologin\n"})
golden("remote-user-not-allowed", "allowed-users and trusted-users both exclude nixbuild.",
       [("error", "remote.user-not-allowed", URI), ("error", "remote.user-not-trusted", URI)],
       builder={"etc/nix/nix.conf": BUILDER_NIXCONF.replace("root nixbuild", "root") + "allowed-users = @wheel\n"})
golden("remote-user-trusted-via-group", "nixbuild is trusted through @nixbuilders: silent.", [],
       builder={"etc/nix/nix.conf": BUILDER_NIXCONF.replace("root nixbuild", "root @nixbuilders"),
                "etc/group": "root:x:0:\nnixbuild:x:1001:\nnixbld:x:30000:\nnixbuilders:x:2000:nixbuild\n"})
golden("remote-missing-system", "The entry promises aarch64-linux; the builder does not emulate it.",
       [("error", "remote.missing-system", URI)],
       builder={"etc/nix/nix.conf": BUILDER_NIXCONF.replace("extra-platforms = aarch64-linux\n", "")})
golden("remote-missing-features", "The builder replaced its system-features and lost big-parallel.",
       [("warning", "remote.missing-features", URI)],
       builder={"etc/nix/nix.conf": BUILDER_NIXCONF + "system-features = benchmark kvm nixos-test\n"})
golden("remote-sshd-session-limits", "MaxStartups 4 is below the entry's 8 jobs.", [("warning", "remote.sshd-session-limits", URI)],
       builder={"etc/ssh/sshd_config.d/hardening.conf": "PasswordAuthentication no\nMaxStartups 4:30:10\n"})
golden("install-ssh-missing", "A full system tree without any ssh program.", [("error", "install.ssh-missing", "")],
       local={"bin/sh": "#!placeholder\n", "usr/bin/env": "#!placeholder\n"}, args=NOREMOTE, with_builder=False)
golden("install-ssh-present", "A full system tree with /usr/bin/ssh: silent.", [],
       local={"bin/sh": "#!placeholder\n", "usr/bin/env": "#!placeholder\n", "usr/bin/ssh": "#!placeholder\n"},
       args=NOREMOTE, with_builder=False)
golden("nixos-lib-not-in-scope", "configuration.nix uses lib.mkDefault without taking lib.",
       [("error", "nixos.lib-not-in-scope", "")],
       local={"etc/nixos/configuration.nix": "{ config, pkgs, ... }:\n{\n  nix.settings.max-jobs = lib.mkDefault 4;\n}\n"},
       args=NOREMOTE, with_builder=False)
golden("nixos-lib-with-pkgs-lib", "configuration.nix brings lib into scope with `with pkgs.lib;` (no finding) and takes it.", [],
       local={"etc/nixos/configuration.nix": "{ config, pkgs, lib, ... }:\n# lib.mkForce in a comment\n{\n  nix.settings.max-jobs = lib.mkDefault 4;\n}\n"},
       args=NOREMOTE, with_builder=False)
golden("nixos-nix-conf-not-managed", "On NixOS, /etc/nix/nix.conf is a plain file.", [("warning", "nixos.nix-conf-not-managed", "")],
       local={"etc/NIXOS": ""}, args=NOREMOTE, with_builder=False)
golden("nixos-nix-conf-generated-copy", "On NixOS, a plain copy of the generated nix.conf (its header says so): silent.", [],
       local={"etc/NIXOS": "", "etc/nix/nix.conf": "# WARNING: this file is generated from the nix.* options in\n"
              "# your NixOS configuration, typically\n# /etc/nixos/configuration.nix.  Do not edit it!\n" + NIXCONF},
       args=NOREMOTE, with_builder=False)
golden("remote-many-jobs-default-sshd", "max-jobs 16 with sshd's default MaxStartups 10:30:100: silent.", [],
       local={"etc/nix/machines": machines_line(jobs="16")})
