#!/usr/bin/env python3
"""`route` against the real build hook: for each case, the builder that a real `nix-build -j0`
used (its log says `building '...' on '...'`) must be the one `route` names, and when the real
build finds no machine, `route` must say that no builder qualifies, print the same listing as
the real Nix, and give each builder a reason.

One lab: four healthy builders (`rt-a`..`rt-d`, healthy-root over ssh) and one whose sshd is
down (`rt-down`, no-sshd). Each case is a machines list over them (systems, features, max-jobs,
speed factors) and a derivation with `requiredSystemFeatures`, instantiated in the client; the
doctor reads the .drv with its own parser (`route /nix/store/...drv --builders SPEC`), with live
probes. One case holds two slots of a builder with flock(1), so the ranking by load (and Nix
2.8's truncating division) is tested too.

Run as root: `python3 tests/lab/test_route_vs_real_build.py BINARY`. Prints one line per check,
then `N passed, M failed`; exits non-zero when a check failed. Without root or the programs the
lab needs it skips (fails under CI=true).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab as L  # noqa: E402

TIMEOUT = 4  # the doctor's --timeout per builder
check = L.Checks()


def line(lab, name: str, systems: str = "-", jobs: int = 1, speed: int = 1, supported: str = "-", mandatory: str = "-") -> str:
    b = lab.builders[name]
    return f"{b.uri} {systems} {L.CLIENT_KEY} {jobs} {speed} {supported} {mandatory} {b.pinned}"


def instantiate(lab, features: list[str], label: str) -> str:
    nonce = secrets.token_hex(6)
    feats = " ".join(f'"{f}"' for f in features)
    expr = ("derivation {\n"
            f'  name = "nbdroute-{re.sub("[^a-z0-9]+", "-", label)}-{nonce}";\n'
            f'  system = "{lab.system}";\n'
            '  builder = "/bin/sh";\n'
            '  args = [ "-c" "echo ok > $out" ];\n'
            f"  requiredSystemFeatures = [ {feats} ];\n"
            "}\n")
    with open(os.path.join(lab.client_dir, "builds", f"{nonce}.nix"), "w") as f:
        f.write(expr)
    rc, out, err = lab.client_exec(["nix-instantiate", f"{L.NODE_DIR}/builds/{nonce}.nix"], timeout=60)
    if rc != 0:
        raise L.LabError(f"nix-instantiate failed: {err[-1000:]}")
    return out.strip().splitlines()[-1]


def real_build(lab, drv: str, spec: str, timeout: float) -> tuple[int, str]:
    rc, out, _ = lab._exec_in(lab._client, ["nix-build", "-j0", "--no-out-link", "--option", "builders", spec, drv], timeout, None,
                              merge=True)
    return rc, out


def route(lab, binary: str, drv: str, spec: str) -> tuple[int, dict | None, str]:
    rc, out, err = lab.client_exec([binary, "route", drv, "--builders", spec, "--format", "json", "--timeout", str(TIMEOUT)],
                                   timeout=TIMEOUT * 4 + 30)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, out[-1500:] + err[-1500:]


def hold_slots(lab, uri: str, slots: list[int], seconds: int) -> list[threading.Thread]:
    """Holds Nix's slot locks of `uri` from inside the client, as a running remote build would."""
    d = lab.client_path("/nix/var/nix/current-load")
    os.makedirs(d, exist_ok=True)
    name = uri.replace("/", "_")
    threads = []
    for slot in slots:
        path = f"/nix/var/nix/current-load/{name}-{slot}"
        t = threading.Thread(target=lab.client_exec, args=(["flock", "-x", path, "sleep", str(seconds)],), kwargs={"timeout": seconds + 5},
                             daemon=True)
        t.start()
        threads.append(t)
    time.sleep(1.0)
    return threads


