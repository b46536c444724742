#!/usr/bin/env python3
"""Scores the doctor on the real-world corpora in tests/realworld (see its README).

usage: scripts/score_realworld.py BINARY [dev|heldout] [--list] [--collected DATE | --slugs FILE]

--collected DATE scores only the logs whose `.expected` has a `collected:` line starting with DATE
(e.g. 2026-12-02, the third batch); --slugs FILE only the log slugs listed in FILE (one a line, `#`
comments). Either one restricts explain to that subset and skips check (config sets carry no date).

explain: top-1 accuracy over the logs whose label is a catalog rule (no `seen:` line, label not
`unknown`); `none` logs count as right when explain names no rule. Also split by the
`text-shows-cause:` key (whether the log text alone shows the cause, judged without the doctor). check: for each config set,
the warnings and errors of `check --offline --root SET/root` (with `--user U` when a problem
bullet says "with --user U") against its JUDGEMENT: each `problems:` bullet ("- RULE-ID (...)")
whose id files can decide (catalog where O or R) is expected; ids named under `undecidable:` or
`notes:` may go either way (the files cannot tell); any other warning or error is a false alarm,
an expected id not found a miss. An id mentioned inside "problems: none (...)" is not expected.
Tune on dev only; run heldout once and report it.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "tests", "realworld")
CATALOG = os.path.join(HERE, "..", "..", "shared", "rules-catalog.md")
RULE_ID = re.compile(r"\b(?:nixconf|machines|keys|hostkey|sshconfig|net|auth|remote|install|nixos|doctor)\.[a-z0-9-]+")


def file_rules():
    """Catalog ids the files can decide (where O or R): the only ones check --offline can find."""
    ids = set()
    with open(CATALOG, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.split("|")]
            if len(cells) > 4 and RULE_ID.fullmatch(cells[1]) and ({"O", "R"} & set(cells[3].split())):
                ids.add(cells[1])
    return ids


def labels(path):
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            key, sep, value = line.partition(":")
            if sep and key.strip() not in out:
                out[key.strip()] = value.strip()
    return out


# What a public repository cannot hold (secret keys, root's known_hosts): a finding about its
# absence is counted apart when the JUDGEMENT says the key or host keys are not in the files.
ABSENT_FROM_REPO = {"machines.identity-missing", "keys.no-identity", "hostkey.unknown-to-root"}
ABSENCE_NOTED = re.compile(r"(?i)\bkey|known_hosts")


def absence_noted(text):
    """True when the JUDGEMENT's undecidable/notes lines say keys or host keys are absent."""
    body = text.split("## Real programs")[0]
    return any(ABSENCE_NOTED.search(line) for line in body.splitlines()
               if line.startswith(("undecidable:", "notes:")))


def parse_judgement(text):
    """(expected ids, ids either way, --user) from a JUDGEMENT's text before its program output."""
    expected, either, user = set(), set(), None
    section = None
    for line in text.split("## Real programs")[0].splitlines():
        key, sep, rest = line.partition(":")
        if sep and key in ("verdict", "problems", "undecidable", "notes"):
            section = key
            if key in ("undecidable", "notes"):
                either |= set(RULE_ID.findall(rest))
            continue
        if section == "problems" and line.startswith("- "):
            m = RULE_ID.match(line[2:])
            if m:
                expected.add(m.group(0))
                u = re.search(r"with --user ([A-Za-z0-9_.-]+)", line)
                user = user or (u.group(1) if u else None)
            either |= set(RULE_ID.findall(line[2:])) - ({m.group(0)} if m else set())
        elif section in ("undecidable", "notes"):
            either |= set(RULE_ID.findall(line))
    return expected, either - expected, user


def run(binary, args, stdin=None):
    p = subprocess.run([binary] + args, capture_output=True, timeout=120, stdin=stdin)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def selected(label, slug, only):
    """True when the log is in the subset asked for (no restriction: always)."""
    if only is None:
        return True
    kind, value = only
    if kind == "collected":
        return label.get("collected", "").startswith(value)
    return slug in value


def read_slugs(path):
    with open(path, encoding="utf-8") as f:
        return {line.split("#")[0].strip() for line in f if line.split("#")[0].strip()}


