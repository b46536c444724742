#!/usr/bin/env python3
"""Writes examples/<name>/ from one base setup and a small change per example.

Each example has: README.md (what is wrong), root/ (the local machine's files, for --root),
builder/ (the builder's files, for --remote-root, when it matters), modes (file modes git does
not keep: "PATH MODE"), args (extra arguments; @DIR@ is the prepared example directory) and
expected (the findings that must appear, "SEVERITY RULE BUILDER", nothing else at warning or
error). Run it after changing the base, review the diff, commit.
"""
import base64, os, shutil, sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples")
KEYS = os.path.join(HERE, "keys")

def key(name):
    return open(os.path.join(KEYS, name)).read()

def b64(text):
    return base64.b64encode(text.encode()).decode()

BUILDER = "builder.example.org"
URI = "ssh-ng://nixbuild@" + BUILDER
HOST_PUB = key("builder_host.pub")

def machines_line(uri=URI, systems="x86_64-linux,aarch64-linux", key_path="/root/.ssh/nixbuild", jobs="8", speed="2",
                  features="big-parallel,kvm,nixos-test", mandatory="-", host_key=None):
    host_key = b64(HOST_PUB) if host_key is None else host_key
    return " ".join([uri, systems, key_path, jobs, speed, features, mandatory, host_key]) + "\n"

def base():
    local = {
        "etc/passwd": ("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
                       "nixbld1:x:30001:30000:Nix build user 1:/var/empty:/usr/sbin/nologin\n", "0644"),
        "etc/group": "root:x:0:\nwheel:x:10:alice\nalice:x:1000:\nnixbld:x:30000:nixbld1\n",
        "etc/hosts": "127.0.0.1 localhost\n",
        "etc/nix/nix.conf": ("# Written by hand; see nix.conf(5).\nbuild-users-group = nixbld\n"
                             "experimental-features = nix-command flakes\nmax-jobs = auto\n"
                             "builders = @/etc/nix/machines\nbuilders-use-substitutes = true\n"),
        "etc/nix/machines": machines_line(),
        "etc/ssh/ssh_config": "Host *\n    SendEnv LANG LC_*\n    HashKnownHosts yes\n",
        "root/.ssh/nixbuild": (key("root_nixbuild"), "0600"),
        "root/.ssh/nixbuild.pub": key("root_nixbuild.pub"),
        "home/alice/.ssh/id_ed25519": (key("alice_id"), "0600"),
        "home/alice/.ssh/id_ed25519.pub": key("alice_id.pub"),
        "home/alice/.ssh/known_hosts": BUILDER + " " + HOST_PUB,
    }
    builder = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/bash\nnixbuild:x:1001:1001:remote builds:/home/nixbuild:/bin/sh\n",
        "etc/group": "root:x:0:\nnixbuild:x:1001:\nnixbld:x:30000:\n",
        "etc/nix/nix.conf": ("build-users-group = nixbld\ntrusted-users = root nixbuild\nsystem = x86_64-linux\n"
                             "extra-platforms = aarch64-linux i686-linux\n"),
        "etc/ssh/sshd_config": ("Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\n"
                                "X11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\n"
                                "Subsystem sftp /usr/lib/openssh/sftp-server\n"),
        "etc/ssh/sshd_config.d/hardening.conf": "PasswordAuthentication no\nPermitRootLogin prohibit-password\n",
        "etc/ssh/ssh_host_ed25519_key.pub": HOST_PUB,
        "home/nixbuild/.ssh/authorized_keys": ("restrict " + key("root_nixbuild.pub"), "0600"),
    }
    return local, builder

EXAMPLES_SPEC = {}
GOLDEN = os.path.join(HERE, "..", "golden")

class Link:
    """A symbolic link in a tree (nix-darwin's /etc/static chain): written with os.symlink."""
    def __init__(self, target):
        self.target = target

def example(name, readme, expected, local=None, builder=None, drop=(), drop_builder=(), args=None, with_builder=True,
            where=EXAMPLES, base_tree=None, modes=None, builder_modes=None):
    """base_tree: a function returning (local, builder) instead of base(); modes / builder_modes: the
    directory modes to start from instead of the Linux base's."""
    EXAMPLES_SPEC[name] = dict(readme=readme, expected=expected, local=local or {}, builder=builder or {},
                               drop=drop, drop_builder=drop_builder, args=args, with_builder=with_builder, where=where,
                               base_tree=base_tree, modes=modes, builder_modes=builder_modes)

