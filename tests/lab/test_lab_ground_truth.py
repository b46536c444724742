#!/usr/bin/env python3
"""Self-test of the lab: every builder variant's real build, through real sshd and real Nix.

Run as root: `python3 tests/lab/test_lab_ground_truth.py [-k SUBSTRING] [--no-logs]`.
Prints one line per check, then `N passed, M failed`; exits non-zero if any check failed.
Without root or the needed programs it prints why, `0 passed, 0 failed`, and exits 0 (under
CI=true it fails instead).
Writes the normalised real build logs to tests/lab/logs/<variant>-<scheme>.log.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import socket
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab as L  # noqa: E402

SILENT_TIMEOUT = 5  # seconds before the hanging build through the silent listener is cut
BUILD_TIMEOUT = 30

passed = 0
failed = 0
table = []  # (variant, scheme, outcome, stream, line)


def check(name: str, cond: bool, detail: str = "") -> bool:
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}" + (f"\n     {detail}" if detail else ""))
    return cond


# ---- the real machine must stay untouched ---------------------------------------------------

ROOT_WATCH = (".ssh", ".cache/nix", ".local/state/nix", ".local/share/nix", ".config/nix",
              ".nix-defexpr", ".nix-profile", ".nix-channels")


def _stat_tree(snap: dict, top: str, recurse: bool = True) -> None:
    if not os.path.lexists(top):
        snap[top] = None
        return
    st = os.lstat(top)
    snap[top] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ino)
    if recurse and os.path.isdir(top) and not os.path.islink(top):
        for dirpath, dirnames, filenames in os.walk(top):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                snap[p] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ino)


def snapshot() -> dict:
    snap: dict = {}
    _stat_tree(snap, "/etc")
    _stat_tree(snap, "/nix/var")
    _stat_tree(snap, "/nix", recurse=False)
    _stat_tree(snap, "/nix/store", recurse=False)
    snap["/nix/store/*"] = tuple(sorted(os.listdir("/nix/store"))) if os.path.isdir("/nix/store") else None
    snap["/root/*"] = tuple(sorted(os.listdir("/root")))
    for rel in ROOT_WATCH:
        _stat_tree(snap, os.path.join("/root", rel))
    return snap


def diff_snapshots(a: dict, b: dict) -> list:
    out = []
    for k in sorted(set(a) | set(b)):
        if a.get(k, "absent") != b.get(k, "absent"):
            out.append(k)
    return out


# ---- helpers -------------------------------------------------------------------------------


def builder_name(variant: str, scheme: str) -> str:
    return f"{variant}-{'ng' if scheme == 'ssh-ng' else 'ssh'}"


def key_line(pattern: str, *texts: str):
    """(stream, line) of the first line matching pattern in the build output / daemon log."""
    for stream, text in zip(("nix-build", "nix-daemon"), texts):
        for line in text.splitlines():
            if re.search(pattern, line):
                return stream, line.strip()
    return None, None


def nice_line(line: str) -> str:
    return L.normalise_log(line)


def write_log(lab: L.Lab, b: L.Builder, rec: L.BuildRecord, versions: str) -> None:
    logs = os.path.join(HERE, "logs")
    os.makedirs(logs, exist_ok=True)
    line = b.machine_line.replace(b.pinned, "<base64 of the pinned .pub>") if b.pinned != "-" else b.machine_line
    outcome = ("built" if rec.ok else
               f"hung: cut by the harness after {SILENT_TIMEOUT} s" if rec.timed_out else
               f"failed (exit {rec.returncode})")
    text = (
        f"# nix-builder-doctor lab ground truth: variant {b.variant.name}, scheme {b.scheme}\n"
        f"# {b.variant.description}\n"
        f"# {versions}\n"
        f"# machines line: {line}\n"
        "# command (as root in the client, NIX_REMOTE=daemon): nix-build -j0 --no-out-link "
        "--option builders '<machines line>' /run/lab/builds/<nonce>.nix\n"
        f"# outcome: {outcome}\n"
        "# --- nix-build output (stderr and stdout, in order)\n"
        f"{L.normalise_log(rec.output, lab).rstrip()}\n"
        "# --- client nix-daemon log meanwhile (Nix 2.8 sends ssh's stderr for ssh-ng:// here)\n"
        f"{L.normalise_log(rec.daemon_log, lab).rstrip()}\n"
        f"# --- builder {'sshd' if b.variant.listener == 'sshd' else 'listener'} log meanwhile\n"
        f"{L.normalise_log(rec.builder_log, lab).rstrip()}\n"
    )
    with open(os.path.join(logs, f"{b.variant.name}-{b.scheme}.log"), "w") as f:
        f.write(text)


# ---- the tests -----------------------------------------------------------------------------


def test_api(lab: L.Lab) -> None:
    b = lab.builders["healthy-user-ng"]
    check("api: uri of a non-root ssh-ng builder", b.uri == "ssh-ng://nix@healthy-user-ng", b.uri)
    check("api: uri of a root ssh builder", lab.builders["healthy-root-ssh"].uri == "ssh://root@healthy-root-ssh")
    check("api: host_key_pub is an ed25519 .pub line", b.host_key_pub.startswith("ssh-ed25519 AAAA"))
    check("api: column 8 pins base64 of the .pub",
          base64.b64decode(b.pinned).decode() == b.host_key_pub)
    w = lab.builders["host-key-pinned-wrong-ssh"]
    check("api: pinned-wrong pins another key", base64.b64decode(w.pinned).decode() != w.host_key_pub)
    check("api: host-key-unknown has column 8 '-'", lab.builders["host-key-unknown-ssh"].machine_line.endswith(" -"))

    rc, out, err = lab.client_exec(["getent", "hosts", "healthy-root-ng"], timeout=10)
    check("client: builder name resolves via /etc/hosts",
          rc == 0 and out.split()[0] == lab.builders["healthy-root-ng"].address, out + err)
    with open("/etc/hosts") as f:
        check("host: real /etc/hosts has no builder names", "healthy-root-ng" not in f.read())
    rc, out, err = lab.client_exec(["cat", "/etc/nix/nix.conf", "/etc/nix/machines"], timeout=10)
    check("client: /etc/nix is the lab's (max-jobs = 0, builders = @/etc/nix/machines)",
          "max-jobs = 0" in out and "builders = @/etc/nix/machines" in out
          and "substituters =" in out and "sandbox = false" in out, out + err)
    check("client: machines file lists every builder",
          all(x.machine_line in out for x in lab.builders.values()))
    rc, out, err = lab.client_exec(["sh", "-c", "ls -A /root/.ssh; cat /root/.ssh/known_hosts"], timeout=10)
    check("client: /root/.ssh has root's key and known_hosts", "id_ed25519" in out and "known_hosts" in out, out + err)
    check("client: known_hosts has healthy builders, not host-key-unknown",
          "\nhealthy-root-ssh ssh-ed25519 " in "\n" + out and "host-key-unknown" not in out)
    rc, out, err = lab.client_exec(["sh", "-c", "ls /etc/ssh; ls /proc | grep -c '^[0-9]'"], timeout=10)
    check("client: /etc/ssh copy has ssh_config but no private host keys",
          "ssh_config" in out and not re.search(r"ssh_host_\w+_key\n", out), out)
    rc, out, err = lab.client_exec(["sh", "-c", "for p in /proc/[0-9]*; do cat $p/comm; done"], timeout=10)
    check("client: nix-daemon runs inside the client namespace", "nix-daemon" in out.split(), out)
    rc, out, err = lab.client_exec(["nix-store", "-q", "--references", "/nix/store/nonexistent-x"], timeout=20,
                                   env={"NIX_REMOTE": "daemon"})
    check("client: NIX_REMOTE=daemon talks to the client's daemon",
          "is not in the Nix store" in err or "not valid" in err or "does not exist" in err
          or "nonexistent" in err, err)
    rc, out, err = lab.client_exec(["sh", "-c", "echo $NIX_REMOTE $HOME $TMPDIR; id -u"], timeout=10,
                                   env={"EXTRA": "1"})
    check("client: environment (NIX_REMOTE=daemon, HOME=/root, root)",
          out.split() == ["daemon", "/root", f"{L.NODE_DIR}/tmp", "0"], out)

    t0 = time.monotonic()
    rc, out, err = lab.client_exec(["sleep", "60"], timeout=1)
    dt = time.monotonic() - t0
    check("client_exec: the timeout kills the command (rc 124)", rc == L.TIMEOUT_RC and dt < 5,
          f"rc={rc} after {dt:.1f} s")

    rc, out, err = lab.builder_exec("pubkey-off-ssh", ["/usr/sbin/sshd", "-T", "-f", f"{L.NODE_DIR}/sshd_config",
                                                       "-C", "user=root,host=client,addr=127.0.0.1"], timeout=10)
    check("builder_exec: sshd -T shows the variant (pubkeyauthentication no)",
          "pubkeyauthentication no" in out and "listenaddress " + lab.builders["pubkey-off-ssh"].address in out,
          out[-500:] + err)
    rc, out, err = lab.builder_exec("healthy-user-ng", ["sh", "-c", "getent passwd nix; cat /etc/nix/nix.conf"],
                                    timeout=10)
    check("builder: user nix exists only in the builder namespace, trusted",
          f"{L.NODE_DIR}/home/nix:/bin/bash" in out and "trusted-users = root nix" in out, out + err)
    with open("/etc/passwd") as f:
        check("host: real /etc/passwd has no nix user", not re.search(r"^nix:", f.read(), re.M))


def test_variants(lab: L.Lab, versions: str, write_logs: bool) -> None:
    for b in lab.builders.values():
        v = b.variant
        timeout = SILENT_TIMEOUT if v.outcome == "hang" else BUILD_TIMEOUT
        t0 = time.monotonic()
        ok, out = lab.real_build(b.name, timeout=timeout)
        rec = lab.last_build
        dt = time.monotonic() - t0
        label = f"{v.name} {b.scheme}"
        if v.outcome == "ok":
            check(f"real build via {label}: builds, output contains ok", ok, out[-800:])
            store = [x for x in out.splitlines() if x.startswith("/nix/store/")]
            on_builder = bool(store) and os.path.exists(os.path.join(b.dir, store[-1].lstrip("/")))
            check(f"real build via {label}: the output was built on the builder's own store", on_builder)
            stream, line = "nix-build", store[-1] if store else None
        elif v.outcome == "hang":
            check(f"real build via {label}: hangs, cut by the {timeout} s timeout",
                  not ok and rec.timed_out and dt < timeout + 5, f"rc={rec.returncode} dt={dt:.1f}\n{out[-800:]}")
            stream, line = "nix-build", "(nothing: hangs after 'this derivation will be built:')"
        else:
            check(f"real build via {label}: fails", not ok and not rec.timed_out, out[-800:])
        nix_line = None
        if v.outcome != "hang":
            pattern = v.expected_pattern(b.scheme)
            s2, l2 = key_line(pattern, rec.output, rec.daemon_log)
            check(f"real build via {label}: real message /{pattern}/", l2 is not None,
                  "output:\n" + out[-1200:] + "\ndaemon log:\n" + rec.daemon_log[-800:])
            if v.outcome == "fail":
                stream, line = s2, l2
                _, nix_line = key_line(r"cannot build on|^error:", rec.output, "")
        table.append((v.name, b.scheme, "built" if ok else ("hangs" if rec.timed_out else "fails"), stream,
                      nice_line(line or "?"), nice_line(nix_line or ""), f"{dt:.1f}"))
        if write_logs:
            write_log(lab, b, rec, versions)

    if "healthy-root-ssh" not in lab.builders:
        return
    # each real build is new
    ok1, out1 = lab.real_build("healthy-root-ssh", timeout=BUILD_TIMEOUT)
    ok2, out2 = lab.real_build("healthy-root-ssh", timeout=BUILD_TIMEOUT)
    p1 = [x for x in out1.splitlines() if x.startswith("/nix/store/")]
    p2 = [x for x in out2.splitlines() if x.startswith("/nix/store/")]
    check("real_build: two builds give two new derivations, both built remotely",
          ok1 and ok2 and p1 and p2 and p1[-1] != p2[-1]
          and "building '" in out2 and "on 'ssh://root@healthy-root-ssh'" in out2)


def free_host_address() -> str:
    """A 127.0.0.N whose port 22 is free on the host's own loopback."""
    for n in range(200, 250):
        addr = f"127.0.0.{n}"
        s = socket.socket()
        try:
            s.bind((addr, 22))
            return addr
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free 127.0.0.N:22 on the host")


