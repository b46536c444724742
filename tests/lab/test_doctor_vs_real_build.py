#!/usr/bin/env python3
"""The doctor's live verdict against the ground truth of a real build, builder by builder.

For each scheme (ssh://, ssh-ng://) one lab is started with every builder variant at once. The
doctor runs once inside the client namespace (as root, on the real root of that namespace, so
the X-ray, the OpenSSH ground truth and the file snapshot over SSH all run), probing all the
builders concurrently. Then each builder gets a real `nix-build -j0` through it alone:
- a builder whose real build succeeds must get no error from the doctor and the verdict "ok";
- a builder whose real build fails (or hangs) must be named by the expected rule, as an error.
The whole doctor run must end within its --timeout plus a margin, silent builders included (twice
the --timeout when builders were probed again because this machine was short of CPU).

Run as root: `python3 tests/lab/test_doctor_vs_real_build.py BINARY [-k SUBSTRING]`.
Prints one line per check, then `N passed, M failed`; exits non-zero when a check failed.
With NBD_LAB_FACTS_DIR=DIR, each run's `--dump-facts` is also written to DIR (live-ssh.json,
live-ssh-ng.json, live-build-test.json): tests/facts/ holds such captures, which the unit test
ProducedFacts.LiveCapturesAreDeclaredWithTheirType checks against src/facts/facts-schema.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab as L  # noqa: E402

TIMEOUT = 4  # the doctor's --timeout per builder
MARGIN = 6   # start-up, the file snapshot, scheduling on a loaded 2-core machine

# Variant -> the rule the doctor must name (None: healthy, no error allowed).
EXPECTED = {
    "healthy-root": None,
    "healthy-user": None,
    "host-key-changed-pinned": None,
    "no-authorized-key": "auth.key-not-authorized",
    "pubkey-off": "auth.publickey-not-offered",
    "root-login-no": "auth.root-login-refused",
    "host-key-unknown": "hostkey.unknown-to-root",
    "host-key-pinned-wrong": "machines.host-key-mismatch",
    "host-key-changed": "hostkey.changed",
    "no-sshd": "net.connection-refused",
    "silent-listener": "net.not-ssh",
    "garbage-banner": "net.not-ssh",
    "reset-listener": "net.not-ssh",
    "nix-not-on-path": "remote.nix-not-found",
    "user-untrusted": "remote.user-not-trusted",
    "nologin-shell": "auth.login-shell-unusable",
    # issue 7.4: stages after the key exchange that start and never finish
    "auth-command-hangs": "remote.stage-stalled",
    "login-shell-sleeps": "remote.stage-stalled",
    "nix-magic-then-hangs": "remote.stage-stalled",
    "nix-never-answers": "remote.stage-stalled",
    "banner-then-close": "remote.stage-stalled",
}
# remote.stage-stalled must name the stage (ssh's LocalCommand `started` marks the end of
# authentication; after it, no byte: the login shell or a remote Nix silent from its start).
STALLED_STAGE = {
    "auth-command-hangs": "stage 'authentication'",
    "login-shell-sleeps": "stage 'login shell / remote Nix start'",
    "nix-never-answers": "stage 'login shell / remote Nix start'",
    "nix-magic-then-hangs": "stage 'Nix handshake'",
    "banner-then-close": "stage 'authentication'",
}
PEAK_RSS_KB = 200 * 1024  # the doctor's peak memory, hostile builders included

passed = 0
failed = 0
FACTS_DIR = os.environ.get("NBD_LAB_FACTS_DIR", "")


def capture_facts(lab, binary: str, args: list[str], name: str) -> None:
    """Writes the doctor's --dump-facts for the same run to FACTS_DIR/name (when set)."""
    if not FACTS_DIR:
        return
    rc, out, err = lab.client_exec([binary, "--dump-facts", *args], timeout=TIMEOUT * 4 + 60)
    check(f"{name}: --dump-facts ({rc})", rc == 0, err[-2000:])
    if rc == 0:
        os.makedirs(FACTS_DIR, exist_ok=True)
        with open(os.path.join(FACTS_DIR, name), "w") as f:
            json.dump(json.loads(out), f, indent=1, sort_keys=True)
            f.write("\n")


TIME = ["/usr/bin/time", "-f", "NBD_PEAK_RSS_KB=%M"]


