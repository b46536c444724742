#!/usr/bin/env python3
"""Live benchmark (not a test): a full check of N healthy loopback builders against the peer a
person would otherwise run, a sequential `nix store ping` over the same builders, in one run.

Uses the test lab (tests/lab/lab.py): real sshd and Nix builders in private namespaces, so it
needs root. Usage: scripts/bench_live.py BINARY [N] [RUNS]
"""
import os, statistics, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))
import lab as L  # noqa: E402


def timed(lab, argv, runs):
    walls = []
    for _ in range(runs):
        start = time.monotonic()
        rc, out, err = lab.client_exec(argv, timeout=300)
        walls.append(time.monotonic() - start)
        if rc not in (0, 1):
            sys.exit(f"bench: {argv[0]} exited {rc}: {err[-500:]}")
    return statistics.median(walls)


def main():
    binary = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    if os.geteuid() != 0:
        sys.exit("bench_live: needs root (the lab uses namespaces and sshd)")
    with L.Lab() as lab:
        for i in range(n):
            lab.add_builder(f"bench{i}", "healthy-root", scheme="ssh" if i % 2 else "ssh-ng")
        lab.start()
        doctor = timed(lab, [binary, "--format", "json", "--timeout", "10"], runs)
        loop = "for u in " + " ".join(b.uri for b in lab.builders.values()) + \
               "; do nix --extra-experimental-features nix-command store ping --store \"$u\" >/dev/null || exit 1; done"
        peer = timed(lab, ["sh", "-c", loop], runs)
    print(f"{n} loopback builders, median of {runs}:")
    print(f"  nix-builder-doctor check (X-ray + ground truth + files over SSH, --jobs 16): {doctor:.2f} s")
    print(f"  sequential nix store ping over the same builders: {peer:.2f} s ({peer / n:.2f} s per builder)")
    print(f"  the doctor's whole check takes {doctor / peer:.2f}x the ping loop")


main()