def score_explain(binary, half, show, only=None):
    folder = os.path.join(CORPUS, "logs", half)
    rule_right = rule_total = none_right = none_total = crashes = 0
    by_text = {}  # text-shows-cause yes/no/unjudged -> [right, total]
    wrong = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".expected"):
            continue
        label = labels(os.path.join(folder, name))
        if not selected(label, name[: -len(".expected")], only):
            continue
        first = label.get("first", "unknown").split()[0] if label.get("first") else "unknown"
        if "seen" in label or first == "unknown":
            continue
        log = os.path.join(folder, name[: -len(".expected")] + ".log")
        code, out = run(binary, ["explain", "--format", "json", log])
        if code not in (0, 1):
            crashes += 1
            wrong.append((name, first, f"exit {code}"))
            continue
        findings = json.loads(out).get("findings", [])
        got = findings[0]["rule"] if findings else "none"
        if first == "none":
            none_total += 1
            none_right += got == "none"
        else:
            rule_total += 1
            rule_right += got == first
        shows = (label.get("text-shows-cause", "").split() or ["unjudged"])[0]
        tally = by_text.setdefault(shows, [0, 0])
        tally[0] += got == first
        tally[1] += 1
        if got != first:
            wrong.append((name, first, got))
    subset = f", {only[0]} {only[1] if only[0] == 'collected' else str(len(only[1])) + ' slugs'}" if only else ""
    print(f"explain ({half}{subset}): {rule_right}/{rule_total} logs with a rule label ranked first correctly; "
          f"{none_right}/{none_total} logs with no fitting rule left unnamed; {crashes} errors")
    # Whether the log text alone shows the thread's cause (`text-shows-cause:`, a second reader's
    # judgement made without the doctor's output): where it does not, no reader of the text could
    # name it, and `check` or `explain --check` has to decide.
    parts = [f"text shows the cause {by_text[k][0]}/{by_text[k][1]}" if k == "yes" else
             f"text does not {by_text[k][0]}/{by_text[k][1]}" if k == "no" else f"{k} {by_text[k][0]}/{by_text[k][1]}"
             for k in ("yes", "no", "unjudged") if k in by_text]
    if parts:
        print("  right first, by whether the log text shows the cause: " + "; ".join(parts))
    if show:
        for name, want, got in wrong:
            print(f"  {name}: want {want}, got {got}")


def score_check(binary, half, show):
    folder = os.path.join(CORPUS, "configs", half)
    false_alarms = misses = found = sets = errors = artifacts = 0
    notes = []
    decidable = file_rules()
    for name in sorted(os.listdir(folder)):
        root = os.path.join(folder, name, "root")
        judgement = os.path.join(folder, name, "JUDGEMENT")
        if not os.path.isdir(root) or not os.path.exists(judgement):
            continue
        sets += 1
        with open(judgement, encoding="utf-8") as f:
            text = f.read()
        expected, either, user = parse_judgement(text)
        expected &= decidable
        args = ["check", "--offline", "--root", root, "--format", "json", "--fail-on", "never"]
        code, out = run(binary, args + (["--user", user] if user else []))
        if code == 2 and user:  # the tree has no account for the user: what needs --user is undecidable
            code, out = run(binary, args)
            either |= {rule for rule in expected if rule.startswith("keys.root-reuses")}
            expected -= either
        if code != 0:
            errors += 1
            notes.append(f"  {name}: exit {code}")
            continue
        got = {f["rule"] for f in json.loads(out)["findings"] if f["severity"] in ("error", "warning")}
        for rule in sorted(got - expected - either):
            if rule in ABSENT_FROM_REPO and absence_noted(text):
                artifacts += 1
                notes.append(f"  {name}: about a file the public repo cannot hold: {rule}")
                continue
            false_alarms += 1
            notes.append(f"  {name}: not in the judgement: {rule}")
        for rule in sorted(expected - got):
            misses += 1
            notes.append(f"  {name}: judged, not found: {rule}")
        found += len(expected & got)
    print(f"check ({half}): {sets} sets; {found} judged problems found, {misses} missed, "
          f"{false_alarms} warnings/errors not in a judgement (+{artifacts} about keys or host keys the "
          f"public repo cannot hold); {errors} runs failed")
    if show:
        print("\n".join(notes))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("half", nargs="?", default="dev", choices=["dev", "heldout"])
    parser.add_argument("--list", action="store_true", help="list every miss")
    subset = parser.add_mutually_exclusive_group()
    subset.add_argument("--collected", metavar="DATE", help="only logs whose collected: line starts with DATE")
    subset.add_argument("--slugs", metavar="FILE", help="only the log slugs listed in FILE")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    only = ("collected", args.collected) if args.collected else ("slugs", read_slugs(args.slugs)) if args.slugs else None
    score_explain(binary, args.half, args.list, only)
    if only is None:
        score_check(binary, args.half, args.list)
    return 0


if __name__ == "__main__":
    sys.exit(main())