def peak_rss_kb(stderr: str) -> int:
    for line in stderr.splitlines()[::-1]:
        if line.startswith("NBD_PEAK_RSS_KB="):
            return int(line.split("=", 1)[1])
    return -1


def check(name: str, cond: bool, detail: str = "") -> None:
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}" + (f"\n     {detail}" if detail else ""))


def run_scheme(binary: str, scheme: str, only: str) -> None:
    variants = [v for v in EXPECTED if only in v]
    if not variants:
        return
    with L.Lab() as lab:
        names = {}
        for i, variant in enumerate(variants):
            name = f"b{i}-{'ng' if scheme == 'ssh-ng' else 'ssh'}"
            names[variant] = name
            lab.add_builder(name, variant, scheme=scheme)
        lab.start()
        start = time.monotonic()
        rc, out, err = lab.client_exec(TIME + [binary, "--format", "json", "--timeout", str(TIMEOUT), "--jobs", "16"],
                                       timeout=TIMEOUT * 4 + 30)
        elapsed = time.monotonic() - start
        check(f"{scheme}: doctor ran ({rc})", rc in (0, 1), err[-2000:])
        capture_facts(lab, binary, ["--timeout", str(TIMEOUT), "--jobs", "16"], f"live-{scheme}.json")
        rss = peak_rss_kb(err)
        check(f"{scheme}: doctor's peak memory {rss} kB (< {PEAK_RSS_KB} kB)", 0 < rss < PEAK_RSS_KB, err[-500:])
        try:
            report = json.loads(out)
        except ValueError:
            check(f"{scheme}: doctor printed JSON", False, out[-2000:] + err[-2000:])
            return
        # A builder whose first probe starved for CPU here (doctor.probed-again) gets a second one.
        again = sorted(f["builder"] for f in report["findings"] if f["rule"] == "doctor.probed-again")
        bound = TIMEOUT * (2 if again else 1) + MARGIN
        check(f"{scheme}: all {len(variants)} builders probed at once in {elapsed:.1f} s (< {bound} s; "
              f"{len(again)} probed again, this machine being short of CPU)", elapsed < bound, "\n".join(again))
        for variant in variants:
            b = lab.builders[names[variant]]
            hangs = b.variant.outcome == "hang"
            real_ok, real_out = lab.real_build(names[variant], timeout=6 if hangs else 30)
            if hangs:
                check(f"{scheme} {variant}: the real build hangs", lab.last_build.timed_out, real_out[-1500:])
            findings = [f for f in report["findings"] if f.get("builder") == b.uri]
            errors = sorted({f["rule"] for f in findings if f["severity"] == "error"})
            verdict = next((x["verdict"] for x in report["builders"] if x["uri"] == b.uri), "missing")
            want = EXPECTED[variant]
            label = f"{scheme} {variant}: real build {'ok' if real_ok else 'failed'}, doctor {verdict} {errors}"
            if want is None:
                check(label, real_ok and not errors and verdict == "ok",
                      json.dumps(findings, indent=1)[:3000] + "\n" + real_out[-1500:])
            else:
                check(label + f" (want {want})", not real_ok and want in errors,
                      json.dumps(findings, indent=1)[:3000] + "\n" + real_out[-1500:])
            if variant in STALLED_STAGE:
                msgs = [f["message"] for f in findings if f["rule"] == "remote.stage-stalled"]
                check(f"{scheme} {variant}: the finding names {STALLED_STAGE[variant]!r}",
                      any(STALLED_STAGE[variant] in m for m in msgs), "\n".join(msgs))


