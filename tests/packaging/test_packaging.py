#!/usr/bin/env python3
"""Packaging tests: the Nix files, the man page and the shell completions.

Usage: tests/packaging/test_packaging.py [BUILD_DIR]   (default: build)

- every .nix file parses with the real `nix-instantiate --parse`;
- nix/package.nix, nix/nixos-module.nix, nix/darwin-module.nix and flake.nix are evaluated by the
  real Nix with the stand-ins of tests/packaging/stand-ins.nix (no nixpkgs here), and what they
  produce is asserted; the systemd unit's ExecStart and the launchd daemon's script are then run
  with the built binary on the bundled examples;
- the generated man page renders with groff without a warning and lists every option, rule and
  exit code; each completion is valid bash, zsh and fish, names every option and rule, and bash's
  and fish's complete what they should.
A tool that is missing fails the test under CI=true and skips it elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE, "build"))
BINARY = os.path.join(BUILD, "nix-builder-doctor")
GENERATED = os.path.join(BUILD, "generated")
CI = os.environ.get("CI") == "true"

passed = failed = skipped = 0


class Skip(Exception):
    pass


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path:
        return path
    if CI:
        raise AssertionError(f"{tool} is missing (scripts/install-deps.sh --test installs it)")
    raise Skip(f"{tool} is not installed")


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)


def test(fn):
    global passed, failed, skipped
    try:
        fn()
        passed += 1
        print(f"ok    {fn.__name__}")
    except Skip as e:
        skipped += 1
        print(f"skip  {fn.__name__}: {e}")
    except Exception as e:  # noqa: BLE001 - every failure is reported, then the next test runs
        failed += 1
        print(f"FAIL  {fn.__name__}: {e}")
    return fn


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def evaluate(what: str, settings: dict | None = None):
    need("nix-instantiate")
    p = run(["nix-instantiate", "--eval", "--strict", "--json", os.path.join(HERE, "evaluate.nix"), "--argstr", "what", what,
             "--argstr", "settings", json.dumps(settings or {})])
    check(p.returncode == 0, f"evaluating {what}: {p.stderr.strip()[-800:]}")
    return json.loads(p.stdout)


def help_options() -> list[str]:
    out = run([BINARY, "--help"]).stdout
    return sorted(set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z-]*)", out, re.M)))


def rule_ids() -> list[str]:
    return [r["id"] for r in json.loads(run([BINARY, "rules", "--format", "json"]).stdout)]


def cmake_version() -> str:
    text = open(os.path.join(SOURCE, "CMakeLists.txt")).read()
    return re.search(r"project\(nix_builder_doctor VERSION ([0-9.]+)", text)[1]


def prepared_example(name: str, work: str) -> list[str]:
    """The example's files made ready (examples/prepare.sh) and the arguments its README runs."""
    dest = os.path.join(work, name)
    subprocess.run([os.path.join(SOURCE, "examples", "prepare.sh"), name, dest], check=True, capture_output=True)
    args = [a.replace("@DIR@", dest) for a in open(os.path.join(dest, "args")).read().split("\n") if a]
    return ["--offline", "--root", os.path.join(dest, "root"), *args]


def fake_package(work: str) -> dict:
    """A package whose bin/nix-builder-doctor is the built binary."""
    out = os.path.join(work, "pkg")
    os.makedirs(os.path.join(out, "bin"), exist_ok=True)
    link = os.path.join(out, "bin", "nix-builder-doctor")
    if not os.path.exists(link):
        os.symlink(BINARY, link)
    return {"outPath": out, "mainProgram": "nix-builder-doctor"}


# --- Nix ----------------------------------------------------------------------------------------

@test
def every_nix_file_parses():
    need("nix-instantiate")
    files = [os.path.join(SOURCE, "flake.nix")]
    for d in ("nix", "tests/packaging"):
        files += [os.path.join(SOURCE, d, f) for f in sorted(os.listdir(os.path.join(SOURCE, d))) if f.endswith(".nix")]
    check(len(files) >= 7, f"only {len(files)} .nix files found")
    for f in files:
        p = run(["nix-instantiate", "--parse", f])
        check(p.returncode == 0, f"{f}: {p.stderr.strip()}")


