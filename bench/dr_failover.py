#!/usr/bin/env python3
"""Benchmark: the gap 200 long-lived TCP connections see when the master director of an
nftables DR + mh virtual server dies and when it comes back, with no state synced.

The lab of tests/lab/test_lb_dr_failover.py: two directors (VRRP advert_int 1, priorities
150 and 100) with the same DR + mh virtual server over three real servers that answer the
client directly; each connection exchanges a line every 100 ms. The client notes every time
more than 0.5 s passes between two echoes of a connection. Failover: lb1's vigild gets
SIGKILL and its link goes down; lb2 takes the VIP when its master-down timer ends (3 x 1 s
+ skew (256 - 100) / 256 s = 3.61 s) and the connections go on at their next TCP
retransmission, each to the real server it had (same Maglev table). Failback: lb1 comes
back as from a reboot and preempts; lb2's link goes down once lb1 is master. For each phase
the table gives the connections that saw a gap and the gap's p50 / p99 / max (seconds).
Beside it, bench/conntrackd_failover.py gives the same for NAT with conntrackd.
"""
import sys
import time
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here / "lib"))
sys.path.insert(0, str(here.parent / "tests" / "lab"))
import benchlib as bl  # noqa: E402
import lab as lablib  # noqa: E402
import test_lb_dr_failover as drf  # noqa: E402

RUNS = 3


def gaps_after(conns, start: float, end: float) -> list[float]:
    """Each connection's largest gap that was still open at `start` or began before `end`."""
    out = []
    for _, _, _, gaps in conns.conns():
        mine = [length for begin, length in gaps if begin + length > start and begin < end]
        if mine:
            out.append(max(mine))
    return out


def one_run() -> tuple[list[float], list[float], list[str], bool]:
    with lablib.Lab() as lab:
        d = drf.DrFailoverLab(lab, bl.vigild_path())
        d.start()
        lb1, lb2 = d.lbs
        d.conns.start()
        d.all_exchanging_after(time.monotonic(), "through lb1")
        before = d.placement()
        d.kill(0)
        t_dead = time.monotonic()
        d.all_exchanging_after(t_dead, "through lb2")
        time.sleep(1)
        t_back = time.monotonic()
        d.restart_lb1()
        lablib.wait_until(lambda: d.state(lb1) == "MASTER" and d.state(lb2) == "BACKUP",
                          timeout=20, message="lb1 master again")
        lablib.wait_until(lambda: d.scheduled(lb1) == 3, timeout=20, message="lb1's table")
        d.kill(1)
        d.all_exchanging_after(time.monotonic(), "through lb1")
        time.sleep(1)
        same = d.placement() == before
        return (gaps_after(d.conns, t_dead, t_back), gaps_after(d.conns, t_back, time.monotonic()),
                d.conns.errors(), same)


def summary(gaps: list[float]) -> str:
    if not gaps:
        return f"0/{drf.CONNECTIONS}"
    return (f"{len(gaps)}/{drf.CONNECTIONS}: {bl.quantile(gaps, 0.5):.2f} / "
            f"{bl.quantile(gaps, 0.99):.2f} / {max(gaps):.2f}")


def main() -> int:
    if not bl.need_root():
        return 0
    rows = []
    for run in range(RUNS):
        over, back, errors, same = one_run()
        rows.append([f"run {run + 1}: failover (connections with a gap: p50 / p99 / max s)",
                     summary(over), "3.61 s master-down interval, from lb1's last advert "
                     "(0-1 s before the kill)"])
        rows.append([f"run {run + 1}: failback", summary(back), "no gap over 0.5 s"])
        rows.append([f"run {run + 1}: connections on the same real server", "yes" if same else "NO",
                     "yes"])
        if errors:
            rows.append([f"run {run + 1}: connections broken", str(len(errors)), "0"])
    bl.print_table(["metric", "vigil DR + mh, no sync", "reference"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