def golden(name, readme, expected, **kw):
    example(name, readme, expected, where=GOLDEN, **kw)

REMOTE = ["--user", "alice", "--remote-root", BUILDER + "=@DIR@/builder"]

example("healthy", "A working setup: ssh-ng:// builder with a dedicated user, root's own key in column 3,\n"
        "the builder's host key pinned in column 8, the user trusted on the builder. Nothing to report.", [])

example("root-host-key-unknown",
        "The builder's host key was accepted by alice (in her known_hosts), never by root, and the\n"
        "machines file pins no key: nix-daemon's ssh fails with `Host key verification failed.`",
        [("error", "hostkey.unknown-to-root", URI)],
        local={"etc/nix/machines": machines_line(host_key="-")},
        builder={"home/nixbuild/.ssh/authorized_keys": ("restrict " + key("root_nixbuild.pub") + key("alice_id.pub"), "0600")})

example("alias-only-for-user",
        "The machines file names `builder`, an alias that only alice's ~/.ssh/config defines;\n"
        "root's ssh cannot resolve it (`Could not resolve hostname builder`).",
        [("error", "sshconfig.alias-only-for-user", "ssh-ng://nixbuild@builder")],
        local={"etc/nix/machines": machines_line(uri="ssh-ng://nixbuild@builder"),
               "home/alice/.ssh/config": "Host builder\n    HostName builder.example.org\n    User nixbuild\n"},
        args=["--user", "alice"], with_builder=False)

example("key-in-store",
        "Column 3 names a private key copied into /nix/store (a Nix path literal in sshKey):\n"
        "world-readable, so ssh refuses it (`bad permissions`).",
        [("error", "machines.identity-in-store", URI), ("error", "keys.permissions-too-open", "")],
        local={"etc/nix/machines": machines_line(key_path="/nix/store/3ry0yhvyvq0wjmy2gfdmk2qzbdy6bnmq-nixbuild-key"),
               "nix/store/3ry0yhvyvq0wjmy2gfdmk2qzbdy6bnmq-nixbuild-key": (key("root_nixbuild"), "0444")},
        args=["--user", "alice"], with_builder=False)

example("features-split-by-space",
        "The features column was written `big-parallel kvm`: the space moves kvm into the mandatory\n"
        "column, so only derivations that require kvm go to this builder.",
        [("warning", "machines.features-split-by-space", URI)],
        local={"etc/nix/machines": "ssh-ng://nixbuild@builder.example.org x86_64-linux /root/.ssh/nixbuild 8 2 big-parallel kvm "
                                   + b64(HOST_PUB) + "\n"})

example("host-key-raw-line",
        "Column 8 holds the raw `ssh-ed25519 AAAA...` line instead of its base64 encoding, so Nix\n"
        "fails to decode it (`invalid character in Base64 string`).",
        [("error", "machines.host-key-malformed", URI)],
        local={"etc/nix/machines": machines_line(host_key=HOST_PUB.split()[0] + " " + HOST_PUB.split()[1])},
        args=["--user", "alice"], with_builder=False)

example("builder-user-not-trusted",
        "The builder's nix.conf trusts only root, but Nix logs in as nixbuild: the builder refuses\n"
        "the unsigned inputs (`lacks a signature by a trusted key`).",
        [("error", "remote.user-not-trusted", URI)],
        builder={"etc/nix/nix.conf": "build-users-group = nixbld\ntrusted-users = root\nsystem = x86_64-linux\n"
                                     "extra-platforms = aarch64-linux\n"})

example("permit-root-login-no",
        "The machines file logs in as root, but the builder's sshd says `PermitRootLogin no` in an\n"
        "included file that comes first: every login fails with `Permission denied (publickey)`.",
        [("error", "auth.root-login-refused", "ssh-ng://root@" + BUILDER)],
        local={"etc/nix/machines": machines_line(uri="ssh-ng://root@" + BUILDER)},
        builder={"etc/ssh/sshd_config.d/hardening.conf": "PasswordAuthentication no\nPermitRootLogin no\n",
                 "root/.ssh/authorized_keys": (key("root_nixbuild.pub"), "0600")})

