#!/usr/bin/env python3
"""The CI and fleet formats of a live check, each validated by its consumer's own validator.

One lab with three builders: `fmt-ok` (healthy-root, ssh-ng), `fmt-down` (no-sshd, ssh: the
connection is refused) and `fmt-nokey` (no-authorized-key, ssh). The doctor runs once inside the
client with `--report junit=... --report sarif=... --report github=... --report prometheus=...`
and `--format json`, then once with `--format machines`. Checked:
- JUnit validates against tests/report/junit-10.xsd (xmllint --schema) and has a <failure> in
  the suites of both broken builders, none in the healthy one's;
- SARIF validates against the OASIS 2.1.0 schema (python3 jsonschema) and has an error result
  for each broken builder, located at its /etc/nix/machines line;
- the Prometheus file passes `promtool check metrics` and its builder_up says exactly which
  builders are down;
- GitHub workflow commands: an ::error line per error finding of the JSON report;
- `--format machines` prints exactly the healthy builder's machines line.

Run as root: `python3 tests/lab/test_report_formats.py BINARY`. Prints one line per check, then
`N passed, M failed`; exits non-zero when a check failed. Without root or the programs the lab
needs it skips (fails under CI=true). With NBD_FORMATS_EXAMPLES_DIR=DIR each output is also
written to DIR (the examples of docs/formats.md come from there).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import lab as L  # noqa: E402

TIMEOUT = 4  # the doctor's --timeout per builder
JUNIT_XSD = os.path.join(SOURCE, "tests", "report", "junit-10.xsd")
SARIF_SCHEMA = os.path.join(SOURCE, "tests", "report", "sarif-schema-2.1.0.json")
FORMATS = {"junit": "report.xml", "sarif": "report.sarif", "github": "report.github", "prometheus": "report.prom"}

check = L.Checks()


def run(argv: list[str], stdin: str | None = None) -> tuple[int, str]:
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def validators_missing() -> str | None:
    for tool in ("xmllint", "promtool"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install libxml2-utils prometheus)"
    if run([sys.executable, "-c", "import jsonschema"])[0] != 0:
        return "python3 jsonschema not found (apt-get install python3-jsonschema)"
    return None


def validate_sarif(path: str) -> tuple[int, str]:
    script = ("import json, sys, jsonschema\n"
              "schema = json.load(open(sys.argv[1]))\n"
              "cls = jsonschema.validators.validator_for(schema)\n"
              "errors = list(cls(schema).iter_errors(json.load(open(sys.argv[2], encoding='utf-8'))))\n"
              "for e in errors: print(list(e.absolute_path), e.message)\n"
              "sys.exit(1 if errors else 0)\n")
    return run([sys.executable, "-c", script, SARIF_SCHEMA, path])


def junit_suites(xml: str) -> dict[str, str]:
    """Suite name -> its text (our renderer writes one suite per block)."""
    return {m.group(1): m.group(0) for m in re.finditer(r'<testsuite name="([^"]*)".*?</testsuite>', xml, re.S)}


def check_formats(lab, binary: str, examples: str) -> None:
    ok, down, nokey = (lab.builders[n] for n in ("fmt-ok", "fmt-down", "fmt-nokey"))
    args = [binary, "check", "--timeout", str(TIMEOUT), "--format", "json"]
    for fmt, name in FORMATS.items():
        args += ["--report", f"{fmt}=/run/lab/tmp/{name}"]
    rc, out, err = lab.client_exec(args, timeout=TIMEOUT * 4 + 30)
    if not check(f"doctor ran with --report for {', '.join(FORMATS)} ({rc})", rc in (0, 1), err[-2000:]):
        return
    try:
        report = json.loads(out)
    except ValueError:
        check("doctor printed JSON", False, out[-2000:] + err[-2000:])
        return
    verdicts = {b["uri"]: b["verdict"] for b in report["builders"]}
    check(f"the JSON verdicts are ok/broken/broken ({verdicts})",
          verdicts.get(ok.uri) == "ok" and verdicts.get(down.uri) == "broken" and verdicts.get(nokey.uri) == "broken",
          json.dumps(report["findings"], indent=1)[:2000])
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    texts = {}
    for fmt, name in FORMATS.items():
        path = lab.client_path(f"/run/lab/tmp/{name}")
        check(f"--report {fmt}=FILE wrote the file", os.path.isfile(path))
        with open(path, encoding="utf-8", errors="replace") as f:
            texts[fmt] = f.read()

    # JUnit
    path = lab.client_path("/run/lab/tmp/report.xml")
    vrc, vout = run(["xmllint", "--noout", "--schema", JUNIT_XSD, path])
    check("junit: valid against Jenkins' junit-10.xsd (xmllint --schema)", vrc == 0, vout[-1500:])
    suites = junit_suites(texts["junit"])
    check(f"junit: a suite per builder and one for this machine ({sorted(suites)})",
          {"this machine", ok.uri, down.uri, nokey.uri} <= set(suites))
    check("junit: no failure in the healthy builder's suite", "<failure" not in suites.get(ok.uri, "<failure"),
          suites.get(ok.uri, "")[:1500])
    check("junit: the refused builder's tcp stage and its net.connection-refused fail",
          re.search(r'name="tcp" time="[0-9.]+">\s*<failure type="stage" message="tcp: refused"', suites.get(down.uri, ""))
          is not None and re.search(r'name="net.connection-refused"[^>]*>\s*<failure type="error"', suites.get(down.uri, ""))
          is not None, suites.get(down.uri, "")[:2000])
    check("junit: the builder without an authorized key has a failure",
          '<failure type="error"' in suites.get(nokey.uri, ""), suites.get(nokey.uri, "")[:2000])
    check("junit: the healthy builder's nix stage has its time",
          re.search(r'name="nix" time="(?!0\.000)[0-9]+\.[0-9]{3}"/>', suites.get(ok.uri, "")) is not None,
          suites.get(ok.uri, "")[:1500])

    # SARIF
    path = lab.client_path("/run/lab/tmp/report.sarif")
    vrc, vout = validate_sarif(path)
    check("sarif: valid against the OASIS SARIF 2.1.0 schema (jsonschema)", vrc == 0, vout[-1500:])
    sarif = json.loads(texts["sarif"])
    results = sarif["runs"][0]["results"]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    for b in (down, nokey):
        mine = [r for r in results if r["properties"]["builder"] == b.uri and r["level"] == "error"]
        locs = [r.get("locations", [{}])[0].get("physicalLocation", {}) for r in mine]
        check(f"sarif: {b.name} has an error result at file:///etc/nix/machines:N ({[r['ruleId'] for r in mine]})",
              bool(mine) and all(loc.get("artifactLocation", {}).get("uri") == "file:///etc/nix/machines"
                                 and loc.get("region", {}).get("startLine", 0) > 0 for loc in locs),
              json.dumps(mine, indent=1)[:2000])
    check("sarif: no error result for the healthy builder",
          not [r for r in results if r["properties"]["builder"] == ok.uri and r["level"] == "error"])
    check("sarif: every result's ruleIndex names its ruleId",
          all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results))
    check(f"sarif: one result per finding ({len(results)} = {len(report['findings'])})", len(results) == len(report["findings"]))

    # Prometheus
    prc, pout = run(["promtool", "check", "metrics"], stdin=texts["prometheus"])
    check("prometheus: promtool check metrics passes without a lint complaint", prc == 0 and pout.strip() == "", pout[-1500:])
    up = {m.group(1): m.group(2) for m in
          re.finditer(r'^nix_builder_doctor_builder_up\{builder="([^"]*)",host="[^"]*"\} ([01])$', texts["prometheus"], re.M)}
    check(f"prometheus: builder_up is 1 for the healthy builder only ({up})",
          up == {ok.uri: "1", down.uri: "0", nokey.uri: "0"}, texts["prometheus"][:2000])
    check("prometheus: the refused builder's tcp stage outcome is refused",
          f'nix_builder_doctor_stage_outcome{{builder="{down.uri}",stage="tcp",outcome="refused"}} 1' in texts["prometheus"])

    # GitHub
    lines = texts["github"].splitlines()
    check(f"github: one ::error line per error finding ({sum(ln.startswith('::error ') for ln in lines)} = {len(errors)})",
          sum(ln.startswith("::error ") for ln in lines) == len(errors)
          and all(re.match(r"^::(error|warning|notice) ", ln) for ln in lines), texts["github"][:2000])

    # machines
    rc, out, err = lab.client_exec([binary, "check", "--timeout", str(TIMEOUT), "--format", "machines"], timeout=TIMEOUT * 4 + 30)
    texts["machines"] = out
    with open(lab.client_path("/etc/nix/machines")) as f:
        configured = [ln for ln in f.read().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    ok_line = [ln for ln in configured if ok.uri in ln]
    check(f"machines: exactly the healthy builder's line ({out.strip()!r})", out.splitlines() == ok_line,
          f"configured: {configured}\nstderr: {err[-1000:]}")

    if examples:
        os.makedirs(examples, exist_ok=True)
        texts["json"] = json.dumps(report, indent=2) + "\n"
        texts["machines-file"] = "\n".join(configured) + "\n"
        for fmt, text in texts.items():
            with open(os.path.join(examples, fmt), "w") as f:
                f.write(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    args = parser.parse_args()
    why = L.require_environment() or validators_missing()
    if why:
        return L.skip_or_fail(why)
    binary = os.path.abspath(args.binary)
    with L.Lab() as lab:
        lab.add_builder("fmt-ok", "healthy-root", scheme="ssh-ng")
        lab.add_builder("fmt-down", "no-sshd", scheme="ssh")
        lab.add_builder("fmt-nokey", "no-authorized-key", scheme="ssh")
        lab.start()
        check_formats(lab, binary, os.environ.get("NBD_FORMATS_EXAMPLES_DIR", ""))
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
