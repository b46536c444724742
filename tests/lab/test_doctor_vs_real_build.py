#!/usr/bin/env python3
"""The doctor's live verdict against the ground truth of a real build, builder by builder.

For each scheme (ssh://, ssh-ng://) one lab is started with every builder variant at once. The
doctor runs once inside the client namespace (as root, on the real root of that namespace, so
the X-ray, the OpenSSH ground truth and the file snapshot over SSH all run), probing all the
builders concurrently. Then each builder gets a real `nix-build -j0` through it alone:
- a builder whose real build succeeds must get no error from the doctor and the verdict "ok";
- a builder whose real build fails (or hangs) must be named by the expected rule, as an error.
The whole doctor run must end within its --timeout plus a margin, silent builders included.

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
}

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
        rc, out, err = lab.client_exec([binary, "--format", "json", "--timeout", str(TIMEOUT), "--jobs", "16"],
                                       timeout=TIMEOUT * 4 + 30)
        elapsed = time.monotonic() - start
        check(f"{scheme}: doctor ran ({rc})", rc in (0, 1), err[-2000:])
        capture_facts(lab, binary, ["--timeout", str(TIMEOUT), "--jobs", "16"], f"live-{scheme}.json")
        check(f"{scheme}: all {len(variants)} builders probed at once in {elapsed:.1f} s (< {TIMEOUT + MARGIN} s)",
              elapsed < TIMEOUT + MARGIN)
        try:
            report = json.loads(out)
        except ValueError:
            check(f"{scheme}: doctor printed JSON", False, out[-2000:] + err[-2000:])
            return
        for variant in variants:
            b = lab.builders[names[variant]]
            real_ok, real_out = lab.real_build(names[variant], timeout=6 if "silent" in variant else 30)
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
        check(f"--build-test: healthy builder built ({stages.get(ok_uri, {}).get('build')})", stages.get(ok_uri, {}).get("build") == "ok",
              json.dumps(report, indent=1)[:3000])
        bad_rules = {f["rule"] for f in report["findings"] if f.get("builder") == bad_uri}
        check(f"--build-test: untrusted builder's build failed and is reported ({sorted(bad_rules)})",
              stages.get(bad_uri, {}).get("build") == "failed" and "remote.build-test-failed" in bad_rules,
              json.dumps(report, indent=1)[:3000])


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
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
