#!/usr/bin/env python3
"""Benchmark: the gap 200 long-lived TCP connections see when the master director dies and
when it comes back, with vigild driving conntrackd (vigil_conntrackd).

The lab of tests/lab/test_conntrackd_failover.py: an nftables NAT virtual server on two
directors (VRRP advert_int 1, priorities 150 and 100) whose conntrackd daemons replicate
the connection table (FTFW) over a link of their own; each connection exchanges a line
every 100 ms. The client notes every time more than 0.5 s passes between two echoes of a
connection. Failover: lb1's vigild and conntrackd get SIGKILL and its links go down; lb2
takes over when its master-down timer ends (3 x 1 s + skew (256 - 100) / 256 s = 3.61 s),
commits lb1's connections and they go on at their next TCP retransmission. Failback: lb1
comes back as from a reboot, learns the connections as BACKUP and takes them back after its
own master-down timer (it preempts). For each phase the table gives the connections that
saw a gap and the gap's p50 / p99 / max over them (seconds), per run.
"""
import os
import sys
import time
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here / "lib"))
sys.path.insert(0, str(here.parent / "tests" / "lab"))
import benchlib as bl  # noqa: E402
import lab as lablib  # noqa: E402
import test_conntrackd_failover as ctf  # noqa: E402

RUNS = 3


def gaps_after(ct, start: float, end: float) -> list[float]:
    """Each connection's largest gap that was still open at `start` or began before `end`."""
    out = []
    for _, _, _, gaps in ct.conns():
        mine = [length for begin, length in gaps if begin + length > start and begin < end]
        if mine:
            out.append(max(mine))
    return out


def one_run() -> tuple[list[float], list[float], list[str]]:
    with lablib.Lab() as lab:
        ct = ctf.ConntrackdLab(lab, bl.vigild_path(), with_conntrackd=True)
        ct.start()
        ctf.establish(ct)
        lb1, lb2 = ct.lbs
        lablib.wait_until(lambda: ct.external_connections(lb2) == ctf.CONNECTIONS,
                          timeout=15, message="lb2's external cache")
        ct.kill_master()
        t_dead = time.monotonic()
        lablib.wait_until(lambda: ct.exchanging_since(t_dead) == ctf.CONNECTIONS, timeout=60,
                          message="every connection through lb2")
        time.sleep(1)
        t_back = time.monotonic()
        ct.restart_master()
        lablib.wait_until(lambda: ct.state(lb1) == "MASTER" and ct.state(lb2) == "BACKUP",
                          timeout=20, message="lb1 master again")
        t_master = time.monotonic()
        lablib.wait_until(lambda: ct.exchanging_since(t_master) == ctf.CONNECTIONS,
                          timeout=60, message="every connection through lb1")
        time.sleep(1)
        errors = ct.errors()
        return gaps_after(ct, t_dead, t_back), gaps_after(ct, t_back, time.monotonic()), errors


def summary(gaps: list[float]) -> str:
    if not gaps:
        return f"0/{ctf.CONNECTIONS}"
    return (f"{len(gaps)}/{ctf.CONNECTIONS}: {bl.quantile(gaps, 0.5):.2f} / "
            f"{bl.quantile(gaps, 0.99):.2f} / {max(gaps):.2f}")


def main() -> int:
    if not bl.need_root():
        return 0
    if not os.access("/usr/sbin/conntrackd", os.X_OK):
        print("skipped: conntrackd is not installed (scripts/install-deps.sh installs it)")
        return 0
    rows = []
    for run in range(RUNS):
        over, back, errors = one_run()
        rows.append([f"run {run + 1}: failover (connections with a gap: p50 / p99 / max s)",
                     summary(over), "3.61 s master-down interval, from lb1's last advert (0-1 s before the kill)"])
        rows.append([f"run {run + 1}: failback", summary(back), "no gap over 0.5 s"])
        if errors:
            rows.append([f"run {run + 1}: connections broken", str(len(errors)), "0"])
    bl.print_table(["metric", "vigil + conntrackd", "reference"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
