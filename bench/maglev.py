#!/usr/bin/env python3
"""Benchmark: mh's Maglev table (lb/maglev.h) and its cost in the nftables backend.

bench_maglev (bench/maglev.cc), pure user space: the table's build time for 1,000 real
servers at 65,537 entries (the Maglev paper, NSDI 2016: 1.8 ms), at the size vigil picks for
1,000 and for 100; the share of entries (so of evenly spread flows) that change server when
one of 100 is removed, each of the 100 in turn (ideal: 1 %); and the netlink batch vigild
builds for that removal. With root, bench_lb_apply (bench/lb_apply.cc) then runs one mh
service of 100 real servers through lb::LoadBalancer in a fresh network namespace: the
first apply (libnftables, 65,537 slot elements), a weight change, a removal and an addition
(netlink batches), and adopting the table at a restart (listing it as JSON).
"""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
import benchlib as bl  # noqa: E402


def main() -> int:
    out = json.loads(subprocess.run([bl.bench_binary("maglev"), "--repeat", "21"],
                                    capture_output=True, text=True, check=True,
                                    timeout=300).stdout)
    ms = lambda s: f"{s['min_ms']:.2f} / {s['median_ms']:.2f}"  # noqa: E731
    removal = out["remove_1_of_100"]
    batch = out["batch_remove_1_of_100"]
    rows = [
        ["build, 1,000 servers, 65,537 entries (ms, min / median)",
         ms(out["build_1000_at_65537"]), "1.8 (paper)"],
        [f"build, 1,000 servers, {out['vigil_size_1000']:,} entries (vigil's size) (ms)",
         ms(out["build_1000_at_vigil_size"]), ""],
        ["build, 100 servers, 65,537 entries (ms)", ms(out["build_100_at_65537"]), ""],
        ["one of 100 removed: entries moved (%, mean / min / max)",
         f"{removal['moved_mean'] * 100:.2f} / {removal['moved_min'] * 100:.2f} / "
         f"{removal['moved_max'] * 100:.2f}", "1.00 (ideal)"],
        ["  of which between servers that stay (%, mean / max)",
         f"{removal['between_others_mean'] * 100:.2f} / {removal['between_others_max'] * 100:.2f}",
         "0"],
        ["one of 100 removed: batch build (ms, min / median)",
         f"{batch['min_ms']:.2f} / {batch['median_ms']:.2f}", ""],
        ["  batch: elements changed, messages, bytes",
         f"{batch['elements_changed']:,}, {batch['messages']}, {batch['bytes']:,}", ""],
        ["first apply's nft text, 100 servers (ms, min / median)",
         ms(out["render_first_apply_100"]), ""],
    ]
    if bl.need_root():
        k = json.loads(subprocess.run(
            [bl.bench_binary("lb_apply"), "--services", "1", "--reals", "100", "--scheduler",
             "mh", "--repeat", "5"], capture_output=True, text=True, check=True,
            timeout=600).stdout)
        rows += [
            ["kernel: first apply, 65,537 slots (s)", f"{k['first_apply_s']:.3f}", ""],
            ["kernel: weight change (ms, min / median)",
             f"{k['weight_change_min_s'] * 1e3:.1f} / {k['weight_change_median_s'] * 1e3:.1f}",
             ""],
            ["kernel: remove one / add one (ms, median)",
             f"{k['remove_one_median_s'] * 1e3:.1f} / {k['add_one_median_s'] * 1e3:.1f}", ""],
            ["kernel: adopt at restart (list + parse) (s)", f"{k['adopt_s']:.3f}", ""],
        ]
    bl.print_table(["metric", "vigil", "reference"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
