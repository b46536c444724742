#!/usr/bin/env python3
"""A lab of real Nix remote builders on one machine (see tests/lab/README.md).

Every builder is a real OpenSSH sshd (or a deliberately broken TCP listener) in its own
private mount and PID namespace, with a fresh /nix bind-mounted over the real one; the client is
another such namespace with its own /etc/nix, /root (root's ~/.ssh), /etc/ssh copy, /etc/hosts
and a running nix-daemon, so `NIX_REMOTE=daemon nix-build` there makes the daemon run ssh as root
exactly as on a multi-user machine.  By default all nodes also share one private network
namespace, so builders listen on 127.0.0.N port 22 without any chance of colliding with the host.

Nothing outside the lab's work directory is written: the real /etc, /root and /nix are only
covered by bind mounts inside namespaces that die with the lab.  Every process is started in its
own session (process group), carries a parent-death signal, is bounded by a maximum lifetime,
and is killed by process group at teardown; `Lab.leftover_processes()` checks that nothing
remains.

Python 3.9+, standard library only.  Needs root, util-linux (unshare, nsenter, setpriv),
iproute2 (ip), openssh-server/-client and nix-bin.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import dataclasses
import grp
import ipaddress
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

# Where a node's own lab directory appears inside its namespace.  /run is a private tmpfs in
# every node, so the path and all its parents have correct modes for sshd's StrictModes.
NODE_DIR = "/run/lab"
# Returned by client_exec / builder_exec when the timeout cut the command.
TIMEOUT_RC = 124
CLIENT_KEY = "/root/.ssh/id_ed25519"
SCHEMES = ("ssh", "ssh-ng")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
GARBAGE = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Checks:
    """The lab tests' checks: one line each (`ok   NAME`, or `FAIL NAME` and the detail), counted;
    `summary()` prints `N passed, M failed` and returns the exit code."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def __call__(self, name: str, cond: bool, detail: str = "") -> bool:
        if cond:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f"\n     {detail}" if detail else ""))
        return bool(cond)

    def summary(self) -> int:
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def test_binary(argv: Sequence[str], doc: str) -> Union[str, int]:
    """The lab tests' common start: `SCRIPT BINARY` gives the binary's absolute path; a wrong
    command line, or an environment the lab cannot run in, gives the exit code to return
    (usage 2; skip, or fail under CI=true)."""
    if len(argv) != 2:
        print(doc)
        return 2
    why = require_environment()
    if why:
        return skip_or_fail(why)
    return os.path.abspath(argv[1])


class LabError(RuntimeError):
    """The lab could not be set up (a clear, user-facing reason)."""


# --------------------------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Variant:
    """How a builder is set up, and what the real build through it does (verified)."""

    name: str
    description: str
    user: str = "root"  # login user on the builder: root or nix
    listener: str = "sshd"  # sshd | none | silent | garbage | reset
    sshd_options: Tuple[Tuple[str, str], ...] = ()  # override the base sshd_config
    authorize_client: bool = True  # authorized_keys holds the client root's key
    pin: str = "right"  # machines column 8: right | wrong | none ("-")
    known_hosts: str = "right"  # client root's known_hosts: right | wrong | none
    trusted_users: str = "root nix"  # builder nix.conf
    user_env_path: Optional[str] = None  # ~/.ssh/environment PATH= (PermitUserEnvironment)
    shell: Optional[str] = None  # login shell of the builder user (None: the usual one)
    outcome: str = "ok"  # ok | fail | hang: what the real build does
    # The characteristic real message (regex, per scheme or "*"), searched in the build output
    # and in the client nix-daemon's log: with ssh-ng://, Nix 2.8 sends ssh's stderr to the
    # daemon's log and the build output only says "unexpected end-of-file".
    expect: Tuple[Tuple[str, str], ...] = ()
    schemes: Tuple[str, ...] = SCHEMES  # schemes worth testing
    # Hostile and stalling builders (issue 7):
    uri_user: Optional[str] = None  # the machines URI's user part instead of `user` (as written)
    # appended to the client's /etc/ssh/ssh_config, `{name}` replaced by the builder's host name
    client_ssh_config: str = ""
    # files in the builder's node directory (NODE_DIR inside): (relative path, text), executable
    files: Tuple[Tuple[str, str], ...] = ()

    def expected_pattern(self, scheme: str) -> Optional[str]:
        for key, pattern in self.expect:
            if key in (scheme, "*"):
                return pattern
        return None


FAKE_NIX = '''#!/bin/sh
# a remote Nix that {what}
case "$0" in */nix-daemon) magic='\\157\\151\\170\\144\\000\\000\\000\\000' ;; *) magic='\\313\\356\\122\\124\\000\\000\\000\\000' ;; esac
{body}
exec sleep 60
'''


def _v(**kw) -> Variant:
    kw["sshd_options"] = tuple(kw.get("sshd_options", ()))
    kw["files"] = tuple(kw.get("files", {}).items())
    kw["expect"] = tuple(kw.get("expect", {}).items())
    return Variant(**kw)