example("distributed-builds-off",
        "NixOS wrote `builders =` (nix.distributedBuilds is off) while /etc/nix/machines lists a builder,\n"
        "and max-jobs = 0: nothing can build (`unable to start any build`).",
        [("warning", "nixconf.builders-unset-but-machines-exist", ""), ("error", "nixconf.no-usable-builders", "")],
        local={"etc/nix/nix.conf": "build-users-group = nixbld\nexperimental-features = nix-command flakes\nmax-jobs = 0\nbuilders =\n"},
        args=["--user", "alice"], with_builder=False)

example("passphrase-key",
        "The key in column 3 is protected by a passphrase; nix-daemon has no terminal and no agent,\n"
        "so ssh cannot use it (`read_passphrase: can't open /dev/tty`).",
        [("error", "keys.passphrase-protected", URI)],
        local={"root/.ssh/nixbuild": (key("root_encrypted"), "0600"), "root/.ssh/nixbuild.pub": key("root_encrypted.pub")},
        builder={"home/nixbuild/.ssh/authorized_keys": ("restrict " + key("root_encrypted.pub"), "0600")})

example("key-not-authorized",
        "The builder user's authorized_keys has alice's key, not root's: the daemon's login fails\n"
        "with `Permission denied (publickey)` while `ssh` as alice works.",
        [("error", "auth.key-not-authorized", URI)],
        builder={"home/nixbuild/.ssh/authorized_keys": (key("alice_id.pub"), "0600")})

example("nix-conf-typos",
        "nix.conf has `max-jobs=0` (Nix needs spaces around `=`) and `trusted-user` (the setting is\n"
        "trusted-users): Nix rejects the first and ignores the second.",
        [("error", "nixconf.parse-error", ""), ("warning", "nixconf.unknown-setting", "")],
        local={"etc/nix/nix.conf": "build-users-group = nixbld\nmax-jobs=0\ntrusted-user = root alice\n"
                                   "builders = @/etc/nix/machines\n"},
        args=["--user", "alice"], with_builder=False)

exec(open(os.path.join(HERE, "golden_cases.py")).read())
exec(open(os.path.join(HERE, "darwin_cases.py")).read())

def write(tree_dir, files, modes, prefix):
    for path, spec in sorted(files.items()):
        text, mode = spec if isinstance(spec, tuple) else (spec, None)
        full = os.path.join(tree_dir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if isinstance(text, Link):
            os.symlink(text.target, full)
            continue
        with open(full, "wb" if isinstance(text, bytes) else "w") as f:
            f.write(text)
        if mode:
            modes.append(f"{prefix}/{path} {mode}")

def main():
    for name, spec in EXAMPLES_SPEC.items():
        out = os.path.join(spec["where"], name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        local, builder = (spec["base_tree"] or base)()
        local.update(spec["local"]); builder.update(spec["builder"])
        for path in spec["drop"]: local.pop(path, None)
        for path in spec["drop_builder"]: builder.pop(path, None)
        modes = list(spec["modes"]) if spec["modes"] is not None else ["root/root/.ssh 0700", "root/home/alice/.ssh 0700"]
        write(os.path.join(out, "root"), local, modes, "root")
        args = spec["args"] if spec["args"] is not None else REMOTE
        if spec["with_builder"]:
            modes += spec["builder_modes"] if spec["builder_modes"] is not None else ["builder/home/nixbuild/.ssh 0700"]
            write(os.path.join(out, "builder"), builder, modes, "builder")
        with open(os.path.join(out, "README.md"), "w") as f:
            run = f"\n\nRun: `examples/run.sh {name}`" if spec["where"] == EXAMPLES else ""
            f.write(f"# {name}\n\n{spec['readme']}{run}\n")
        with open(os.path.join(out, "modes"), "w") as f:
            f.write("\n".join(modes) + "\n")
        with open(os.path.join(out, "args"), "w") as f:
            f.write("\n".join(args) + ("\n" if args else ""))
        with open(os.path.join(out, "expected"), "w") as f:
            for sev, rule, b in spec["expected"]:
                f.write(f"{sev} {rule} {b}".rstrip() + "\n")
    print(f"wrote {len(EXAMPLES_SPEC)} examples")

main()
