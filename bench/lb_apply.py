#!/usr/bin/env python3
"""Benchmark: applying load-balancer state to nftables through vigil's lb layer.

bench_lb_apply (bench/lb_apply.cc) drives lb::LoadBalancer over the nftables backend
(libnftables in-process for the table's structure, netlink batches for real-server
changes, as vigild) in a fresh network namespace: 100 virtual servers x 100 real
servers (10,000) into an empty `table inet vigil`, then one real server's weight changed,
one removed and added back, a restart's adoption (read + parse of the whole table) and the
shutdown. It dumps the table with `nft list table inet vigil` and writes the nft text of the
weight change.

Reference: the nft command line, each in a fresh namespace: `nft -f` of the dumped ruleset
(the same 10,000 servers) into an empty namespace, and `nft -f` of vigil's weight-change
text on top of it. Times are the best and median of --runs.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
import benchlib as bl  # noqa: E402

# Times `nft -f LOAD` (or, with PRE, `nft -f PRE` first, untimed) in a fresh namespace.
TIMED_NFT = r'''
set -e
[ -n "$2" ] && nft -f "$2"
s=$(date +%s%N); nft -f "$1"; e=$(date +%s%N)
echo $((e - s))
'''


def timed_nft(load: str, pre: str = "") -> float:
    out = subprocess.run(["unshare", "--net", "/bin/sh", "-c", TIMED_NFT, "timed", load, pre],
                         capture_output=True, text=True, timeout=600, check=True).stdout
    return int(out.strip().splitlines()[-1]) / 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--reals", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scheduler", default="wrr")
    ap.add_argument("--fifo", action="store_true",
                    help="run bench_lb_apply at SCHED_FIFO (chrt -f 10), so that the other "
                         "work of a busy machine does not preempt it")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        return 0
    exe = bl.bench_binary("lb_apply")
    if not bl.have(exe):
        print(f"skipped: {exe} is not built (cmake --build <dir> --target bench_lb_apply)")
        return 0
    total = args.services * args.reals
    runs = []
    with tempfile.TemporaryDirectory(prefix="vigil-bench-lb-") as d:
        dump = os.path.join(d, "vigil.nft")
        change = os.path.join(d, "change.nft")
        for i in range(args.runs):
            out = subprocess.run((["chrt", "-f", "10"] if args.fifo else []) +
                                 [exe, "--services", str(args.services), "--reals",
                                  str(args.reals), "--scheduler", args.scheduler, "--dump", dump,
                                  "--change-commands", change],
                                 capture_output=True, text=True, timeout=900)
            if out.returncode != 0:
                print(f"bench_lb_apply failed ({out.returncode}): {out.stderr.strip()}")
                return 1
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        dump_kib = os.path.getsize(dump) / 1024
        ref_load = [timed_nft(dump) for _ in range(args.runs)]
        ref_change = [timed_nft(change, dump) for _ in range(args.runs)]

    def best_med(values) -> str:
        return f"{min(values):.3f} / {bl.median(values):.3f}"

    def best_med_ms(values) -> str:
        return f"{bl.fmt_ms(min(values), 2)} / {bl.fmt_ms(bl.median(values), 2)}"

    r0 = runs[0]
    print(f"{args.services} virtual servers x {args.reals} real servers = {total} "
          f"({args.scheduler}); vigil's nft text for it: {r0['first_nft_bytes'] / 1024:.0f} KiB "
          f"in {len(r0['first_calls'])} libnftables calls; dumped ruleset {dump_kib:.0f} KiB; "
          f"best / median of {args.runs} runs")
    first = [r["first_apply_s"] for r in runs]
    nft_part = [sum(c["s"] for c in r["first_calls"]) for r in runs]
    weight = [r["weight_change_median_s"] for r in runs]
    rows = [
        [f"apply {total} servers to an empty table (s)", best_med(first), best_med(ref_load),
         "<= nft -f"],
        ["  of which inside libnftables (s)", best_med(nft_part), "", ""],
        ["change one real server's weight (ms)", best_med_ms(weight), best_med_ms(ref_change),
         "<= 1"],
        ["  of which the netlink batch, send to ack (ms)",
         best_med_ms([r["weight_batch_median_s"] for r in runs]), "", ""],
        ["  the same change as a whole desired state (ms)",
         best_med_ms([r["weight_change_whole_median_s"] for r in runs]), "", ""],
        ["remove one real server (ms)", best_med_ms([r["remove_one_median_s"] for r in runs]),
         "", "<= 1"],
        ["  of which the netlink batch (ms)",
         best_med_ms([r["remove_batch_median_s"] for r in runs]), "", ""],
        ["add one real server (ms)", best_med_ms([r["add_one_median_s"] for r in runs]), "",
         "<= 1"],
        ["  of which the netlink batch (ms)",
         best_med_ms([r["add_batch_median_s"] for r in runs]), "", ""],
        [f"every tenth server fails at once ({r0['mass']:,} in one pass) (ms)",
         best_med_ms([r["mass_fail_s"] for r in runs]), "", "<= 100"],
        ["  of which the netlink batch (ms)",
         best_med_ms([r["mass_fail_batch_s"] for r in runs]), "", ""],
        ["  and they all come back (ms)", best_med_ms([r["mass_back_s"] for r in runs]), "",
         "<= 100"],
        ["  of which the netlink batch (ms)",
         best_med_ms([r["mass_back_batch_s"] for r in runs]), "", ""],
        ["adopt the full table at restart: read+parse (s)",
         best_med([r["adopt_s"] for r in runs]), "", ""],
        ["shutdown: delete the table (ms)", best_med_ms([r["shutdown_s"] for r in runs]), "",
         ""],
    ]
    bl.print_table(["metric", "vigil (lb::LoadBalancer)", "reference (nft -f)", "target"],
                   rows)
    print(f"weight change: {r0['weight_change_ops']} reconciler op(s): a netlink batch of "
          f"{r0['weight_change_batch_bytes']} bytes; the same change as nft text (the "
          f"reference runs it with nft -f): {r0['weight_change_nft_bytes']} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
