#!/usr/bin/env python3
"""`explain --check` against real builders: the log of a real failed `nix-build -j0` is explained,
then the builders it names are checked live, and the live verdict replaces the log's guess.

One lab, three builders over ssh: `ex-nokey` (no-authorized-key), `ex-rootno` (root-login-no:
sshd has PermitRootLogin no) and `ex-ok` (healthy-root). Both broken ones fail with the same
`Permission denied (publickey)`, which a log alone cannot tell apart; the live check can. Checked:
- ex-nokey's log: explain alone lists alternatives; with --check the finding is
  auth.key-not-authorized, confirmed, without alternatives;
- ex-rootno's log: with --check the guess is replaced by auth.root-login-refused;
- the same failure text naming ex-ok (which works): --check says it passes every live check now;
- a log naming a builder this machine does not list: --check says it was not checked;
- a log naming no builder: --check says there is nothing to check.

Run as root: `python3 tests/lab/test_explain_check.py BINARY`. Prints one line per check, then
`N passed, M failed`; exits non-zero when a check failed. Without root or the programs the lab
needs it skips (fails under CI=true).
"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab as L  # noqa: E402

TIMEOUT = 8  # generous: a slow live check must not pass for a wrong answer
check = L.Checks()


def explain(lab, binary: str, log: str, name: str, live: bool = True) -> dict | None:
    path = os.path.join(lab.client_dir, "builds", name)
    with open(path, "w") as f:
        f.write(log)
    argv = [binary, "explain", f"{L.NODE_DIR}/builds/{name}", "--format", "json", "--timeout", str(TIMEOUT)]
    if live:
        argv.append("--check")
    rc, out, err = lab.client_exec(argv, timeout=TIMEOUT * 4 + 30)
    try:
        return json.loads(out)
    except ValueError:
        check(f"{name}: explain printed JSON ({rc})", False, out[-1500:] + err[-1500:])
        return None


def first_cause(report: dict) -> dict:
    return next((f for f in report["findings"] if f["severity"] == "error"), {})


def main() -> int:
    binary = L.test_binary(sys.argv, __doc__)
    if isinstance(binary, int):
        return binary
    with L.Lab() as lab:
        lab.add_builder("ex-nokey", "no-authorized-key", scheme="ssh")
        lab.add_builder("ex-rootno", "root-login-no", scheme="ssh")
        lab.add_builder("ex-ok", "healthy-root", scheme="ssh")
        lab.start()
        logs = {}
        for name in ("ex-nokey", "ex-rootno"):
            ok, out = lab.real_build(name, timeout=60)
            check(f"{name}: the real build fails", not ok, out[-800:])
            logs[name] = out
        nokey, rootno = lab.builders["ex-nokey"], lab.builders["ex-rootno"]

        guess = explain(lab, binary, logs["ex-nokey"], "nokey-offline.log", live=False)
        if guess:
            check("ex-nokey without --check: a guess with alternatives",
                  any(f.get("builder") == nokey.uri for f in guess["findings"]) and "live_check" not in guess, json.dumps(guess)[:1500])
        r = explain(lab, binary, logs["ex-nokey"], "nokey.log")
        if r:
            f = first_cause(r)
            check("ex-nokey with --check: auth.key-not-authorized for its builder",
                  f.get("rule") == "auth.key-not-authorized" and f.get("builder") == nokey.uri, json.dumps(r["findings"])[:1500])
            check("ex-nokey: the live check ran on it", [b["uri"] for b in r["live_check"]["builders"]] == [nokey.uri],
                  json.dumps(r["live_check"])[:1500])
        r = explain(lab, binary, logs["ex-rootno"], "rootno.log")
        if r:
            f = first_cause(r)
            check("ex-rootno with --check: the guess becomes auth.root-login-refused",
                  f.get("rule") == "auth.root-login-refused" and f.get("builder") == rootno.uri, json.dumps(r["findings"])[:1500])
            check("ex-rootno: a note says the live check decided it",
                  any("decides" in n and "auth.root-login-refused" in n for n in r["live_check"]["notes"]), json.dumps(r["live_check"]["notes"]))
        ok_log = logs["ex-nokey"].replace("ex-nokey", "ex-ok")
        r = explain(lab, binary, ok_log, "ok.log")
        if r:
            check("a failure naming ex-ok, which works: it passes every live check now",
                  any("passes every live check now" in n for n in r["live_check"]["notes"]), json.dumps(r["live_check"])[:1500])
        r = explain(lab, binary, logs["ex-nokey"].replace("ex-nokey", "elsewhere"), "elsewhere.log")
        if r:
            check("a builder this machine does not list: not checked",
                  r["live_check"]["not_configured"] and not r["live_check"]["builders"], json.dumps(r["live_check"])[:1500])
        r = explain(lab, binary, "error: cannot connect to the daemon\n", "nobuilder.log")
        if r:
            check("a log naming no builder: nothing to check",
                  any("names no builder" in n for n in r["live_check"]["notes"]), json.dumps(r.get("live_check"))[:800])
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