@test
def package_is_a_nixpkgs_cmake_package():
    d = evaluate("package")
    check(d["pname"] == "nix-builder-doctor", d["pname"])
    check(d["version"] == cmake_version(), f"version {d['version']} is not CMakeLists.txt's {cmake_version()}")
    check(d["nativeBuildInputs"] == ["cmake", "pkg-config", "makeWrapper"], d["nativeBuildInputs"])
    check(sorted(d["buildInputs"]) == sorted(["libssh2", "openssl", "nlohmann_json", "cxxopts", "libplist"]), d["buildInputs"])
    check(d["checkInputs"] == ["gtest"], d["checkInputs"])
    check(d["strictDeps"] is True, "strictDeps")
    check(d["doCheck"] is True, "doCheck")
    check("-DNBD_TESTS:BOOL=TRUE" in d["cmakeFlags"] and "-DNBD_DOCS:BOOL=TRUE" in d["cmakeFlags"], d["cmakeFlags"])
    check("ctest" in d["checkPhase"] and "lab" not in d["checkPhase"], d["checkPhase"])
    check(re.search(r"wrapProgram \$out/bin/nix-builder-doctor --suffix PATH : \S*-openssh/bin", d["postFixup"]), d["postFixup"])
    meta = d["meta"]
    check(meta["mainProgram"] == "nix-builder-doctor", meta)
    check(meta["description"] and not meta["description"].endswith("."), "nixpkgs descriptions end without a full stop")
    check({"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"} <= set(meta["platforms"]), meta["platforms"])
    check("license" in meta, "no license")


@test
def package_source_holds_what_the_build_reads():
    d = evaluate("package")
    files = d["src"]["files"]
    check(d["src"]["root"] == SOURCE, d["src"]["root"])
    for f in files:
        check(os.path.exists(f), f"{f} is in the source set but does not exist")
    tops = {os.path.relpath(f, SOURCE).split("/")[0] for f in files}
    cmake_files = [os.path.join(SOURCE, "CMakeLists.txt")] + [os.path.join(SOURCE, "cmake", f) for f in os.listdir(os.path.join(SOURCE, "cmake"))]
    for cf in cmake_files:
        for ref in re.findall(r"\$\{CMAKE_CURRENT_SOURCE_DIR\}/([A-Za-z0-9_.-]+)", open(cf).read()):
            check(ref in tops, f"{os.path.relpath(cf, SOURCE)} reads {ref}, which the package's source leaves out")
    for d_ in ("tests", "examples", "docs"):  # the unit and golden tests read these
        check(d_ in tops, f"{d_} is not in the package's source")


@test
def cross_package_runs_no_build_machine_helper_and_no_tests():
    d = evaluate("package-cross")
    check(d["doCheck"] is False and "-DNBD_DOCS:BOOL=FALSE" in d["cmakeFlags"] and "-DNBD_TESTS:BOOL=FALSE" in d["cmakeFlags"], d["cmakeFlags"])


REPORT_DIR = "/var/lib/node-exporter-textfiles"