def run_build_test(binary: str) -> None:
    """--build-test: the doctor's own real build agrees with the builder's health."""
    with L.Lab() as lab:
        lab.add_builder("bt-ok", "healthy-user", scheme="ssh-ng")
        lab.add_builder("bt-bad", "user-untrusted", scheme="ssh")
        lab.start()
        rc, out, err = lab.client_exec([binary, "--format", "json", "--timeout", str(TIMEOUT), "--build-test"], timeout=120)
        capture_facts(lab, binary, ["--timeout", str(TIMEOUT), "--build-test"], "live-build-test.json")
        try:
            report = json.loads(out)
        except ValueError:
            check("--build-test: doctor printed JSON", False, out[-2000:] + err[-2000:])
            return
        stages = {b["uri"]: b["stages"] for b in report["builders"]}
        ok_uri, bad_uri = lab.builders["bt-ok"].uri, lab.builders["bt-bad"].uri
        ok_findings = [f for f in report["findings"] if f.get("builder") == ok_uri]
        check(f"--build-test: healthy builder built ({stages.get(ok_uri, {}).get('build')})", stages.get(ok_uri, {}).get("build") == "ok",
              json.dumps(ok_findings, indent=1)[:3000])
        bad_rules = {f["rule"] for f in report["findings"] if f.get("builder") == bad_uri}
        check(f"--build-test: untrusted builder's build failed and is reported ({sorted(bad_rules)})",
              stages.get(bad_uri, {}).get("build") == "failed" and "remote.build-test-failed" in bad_rules,
              json.dumps(report, indent=1)[:3000])


def run_cpu_shortage(binary: str) -> None:
    """A healthy builder probed while this machine is short of CPU (busy loops beside the doctor
    starve its ssh) must not be called broken. Its first probe runs out of time while the loops
    run; the doctor probes the builder again once they have ended, and says so (an info).
    Each loop has its own session, as the doctor's ssh has: under the kernel's autogroup
    scheduling every session gets a fair share, so it takes dozens of them to starve one ssh."""
    timeout = 3
    with L.Lab() as lab:
        lab.add_builder("cpu-ok", "healthy-root", scheme="ssh-ng")
        lab.start()
        uri = lab.builders["cpu-ok"].uri
        cmd = [binary, "--format", "json", "--timeout", str(timeout)]
        rc, out, err = lab.client_exec(cmd, timeout=60)
        check(f"cpu-shortage control: doctor ran without busy loops ({rc})", rc == 0, err[-1500:] + out[-1500:])
        quiet = json.loads(out) if rc == 0 else {"findings": []}
        check("cpu-shortage control: probed once (no doctor.probed-again)",
              not any(f["rule"] == "doctor.probed-again" for f in quiet["findings"]), out[-1500:])
        loops = 32 * (os.cpu_count() or 1)
        # The loops begin once the doctor's probe has, and all end at one time a little after its
        # first deadline (a launcher starved like the rest starts them late, never ends them late).
        until = int((timeout + 0.3) * 1e6)
        loop = "while (( ${EPOCHREALTIME/./} < END )); do :; done"
        busy = ["bash", "-c", f"export END=$(( ${{EPOCHREALTIME/./}} + {until} )); "
                f"(sleep 0.1; for i in $(seq {loops}); do setsid bash -c '{loop}' & done; wait) & "
                "\"$@\"; rc=$?; wait; exit $rc", "busy", *cmd]
        start = time.monotonic()
        rc, out, err = lab.client_exec(busy, timeout=60)
        elapsed = time.monotonic() - start
        try:
            report = json.loads(out)
        except ValueError:
            check("cpu-shortage: doctor printed JSON", False, out[-2000:] + err[-2000:])
            return
        findings = [f for f in report["findings"] if f.get("builder") == uri]
        errors = sorted(f["rule"] for f in findings if f["severity"] == "error")
        verdict = next((x["verdict"] for x in report["builders"] if x["uri"] == uri), "missing")
        again = [f["message"] for f in findings if f["rule"] == "doctor.probed-again"]
        check(f"cpu-shortage: healthy builder ok under busy loops (rc {rc}, {verdict}, {errors})",
              rc == 0 and verdict == "ok" and not errors, json.dumps(findings, indent=1)[:3000])
        check("cpu-shortage: doctor.probed-again says the first probe ran out of time short of CPU",
              any("ran out of time" in m and "short of CPU" in m and "probed again" in m for m in again),
              json.dumps(findings, indent=1)[:3000])
        bound = 2 * timeout + MARGIN
        check(f"cpu-shortage: within two --timeout and a margin ({elapsed:.1f} s < {bound} s)", elapsed < bound)
        real_ok, real_out = lab.real_build("cpu-ok", timeout=30)
        check("cpu-shortage: the real build through it succeeds", real_ok, real_out[-1500:])


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _promises(lab, label: str, known_hosts_before: bytes, builders) -> None:
    """After a doctor run: nothing written, nothing signed, nothing left running."""
    kh = os.path.join(lab.client_dir, "root", ".ssh", "known_hosts")
    check(f"{label}: root's known_hosts unchanged", _read(kh) == known_hosts_before,
          _read(kh)[-500:].decode(errors="replace"))
    pwned = [n for n in os.listdir(lab.client_dir) if n.startswith("tmp.pwned")]  # `touch $TMPDIR.pwned@host`
    check(f"{label}: no command from the machines file ran {pwned}", not pwned)
    sockets = [n for n in os.listdir(os.path.join(lab.client_dir, "tmp")) if n.startswith("cm-")]
    check(f"{label}: no control socket created ({sockets})", not sockets)
    rc, out, _ = lab.client_exec(["pgrep", "-a", "-x", "ssh"], timeout=10)
    check(f"{label}: no ssh process left after the doctor exited", rc == 1, out)
    for b in builders:
        log = _read(os.path.join(b.dir, "sshd.log")).decode(errors="replace")
        check(f"{label}: {b.name} never accepted a signature (unverified host)", "Accepted publickey" not in log,
              "\n".join(ln for ln in log.splitlines() if "Accepted" in ln)[:800])


