#!/usr/bin/env python3
"""Benchmark: parse and validate a generated keepalived.conf with 1,000 vrrp_instances and
10,000 real servers, with `vigild -t` and (as the reference) Debian's `keepalived -t`.

Prints wall time (best of N runs) and peak RSS for each, side by side. Target for vigil:
under 0.3 s and under 100 MB. Runs each command in an empty network namespace when root.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def generate(path: Path, instances: int, virtual_servers: int, reals_per_vs: int) -> None:
    out = ["global_defs {", "  router_id bench", "  enable_script_security", "}"]
    for i in range(instances):
        vrid = i % 255 + 1
        iface = f"eth{i // 255}"
        out += [
            f"vrrp_instance VI_{i} {{",
            "  state BACKUP",
            f"  interface {iface}",
            f"  virtual_router_id {vrid}",
            f"  priority {100 + i % 100}",
            "  advert_int 1",
            "  authentication {", "    auth_type PASS", "    auth_pass secret", "  }",
            "  virtual_ipaddress {",
            f"    10.{100 + i // 65536 % 100}.{i // 256 % 256}.{i % 256}/32",
            "  }",
            "}",
        ]
    for v in range(virtual_servers):
        out += [
            f"virtual_server 10.200.{v // 256}.{v % 256} 80 {{",
            "  delay_loop 5", "  lb_algo rr", "  lb_kind NAT", "  protocol TCP",
        ]
        for r in range(reals_per_vs):
            n = v * reals_per_vs + r
            out += [
                f"  real_server 10.201.{n // 256 % 256}.{n % 256} {8000 + n // 65536} {{",
                "    weight 1",
                "    TCP_CHECK {", "      connect_timeout 3", "    }",
                "  }",
            ]
        out.append("}")
    path.write_text("\n".join(out) + "\n")


def measure(cmd, runs):
    """Returns (best wall s, mean CPU s (user+sys), peak RSS MiB, exit code) over `runs` runs.

    Wall time includes waiting for a CPU on a busy machine; CPU time does not."""
    best = float("inf")
    code = None
    start = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=600)
        best = min(best, time.perf_counter() - t0)
        code = proc.returncode
    end = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime) / runs
    # The largest resident set of any child this process has waited for (KiB).
    return best, cpu, end.ru_maxrss / 1024.0, code


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--virtual-servers", type=int, default=100)
    ap.add_argument("--reals-per-vs", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--vigild", default=str(Path(os.environ.get(
        "VIGIL_BUILD", ROOT / "build" / "release")) / "apps" / "vigild"))
    args = ap.parse_args()

    prefix = ["unshare", "--net"] if os.geteuid() == 0 and shutil.which("unshare") else []
    with tempfile.TemporaryDirectory() as d:
        conf = Path(d) / "keepalived.conf"
        generate(conf, args.instances, args.virtual_servers, args.reals_per_vs)
        size_kib = conf.stat().st_size / 1024
        print(f"config: {args.instances} vrrp_instance, "
              f"{args.virtual_servers * args.reals_per_vs} real_server, {size_kib:.0f} KiB")
        rows = [("vigild -t", prefix + [args.vigild, "-t", "-f", str(conf)])]
        if shutil.which("keepalived"):
            rows.append(("keepalived -t (2.2.7)",
                         prefix + ["keepalived", "-t", "-f", str(conf), "-n", "-l"]))
        print(f"{'command':<24}{'best wall (s)':>15}{'CPU/run (s)':>13}{'peak RSS (MiB)':>16}"
              f"{'exit':>6}")
        # Measure each in its own process so RUSAGE_CHILDREN peaks are per command.
        for label, cmd in rows:
            best, cpu, rss, code = run_isolated(cmd, args.runs)
            print(f"{label:<24}{best:>15.3f}{cpu:>13.3f}{rss:>16.1f}{code:>6}")
        print("target (vigil): < 0.300 s, < 100 MiB "
              "(wall time is only meaningful on an otherwise idle machine)")


def run_isolated(cmd, runs):
    """Measures `cmd` from a fresh child so that peak RSS belongs to this command only."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        res = measure(cmd, runs)
        os.write(w, json.dumps(res).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return tuple(json.loads(data.decode()))


if __name__ == "__main__":
    sys.exit(main())