@test
def nixos_unit_and_timer():
    settings = {"enable": True, "interval": "*:0/15", "extraArgs": ["--fail-on", "warning"],
                "reports": [{"format": "prometheus", "file": REPORT_DIR + "/nbd.prom"}, {"format": "json", "file": "/var/lib/nbd/last.json"}],
                "onFailure": "logger nix-builder-doctor failed"}
    d = evaluate("nixos", settings)
    check(d["options"] == ["enable", "extraArgs", "interval", "onFailure", "package", "reports"], d["options"])
    cfg = d["config"]["systemd"]
    svc = cfg["services"]["nix-builder-doctor"]
    sc = svc["serviceConfig"]
    argv = shlex.split(sc["ExecStart"])
    check(argv[0].endswith("-nix-builder-doctor-" + cmake_version() + "/bin/nix-builder-doctor"), argv[0])
    check(argv[1:] == ["check", f"--report=prometheus={REPORT_DIR}/nbd.prom", "--report=json=/var/lib/nbd/last.json", "--fail-on", "warning"], argv)
    want = {"Type": "oneshot", "User": "root", "ProtectSystem": "strict", "ProtectHome": "read-only", "PrivateTmp": True,
            "NoNewPrivileges": True, "PrivateDevices": True, "ReadWritePaths": [REPORT_DIR, "/var/lib/nbd"],
            "RestrictAddressFamilies": ["AF_UNIX", "AF_INET", "AF_INET6"]}
    for k, v in want.items():
        check(sc.get(k) == v, f"serviceConfig.{k} = {sc.get(k)!r}, want {v!r}")
    check("SuccessExitStatus" not in sc, "a failed check must fail the unit")
    check(any(p.endswith("-openssh") for p in svc["path"]) and any(p.endswith("-nix") for p in svc["path"]), svc["path"])
    check(svc["onFailure"] == ["nix-builder-doctor-on-failure.service"], svc["onFailure"])
    check(cfg["services"]["nix-builder-doctor-on-failure"]["script"] == "logger nix-builder-doctor failed", "onFailure script")
    timer = cfg["timers"]["nix-builder-doctor"]
    check(timer["timerConfig"]["OnCalendar"] == "*:0/15" and timer["wantedBy"] == ["timers.target"], timer)
    check(cfg["tmpfiles"]["rules"] == [f"d {REPORT_DIR} - - - -", "d /var/lib/nbd - - - -"], cfg["tmpfiles"]["rules"])
    check(all(a["assertion"] for a in d["config"]["assertions"]), d["config"]["assertions"])


@test
def nixos_defaults_and_refusals():
    d = evaluate("nixos", {"enable": True})
    cfg = d["config"]["systemd"]
    check(cfg["timers"]["nix-builder-doctor"]["timerConfig"]["OnCalendar"] == "hourly", "default interval")
    check(cfg["services"]["nix-builder-doctor"]["onFailure"] == [] and cfg["services"]["nix-builder-doctor-on-failure"] is None, "no hook by default")
    check(cfg["services"]["nix-builder-doctor"]["serviceConfig"]["ReadWritePaths"] == [], "nothing writable without reports")
    check(evaluate("nixos", {})["config"] is None, "a disabled module sets nothing")
    bad = evaluate("nixos", {"enable": True, "reports": [{"format": "json", "file": "relative.json"}]})
    check([a["assertion"] for a in bad["config"]["assertions"]] == [False], "a relative report path must be refused")


def run_exec_start(work: str, example: str):
    report = os.path.join(work, "reports", example + ".prom")
    os.makedirs(os.path.dirname(report), exist_ok=True)
    d = evaluate("nixos", {"enable": True, "package": fake_package(work), "extraArgs": prepared_example(example, work),
                           "reports": [{"format": "prometheus", "file": report}]})
    argv = shlex.split(d["config"]["systemd"]["services"]["nix-builder-doctor"]["serviceConfig"]["ExecStart"])
    return run(argv), report


@test
def nixos_exec_start_runs_the_check():
    need("nix-instantiate")
    with tempfile.TemporaryDirectory() as work:
        p, report = run_exec_start(work, "healthy")
        check(p.returncode == 0, f"healthy: exit {p.returncode}: {p.stderr[-400:]}")
        check("nix_builder_doctor_" in open(report).read(), "no Prometheus metrics in the report")
        p, _ = run_exec_start(work, "root-host-key-unknown")
        check(p.returncode == 1, f"an example with an error must fail the unit (exit 1), got {p.returncode}")


@test
def darwin_daemon():
    d = evaluate("darwin", {"enable": True, "interval": 900, "reports": [{"format": "prometheus", "file": "/var/db/nbd.prom"}]})
    check(d["options"] == ["enable", "extraArgs", "interval", "logFile", "onFailure", "package", "reports"], d["options"])
    daemon = d["config"]["launchd"]["daemons"]["nix-builder-doctor"]
    sc = daemon["serviceConfig"]
    check(sc["StartInterval"] == 900 and sc["RunAtLoad"] is True, sc)
    check(sc["StandardOutPath"] == sc["StandardErrorPath"] == "/var/log/nix-builder-doctor.log", sc)
    check("/usr/bin" in daemon["path"], daemon["path"])
    check("check --report=prometheus=/var/db/nbd.prom" in daemon["script"], daemon["script"])