def _doctor(lab, binary: str, extra=()):
    start = time.monotonic()
    rc, out, err = lab.client_exec(TIME + [binary, "--format", "json", "--timeout", str(TIMEOUT), *extra], timeout=120)
    elapsed = time.monotonic() - start
    try:
        return rc, json.loads(out), elapsed, err
    except ValueError:
        return rc, None, elapsed, out[-1500:] + err[-1500:]


def _rules(report, uri: str, severity=None):
    return sorted({f["rule"] for f in report["findings"] if f.get("builder") == uri and (severity is None or f["severity"] == severity)})


def run_red_team(binary: str) -> None:
    """Issue 7 items 1 and 2: hostile values and options that would write a host key, sign for an
    unverified host or leave a control master behind. Each run: the deadline, peak memory, and
    the promises (known_hosts bytes, no command, no socket, no process, no signature)."""
    # 2(b), 2(c), 1: the daemon's NIX_SSHOPTS accept new keys and start a persistent master.
    opts = "-oStrictHostKeyChecking=accept-new -oControlMaster=auto -oControlPersist=60 -oControlPath=/run/lab/tmp/cm-%C"
    with L.Lab(daemon_nix_sshopts=opts) as lab:
        unknown = lab.add_builder("rt-unknown", "host-key-unknown", scheme="ssh")
        hostile = lab.add_builder("rt-hostile", "hostile-user-part", scheme="ssh")
        lab.start()
        kh = _read(os.path.join(lab.client_dir, "root", ".ssh", "known_hosts"))
        for extra in ((), ("--build-test",)):
            label = "NIX_SSHOPTS accept-new+ControlPersist" + (" --build-test" if extra else "")
            rc, report, elapsed, err = _doctor(lab, binary, extra)
            if report is None:
                check(f"{label}: doctor printed JSON", False, err)
                continue
            check(f"{label}: within the deadline ({elapsed:.1f} s < {TIMEOUT + MARGIN} s)", elapsed < TIMEOUT + MARGIN)
            rss = peak_rss_kb(err)
            check(f"{label}: peak memory {rss} kB", 0 < rss < PEAK_RSS_KB)
            _promises(lab, label, kh, [unknown])
            skipped = [f for f in report["findings"] if f.get("builder") == unknown.uri and f["rule"] == "doctor.probe-skipped"]
            check(f"{label}: doctor.probe-skipped for the unknown host key, naming NIX_SSHOPTS",
                  bool(skipped) and "NIX_SSHOPTS" in skipped[0]["message"], json.dumps(report["findings"], indent=1)[:2500])
            errors = _rules(report, unknown.uri, "error")
            check(f"{label}: no hostkey.unknown-to-root (Nix's ssh would accept it) {errors}", "hostkey.unknown-to-root" not in errors)
            if extra:
                st = next((b["stages"] for b in report["builders"] if b["uri"] == unknown.uri), {})
                check(f"{label}: --build-test refused ({st.get('build')})", st.get("build") == "refused",
                      json.dumps(report["builders"], indent=1)[:2000])
            parse = [f for f in report["findings"] if f["rule"] == "machines.parse-error" and "invalid SSH host name" in f["message"]]
            check(f"{label}: hostile user part is machines.parse-error (invalid SSH host name)", bool(parse),
                  json.dumps(report["findings"], indent=1)[:2500])
            check(f"{label}: hostile entry is no builder", all(b["uri"] != hostile.uri for b in report["builders"]))
        real_ok, real_out = lab.real_build("rt-hostile", timeout=20)
        check("real Nix refuses the hostile user part (invalid SSH host name)",
              not real_ok and "invalid SSH host name" in real_out, real_out[-1000:])
        real_ok, real_out = lab.real_build("rt-unknown", timeout=20)
        check("real Nix under that NIX_SSHOPTS writes root's known_hosts (what the doctor avoided)",
              real_ok and _read(os.path.join(lab.client_dir, "root", ".ssh", "known_hosts")) != kh, real_out[-1000:])
    # Flags override -o values: -M -S in the daemon's NIX_SSHOPTS stop the probe, said so.
    with L.Lab(daemon_nix_sshopts="-M -S /run/lab/tmp/cm-flag -oControlPersist=60") as lab:
        healthy = lab.add_builder("rt-flags", "healthy-root", scheme="ssh")
        lab.start()
        kh = _read(os.path.join(lab.client_dir, "root", ".ssh", "known_hosts"))
        rc, report, elapsed, err = _doctor(lab, binary)
        label = "NIX_SSHOPTS -M -S"
        if report is None:
            check(f"{label}: doctor printed JSON", False, err)
        else:
            check(f"{label}: within the deadline ({elapsed:.1f} s)", elapsed < TIMEOUT + MARGIN)
            _promises(lab, label, kh, [])
            check(f"{label}: no socket from -S", not os.path.exists(os.path.join(lab.client_dir, "tmp", "cm-flag")))
            skipped = [f["message"] for f in report["findings"] if f.get("builder") == healthy.uri and f["rule"] == "doctor.probe-skipped"]
            check(f"{label}: doctor.probe-skipped names -M", any("-M" in m for m in skipped), json.dumps(report["findings"], indent=1)[:2000])
            verdict = next((b["verdict"] for b in report["builders"] if b["uri"] == healthy.uri), "missing")
            check(f"{label}: not called ok without the ground truth ({verdict})", verdict != "ok")
    # 2(a), 2(d): root's /etc/ssh/ssh_config `Match exec "true"` + accept-new, key unknown.
    with L.Lab() as lab:
        mx = lab.add_builder("rt-matchexec", "match-exec-accept-new", scheme="ssh-ng")
        lab.start()
        kh = _read(os.path.join(lab.client_dir, "root", ".ssh", "known_hosts"))
        for extra in ((), ("--build-test",)):
            label = "Match exec accept-new" + (" --build-test" if extra else "")
            rc, report, elapsed, err = _doctor(lab, binary, extra)
            if report is None:
                check(f"{label}: doctor printed JSON", False, err)
                continue
            check(f"{label}: within the deadline ({elapsed:.1f} s)", elapsed < TIMEOUT + MARGIN)
            _promises(lab, label, kh, [mx])
            skipped = [f for f in report["findings"] if f.get("builder") == mx.uri and f["rule"] == "doctor.probe-skipped"]
            check(f"{label}: doctor.probe-skipped naming the Match exec accept-new",
                  bool(skipped) and "Match exec" in skipped[0]["message"], json.dumps(report["findings"], indent=1)[:2500])
            if extra:
                st = next((b["stages"] for b in report["builders"] if b["uri"] == mx.uri), {})
                check(f"{label}: --build-test refused ({st.get('build')})", st.get("build") == "refused")
        real_ok, real_out = lab.real_build("rt-matchexec", timeout=20)
        check("real Nix under Match exec accept-new writes root's known_hosts",
              real_ok and _read(os.path.join(lab.client_dir, "root", ".ssh", "known_hosts")) != kh, real_out[-1000:])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("-k", default="")
    args = parser.parse_args()
    why = L.require_environment()
    if why:
        return L.skip_or_fail(why)
    binary = os.path.abspath(args.binary)
    for scheme in ("ssh", "ssh-ng"):
        run_scheme(binary, scheme, args.k)
    if not args.k or "build-test" in args.k:
        run_build_test(binary)
    if not args.k or "cpu-shortage" in args.k:
        run_cpu_shortage(binary)
    if not args.k or "red-team" in args.k:
        run_red_team(binary)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