VARIANTS: Dict[str, Variant] = {
    v.name: v
    for v in [
        _v(
            name="healthy-root",
            description="root login with the client's key; builds",
            expect={"*": r"^/nix/store/[0-9a-z]{32}-nbdlab-"},
        ),
        _v(
            name="healthy-user",
            description="user nix (non-root) with its own nix-daemon, trusted-users = root nix",
            user="nix",
            expect={"*": r"^/nix/store/[0-9a-z]{32}-nbdlab-"},
        ),
        _v(
            name="no-authorized-key",
            description="authorized_keys exists but lacks the client root's key",
            authorize_client=False,
            outcome="fail",
            expect={"*": r"Permission denied \(publickey\)"},
        ),
        _v(
            name="pubkey-off",
            description="sshd: PubkeyAuthentication no",
            sshd_options=[("PubkeyAuthentication", "no")],
            outcome="fail",
            expect={"*": r"Permission denied \(\)"},
        ),
        _v(
            name="root-login-no",
            description="sshd: PermitRootLogin no, builder user root",
            sshd_options=[("PermitRootLogin", "no")],
            outcome="fail",
            expect={"*": r"Permission denied \(publickey\)"},
        ),
        _v(
            name="host-key-unknown",
            description="machines column 8 is '-' and root's known_hosts lacks the key",
            pin="none",
            known_hosts="none",
            outcome="fail",
            expect={"*": r"Host key verification failed"},
        ),
        _v(
            name="host-key-pinned-wrong",
            description="machines column 8 pins another key (root's known_hosts is right)",
            pin="wrong",
            outcome="fail",
            expect={"*": r"Offending ED25519 key in .*/nix-\d+-\d+/host-key:1"},
        ),
        _v(
            name="host-key-changed",
            description="root's known_hosts has another key for the builder, column 8 is '-'",
            pin="none",
            known_hosts="wrong",
            outcome="fail",
            expect={"*": r"Offending ED25519 key in /root/.ssh/known_hosts:\d+"},
        ),
        _v(
            name="host-key-changed-pinned",
            description="root's known_hosts has another key, but column 8 pins the right one",
            known_hosts="wrong",
            expect={"*": r"^/nix/store/[0-9a-z]{32}-nbdlab-"},
        ),
        _v(
            name="no-sshd",
            description="nothing listens on the address",
            listener="none",
            outcome="fail",
            expect={"*": r"Connection refused"},
        ),
        _v(
            name="silent-listener",
            description="a listener accepts TCP and never speaks",
            listener="silent",
            outcome="hang",
        ),
        _v(
            name="garbage-banner",
            description="a listener answers with non-SSH text (HTTP) and closes",
            listener="garbage",
            outcome="fail",
            expect={"*": r"kex_exchange_identification: Connection closed by remote host"},
        ),
        _v(
            name="reset-listener",
            description="a listener accepts and resets the connection (SO_LINGER 0)",
            listener="reset",
            outcome="fail",
            expect={"*": r"Connection reset by"},
        ),
        _v(
            name="nix-not-on-path",
            description="PermitUserEnvironment yes and ~/.ssh/environment PATH=/nonexistent",
            sshd_options=[("PermitUserEnvironment", "yes")],
            user_env_path="/nonexistent",
            outcome="fail",
            expect={"ssh": r"nix-store: command not found", "ssh-ng": r"nix-daemon: command not found"},
        ),
        _v(
            name="user-untrusted",
            description="user nix not in the builder's trusted-users (= root)",
            user="nix",
            trusted_users="root",
            outcome="fail",
            expect={"*": r"you are not privileged to build input-addressed derivations"},
        ),
        _v(
            name="nologin-shell",
            description="the builder user nix has /usr/sbin/nologin as shell",
            user="nix",
            shell="/usr/sbin/nologin",
            outcome="fail",
            expect={"*": r"This account is currently not available"},
        ),
        # ---- issue 7: hostile builders (a command in the machines file, stalls after the kex)
        _v(
            name="hostile-user-part",
            description="machines URI user part `-oProxyCommand=touch$IFS$TMPDIR.pwned` (ssh would run it): Nix refuses it",
            uri_user="-oProxyCommand=touch$IFS$TMPDIR.pwned",  # no "/", "{": Nix 2.8 parses this URI
            outcome="fail",
            expect={"*": r"invalid SSH host name"},
        ),
        _v(
            name="auth-command-hangs",
            description="sshd's AuthorizedKeysCommand never returns (the key is not in the file, so sshd asks it)",
            authorize_client=False,
            sshd_options=[("AuthorizedKeysCommand", f"{NODE_DIR}/akc.sh %u"), ("AuthorizedKeysCommandUser", "root")],
            files={"akc.sh": "#!/bin/sh\nexec sleep 60\n"},
            outcome="hang",
        ),
        _v(
            name="login-shell-sleeps",
            description="the builder user's login shell sleeps before running anything",
            user="nix",
            shell=f"{NODE_DIR}/sleepshell",
            files={"sleepshell": "#!/bin/sh\nexec sleep 60\n"},
            outcome="hang",
        ),
        _v(
            name="nix-magic-then-hangs",
            description="the remote nix-store / nix-daemon sends its magic, then hangs",
            sshd_options=[("PermitUserEnvironment", "yes")],
            user_env_path=f"{NODE_DIR}/fakebin:/usr/bin:/bin",
            files={"fakebin/nix-store": FAKE_NIX.format(what="answers the magic and hangs", body="printf \"$magic\""),
                   "fakebin/nix-daemon": FAKE_NIX.format(what="answers the magic and hangs", body="printf \"$magic\"")},
            outcome="hang",
        ),
        _v(
            name="nix-never-answers",
            description="the remote nix-store / nix-daemon never answers",
            sshd_options=[("PermitUserEnvironment", "yes")],
            user_env_path=f"{NODE_DIR}/fakebin:/usr/bin:/bin",
            files={"fakebin/nix-store": FAKE_NIX.format(what="never answers", body=":"),
                   "fakebin/nix-daemon": FAKE_NIX.format(what="never answers", body=":")},
            outcome="hang",
        ),
        _v(
            name="banner-then-close",
            description="sshd sends a 1 MB Banner during authentication, then closes the connection",
            sshd_options=[("Banner", f"{NODE_DIR}/banner")],
            files={"banner": ("A" * 127 + "\n") * 8192},
            outcome="fail",
            expect={"*": r"Connection closed by 127\.0\.0\.\d+ port 22"},
        ),
        _v(
            name="match-exec-accept-new",
            description="root's ssh_config: `Match exec \"true\"` + StrictHostKeyChecking accept-new, key unknown",
            pin="none",
            known_hosts="none",
            client_ssh_config='Match originalhost {name} exec "true"\n    StrictHostKeyChecking accept-new\n',
            outcome="ok",  # Nix's ssh accepts (and writes) the unknown key
            expect={"*": r"^/nix/store/[0-9a-z]{32}-nbdlab-"},
        ),
    ]
}


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Builder:
    name: str  # host name, mapped in the client's /etc/hosts
    variant: Variant
    address: str
    scheme: str
    user: str
    dir: str  # host path of the builder's lab directory (NODE_DIR inside)
    host_key_pub: str = ""  # the .pub line of the builder's real host key
    pinned: str = "-"  # machines column 8
    known_hosts_line: Optional[str] = None  # the client root's known_hosts line, if any
    system: str = "x86_64-linux"

    @property
    def uri(self) -> str:
        user = self.variant.uri_user if self.variant.uri_user is not None else self.user
        return f"{self.scheme}://{user}@{self.name}"

    @property
    def machine_line(self) -> str:
        return f"{self.uri} {self.system} {CLIENT_KEY} 1 1 - - {self.pinned}"


