#!/usr/bin/env python3
"""`route` against real users' `Failed to find a machine for remote build!` listings.

Every listing in tests/realworld/logs/{dev,heldout} and tests/explain/report-*.log (public
reports, sources in their SOURCES.md) names the derivation's system and features and every
machine (systems, max-jobs, supported and mandatory features). Each is turned into `--builders`
and `--system/--features` for `route --offline` with the Nix version the listing's format implies
(no brackets: 2.4-2.11, brackets: 2.12+, `Reason: required system or feature` 2.30+, `Reason: missing
system features` 2.34+; sorted systems are not told apart). tests/realworld/route-listings holds
listings kept for route only (SOURCES.md: thread and half). Checked per listing:
- decision: real Nix found no machine. `route` must agree that none qualifies, unless the log
  shows a failed connection (the hook disables such a machine and the listing still shows it);
- text: the machine lines `route` would print are the log's, line for line.

Usage: scripts/route_realworld.py BINARY. Prints one line per listing and the score per half.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CONNECT_FAILED = re.compile(r"cannot build on '|unable to open SSH connection|Host key verification failed|Permission denied|"
                            r"Connection refused|Could not resolve hostname|cannot connect to|failed to start SSH connection")


def clean(line: str) -> str:
    line = ANSI.sub("", line).rstrip("\r\n")
    line = re.sub(r"^.*querying remote builder", "", line)
    return line[2:] if line.startswith("> ") else line


def split_list(text: str, bracketed: bool) -> list[str]:
    text = text.strip()
    if bracketed:
        text = text.strip("[]")
    return [t.strip() for t in text.split(",") if t.strip()]


def parse_machine(line: str, bracketed: bool):
    body = line.strip()[1:-1]
    if bracketed:
        m = re.fullmatch(r"\[(.*?)\], (\d+), \[(.*?)\], \[(.*?)\]", body)
        if not m:
            return None
        return split_list(m[1], False), int(m[2]), split_list(m[3], False), split_list(m[4], False)
    parts = [p.strip() for p in body.split(",")]
    jobs_at = next((i for i, p in enumerate(parts) if p.isdigit()), None)
    if jobs_at is None:
        return None
    rest = parts[jobs_at + 1:]
    # Without brackets the two feature lists meet at one comma: decidable only when one is empty.
    if rest and rest[-1] == "":
        supported, mandatory = [p for p in rest[:-1] if p], []
    elif rest and rest[0] == "":
        supported, mandatory = [], [p for p in rest[1:] if p]
    else:
        return None
    return [p for p in parts[:jobs_at] if p], int(parts[jobs_at]), supported, mandatory


def listings(path: str):
    lines = [clean(l) for l in open(path, errors="replace")]
    for i, l in enumerate(lines):
        if l.strip() != "Failed to find a machine for remote build!":
            continue
        req = next((j for j in range(i + 1, min(i + 4, len(lines))) if lines[j].startswith("required (system, features): (")), None)
        if req is None:
            continue
        m = re.match(r"required \(system, features\): \(([^,]+), (.*)\)$", lines[req])
        count = re.match(r"(\d+) available machines:", lines[req + 1]) if req + 1 < len(lines) else None
        if not m or not count:
            continue
        n = int(count[1])
        machine_lines = lines[req + 3:req + 3 + n]
        bracketed = m[2].startswith("[") or any(x.startswith("([") for x in machine_lines)
        yield {"line": i + 1, "system": m[1], "features": split_list(m[2], bracketed), "machines": machine_lines,
               "bracketed": bracketed, "connect_failed": any(CONNECT_FAILED.search(x) for x in lines),
               "reason_style": "2.34" if any("Reason: missing system features" in x or "Reason: platform mismatch" in x for x in lines)
               else "2.30" if any("Reason: required system or feature not available" in x for x in lines) else ""}


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    files = {"dev": sorted(glob.glob(os.path.join(SOURCE, "tests/realworld/logs/dev/*.log"))),
             "heldout": sorted(glob.glob(os.path.join(SOURCE, "tests/realworld/logs/heldout/*.log"))) +
                        sorted(glob.glob(os.path.join(SOURCE, "tests/explain/report-*.log")))}
    # Listings kept only for route: their half is in SOURCES.md (the corpus's split rule).
    listing_dir = os.path.join(SOURCE, "tests/realworld/route-listings")
    for row in open(os.path.join(listing_dir, "SOURCES.md")):
        cells = [c.strip() for c in row.split("|")]
        if len(cells) > 4 and cells[1].endswith(".log"):
            files["dev" if cells[3].startswith("dev") else "heldout"].append(os.path.join(listing_dir, cells[1]))
    root = tempfile.mkdtemp(prefix="nbd-route-rw-")
    os.makedirs(os.path.join(root, "etc/nix"))
    score = {}
    for half, paths in files.items():
        agree = total = text_ok = text_total = 0
        for path in paths:
            for lst in listings(path):
                parsed = [parse_machine(x, lst["bracketed"]) for x in lst["machines"]]
                name = f"{os.path.basename(path)}:{lst['line']}"
                if any(p is None for p in parsed) or not parsed:
                    print(f"skip  {name}: a machine line cannot be read unambiguously")
                    continue
                spec = "; ".join(f"ssh://m{k} {','.join(s) or '-'} - {j} 1 {','.join(sup) or '-'} {','.join(man) or '-'}"
                                 for k, (s, j, sup, man) in enumerate(parsed))
                version = ("2.34.0" if lst["reason_style"] == "2.34" else "2.30.0" if lst["reason_style"] == "2.30"
                           else "2.12.0" if lst["bracketed"] else "2.8.0")
                argv = [binary, "route", "--offline", "--root", root, "--nix-version", version, "--builders", spec,
                        "--system", lst["system"], "--format", "json"]
                if lst["features"]:
                    argv += ["--features", ",".join(lst["features"])]
                # The local system only fills an empty systems column, which a listing never shows empty.
                p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                try:
                    r = json.loads(p.stdout)
                except ValueError:
                    print(f"FAIL  {name}: route failed: {p.stderr[-300:]}")
                    total += 1
                    continue
                total += 1
                none = r["first_choice"] is None
                ok = none or lst["connect_failed"]
                agree += ok
                why = "none qualifies" if none else f"{r['first_choice']} qualifies; the log shows a failed connection" if ok else \
                      f"route picks {r['first_choice']} but the log shows no failed connection"
                text_total += 1
                # Systems as this Nix prints them: 2.12-2.19 keep the column's order; route's listing comes from the same order.
                want = [x.strip() for x in lst["machines"]]
                got = [x for x in r["nix_says"] if x.startswith("(") and not x.startswith("(systems")]
                same_text = not got or got == want  # no listing: route builds it (candidate) and prints none
                text_ok += same_text
                print(f"{'ok  ' if ok else 'DIFF'}  {name}: {why}" + ("" if same_text else f"; listing differs: {got} vs {want}"))
        score[half] = (agree, total, text_ok, text_total)
    for half, (a, t, tx, tt) in score.items():
        print(f"{half}: decision {a}/{t}, listing text {tx}/{tt}")
    return 0 if all(a == t for a, t, _, _ in score.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
