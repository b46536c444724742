#!/usr/bin/env python3
"""Whole-process benchmarks of an offline check (not a test: it prints figures).

1. A typical setup: examples/healthy (one builder, its files given with --remote-root).
2. A 1000-builder machines file, each builder with its own pinned host key, and the same
   builders in root's known_hosts.
3. A peer in the same run: `ssh -G HOST` for each of the 1000 builders, the least a shell
   script checking each builder's ssh configuration would do.

Prints the median wall time and the peak RSS of the doctor (from wait4's rusage).
Usage: scripts/bench.py BINARY [RUNS]
"""
import base64, os, resource, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

def measure(argv, runs):
    walls, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        peaks.append(usage.ru_maxrss / 1024.0)  # KiB -> MiB
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            sys.exit(f"bench: {' '.join(argv)} exited {code}")
    return statistics.median(walls), max(peaks)

def prepare(name, dest):
    subprocess.run([os.path.join(ROOT, "examples", "prepare.sh"), name, dest], check=True)
    with open(os.path.join(dest, "args")) as f:
        return [line.strip().replace("@DIR@", dest) for line in f if line.strip()]

def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory() as tmp:
        typical = os.path.join(tmp, "typical")
        args = prepare("healthy", typical)
        wall, rss = measure([binary, "--offline", "--root", os.path.join(typical, "root")] + args, runs)
        print(f"typical setup (examples/healthy): {wall * 1000:.1f} ms wall (median of {runs}), {rss:.1f} MiB peak RSS")

        big = os.path.join(tmp, "big")
        prepare("healthy", big)
        host_pub = open(os.path.join(ROOT, "tests", "tools", "keys", "builder_host.pub")).read().strip()
        pin = base64.b64encode((host_pub + "\n").encode()).decode()
        hosts = [f"builder{i:04d}.example.org" for i in range(1000)]
        with open(os.path.join(big, "root", "etc", "nix", "machines"), "w") as f:
            for h in hosts:
                f.write(f"ssh-ng://nixbuild@{h} x86_64-linux,aarch64-linux /root/.ssh/nixbuild 8 2 big-parallel,kvm - {pin}\n")
        with open(os.path.join(big, "root", "etc", "ssh", "ssh_known_hosts"), "w") as f:
            for h in hosts:
                f.write(f"{h} {host_pub}\n")
        wall, rss = measure([binary, "--offline", "--root", os.path.join(big, "root"), "--user", "alice"], max(3, runs // 4))
        print(f"1000 builders: {wall * 1000:.0f} ms wall (median of {max(3, runs // 4)}), {rss:.1f} MiB peak RSS")

        script = os.path.join(tmp, "peer.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nfor h in " + " ".join(hosts) + "; do ssh -G -F /dev/null \"$h\" >/dev/null; done\n")
        os.chmod(script, 0o755)
        peer_wall, _ = measure([script], 3)
        print(f"peer: 'ssh -G' for each of the 1000 builders: {peer_wall * 1000:.0f} ms wall "
              f"(the doctor's whole check takes {wall / peer_wall:.2f}x that)")

main()