def run_case(lab, binary: str, label: str, spec_lines: list[str], features: list[str], want: str | None,
             held: tuple[str, list[int]] | None = None, waits: bool = False, first: str | None = None) -> None:
    spec = "; ".join(spec_lines)
    drv = instantiate(lab, features, label)
    threads = hold_slots(lab, held[0], held[1], 40) if held else []
    rc, report, err = route(lab, binary, drv, spec)
    if not check(f"{label}: route answered ({rc})", report is not None and rc in (0, 1), err):
        return
    real_rc, real_out = real_build(lab, drv, spec, timeout=12 if waits else 60)
    used = re.findall(r"building '[^']+' on '([^']+)'", real_out)
    summary = "; ".join(f"{b['uri']} {b['verdict']} {b['reason']} live={b['live']['state']}" for b in report["builders"])
    if waits:
        check(f"{label}: the real build waits for a machine (rc {real_rc})", real_rc == L.TIMEOUT_RC and "waiting for a machine" in real_out,
              real_out[-1500:])
        check(f"{label}: route says Nix postpones", report["reply"] == "postpone" and report["choice"] is None,
              report["outcome"] + "\n" + summary)
        return
    if want is None:
        check(f"{label}: the real build finds no machine", real_rc != 0 and not used and "Failed to find a machine" in real_out,
              real_out[-1500:])
        check(f"{label}: route says no builder qualifies", report["choice"] is None and report["first_choice"] is None,
              report["outcome"] + "\n" + summary)
        check(f"{label}: every builder has a reason", all(b["verdict"] != "candidate" and b["reason"] for b in report["builders"]),
              summary)
        real_lines = [ln.strip() for ln in real_out.splitlines()]
        missing = [ln for ln in report["nix_says"] if ln.strip() not in real_lines and not ln.startswith("error: ")]
        check(f"{label}: route's listing is the real Nix's, line for line", report["nix_says"] and not missing,
              "missing: " + json.dumps(missing) + "\n" + real_out[-1500:])
        return
    if held:
        loads = {b["uri"]: b["load"] for b in report["builders"]}
        check(f"{label}: route saw {len(held[1])} slots of {held[0]} in use", loads.get(held[0]) == len(held[1]), json.dumps(loads))
    if first:
        check(f"{label}: route's first choice is {first}, which fails to connect",
              report["first_choice"] == lab.builders[first].uri and
              next(b for b in report["builders"] if b["uri"] == lab.builders[first].uri)["live"]["state"] == "connect-fails",
              summary)
    want_uri = lab.builders[want].uri
    check(f"{label}: the real build used {want} (it used {used})", real_rc == 0 and used[-1:] == [want_uri], real_out[-1500:])
    check(f"{label}: route chose {report['choice']}, the builder Nix used", used[-1:] == [report["choice"]],
          report["outcome"] + "\n" + summary)
    for t in threads:
        t.join(timeout=0)


def main() -> int:
    binary = L.test_binary(sys.argv, __doc__)
    if isinstance(binary, int):
        return binary
    with L.Lab() as lab:
        for name in ("rt-a", "rt-b", "rt-c", "rt-d"):
            lab.add_builder(name, "healthy-root", scheme="ssh")
        lab.add_builder("rt-down", "no-sshd", scheme="ssh")
        lab.start()
        x86 = lab.system
        run_case(lab, binary, "speed factors 1, 3, 2", [line(lab, "rt-a", speed=1), line(lab, "rt-b", speed=3), line(lab, "rt-c", speed=2)],
                 [], "rt-b")
        run_case(lab, binary, "only one supports big-parallel",
                 [line(lab, "rt-a", speed=5), line(lab, "rt-b", supported="big-parallel")], ["big-parallel"], "rt-b")
        run_case(lab, binary, "mandatory benchmark keeps plain derivations away",
                 [line(lab, "rt-a", speed=9, mandatory="benchmark"), line(lab, "rt-b")], [], "rt-b")
        run_case(lab, binary, "mandatory benchmark takes benchmark derivations",
                 [line(lab, "rt-b", speed=9), line(lab, "rt-a", mandatory="benchmark")], ["benchmark"], "rt-a")
        run_case(lab, binary, "wrong system", [line(lab, "rt-a", systems="aarch64-linux", speed=9), line(lab, "rt-c", systems=x86)], [],
                 "rt-c")
        run_case(lab, binary, "max-jobs 0 is never chosen", [line(lab, "rt-a", jobs=0, speed=9), line(lab, "rt-d", speed=1)], [], "rt-d")
        run_case(lab, binary, "a down builder is skipped", [line(lab, "rt-down", speed=9), line(lab, "rt-c", speed=1)], [], "rt-c",
                 first="rt-down")
        run_case(lab, binary, "ties go to the first", [line(lab, "rt-d", speed=2), line(lab, "rt-a", speed=2)], [], "rt-d")
        run_case(lab, binary, "load 2 at speed 3 truncates to 0 (Nix < 2.20)",
                 [line(lab, "rt-a", jobs=4, speed=1), line(lab, "rt-b", jobs=4, speed=3)], [], "rt-b",
                 held=(lab.builders["rt-b"].uri, [0, 1]))
        run_case(lab, binary, "load 3 at speed 3 is 1, worse than an idle speed 1",
                 [line(lab, "rt-a", jobs=4, speed=1), line(lab, "rt-c", jobs=4, speed=3)], [], "rt-a",
                 held=(lab.builders["rt-c"].uri, [0, 1, 2]))
        run_case(lab, binary, "no builder has the feature",
                 [line(lab, "rt-a", systems=x86 + ",aarch64-linux", jobs=2, supported="big-parallel,kvm", mandatory="benchmark"),
                  line(lab, "rt-b")], ["no-such-feature"], None)
        run_case(lab, binary, "only a max-jobs 0 builder matches", [line(lab, "rt-a", jobs=0, supported="no-such-feature")],
                 ["no-such-feature"], None, waits=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
