#!/usr/bin/env python3
"""Live benchmark (not a test): a full check of healthy builders against the peer a person would
otherwise run, `nix store ping`, side by side in one run: wall time and client CPU (user + system
of the whole process tree, ssh included) for N loopback builders, and for builders behind a delay
line that adds a round trip time (tests/lab/delay_proxy.py; this kernel has no netem).

Uses the test lab (tests/lab/lab.py): real sshd and Nix builders in private namespaces, so it
needs root. Usage:
  scripts/bench_live.py BINARY [--before OTHER_BINARY] [--loopback 1,40] [--far 1,50] [--rtt-ms 50]
                        [--runs 3] [-- DOCTOR_ARGS]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_DIR = os.path.join(HERE, "..", "tests", "lab")
sys.path.insert(0, LAB_DIR)
import lab as L  # noqa: E402

PING = ["nix", "--extra-experimental-features", "nix-command", "store", "ping"]


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(lab, argv, runs, check=None):
    """Median wall and median client CPU (s) of `runs` runs of argv in the client namespace. The
    process tree's CPU: every descendant is waited for by its parent (ssh by the doctor or nix,
    those by nsenter, nsenter by us), so RUSAGE_CHILDREN's delta covers it."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu0, start = children_cpu(), time.monotonic()
        rc, out, err = lab.client_exec(argv, timeout=300)
        walls.append(time.monotonic() - start)
        cpus.append(children_cpu() - cpu0)
        if rc not in (0, 1):
            sys.exit(f"bench: {argv[0]} exited {rc}: {err[-800:]}")
        if check:
            check(out)
    return statistics.median(walls), statistics.median(cpus)


def write_in_place(path: str, text: str) -> None:
    # Bind-mounted files: keep the inode the client's mount points at.
    with open(path, "r+") as f:
        f.seek(0)
        f.write(text)
        f.truncate()