def test_host_net() -> None:
    addr = free_host_address()
    with L.Lab(private_net=False) as lab:
        lab.add_builder("hostnet-builder", "healthy-root", address=addr, scheme="ssh-ng")
        lab.start()
        ok, out = lab.real_build("hostnet-builder", timeout=BUILD_TIMEOUT)
        check(f"host-network mode (LAB.md's recipe, {addr}:22): healthy-root ssh-ng builds", ok, out[-800:])
        workdir = lab.workdir
    check("host-network mode: nothing left after stop", not lab.leftover_processes(),
          str(lab.leftover_processes()))
    check("host-network mode: work directory removed", not os.path.exists(workdir))

    # readiness failure is clear and cleans up: the address is taken
    addr = free_host_address()
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind((addr, 22))
    blocker.listen(1)
    lab = L.Lab(private_net=False)
    try:
        lab.add_builder("busy", "healthy-root", address=addr)
        t0 = time.monotonic()
        try:
            lab.start(ready_timeout=10)
            err = ""
        except L.LabError as e:
            err = str(e)
        dt = time.monotonic() - t0
        check("start(): a builder that cannot listen fails clearly and fast",
              "Address already in use" in err and dt < 5, f"{dt:.1f} s: {err}")
        check("start(): failure leaves no process behind", not lab.leftover_processes(),
              str(lab.leftover_processes()))
    finally:
        lab.stop()
        blocker.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", help="only variants whose name contains this")
    ap.add_argument("--no-logs", action="store_true", help="do not rewrite tests/lab/logs")
    ap.add_argument("--no-host-net", action="store_true", help="skip the host-network tests")
    args = ap.parse_args()

    why = L.require_environment()
    if why:
        return L.skip_or_fail(why)
    t_start = time.monotonic()
    nix_v = subprocess.run(["nix-build", "--version"], capture_output=True, text=True).stdout.strip()
    ssh_v = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip()
    versions = f"{nix_v}; {ssh_v.split(',')[0]}"
    before = snapshot()
    workdir = None
    lab = None
    try:
        lab = L.Lab()
        workdir = lab.workdir
        for name, v in L.VARIANTS.items():
            if args.k and args.k not in name:
                continue
            for scheme in v.schemes:
                lab.add_builder(builder_name(name, scheme), name, scheme=scheme)
        t0 = time.monotonic()
        lab.start()
        check(f"start: {len(lab.builders)} builders and the client ready ({time.monotonic() - t0:.1f} s)", True)
        if not args.k:
            test_api(lab)
        test_variants(lab, versions, write_logs=not args.no_logs and not args.k)
    except Exception:
        check("lab run without exceptions", False, traceback.format_exc())
    finally:
        if lab is not None:
            lab.stop()
            left = lab.leftover_processes()
            check("teardown: no process of the lab remains", not left, str(left))
            check("teardown: the work directory is removed", workdir is not None and not os.path.exists(workdir))
    if not args.no_host_net:
        try:
            test_host_net()
        except Exception:
            check("host-network tests without exceptions", False, traceback.format_exc())

    after = snapshot()
    changed = diff_snapshots(before, after)
    check("host: nothing under the real /etc, /root (nix and ssh files), /nix changed", not changed,
          "changed: " + ", ".join(changed[:20]))
    real_store = os.listdir("/nix/store") if os.path.isdir("/nix/store") else []
    check("host: the real /nix/store has no lab path", not any("nbdlab" in x for x in real_store))

    if table:
        print("\n| variant | scheme | real outcome | the real line (where it appeared) | nix-build's error line | s |")
        print("|---|---|---|---|---|---|")
        for v, sch, outcome, where, line, nix_line, secs in table:
            nix_cell = f"`{nix_line}`" if nix_line and nix_line != line else ""
            print(f"| {v} | {sch} | {outcome} | `{line}` ({where}) | {nix_cell} | {secs} |")
    print(f"\ntotal time {time.monotonic() - t_start:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
