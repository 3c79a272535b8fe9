#!/usr/bin/env python3
"""Benchmark: the gap 200 long-lived TCP connections see when the master director dies and
when it comes back, in two modes (--mode, default both):

  conntrackd  The lab of tests/lab/test_conntrackd_failover.py: an nftables NAT virtual
              server on two directors whose conntrackd daemons, driven by vigild
              (vigil_conntrackd), replicate the connection table (FTFW) over a link of their
              own. Failover: lb1's vigild and conntrackd get SIGKILL and its links go down;
              lb2 takes over, commits lb1's connections and they go on. Failback: lb1 comes
              back as from a reboot, learns the connections as BACKUP and takes them back
              after its own master-down timer (it preempts).
  dr          The lab of tests/lab/test_lb_dr_failover.py: the same directors with an
              nftables DR + mh virtual server over three real servers that answer the client
              directly, no state synced. Failover: lb1's vigild gets SIGKILL and its link goes
              down; lb2 takes the VIP and the connections go on, each to the real server it
              had (same Maglev table). Failback: lb1 comes back as from a reboot and preempts;
              lb2's link goes down once lb1 is master.

Both: VRRP advert_int 1, priorities 150 and 100; each connection exchanges a line every
100 ms; the client notes every time more than 0.5 s passes between two echoes of a
connection. lb2 takes over when its master-down timer ends (3 x 1 s + skew (256 - 100) / 256
s = 3.61 s after lb1's last advert) and the connections go on at their next TCP
retransmission. For each phase the table gives the connections that saw a gap and the gap's
p50 / p99 / max (seconds), per run.
"""
import argparse
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
import test_lb_dr_failover as drf  # noqa: E402

RUNS = 3


def conntrackd_run(lab) -> tuple:
    """One failover and failback with conntrackd: (connections, t_dead, t_back, None)."""
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
    return ct.client_conns, t_dead, t_back, None


def dr_run(lab) -> tuple:
    """One failover and failback with DR + mh: (connections, t_dead, t_back, whether every
    connection kept its real server)."""
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
    return d.conns, t_dead, t_back, d.placement() == before


def conntrackd_missing() -> str:
    if os.access("/usr/sbin/conntrackd", os.X_OK):
        return ""
    return "conntrackd is not installed (scripts/install-deps.sh installs it)"


# mode: (one run, its column, why it cannot run here)
MODES = {
    "conntrackd": (conntrackd_run, "vigil + conntrackd", conntrackd_missing),
    "dr": (dr_run, "vigil DR + mh, no sync", lambda: ""),
}


def summary(gaps: list[float], n: int) -> str:
    if not gaps:
        return f"0/{n}"
    return (f"{len(gaps)}/{n}: {bl.quantile(gaps, 0.5):.2f} / "
            f"{bl.quantile(gaps, 0.99):.2f} / {max(gaps):.2f}")


def measure(mode: str, runs: int) -> None:
    one_run, column, missing = MODES[mode]
    why = missing()
    if why:
        print(f"{mode} skipped: {why}")
        return
    rows = []
    for run in range(runs):
        with lablib.Lab() as lab:
            conns, t_dead, t_back, same = one_run(lab)
            over = conns.gaps_between(t_dead, t_back)
            back = conns.gaps_between(t_back, time.monotonic())
            errors = conns.errors()
        rows.append([f"run {run + 1}: failover (connections with a gap: p50 / p99 / max s)",
                     summary(over, conns.n), "3.61 s master-down interval, from lb1's last "
                     "advert (0-1 s before the kill)"])
        rows.append([f"run {run + 1}: failback", summary(back, conns.n), "no gap over 0.5 s"])
        if same is not None:
            rows.append([f"run {run + 1}: connections on the same real server",
                         "yes" if same else "NO", "yes"])
        if errors:
            rows.append([f"run {run + 1}: connections broken", str(len(errors)), "0"])
    bl.print_table(["metric", column, "reference"], rows)
    print()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=[*MODES, "both"], default="both")
    ap.add_argument("--runs", type=int, default=RUNS)
    args = ap.parse_args()
    if not bl.need_root():
        return 0
    for mode in MODES if args.mode == "both" else [args.mode]:
        measure(mode, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