class Bench:
    def __init__(self, lab, binaries, runs, doctor_args):
        self.lab = lab
        self.binaries = binaries  # [(label, path)]
        self.runs = runs
        self.doctor_args = doctor_args
        self.machines_path = lab.client_path("/etc/nix/machines")
        self.hosts_path = lab.client_path("/etc/hosts")
        with open(self.hosts_path) as f:
            self.base_hosts = f.read().split("# lab builders\n")[0]
        self.rows = []
        self.incomplete = []

    def use(self, builders, far):
        """The machines file lists `builders`; their names go through the delay line if `far`."""
        write_in_place(self.machines_path, "".join(b.machine_line + "\n" for b in builders))
        write_in_place(self.hosts_path, self.base_hosts + "# lab builders\n" + "".join(
            f"{far_address(b) if far else b.address} {b.name}\n" for b in self.lab.builders.values()))

    def check_doctor(self, n):
        def check(out):
            doc = json.loads(out)
            builders = doc.get("builders", [])
            bad = [b.get("host", "?") for b in builders
                   if "snapshot" not in b.get("stage_ms", {}) or b.get("stages", {}).get("nix") != "ok"]
            if len(builders) != n or bad:
                self.incomplete.append(f"{n} builders: not every check made on {bad[:5]} (of {len(builders)})")
        return check

    def run(self, label, builders, far, ping_builders):
        self.use(builders, far)
        n = len(builders)
        loop = "for u in " + " ".join(b.uri for b in ping_builders) + \
               "; do " + " ".join(PING) + " --store \"$u\" >/dev/null || exit 1; done"
        p_wall, p_cpu = measure(self.lab, ["sh", "-c", loop], self.runs)
        # A peer that does the same parallel work on this machine: one ping per builder, all at once.
        # On a small machine the builders' sshd and nix share the client's cores, so this is what
        # "as fast as the machine allows" means for a fleet.
        together = "for u in " + " ".join(b.uri for b in builders) + "; do " + " ".join(PING) + \
                   " --store \"$u\" >/dev/null & done; wait"
        par_wall, _ = measure(self.lab, ["sh", "-c", together], self.runs)
        for name, binary in self.binaries:
            d_wall, d_cpu = measure(self.lab, [binary, "--format", "json", *self.doctor_args], self.runs,
                                    self.check_doctor(n))
            self.rows.append((f"{label}{name}", n, d_wall, d_cpu, len(ping_builders), p_wall, p_cpu, par_wall))
            print(f"{label}{name}: doctor {d_wall:.2f} s, {d_cpu * 1000 / n:.0f} ms CPU/builder; "
                  f"ping {p_wall:.2f} s, {p_cpu * 1000 / len(ping_builders):.0f} ms CPU/builder", flush=True)

    def report(self):
        print(f"\nmedian of {self.runs} runs; CPU = user+system of the client's whole process tree")
        print("| builders | doctor wall | doctor CPU/builder | ping loop (builders) | ping wall | ping CPU/builder "
              "| wall ratio | CPU/builder ratio | N pings at once | wall ratio to them |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for label, n, dw, dc, pn, pw, pc, par in self.rows:
            print(f"| {label} | {dw:.2f} s | {dc / n * 1000:.0f} ms | {pn} | {pw:.2f} s | {pc / pn * 1000:.0f} ms "
                  f"| {dw / pw:.2f}x | {(dc / n) / (pc / pn):.2f}x | {par:.2f} s | {dw / par:.2f}x |")
        for note in self.incomplete:
            print("incomplete run: " + note)


def far_address(b) -> str:
    # The delay line's listener for builder 127.0.0.K is 127.0.1.K.
    return "127.0.1." + b.address.rsplit(".", 1)[1]


def start_delay_line(lab, builders, one_way_ms):
    pairs = [f"{far_address(b)}:22={b.address}:22" for b in builders]
    log = os.path.join(lab.workdir, "delay_proxy.log")
    out = open(log, "ab")
    p = subprocess.Popen(["nsenter", f"--net=/proc/{lab._netns.popen.pid}/ns/net", "--",
                          sys.executable, os.path.join(LAB_DIR, "delay_proxy.py"), "--one-way-ms", str(one_way_ms),
                          "--seconds", "1800", *pairs],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(log) as f:
            if "listening on" in f.read():
                return p
        if p.poll() is not None:
            break
        time.sleep(0.05)
    stop_delay_line(p)
    sys.exit("bench: the delay line did not start: " + open(log).read()[-800:])


def stop_delay_line(p):
    if p.poll() is None:
        os.killpg(p.pid, 9)
    p.wait()


def counts(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main():
    ap = argparse.ArgumentParser(description="live benchmark: the doctor against nix store ping")
    ap.add_argument("binary")
    ap.add_argument("--before", help="another build of the doctor, measured in the same run (rows marked `before`)")
    ap.add_argument("--loopback", default="1,40", help="builder counts on loopback (default 1,40)")
    ap.add_argument("--far", default="1,50", help="builder counts behind the delay line (default 1,50)")
    ap.add_argument("--rtt-ms", type=float, default=50)
    ap.add_argument("--runs", type=int, default=3)
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.doctor_args = extra  # after --: more doctor arguments (default --timeout 10)
    if os.geteuid() != 0:
        sys.exit("bench_live: needs root (the lab uses namespaces and sshd)")
    binary = os.path.abspath(args.binary)
    doctor_args = args.doctor_args or ["--timeout", "10"]
    loopback, far = counts(args.loopback), counts(args.far)
    total = max(loopback + far + [1])
    with L.Lab() as lab:
        for i in range(total):
            lab.add_builder(f"bench{i}", "healthy-root", scheme="ssh" if i % 2 else "ssh-ng")
        lab.start(ready_timeout=max(10, total))
        builders = list(lab.builders.values())
        binaries = [("", binary)]
        if args.before:
            binaries = [(" (before)", os.path.abspath(args.before)), (" (after)", binary)]
        bench = Bench(lab, binaries, args.runs, doctor_args)
        for n in loopback:
            bench.run(f"{n} loopback", builders[:n], False, builders[:n])
        if far:
            proxy = start_delay_line(lab, builders[:max(far)], args.rtt_ms / 2)
            try:
                for n in far:
                    bench.run(f"{n} at {args.rtt_ms:g} ms RTT", builders[:n], True, builders[:1])
            finally:
                stop_delay_line(proxy)
        bench.report()
    print(f"(ping loop: sequential `nix store ping` over the listed builders; at {args.rtt_ms:g} ms RTT one ping)")


main()