@dataclasses.dataclass
class BuildRecord:
    """What one real_build saw (also kept as Lab.last_build)."""

    builder: str
    uri: str
    ok: bool
    returncode: int  # TIMEOUT_RC if the timeout cut it
    seconds: float
    output: str  # nix-build's stderr and stdout, in order
    daemon_log: str  # what the client nix-daemon logged meanwhile (exact if builds don't overlap)
    builder_log: str = ""  # what the builder's sshd (or listener) logged meanwhile
    argv: List[str] = dataclasses.field(default_factory=list)

    @property
    def timed_out(self) -> bool:
        return self.returncode == TIMEOUT_RC


@dataclasses.dataclass
class _Node:
    name: str
    kind: str  # client | builder | listener | netns
    dir: str
    popen: Optional[subprocess.Popen] = None
    init_pid: Optional[int] = None  # PID 1 of the node's PID namespace, as the host sees it
    ns: Dict[str, int] = dataclasses.field(default_factory=dict)  # ns name -> inode


def _run(argv: Sequence[str], check: bool = True, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def _write(path: str, text: str, mode: int = 0o644, uid: int = 0, gid: int = 0) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    os.chown(path, uid, gid)


def _mkdir(path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
    os.makedirs(path, exist_ok=True)
    os.chmod(path, mode)
    os.chown(path, uid, gid)


def _ns_inode(pid: int, ns: str) -> Optional[int]:
    try:
        return os.stat(f"/proc/{pid}/ns/{ns}").st_ino
    except OSError:
        return None


def _children(pid: int) -> List[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        pass
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def require_environment() -> Optional[str]:
    """Return why the lab cannot run here, or None if it can."""
    if os.geteuid() != 0:
        return "the lab needs root (mount namespaces, sshd, nix-daemon)"
    if sys.platform != "linux":
        return "the lab needs Linux namespaces"
    for tool in ("unshare", "nsenter", "setpriv", "ip", "ssh", "ssh-keygen", "nix-build", "nix-daemon",
                 "nix-store"):
        if shutil.which(tool, path=PATH) is None:
            return f"{tool} not found (apt-get install util-linux iproute2 openssh-client nix-bin)"
    if not os.access("/usr/sbin/sshd", os.X_OK):
        return "/usr/sbin/sshd not found (apt-get install openssh-server)"
    # What a multi-user install has and nix-bin alone lacks (Debian's nix-setup-systemd makes them):
    # the lab bind-mounts over /nix and /etc/nix, and nix-daemon builds as nixbld users.
    for mount_point in ("/nix", "/etc/nix"):
        if not os.path.isdir(mount_point):
            return f"{mount_point} does not exist (apt-get install nix-setup-systemd)"
    try:
        grp.getgrnam("nixbld")
    except KeyError:
        return "no nixbld group (apt-get install nix-setup-systemd)"
    return None


def skip_or_fail(why: str) -> int:
    """Under CI a lab that cannot run is a failure, never a silent pass; by hand it is a skip."""
    if os.environ.get("CI") == "true":
        print(f"FAIL: the lab cannot run: {why}")
        print("0 passed, 1 failed")
        return 1
    print(f"SKIP: {why}")
    print("0 passed, 0 failed")
    return 0


def nix_system() -> str:
    machine = platform.machine()
    return {"x86_64": "x86_64-linux", "amd64": "x86_64-linux", "aarch64": "aarch64-linux",
            "arm64": "aarch64-linux"}.get(machine, f"{machine}-linux")


# --------------------------------------------------------------------------------------------
# The lab
# --------------------------------------------------------------------------------------------


class Lab:
    """A client and builders.  Use as a context manager; see README.md."""

    def __init__(self, workdir: Optional[str] = None, *, private_net: bool = True,
                 max_lifetime: int = 1800, keep: bool = False, client_nix_conf_extra: str = "",
                 daemon_nix_sshopts: str = ""):
        why = require_environment()
        if why:
            raise LabError(why)
        self._own_workdir = workdir is None
        self.workdir = os.path.realpath(workdir or tempfile.mkdtemp(prefix="nbd-lab-"))
        if self.workdir == "/run" or self.workdir.startswith("/run/"):
            raise LabError("the lab directory must not be under /run (nodes mount a tmpfs there)")
        os.makedirs(self.workdir, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        self.private_net = private_net
        self.max_lifetime = int(max_lifetime)
        self.keep = keep
        self.system = nix_system()
        self.client_nix_conf_extra = client_nix_conf_extra
        self.daemon_nix_sshopts = daemon_nix_sshopts  # NIX_SSHOPTS in the client nix-daemon's environment
        self.builders: Dict[str, Builder] = {}
        self._nodes: List[_Node] = []
        self._client: Optional[_Node] = None
        self._netns: Optional[_Node] = None
        self._pgids: set = set()  # every process group this lab started
        self._ns_inodes: set = set()  # (ns kind, inode) of every namespace this lab created
        self._execs: Dict[int, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._started = False
        self._stopped = False
        self._nix_uid = self._free_id()
        self._python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
        self.client_dir = os.path.join(self.workdir, "client")
        self.last_build: Optional[BuildRecord] = None
        atexit.register(self._atexit)

    # ---- context manager
    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _atexit(self) -> None:
        if self._started and not self._stopped:
            self.stop()

    # ---- configuration
    def add_builder(self, name: str, variant: str, address: Optional[str] = None,
                    scheme: str = "ssh-ng") -> Builder:
        if self._started:
            raise LabError("add builders before start()")
        if not HOSTNAME_RE.match(name) or name in self.builders or name == "client":
            raise LabError(f"bad or duplicate builder name {name!r} (lower-case host name)")
        if variant not in VARIANTS:
            raise LabError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
        if scheme not in SCHEMES:
            raise LabError(f"scheme must be one of {SCHEMES}")
        if address is None:
            address = f"127.0.0.{2 + len(self.builders)}"
        ip = ipaddress.ip_address(address)
        if ip not in ipaddress.ip_network("127.0.0.0/8") or str(ip) == "127.0.0.1":
            raise LabError(f"builder address {address} must be in 127.0.0.0/8 (and not 127.0.0.1)")
        if any(b.address == address for b in self.builders.values()):
            raise LabError(f"address {address} already used")
        v = VARIANTS[variant]
        b = Builder(name=name, variant=v, address=address, scheme=scheme, user=v.user,
                    dir=os.path.join(self.workdir, f"b-{name}"), system=self.system)
        self.builders[name] = b
        return b

    def _free_id(self) -> int:
        used = set()
        for path in ("/etc/passwd", "/etc/group"):
            with open(path) as f:
                for line in f:
                    parts = line.split(":")
                    if len(parts) > 2 and parts[2].isdigit():
                        used.add(int(parts[2]))
        uid = 30500
        while uid in used:
            uid += 1
        return uid

    # ---- file preparation (host side, all under workdir)
    def _keygen(self, path: str, comment: str) -> str:
        if not os.path.exists(path):
            _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path])
        with open(path + ".pub") as f:
            return f.read()

    def _prepare(self) -> None:
        keys = os.path.join(self.workdir, "keys")
        _mkdir(keys, 0o700)
        self.client_key_pub = self._keygen(os.path.join(keys, "client_root"), "root@lab-client")
        self.other_key_pub = self._keygen(os.path.join(keys, "other_host"), "other-host-key")
        for b in self.builders.values():
            self._prepare_builder(b)
        self._prepare_client()

    def _passwd_copies(self, b: Builder, d: str) -> None:
        v = b.variant
        shell = v.shell or "/bin/bash"
        with open("/etc/passwd") as f:
            passwd = f.read()
        with open("/etc/group") as f:
            group = f.read()
        uid = self._nix_uid
        # replace any real "nix" entry: inside this builder, nix is the lab's user
        passwd = "".join(ln for ln in passwd.splitlines(True) if not ln.startswith("nix:"))
        group = "".join(ln for ln in group.splitlines(True) if not ln.startswith("nix:"))
        passwd = passwd.rstrip("\n") + f"\nnix:x:{uid}:{uid}:lab builder user:{NODE_DIR}/home/nix:{shell}\n"
        group = group.rstrip("\n") + f"\nnix:x:{uid}:\n"
        _write(os.path.join(d, "etc", "passwd"), passwd)
        _write(os.path.join(d, "etc", "group"), group)

    def _prepare_builder(self, b: Builder) -> None:
        v = b.variant
        d = b.dir
        _mkdir(d)
        _mkdir(os.path.join(d, "tmp"), 0o1777)
        # even a listener gets a real key, so that column 8 is filled like a healthy builder's
        b.host_key_pub = self._keygen(os.path.join(d, "ssh_host_ed25519_key"), f"host-key-{b.name}")
        key_type, key_b64 = b.host_key_pub.split()[:2]
        if v.pin == "right":
            b.pinned = base64.b64encode(b.host_key_pub.encode()).decode()
        elif v.pin == "wrong":
            b.pinned = base64.b64encode(self.other_key_pub.encode()).decode()
        else:
            b.pinned = "-"
        if v.known_hosts == "right":
            b.known_hosts_line = f"{b.name} {key_type} {key_b64}"
        elif v.known_hosts == "wrong":
            o_type, o_b64 = self.other_key_pub.split()[:2]
            b.known_hosts_line = f"{b.name} {o_type} {o_b64}"
        else:
            b.known_hosts_line = None
        if v.listener != "sshd":
            return
        _mkdir(os.path.join(d, "nix"))
        _write(os.path.join(d, "etc-nix", "nix.conf"),
               "# lab builder\nsandbox = false\nsubstituters =\n"
               f"trusted-users = {v.trusted_users}\n")
        # homes: root's is bound over /root; nix's is NODE_DIR/home/nix (passwd copy)
        if b.user == "root":
            home, uid = os.path.join(d, "home", "root"), 0
            _mkdir(os.path.join(d, "home"))
            _mkdir(home, 0o700)
        else:
            home, uid = os.path.join(d, "home", "nix"), self._nix_uid
            _mkdir(os.path.join(d, "home"))
            _mkdir(home, 0o755, uid, uid)
            _mkdir(os.path.join(d, "home", "root"), 0o700)
        if v.user == "nix" or v.shell:
            self._passwd_copies(b, d)
        ssh_dir = os.path.join(home, ".ssh")
        _mkdir(ssh_dir, 0o700, uid, uid)
        auth = self.client_key_pub if v.authorize_client else self.other_key_pub
        _write(os.path.join(ssh_dir, "authorized_keys"), auth, 0o600, uid, uid)
        if v.user_env_path:
            _write(os.path.join(ssh_dir, "environment"), f"PATH={v.user_env_path}\n", 0o600, uid, uid)
        for rel, text in v.files:
            _mkdir(os.path.dirname(os.path.join(d, rel)) or d)
            _write(os.path.join(d, rel), text, 0o755)
        options = {
            "ListenAddress": b.address,
            "Port": "22",
            "HostKey": f"{NODE_DIR}/ssh_host_ed25519_key",
            "PidFile": f"{NODE_DIR}/sshd.pid",
            "UsePAM": "no",
            "PasswordAuthentication": "no",
            "KbdInteractiveAuthentication": "no",
            "PubkeyAuthentication": "yes",
            "PermitRootLogin": "prohibit-password",
            "AuthorizedKeysFile": ".ssh/authorized_keys",
            "StrictModes": "yes",
            "PermitUserEnvironment": "no",
            "LogLevel": "VERBOSE",
        }
        options.update(dict(v.sshd_options))
        conf = f"# lab builder {b.name}, variant {v.name}\n" + "".join(
            f"{k} {val}\n" for k, val in options.items())
        _write(os.path.join(d, "sshd_config"), conf)

    def _prepare_client(self) -> None:
        d = self.client_dir
        _mkdir(d)
        _mkdir(os.path.join(d, "nix"))
        _mkdir(os.path.join(d, "tmp"), 0o1777)
        _mkdir(os.path.join(d, "builds"))
        machines = "".join(b.machine_line + "\n" for b in self.builders.values())
        _write(os.path.join(d, "etc-nix", "machines"), machines)
        _write(os.path.join(d, "etc-nix", "nix.conf"),
               "# lab client\nmax-jobs = 0\nbuilders = @/etc/nix/machines\nsubstituters =\n"
               "sandbox = false\n" + self.client_nix_conf_extra)
        root = os.path.join(d, "root")
        _mkdir(root, 0o700)
        _mkdir(os.path.join(root, ".ssh"), 0o700)
        keys = os.path.join(self.workdir, "keys")
        shutil.copyfile(os.path.join(keys, "client_root"), os.path.join(root, ".ssh", "id_ed25519"))
        os.chmod(os.path.join(root, ".ssh", "id_ed25519"), 0o600)
        _write(os.path.join(root, ".ssh", "id_ed25519.pub"), self.client_key_pub)
        _write(os.path.join(root, ".ssh", "known_hosts"),
               "".join(b.known_hosts_line + "\n" for b in self.builders.values() if b.known_hosts_line))
        # /etc/ssh copy without the real machine's private host keys
        etc_ssh = os.path.join(d, "etc-ssh")
        if os.path.exists(etc_ssh):
            shutil.rmtree(etc_ssh)
        shutil.copytree("/etc/ssh", etc_ssh, symlinks=True,
                        ignore=lambda src, names: [n for n in names if re.match(r"ssh_host_.*_key$", n)])
        extra = "".join(b.variant.client_ssh_config.replace("{name}", b.name) for b in self.builders.values())
        if extra:
            with open(os.path.join(etc_ssh, "ssh_config"), "a") as f:
                f.write("\n# lab: builder variants\n" + extra)
        with open("/etc/hosts") as f:
            hosts = f.read()
        hosts = hosts.rstrip("\n") + "\n# lab builders\n" + "".join(
            f"{b.address} {b.name}\n" for b in self.builders.values())
        _write(os.path.join(d, "hosts"), hosts)

    # ---- processes
    def _spawn(self, node: _Node, argv: List[str], log: str) -> None:
        wrapped = ["setpriv", "--pdeathsig", "KILL", "--"] + argv
        with open(log, "ab") as out:
            node.popen = subprocess.Popen(wrapped, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True,
                                          cwd="/", env={"PATH": PATH, "LANG": "C.UTF-8"})
        self._pgids.add(node.popen.pid)
        self._nodes.append(node)

    def _node_argv(self, script: str) -> List[str]:
        argv: List[str] = []
        if self._netns is not None:
            argv += ["nsenter", f"--net=/proc/{self._netns.popen.pid}/ns/net", "--"]
        argv += ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
                 "--mount-proc", "--", "/bin/sh", script]
        return argv

    def _init_script(self, node_dir: str, body: str) -> str:
        script = os.path.join(node_dir, "init.sh")
        _write(script,
               "set -eu\n"
               f"export PATH={PATH} TMPDIR={NODE_DIR}/tmp HOME=/root LANG=C.UTF-8\n"
               "mount -t tmpfs -o mode=0755,size=64m lab-run /run\n"
               f"mkdir -p {NODE_DIR} /run/sshd\n"
               f"mount --bind '{node_dir}' {NODE_DIR}\n"
               + body, 0o755)
        return script

    def _start_netns(self) -> None:
        node = _Node("netns", "netns", self.workdir)
        self._spawn(node, ["unshare", "--net", "--", "/bin/sh", "-c",
                           f"ip link set lo up && echo lab-netns-up && exec sleep {self.max_lifetime}"],
                    os.path.join(self.workdir, "netns.log"))
        self._netns = node
        self._wait(lambda: "lab-netns-up" in self._read(os.path.join(self.workdir, "netns.log")),
                   5, node, "network namespace")
        node.init_pid = node.popen.pid
        ino = _ns_inode(node.popen.pid, "net")
        if ino:
            node.ns["net"] = ino
            self._ns_inodes.add(("net", ino))

    def _start_builder(self, b: Builder) -> _Node:
        v = b.variant
        node = _Node(b.name, "builder" if v.listener == "sshd" else "listener", b.dir)
        if v.listener == "sshd":
            body = (
                f"mount --bind {NODE_DIR}/nix /nix\n"
                f"mount --bind {NODE_DIR}/etc-nix /etc/nix\n"
                f"mount --bind {NODE_DIR}/home/root /root\n"
            )
            if os.path.exists(os.path.join(b.dir, "etc", "passwd")):
                body += (f"mount --bind {NODE_DIR}/etc/passwd /etc/passwd\n"
                         f"mount --bind {NODE_DIR}/etc/group /etc/group\n")
            if b.user != "root":
                body += f"nix-daemon >>{NODE_DIR}/nix-daemon.log 2>&1 &\n"
            body += (f"/usr/sbin/sshd -D -e -f {NODE_DIR}/sshd_config >>{NODE_DIR}/sshd.log 2>&1 &\n"
                     "echo lab-node-up\n"
                     f"exec sleep {self.max_lifetime}\n")
        elif v.listener == "none":
            body = f"echo lab-node-up\nexec sleep {self.max_lifetime}\n"
        else:
            lab_py = os.path.abspath(__file__)
            body = (f"echo lab-node-up\nexec {self._python} '{lab_py}' listen --mode {v.listener} "
                    f"--address {b.address} --port 22 --seconds {self.max_lifetime}\n")
        script = self._init_script(b.dir, body)
        self._spawn(node, self._node_argv(script), os.path.join(b.dir, "node.log"))
        return node

    def _start_client(self) -> _Node:
        d = self.client_dir
        body = (
            f"mount --bind {NODE_DIR}/nix /nix\n"
            f"mount --bind {NODE_DIR}/etc-nix /etc/nix\n"
            f"mount --bind {NODE_DIR}/root /root\n"
            f"mount --bind {NODE_DIR}/etc-ssh /etc/ssh\n"
            f"mount --bind {NODE_DIR}/hosts /etc/hosts\n"
            + (f"export NIX_SSHOPTS={shlex.quote(self.daemon_nix_sshopts)}\n" if self.daemon_nix_sshopts else "")
            + f"nix-daemon >>{NODE_DIR}/nix-daemon.log 2>&1 &\n"
            "echo lab-node-up\n"
            f"exec sleep {self.max_lifetime}\n"
        )
        script = self._init_script(d, body)
        node = _Node("client", "client", d)
        self._spawn(node, self._node_argv(script), os.path.join(d, "node.log"))
        self._client = node
        return node

    @staticmethod
    def _read_from(path: str, offset: int) -> str:
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    @staticmethod
    def _read(path: str) -> str:
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _wait(self, cond, timeout: float, node: _Node, what: str, failed=None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            if node.popen is not None and node.popen.poll() is not None:
                break
            if failed is not None and failed():
                break
            time.sleep(0.02)
        if cond():
            return
        logs = []
        for name in ("node.log", "sshd.log", "nix-daemon.log", "netns.log"):
            text = self._read(os.path.join(node.dir, name)).strip()
            if text:
                logs.append(f"--- {name}:\n" + "\n".join(text.splitlines()[-15:]))
        if node.popen is not None and node.popen.poll() is not None:
            state = "exited"
        elif failed is not None and failed():
            state = "failed"
        else:
            state = f"not ready after {timeout:g} s"
        raise LabError(f"{what} {node.name}: {state}\n" + "\n".join(logs))

    def start(self, ready_timeout: float = 10) -> None:
        """Start every node (from the thread that will outlive the lab) and wait until ready."""
        if self._started:
            raise LabError("already started")
        self._started = True
        try:
            self._prepare()
            if self.private_net:
                self._start_netns()
            pending = []
            for b in self.builders.values():
                pending.append((b, self._start_builder(b)))
            client = self._start_client()
            # wait for all, in parallel (one shared deadline)
            deadline = time.monotonic() + ready_timeout
            for b, node in pending:
                self._wait_node_up(node, deadline)
                if b.variant.listener == "sshd":
                    needle = f"Server listening on {b.address} port 22"
                    sshd_log = os.path.join(b.dir, "sshd.log")
                    self._wait(lambda: needle in self._read(sshd_log),
                               max(0.1, deadline - time.monotonic()), node, "sshd of builder",
                               failed=lambda: re.search(r"fatal|Cannot bind|terminating",
                                                        self._read(sshd_log)) is not None)
                    if b.user != "root":
                        sock = os.path.join(b.dir, "nix", "var", "nix", "daemon-socket", "socket")
                        self._wait(lambda: os.path.exists(sock), max(0.1, deadline - time.monotonic()),
                                   node, "nix-daemon of builder")
                elif b.variant.listener != "none":
                    self._wait(lambda: "listening on" in self._read(os.path.join(b.dir, "node.log")),
                               max(0.1, deadline - time.monotonic()), node, "listener of builder")
            self._wait_node_up(client, deadline)
            sock = os.path.join(self.client_dir, "nix", "var", "nix", "daemon-socket", "socket")
            self._wait(lambda: os.path.exists(sock), max(0.1, deadline - time.monotonic()), client,
                       "nix-daemon of")
            # Nix 2.8 initialises a new store on its first connections, and two at once race
            # ("creating symlink ... gcroots/profiles: File exists", the second client reset).
            # Real stores are initialised long before; the lab's are new, so open each once
            # (a root builder's too: its nix-store opens the store itself, with the same race).
            self._open_store_once(client, max(1.0, deadline - time.monotonic()), required=True)
            for b, node in pending:
                if b.variant.listener == "sshd":
                    self._open_store_once(node, max(1.0, deadline - time.monotonic()), required=False,
                                          env={"NIX_REMOTE": ""} if b.user == "root" else None)
        except BaseException:
            self.stop()
            raise

    def _open_store_once(self, node: _Node, timeout: float, required: bool,
                         env: Optional[Dict[str, str]] = None) -> None:
        rc, out, err = self._exec_in(node, ["nix-store", "--gc", "--print-roots"], timeout, env)
        if rc != 0 and required:
            raise LabError(f"nix-daemon of {node.name}: the first store connection failed ({rc}): {err[-500:]}")

    def _wait_node_up(self, node: _Node, deadline: float) -> None:
        log = os.path.join(node.dir, "node.log")
        self._wait(lambda: "lab-node-up" in self._read(log) and bool(_children(node.popen.pid)),
                   max(0.1, deadline - time.monotonic()), node, "namespace of")
        node.init_pid = _children(node.popen.pid)[0]
        for ns in ("mnt", "pid"):
            ino = _ns_inode(node.init_pid, ns)
            if ino:
                node.ns[ns] = ino
                self._ns_inodes.add((ns, ino))

    # ---- running things inside nodes
    def _exec_in(self, node: _Node, argv: Sequence[str], timeout: float, env: Optional[Dict[str, str]],
                 merge: bool = False, input: Optional[str] = None) -> Tuple[int, str, str]:
        if not self._started or self._stopped or node.init_pid is None:
            raise LabError("the lab is not running")
        full_env = {"PATH": PATH, "HOME": "/root", "USER": "root", "LOGNAME": "root", "LANG": "C.UTF-8",
                    "TMPDIR": f"{NODE_DIR}/tmp", "NIX_REMOTE": "daemon"}
        full_env.update(env or {})
        cmd = ["nsenter", f"--target={node.init_pid}", "--mount", "--pid", "--net", "--wd=/", "--"]
        cmd += list(argv)
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                             start_new_session=True, env=full_env, cwd="/")
        with self._lock:
            self._pgids.add(p.pid)
            self._execs[p.pid] = p
        try:
            out, err = p.communicate(input=input.encode() if input is not None else None, timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            self._killpg(p.pid)
            try:
                out, err = p.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                out, err = b"", b""
            rc = TIMEOUT_RC
            note = f"\n[lab: killed after the timeout of {timeout:g} seconds]\n".encode()
            if merge:
                out = (out or b"") + note
            else:
                err = (err or b"") + note
        finally:
            self._killpg(p.pid)  # anything the command left behind in its group
            with self._lock:
                self._execs.pop(p.pid, None)
        return rc, (out or b"").decode(errors="replace"), (err or b"").decode(errors="replace")

    def client_exec(self, argv: Sequence[str], timeout: float, env: Optional[Dict[str, str]] = None,
                    input: Optional[str] = None) -> Tuple[int, str, str]:
        """Run argv in the client namespace as root (NIX_REMOTE=daemon).  (rc, stdout, stderr);
        rc is TIMEOUT_RC (124) if the timeout killed it."""
        return self._exec_in(self._client, argv, timeout, env, input=input)

    def builder_exec(self, name: str, argv: Sequence[str], timeout: float,
                     env: Optional[Dict[str, str]] = None) -> Tuple[int, str, str]:
        """Run argv as root inside a builder's namespaces (e.g. `sshd -T -f /run/lab/sshd_config`)."""
        node = next((n for n in self._nodes if n.name == name and n.kind in ("builder", "listener")), None)
        if node is None:
            raise LabError(f"no builder {name!r}")
        e = {"NIX_REMOTE": ""}
        e.update(env or {})
        return self._exec_in(node, argv, timeout, e)

    def client_path(self, path: str) -> str:
        """Host path of a path as the client sees it (for its lab-owned trees)."""
        for inner, outer in (("/nix", "nix"), ("/etc/nix", "etc-nix"), ("/root", "root"),
                             ("/etc/ssh", "etc-ssh"), (NODE_DIR, "")):
            if path == inner or path.startswith(inner + "/"):
                return os.path.join(self.client_dir, outer, path[len(inner):].lstrip("/")).rstrip("/")
        if path == "/etc/hosts":
            return os.path.join(self.client_dir, "hosts")
        raise LabError(f"{path} is not a lab path in the client")

    def real_build(self, builder_name: str, timeout: float = 30,
                   extra_args: Sequence[str] = ()) -> Tuple[bool, str]:
        """The real `nix-build -j0` of a new derivation through only this builder.
        Returns (ok, output): ok means exit 0 and the output path contains `ok`."""
        b = self.builders[builder_name]
        nonce = secrets.token_hex(6)
        expr = (
            "derivation {\n"
            f'  name = "nbdlab-{nonce}-${{toString builtins.currentTime}}";\n'
            f'  system = "{self.system}";\n'
            '  builder = "/bin/sh";\n'
            '  args = [ "-c" "echo ok > $out" ];\n'
            "}\n")
        inner = f"{NODE_DIR}/builds/{nonce}.nix"
        _write(os.path.join(self.client_dir, "builds", f"{nonce}.nix"), expr)
        argv = ["nix-build", "-j0", "--no-out-link", "--option", "builders", b.machine_line,
                *extra_args, inner]
        log_path = os.path.join(self.client_dir, "nix-daemon.log")
        mark = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        b_log = os.path.join(b.dir, "sshd.log" if b.variant.listener == "sshd" else "node.log")
        b_mark = os.path.getsize(b_log) if os.path.exists(b_log) else 0
        t0 = time.monotonic()
        rc, out, _ = self._exec_in(self._client, argv, timeout, None, merge=True)
        seconds = time.monotonic() - t0
        time.sleep(0.05)  # let the daemon finish writing what ssh printed
        daemon_log = self._read_from(log_path, mark)
        builder_log = self._read_from(b_log, b_mark)
        ok = False
        if rc == 0:
            lines = [ln for ln in out.splitlines() if ln.startswith("/nix/store/")]
            if lines:
                try:
                    with open(self.client_path(lines[-1].strip())) as f:
                        ok = f.read().strip() == "ok"
                except OSError:
                    ok = False
        self.last_build = BuildRecord(builder=builder_name, uri=b.uri, ok=ok, returncode=rc,
                                      seconds=seconds, output=out, daemon_log=daemon_log,
                                      builder_log=builder_log, argv=argv)
        return ok, out

    # ---- teardown
    @staticmethod
    def _killpg(pgid: int) -> None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self) -> None:
        """Kill every process the lab started (by process group), wait for them, remove the
        work directory if the lab created it (unless keep=True)."""
        if self._stopped:
            return
        self._stopped = True
        with self._lock:
            execs = list(self._execs.values())
        for p in execs:
            self._killpg(p.pid)
        for node in reversed(self._nodes):
            if node.popen is not None:
                self._killpg(node.popen.pid)
        for node in reversed(self._nodes):
            if node.popen is not None:
                try:
                    node.popen.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        deadline = time.monotonic() + 10
        while self.leftover_processes() and time.monotonic() < deadline:
            for pid, _ in self.leftover_processes():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
        if self._own_workdir and not self.keep and not self.leftover_processes():
            shutil.rmtree(self.workdir, ignore_errors=True)

    def leftover_processes(self) -> List[Tuple[int, str]]:
        """Processes still alive that this lab started: in one of its process groups or in one
        of its namespaces.  Empty after a clean stop()."""
        out = []
        me = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            pid = int(entry)
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read().rsplit(")", 1)[1].split()
                if stat[0] == "Z":
                    # a zombie is dead; it only waits for its parent to reap it
                    continue
                pgid = int(stat[2])
            except (OSError, IndexError, ValueError):
                continue
            mine = pgid in self._pgids
            if not mine:
                for ns in ("net", "mnt", "pid"):
                    ino = _ns_inode(pid, ns)
                    if ino is not None and (ns, ino) in self._ns_inodes:
                        mine = True
                        break
            if mine:
                out.append((pid, _cmdline(pid)))
        return out


# --------------------------------------------------------------------------------------------
# Log normalisation (for logs kept in the repository)
# --------------------------------------------------------------------------------------------


def normalise_log(text: str, lab: Optional[Lab] = None) -> str:
    if lab is not None:
        text = text.replace(lab.workdir, "<LAB>")
    text = re.sub(r"(?<![0-9a-z])[0-9a-df-np-sv-z]{32}-(?=[a-z])", "<hash>-", text)
    text = re.sub(r"SHA256:[A-Za-z0-9+/]{43}", "SHA256:<fingerprint>", text)
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # Nix colours its error messages
    text = re.sub(r"pid \d+", "pid <n>", text)
    text = re.sub(r"port \d{4,5}\b", "port <n>", text)  # ephemeral ports (not 22)
    text = re.sub(r"Transferred: sent \d+, received \d+ bytes", "Transferred: sent <n>, received <n> bytes", text)
    text = re.sub(r"\[\d+\]", "[<pid>]", text)
    text = re.sub(r"nbdlab-[0-9a-f]{12}-\d+", "nbdlab-<nonce>", text)
    text = re.sub(r"builds/[0-9a-f]{12}\.nix", "builds/<nonce>.nix", text)
    text = re.sub(r"/tmp/nix-\d+-\d+", "/tmp/nix-<pid>-<n>", text)
    text = re.sub(r"\b\d+(\.\d+)? ?(s|ms)\b", "<time>", text)
    return text


# --------------------------------------------------------------------------------------------
# Listeners (run inside a listener node; bounded by --seconds)
# --------------------------------------------------------------------------------------------


def listen(mode: str, address: str, port: int, seconds: float) -> int:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((address, port))
    srv.listen(64)
    srv.settimeout(0.5)
    print(f"listening on {address}:{port} mode={mode}", flush=True)
    deadline = time.monotonic() + seconds
    held = []

    def garbage(conn: socket.socket) -> None:
        try:
            conn.sendall(GARBAGE)
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(2)
            while conn.recv(4096):  # drain until the client closes, so no RST is sent
                pass
        except OSError:
            pass
        finally:
            conn.close()

    def reset(conn: socket.socket) -> None:
        # Wait (bounded) for the client's identification line, so that ssh is inside its
        # banner exchange and reports the reset deterministically, then reset.  An immediate
        # reset races with ssh's getpeername() and gives "Connection reset by UNKNOWN port -1".
        try:
            conn.settimeout(2)
            conn.recv(256)
        except OSError:
            pass
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    while time.monotonic() < deadline:
        try:
            conn, peer = srv.accept()
        except socket.timeout:
            continue
        print(f"accepted a connection from {peer[0]}", flush=True)
        if mode == "silent":
            held.append(conn)  # never read, never write, never close
        elif mode == "garbage":
            threading.Thread(target=garbage, args=(conn,), daemon=True).start()
        elif mode == "reset":
            threading.Thread(target=reset, args=(conn,), daemon=True).start()
        else:
            conn.close()
    return 0


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _parse_specs(specs: Iterable[str]) -> List[Tuple[str, str]]:
    out = []
    for spec in specs:
        variant, _, scheme = spec.partition(":")
        schemes = [scheme] if scheme else list(VARIANTS[variant].schemes if variant in VARIANTS else SCHEMES)
        for s in schemes:
            out.append((variant, s))
    return out


def _builder_name(variant: str, scheme: str) -> str:
    return f"{variant}-{'ng' if scheme == 'ssh-ng' else 'ssh'}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="lab.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("variants", help="list the builder variants and their real outcome")
    for name, hlp in (("run", "start builders and run a real build through each"),
                      ("up", "start builders and keep the lab up (bounded by --seconds)")):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("specs", nargs="+", metavar="VARIANT[:SCHEME]")
        p.add_argument("--workdir")
        p.add_argument("--host-net", action="store_true", help="use the host's loopback, no netns")
        p.add_argument("--timeout", type=float, default=20, help="per real build (s)")
        p.add_argument("--seconds", type=float, default=600, help="how long `up` stays up (s)")
        p.add_argument("--keep", action="store_true", help="keep the work directory")
    p = sub.add_parser("listen", help="(internal) a broken listener")
    p.add_argument("--mode", choices=["silent", "garbage", "reset"], required=True)
    p.add_argument("--address", required=True)
    p.add_argument("--port", type=int, default=22)
    p.add_argument("--seconds", type=float, default=1800)
    args = ap.parse_args(argv)

    if args.cmd == "listen":
        return listen(args.mode, args.address, args.port, args.seconds)
    if args.cmd == "variants":
        for v in VARIANTS.values():
            print(f"{v.name:24} {v.outcome:5} {v.description}")
        return 0
    for variant, _ in _parse_specs(args.specs):
        if variant not in VARIANTS:
            print(f"lab.py: unknown variant {variant!r}", file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        with Lab(args.workdir, private_net=not args.host_net, keep=args.keep) as lab:
            for variant, scheme in _parse_specs(args.specs):
                lab.add_builder(_builder_name(variant, scheme), variant, scheme=scheme)
            lab.start()
            if args.cmd == "run":
                failures = 0
                for b in lab.builders.values():
                    ok, out = lab.real_build(b.name, timeout=args.timeout)
                    expected = b.variant.outcome == "ok"
                    failures += ok != expected
                    print(f"==== {b.name} ({b.uri}): {'built' if ok else 'failed'}"
                          f" (expected {b.variant.outcome})")
                    print(normalise_log(out, lab).rstrip())
                return 1 if failures else 0
            print(f"lab up in {lab.workdir}; client PID 1 (host view): {lab._client.init_pid}")
            print(f"enter the client: nsenter --target={lab._client.init_pid} --mount --pid --net "
                  f"env NIX_REMOTE=daemon TMPDIR={NODE_DIR}/tmp bash")
            for b in lab.builders.values():
                print(f"  {b.machine_line}")
            try:
                time.sleep(args.seconds)
            except KeyboardInterrupt:
                pass
            return 0
    except LabError as e:
        print(f"lab.py: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
