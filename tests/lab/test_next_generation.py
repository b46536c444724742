#!/usr/bin/env python3
"""check --next RESULT and --flake REF#HOST against systems built by the real Nix of this machine.

Two system-like toplevels are built with the real `nix-build` (tests/lab/generation.nix: `etc/`
links into the store as NixOS's make-etc.sh builds it): the running one and the next one.
A --root tree gets the running one's store closure, `/etc/static` -> its etc, and
/etc/nix/nix.conf, /etc/nix/machines, /etc/ssh/ssh_known_hosts linked to /etc/static as
setup-etc.pl links them; root's key and the host keys are the tree's own. The next generation
removes the builder `old.example`, adds `new.example` (whose host key it does not add to
ssh_known_hosts), gives `kept.example` 4 jobs and trusts alice. Checked:
- `check --offline --next RESULT --root ROOT --format json`: `next.from_next` names the three
  files, `next.changes` has the builder added, removed and changed and the trusted-users change,
  and the findings are the next generation's: hostkey.unknown-to-root for new.example only;
- the same without --next reports the running builders (old.example, not new.example);
- the text report says which files came from the next generation and lists the changes;
- a RESULT that does not exist, or has no etc/, is an error naming it (exit 2);
- `--flake path:DIR#x` of a flake without inputs builds
  nixosConfigurations.x.config.system.build.toplevel with the real `nix build` (offline), says
  so on stderr first, and checks it; it writes no flake.lock and no result link; a host the
  flake does not have is an error with "did you mean".

The --flake run is live: its probe goes to the next generation's builder, 127.0.0.77, where
nothing listens (net.connection-refused). Everything runs in a private mount and network namespace
with a fresh store bind-mounted over /nix, so the machine's own store and network are not touched. Run as root: `python3 tests/lab/test_next_generation.py
BINARY`. Prints one line per check, then `N passed, M failed`. Without root or Nix it skips (fails
under CI=true).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab as L  # noqa: E402

GENERATION_NIX = os.path.join(HERE, "generation.nix")
# No network (cache.nixos.org) and no sandbox (it does not work on these machines).
NIX_ENV = {"NIX_CONFIG": "substituters =\nsandbox = false\n"}

check = L.Checks()


def run(argv: list[str], cwd: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, **NIX_ENV)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def requirements() -> str | None:
    if os.geteuid() != 0:
        return "needs root (a private mount namespace with its own /nix)"
    for tool in ("unshare", "mount", "ip", "nix-build", "nix-store", "nix", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install util-linux iproute2 nix-bin openssh-client)"
    if not os.path.isdir("/nix"):
        return "/nix does not exist (apt-get install nix-bin)"
    return None


def host_key(work: str, name: str) -> str:
    path = os.path.join(work, "keys", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path], check=True)
    with open(path + ".pub") as f:
        kind, blob = f.read().split()[:2]
    return f"{kind} {blob}"


def machines_line(host: str, jobs: int) -> str:
    return f"ssh://root@{host} {L.nix_system()} /root/.ssh/id_ed25519 {jobs} 1 - - -\n"


def generation_expr(name: str, nix_conf: str, machines: str, known_hosts: str) -> str:
    return (f"import {GENERATION_NIX} {{ system = {json.dumps(L.nix_system())}; name = {json.dumps(name)};"
            f" nixConf = {json.dumps(nix_conf)}; machines = {json.dumps(machines)};"
            f" knownHosts = {json.dumps(known_hosts)}; }}")


def build(work: str, name: str, expr: str) -> str:
    path = os.path.join(work, name + ".nix")
    with open(path, "w") as f:
        f.write(expr + "\n")
    p = run(["nix-build", "--no-out-link", path])
    if p.returncode != 0:
        raise RuntimeError(f"nix-build {path} failed:\n{p.stderr}")
    return p.stdout.strip().splitlines()[-1]


def make_root(work: str, running: str) -> str:
    """A NixOS-like tree whose running generation is `running` (its closure copied in)."""
    root = os.path.join(work, "root")
    os.makedirs(os.path.join(root, "nix/store"))
    closure = run(["nix-store", "-qR", running]).stdout.split()
    for path in closure:
        subprocess.run(["cp", "-a", path, os.path.join(root, path.lstrip("/"))], check=True)
    etc = os.path.join(root, "etc")
    os.makedirs(os.path.join(etc, "nix"))
    os.makedirs(os.path.join(etc, "ssh"))
    os.makedirs(os.path.join(root, "run"))
    os.symlink(running, os.path.join(root, "run/current-system"))
    os.symlink(os.readlink(os.path.join(running, "etc")), os.path.join(etc, "static"))
    for rel in ("nix/nix.conf", "nix/machines", "ssh/ssh_known_hosts"):
        os.symlink("/etc/static/" + rel, os.path.join(etc, rel))
    with open(os.path.join(etc, "NIXOS"), "w"):
        pass
    with open(os.path.join(etc, "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nalice:x:1000:100::/home/alice:/bin/sh\n")
    with open(os.path.join(etc, "group"), "w") as f:
        f.write("root:x:0:\nusers:x:100:\nnixbld:x:30000:\n")
    # Not managed by either generation: the machine's host key and root's own key.
    host_key(work, "this-host")
    shutil.copy(os.path.join(work, "keys/this-host.pub"), os.path.join(etc, "ssh/ssh_host_ed25519_key.pub"))
    ssh = os.path.join(root, "root/.ssh")
    os.makedirs(ssh, mode=0o700)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(ssh, "id_ed25519")], check=True)
    return root


def findings_of(report: dict, rule: str) -> list[str]:
    return sorted(f.get("builder", "") for f in report["findings"] if f["rule"] == rule)


def check_next(binary: str, work: str) -> None:
    keys = {h: host_key(work, h) for h in ("old.example", "kept.example", "new.example")}
    nix_conf_running = "builders = @/etc/nix/machines\ntrusted-users = root\n"
    nix_conf_next = "builders = @/etc/nix/machines\ntrusted-users = root alice\n"
    running = build(work, "running", generation_expr(
        "system-running", nix_conf_running, machines_line("old.example", 1) + machines_line("kept.example", 1),
        f"old.example {keys['old.example']}\nkept.example {keys['kept.example']}\n"))
    nxt = build(work, "next", generation_expr(
        "system-next", nix_conf_next, machines_line("kept.example", 4) + machines_line("new.example", 1),
        f"kept.example {keys['kept.example']}\n"))
    root = make_root(work, running)

    base = [binary, "check", "--offline", "--root", root, "--fail-on", "never"]
    now = run(base + ["--format", "json"])
    report_now = json.loads(now.stdout)
    check("running generation: its builders", sorted(b["host"] for b in report_now["builders"]) == ["kept.example", "old.example"],
          now.stdout[:400])
    check("running generation: no unknown host key", findings_of(report_now, "hostkey.unknown-to-root") == [], now.stdout[:800])

    p = run(base + ["--next", nxt, "--format", "json"])
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError:
        check("--next: JSON report", False, p.stdout[:400] + p.stderr[:400])
        return
    nxt_section = report.get("next", {})
    check("--next: the next generation's builders",
          sorted(b["host"] for b in report["builders"]) == ["kept.example", "new.example"], json.dumps(report["builders"]))
    check("--next: files from the next generation",
          sorted(nxt_section.get("from_next", [])) == ["/etc/nix/machines", "/etc/nix/nix.conf", "/etc/ssh/ssh_known_hosts"],
          json.dumps(nxt_section.get("from_next")))
    check("--next: result and store path", nxt_section.get("result") == nxt and nxt_section.get("store_path") == nxt,
          json.dumps(nxt_section)[:300])
    changes = {(c["kind"], c["builder"], c["what"]): c for c in nxt_section.get("changes", [])}
    check("--next: builder added", ("builder_added", "ssh://root@new.example", "") in changes, json.dumps(list(changes)))
    check("--next: builder removed", ("builder_removed", "ssh://root@old.example", "") in changes, json.dumps(list(changes)))
    jobs = changes.get(("builder_changed", "ssh://root@kept.example", "max_jobs"), {})
    check("--next: builder changed (max jobs 1 -> 4)", jobs.get("running") == 1 and jobs.get("next") == 4, json.dumps(jobs))
    trust = changes.get(("setting_changed", "", "trusted-users"), {})
    check("--next: trusted-users root -> root alice", trust.get("running") == "root" and trust.get("next") == "root alice",
          json.dumps(trust))
    check("--next: the new builder's host key is unknown to root",
          findings_of(report, "hostkey.unknown-to-root") == ["ssh://root@new.example"],
          json.dumps([f["rule"] + " " + f.get("builder", "") for f in report["findings"]]))

    text = run(base + ["--next", nxt, "--format", "text", "--color", "never"]).stdout
    check("--next text: the next generation and its files",
          f"Next generation {nxt}" in text and "files from it: /etc/nix/nix.conf, /etc/nix/machines, /etc/ssh/ssh_known_hosts" in text,
          text[:900])
    check("--next text: the changes",
          "+ builder ssh://root@new.example is added (/etc/nix/machines:2)" in text and
          "- builder ssh://root@old.example is removed (/etc/nix/machines:1)" in text and
          "~ ssh://root@kept.example: max jobs 1 -> 4" in text, text[:1500])
    print("     " + "\n     ".join(text.splitlines()[:16]))

    missing = os.path.join(work, "no-such-result")
    p = run(base + ["--next", missing])
    check("--next: a missing RESULT is an error", p.returncode == 2 and f"--next: '{missing}' does not exist" in p.stderr, p.stderr)
    p = run(base + ["--next", root + "/run"])
    check("--next: a RESULT without etc/ is an error", p.returncode == 2 and "has no etc/ directory" in p.stderr, p.stderr)


FLAKE = """{
  outputs = { self }: {
    nixosConfigurations.x.config.system.build.toplevel = import ./generation.nix {
      system = "%s"; name = "system-flake"; nixConf = "builders = @/etc/nix/machines\\n";
      machines = "ssh://root@127.0.0.77 %s /root/.ssh/id_ed25519 2 1 - - -\\n"; knownHosts = "";
    };
  };
}
"""


def check_flake(binary: str, work: str) -> None:
    flake = os.path.join(work, "flake")
    os.makedirs(flake)
    shutil.copy(GENERATION_NIX, os.path.join(flake, "generation.nix"))
    with open(os.path.join(flake, "flake.nix"), "w") as f:
        f.write(FLAKE % (L.nix_system(), L.nix_system()))
    cwd = os.path.join(work, "cwd")
    os.makedirs(cwd)
    root = os.path.join(work, "root")
    # Live (no --offline): the probes go to the next generation's builder, where nothing listens.
    p = run([binary, "check", "--timeout", "3", "--root", root, "--fail-on", "never", "--flake", f"path:{flake}#x",
             "--format", "json"], cwd=cwd, timeout=600)
    installable = f"path:{flake}#nixosConfigurations.x.config.system.build.toplevel"
    check("--flake: says what it builds first", f"building {installable} with nix build (this may take a while)" in p.stderr,
          p.stderr[-600:])
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError:
        check("--flake: JSON report", False, p.stdout[:300] + p.stderr[-600:])
        return
    section = report.get("next", {})
    check("--flake: the built system is checked",
          section.get("flake") == installable and section.get("store_path", "").startswith("/nix/store/") and
          [b["host"] for b in report["builders"]] == ["127.0.0.77"], json.dumps(section)[:400])
    check("--flake: live probes go to the next generation's builder",
          findings_of(report, "net.connection-refused") == ["ssh://root@127.0.0.77"],
          json.dumps([f["rule"] + " " + f.get("builder", "") for f in report["findings"]]))
    check("--flake: its builder replaces the running ones",
          any(c["kind"] == "builder_added" and c["builder"] == "ssh://root@127.0.0.77" for c in section.get("changes", [])) and
          any(c["kind"] == "builder_removed" for c in section.get("changes", [])), json.dumps(section.get("changes"))[:600])
    check("--flake: no flake.lock and no result link written",
          not os.path.exists(os.path.join(flake, "flake.lock")) and os.listdir(cwd) == [],
          f"{os.listdir(flake)} {os.listdir(cwd)}")
    p = run([binary, "check", "--offline", "--root", root, "--flake", f"path:{flake}#y"], cwd=cwd)
    check("--flake: an unknown host is an error with did you mean",
          p.returncode == 2 and f"did you mean path:{flake}#x?" in p.stderr, p.stderr[-400:])


def inside_namespace(binary: str) -> int:
    with tempfile.TemporaryDirectory(prefix="nbd-next-") as work:
        os.chmod(work, 0o755)
        store = os.path.join(work, "nix")
        os.makedirs(store)
        subprocess.run(["mount", "--bind", store, "/nix"], check=True)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        check_next(binary, work)
        check_flake(binary, work)
    return check.summary()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if args.inside:
        return inside_namespace(binary)
    why = requirements()
    if why:
        return L.skip_or_fail(why)
    # A private mount namespace: the fresh store over /nix is seen by this test only.
    # A private network too: the live probe's 127.0.0.77 is this test's own loopback.
    p = subprocess.run(["unshare", "--mount", "--net", "--propagation", "private", "--fork",
                        sys.executable, os.path.abspath(__file__), "--inside", binary], timeout=1800)
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