@test
def darwin_script_fails_and_runs_the_hook():
    need("nix-instantiate")
    with tempfile.TemporaryDirectory() as work:
        marker = os.path.join(work, "hook-ran")
        for example, status in (("healthy", 0), ("root-host-key-unknown", 1)):
            d = evaluate("darwin", {"enable": True, "package": fake_package(work), "extraArgs": prepared_example(example, work),
                                    "onFailure": f"touch {marker}"})
            p = run(["sh", "-c", d["config"]["launchd"]["daemons"]["nix-builder-doctor"]["script"]])
            check(p.returncode == status, f"{example}: exit {p.returncode}, want {status}: {p.stderr[-300:]}")
            check(os.path.exists(marker) == (status != 0), f"{example}: the onFailure hook ran: {os.path.exists(marker)}")


@test
def flake_outputs():
    d = evaluate("flake")
    check(d["inputs"] == ["nixpkgs"], d["inputs"])
    check(d["systems"] == ["aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux"], d["systems"])
    check(d["packageNames"] == ["default", "nix-builder-doctor"] and d["defaultPname"] == "nix-builder-doctor", d["packageNames"])
    check(d["app"]["type"] == "app" and d["app"]["program"].endswith("/bin/nix-builder-doctor"), d["app"])
    check(d["overlayPname"] == "nix-builder-doctor", "overlay")
    check(d["nixosModule"].endswith("nix/nixos-module.nix") and d["darwinModule"].endswith("nix/darwin-module.nix"), "modules")
    check(d["linuxChecks"] == ["nixos-module", "package"] and d["darwinChecks"] == ["package"], (d["linuxChecks"], d["darwinChecks"]))
    check(d["devShellInputs"] == ["nix-builder-doctor"], d["devShellInputs"])


# --- the man page and the completions ---------------------------------------------------------

@test
def man_page_renders_without_warnings():
    groff = need("groff")
    page = os.path.join(GENERATED, "nix-builder-doctor.1")
    p = run([groff, "-man", "-Tutf8", "-ww", "-z", page])
    check(p.returncode == 0 and p.stderr == "", f"groff: {p.stderr.strip()[:600]}")
    if shutil.which("man"):
        p = run(["man", "-l", page], env={**os.environ, "MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat"})
        check(p.returncode == 0 and "SAFETY" in p.stdout, f"man -l: {p.stderr[:300]}")


@test
def man_page_lists_every_option_rule_and_exit_code():
    groff = need("groff")
    text = run([groff, "-man", "-Tascii", "-P-cbou", os.path.join(GENERATED, "nix-builder-doctor.1")]).stdout
    text = re.sub(r"-\n\s*", "-", text)  # words hyphenated at a line end
    for o in help_options():
        check(re.search(re.escape(o) + r"\b", text), f"the man page lacks {o}")
    for r in rule_ids():
        check(r in text, f"the man page lacks rule {r}")
    for section in ("NAME", "SYNOPSIS", "COMMANDS", "OPTIONS", "EXIT STATUS", "SAFETY", "RULES"):
        check(re.search(r"^" + section + r"$", text, re.M), f"no {section} section")
    for code in ("0", "1", "2", "3"):
        check(re.search(r"^\s+" + code + r"\s+\S", text, re.M), f"exit code {code} is not listed")
    check(cmake_version() in text, "the version is not on the page")


COMPLETIONS = {"bash": "nix-builder-doctor.bash", "zsh": "_nix-builder-doctor", "fish": "nix-builder-doctor.fish"}


