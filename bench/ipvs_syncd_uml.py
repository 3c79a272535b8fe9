#!/usr/bin/env python3
"""Benchmark: the gap 200 long-lived TCP connections through an IPVS NAT virtual server see
when the master director dies and when it comes back, with the kernel's sync daemons
(lvs_sync_daemon) driven by vigild, and by keepalived 2.2.7 in the same UML run.

The lab of tests/lab/test_ipvs_syncd_uml.py (tests/lab/syncd_uml_cases.py, inside one
User-Mode Linux kernel): two directors (VRRP advert_int 1, priorities 150 / 100,
preempt_delay 10, net.ipv4.vs.sync_threshold "3 10"), two real servers round robin; each
connection exchanges a line every 100 ms and the client notes every time more than 0.5 s
passes between two echoes. Failover: lb1's daemon (every process) gets SIGKILL and its box
goes (link down, namespace removed); lb2 takes over at its master-down timer. Failback: lb1
comes back as from a reboot (fresh namespace), learns the connections as BACKUP and preempts
after preempt_delay; then lb2's link goes down. Per daemon and phase: the connections that
saw a gap, and the gap's p50 / p99 / max over them (seconds).
"""
import json
import os
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here / "lib"))
sys.path.insert(0, str(here.parent / "tests" / "lab"))
import benchlib as bl  # noqa: E402
import syncd_uml_cases as cases  # noqa: E402
import uml  # noqa: E402

RUNS = 2


def summary(gaps: list[float]) -> str:
    if not gaps:
        return f"0/{cases.CONNECTIONS}"
    return (f"{len(gaps)}/{cases.CONNECTIONS}: {bl.quantile(gaps, 0.5):.2f} / "
            f"{bl.quantile(gaps, 0.99):.2f} / {max(gaps):.2f}")


def one_run() -> dict:
    build = str(bl.build_dir())
    driver = ["/usr/bin/python3", cases.__file__, "--results", uml.GUEST_RESULTS,
              "--vigild", bl.vigild_path(), "--only", "sync", "keepalived_sync"]
    run = uml.boot(driver, build, modules=cases.MODULES, boot_timeout=90,
                   case_timeout=150, total_timeout=400)
    try:
        if run.unusable:
            print(f"skipped: {run.unusable}")
            sys.exit(0)
        out = {}
        for phase in ("sync", "keepalived_sync"):
            path = os.path.join(run.results_dir, f"{phase}.json")
            if not os.path.exists(path):
                raise RuntimeError(f"no result for {phase}: {run.error}\n{run.console_tail(30)}")
            with open(path) as f:
                out[phase] = json.load(f)
            if out[phase]["error"]:
                raise RuntimeError(f"{phase}: {out[phase]['error']}")
        return out
    finally:
        run.close()


def main() -> int:
    if not bl.need_root():
        return 0
    rows = []
    for n in range(RUNS):
        r = one_run()
        for phase, who in (("sync", "vigild"), ("keepalived_sync", "keepalived 2.2.7")):
            p = r[phase]
            rows.append([f"run {n + 1} {who}: failover", summary(p["failover_gaps"]),
                         f"{p['failover_exchanging']}/{cases.CONNECTIONS} went on; takeover "
                         f"{p['takeover_seconds']:.2f} s after the kill"])
            rows.append([f"run {n + 1} {who}: failback", summary(p["failback_gaps"]),
                         f"{p['failback_exchanging']}/{cases.CONNECTIONS} went on; all learned "
                         f"{p['lb1_learned_after']:.1f} s after the restart "
                         f"({p['lb1_learned_state']})"])
    bl.print_table(["phase", "connections with a gap: p50 / p99 / max (s)", "notes"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