@test
def completions_are_valid_scripts():
    check(run(["bash", "-n", os.path.join(GENERATED, COMPLETIONS["bash"])]).returncode == 0, "bash -n")
    p = run([need("zsh"), "-n", os.path.join(GENERATED, COMPLETIONS["zsh"])])
    check(p.returncode == 0, f"zsh -n: {p.stderr}")
    p = run([need("fish"), "--no-execute", os.path.join(GENERATED, COMPLETIONS["fish"])])
    check(p.returncode == 0, f"fish --no-execute: {p.stderr}")


@test
def completions_name_every_option_and_rule():
    options, rules = help_options(), rule_ids()
    check(len(options) > 20 and len(rules) > 50, f"{len(options)} options, {len(rules)} rules")
    for shell, name in COMPLETIONS.items():
        text = open(os.path.join(GENERATED, name)).read()
        for o in options:
            word = o if shell != "fish" else "-l " + o[2:]
            check(re.search(re.escape(word) + r"(?![a-z-])", text), f"{shell} completion lacks {o}")
        for r in rules:
            check(r in text, f"{shell} completion lacks rule {r}")


def bash_complete(words: list[str]) -> list[str]:
    script = (f"source {shlex.quote(os.path.join(GENERATED, COMPLETIONS['bash']))}\n"
              "COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 )); _nix_builder_doctor; printf '%s\\n' \"${COMPREPLY[@]}\"")
    p = run(["bash", "-c", script, "bash", *words])
    check(p.returncode == 0, p.stderr)
    return [w for w in p.stdout.split("\n") if w]


@test
def bash_completes_commands_options_and_values():
    rules = rule_ids()
    check(set(bash_complete(["nix-builder-doctor", ""])) >= {"check", "route", "explain", "rules"}, "commands")
    check("--format" in bash_complete(["nix-builder-doctor", "--for"]), "options")
    check(bash_complete(["nix-builder-doctor", "--format", "j"]) == ["json", "junit"], "formats")
    check(bash_complete(["nix-builder-doctor", "--format", "=", "pro"]) == ["prometheus"], "--format=VALUE")
    check(bash_complete(["nix-builder-doctor", "--color", "al"]) == ["always"], "--color's choices from its help")
    check(set(bash_complete(["nix-builder-doctor", "--fail-on", ""])) == {"error", "warning", "info", "never"}, "--fail-on")
    sel = bash_complete(["nix-builder-doctor", "--select", rules[0] + "," + rules[1][:4]])
    check(sel and all(s.startswith(rules[0] + ",") for s in sel) and rules[0] + "," + rules[1] in sel, f"--select list: {sel[:3]}")
    check(set(bash_complete(["nix-builder-doctor", "rules", ""])) == set(rules), "rules ID")
    check(bash_complete(["nix-builder-doctor", "--severity", rules[0] + "=w"]) == [rules[0] + "=warning"], "--severity ID=LEVEL")
    check(bash_complete(["nix-builder-doctor", "--report", "sar"]) == ["sarif="], "--report FORMAT=")
    check(set(bash_complete(["nix-builder-doctor", "--root", "/tmp", "ch"])) == {"check"}, "the command after an option's value")


def fish_complete(line: str) -> list[str]:
    fish = need("fish")
    p = run([fish, "--no-config", "-c", f"source {shlex.quote(os.path.join(GENERATED, COMPLETIONS['fish']))}; complete -C {shlex.quote(line)}"])
    check(p.returncode == 0, p.stderr)
    return [w.split("\t")[0] for w in p.stdout.split("\n") if w]


@test
def fish_completes_commands_options_and_values():
    rules = rule_ids()
    check({"check", "route", "explain", "rules"} <= set(fish_complete("nix-builder-doctor ")), "commands")
    check("--format" in fish_complete("nix-builder-doctor --for"), "options")
    check(set(fish_complete("nix-builder-doctor --format j")) == {"json", "junit"}, "formats")
    check(set(fish_complete("nix-builder-doctor rules ")) >= set(rules), "rules ID")
    check(rules[0] + "=warning" in fish_complete(f"nix-builder-doctor --severity {rules[0]}=w"), "--severity ID=LEVEL")


print(f"packaging: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
