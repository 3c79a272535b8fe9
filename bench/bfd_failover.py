#!/usr/bin/env python3
"""Benchmark: a load balancer fails — when the router's BFD notices it (the moment a BGP
route withdrawal would start) beside VRRP failover, in the same runs; and VRRP failover
driven by BFD (track_bfd -> FAULT) when a load balancer loses its router.

Lab: rtr runs FRR's zebra + bfdd with a 100 ms x 3 session to each of r1 and r2; r1
(priority 150, the master) and r2 (priority 100) run vigild with VI_1 (VIP 10.99.0.100)
tracking their own bfd_instance towards rtr (track_bfd). bench/lib/bfd_sniff.py records the
BFD packets in rtr's and r1's namespaces (kernel timestamps). Cases, for VRRPv2 advert_int 1
and VRRPv3 advert_int 0.1 (--runs each, default 5):

  r1 killed:  every process of r1's vigild SIGKILLed (stopped first, as bench/failover.py
              does). Figures: bfdd on rtr declares r1 down (its log, us) after the kill and
              after r1's last packet; r2 logs "-> MASTER" (vigild's log, ms) after the kill.
              Without BFD the router keeps r1's routes for BGP's hold time: no BGP runs in
              this lab (issue 11's route injection is separate work), so that column is
              the hold time's definition, not a measurement.
  r1 cut off: rtr stops exchanging BFD with r1 (nftables in rtr drops both directions;
              VRRP on the LAN goes on). Figures, from the last packet of rtr that reached
              r1: r1's session Down, r1 "-> FAULT" (track_bfd; r1 sends a priority-0
              advert) and r2 "-> MASTER" (Skew_Time later).
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bfd_detect as bd  # noqa: E402
from bfd_detect import bl  # noqa: E402

VIP = "10.99.0.100"
CASES = [(2, 1.0), (3, 0.1)]


def vrrp_line(state: str) -> re.Pattern:
    return re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) vigild-vrrp\[\d+\]: VI_1: "
                      rf"\w+ -> {state}\b", re.M)


MASTER, FAULT = vrrp_line("MASTER"), vrrp_line("FAULT")


def conf(ctl: str, rtr: str, me: str, version: int, advert: float, priority: int) -> str:
    return (f"global_defs {{\n  vigil_control_socket {ctl}\n}}\n"
            f"bfd_instance rtr {{\n  neighbor_ip {rtr}\n  source_ip {me}\n"
            f"  min_rx {bd.INTERVAL_MS}\n  min_tx {bd.INTERVAL_MS}\n  multiplier {bd.MULT}\n}}\n"
            "vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n"
            f"  version {version}\n  priority {priority}\n  advert_int {advert:g}\n"
            f"  virtual_ipaddress {{\n    {VIP}/16\n  }}\n  track_bfd {{\n    rtr\n  }}\n}}\n")


def route_withdrawn_at(setup: "Setup", lb_node, after: float) -> float | None:
    """Hook for issue 11's BGP lab: returns when rtr's BGP withdrew `lb_node`'s routes
    (after `after`, realtime seconds), or None. No bgpd runs here yet, so always None; once
    one does (with and without `bfd` on its neighbors), this reads its log and kill_run's
    "withdrawn" column fills in."""
    del setup, lb_node, after
    return None


def times(pattern: re.Pattern, path: str) -> list[float]:
    return [bd.parse_vigil_time(m.group(1)) for m in pattern.finditer(bd.read(path))]


class Lb:
    def __init__(self, node, rtr, version: int, advert: float, priority: int):
        self.node = node
        self.v = bd.Vigild(node, "rtr", rtr.ipv4,
                           conf(f"{node.lab.workdir}/{node.short}.ctl", rtr.ipv4, node.ipv4,
                                version, advert, priority))

    def log_path(self) -> str:
        return self.v.proc.log_path

    def master(self) -> bool:
        return VIP in self.node.addresses("eth0")

    def kill(self) -> float:
        pids = [self.v.proc.pid] + bl.descendants(self.v.proc.pid)
        t = time.time()
        bl.kill_namespace(self.node, signal.SIGKILL, pids)
        self.v.proc.wait(timeout=10)
        return t


class Setup:
    def __init__(self, lab, version: int, advert: float):
        self.lab, self.advert = lab, advert
        self.rtr = lab.add_node("rtr")
        self.n1 = lab.add_node("r1")
        self.n2 = lab.add_node("r2")
        self.frr = bd.Frr(self.rtr, log_level="debugging")
        self.frr.start("log timestamp precision 6\ndebug bfd peer\nbfd\n" +
                       "".join(f" peer {n.ipv4} local-address {self.rtr.ipv4}\n"
                               f"  receive-interval {bd.INTERVAL_MS}\n"
                               f"  transmit-interval {bd.INTERVAL_MS}\n"
                               f"  detect-multiplier {bd.MULT}\n !\n"
                               for n in (self.n1, self.n2)) + "!\n")
        self.r1 = Lb(self.n1, self.rtr, version, advert, 150)
        self.steady(r2_running=False)
        self.r2 = Lb(self.n2, self.rtr, version, advert, 100)
        self.sniff_rtr = bd.Sniffer(self.rtr, 3600)
        self.sniff_r1 = bd.Sniffer(self.n1, 3600)
        self.steady()

    def frr_up(self, node) -> bool:
        p = self.frr.peer(node.ipv4)
        return p.get("status") == "up" and p.get("remote-transmit-interval") == bd.INTERVAL_MS

    def steady(self, r2_running: bool = True) -> None:
        def ok() -> bool:
            if not (self.r1.v.steady() and self.frr_up(self.n1) and self.r1.master()):
                return False
            return not r2_running or (self.r2.v.steady() and self.frr_up(self.n2) and
                                      not self.r2.master())
        bl.lablib.wait_until(ok, timeout=30 + 4 * self.advert, interval=0.1,
                             message="r1 master, r2 backup, every BFD session Up at 100 ms")
        time.sleep(max(1.0, 3 * self.advert))

    def frr_downs(self, node) -> list[float]:
        return [bd.parse_frr_time(m.group(1)) for m in bd.FRR_DOWN.finditer(self.frr.log())
                if m.group(2) == node.ipv4]

    def last_from(self, sniff, src: str, before: float) -> float | None:
        heard = [p["t"] for p in sniff.packets() if p["src"] == src and "t" in p and
                 p["t"] <= before]
        return max(heard) if heard else None

    def kill_run(self) -> dict:
        frr_before = len(self.frr_downs(self.n1))
        m2_before = len(times(MASTER, self.r2.log_path()))
        t_kill = self.r1.kill()
        bl.lablib.wait_until(lambda: len(self.frr_downs(self.n1)) > frr_before and
                             len(times(MASTER, self.r2.log_path())) > m2_before,
                             timeout=10 + 4 * self.advert, interval=0.05,
                             message="bfdd's r1 down and r2 master")
        t_frr = self.frr_downs(self.n1)[frr_before]
        t_m2 = times(MASTER, self.r2.log_path())[m2_before]
        t_withdrawn = route_withdrawn_at(self, self.n1, t_kill)
        time.sleep(0.2)
        last = self.last_from(self.sniff_rtr, self.n1.ipv4, t_frr)
        # r1's kernel keeps the VIP after the kill; a restarted vigild starts clean.
        self.n1.run([bl.IP, "addr", "del", f"{VIP}/16", "dev", "eth0"], check=False)
        self.r1.v.restart()
        self.steady()
        return {"bfd_kill": t_frr - t_kill, "bfd_last": None if last is None else t_frr - last,
                "vrrp_kill": t_m2 - t_kill,
                "withdrawn": None if t_withdrawn is None else t_withdrawn - t_kill}

    def nft_cut(self, on: bool) -> None:
        if not on:
            self.rtr.run([bl.NFT, "delete", "table", "inet", "bfdcut"], check=False)
            return
        a = self.n1.ipv4
        self.rtr.run([bl.NFT, "-f", "-"], input_text=(
            "table inet bfdcut {\n"
            f" chain out {{ type filter hook output priority 0; ip daddr {a} udp dport 3784 drop; }}\n"
            f" chain in {{ type filter hook input priority 0; ip saddr {a} udp dport 3784 drop; }}\n"
            "}\n"))

    def cut_run(self) -> dict:
        d1_before = len(self.r1.v.downs())
        f1_before = len(times(FAULT, self.r1.log_path()))
        m2_before = len(times(MASTER, self.r2.log_path()))
        self.nft_cut(True)
        try:
            bl.lablib.wait_until(lambda: len(times(FAULT, self.r1.log_path())) > f1_before and
                                 len(times(MASTER, self.r2.log_path())) > m2_before,
                                 timeout=10 + 4 * self.advert, interval=0.05,
                                 message="r1 in FAULT and r2 master")
        finally:
            self.nft_cut(False)
        downs = self.r1.v.downs()
        t_d1 = downs[d1_before] if len(downs) > d1_before else None
        t_f1 = times(FAULT, self.r1.log_path())[f1_before]
        t_m2 = times(MASTER, self.r2.log_path())[m2_before]
        time.sleep(0.2)
        last = self.last_from(self.sniff_r1, self.rtr.ipv4, t_d1) if t_d1 else None
        self.steady()
        if last is None:
            return {"bfd_last": None, "fault_last": None, "master_last": None}
        return {"bfd_last": t_d1 - last, "fault_last": t_f1 - last, "master_last": t_m2 - last}

    def close(self) -> None:
        self.sniff_rtr.stop()
        self.sniff_r1.stop()


def cell(vals) -> str:
    ok = [v for v in vals if v is not None]
    if not ok:
        return "n/a"
    text = f"{bl.fmt_ms(min(ok))} / {bl.fmt_ms(statistics.median(ok))} / {bl.fmt_ms(max(ok))}"
    if len(ok) < len(vals):
        text += f" ({len(vals) - len(ok)} n/a)"
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not bl.need_root():
        return 0
    why = bd.frr_missing()
    if why:
        print(f"skipped: {why}")
        return 0
    rows = []
    for version, advert in CASES:
        label = f"v{version} advert_int {advert:g}"
        with bl.lablib.Lab() as lab:
            s = Setup(lab, version, advert)
            try:
                kills, cuts = [], []
                for i in range(args.runs):
                    r = s.kill_run()
                    kills.append(r)
                    print(f"  {label} r1 killed, run {i + 1}: bfdd down {bl.fmt_ms(r['bfd_kill'])} "
                          f"ms after the kill ({bl.fmt_ms(r['bfd_last'])} after r1's last "
                          f"packet), r2 master {bl.fmt_ms(r['vrrp_kill'])} ms after", flush=True)
                for i in range(args.runs):
                    r = s.cut_run()
                    cuts.append(r)
                    print(f"  {label} r1 cut off, run {i + 1}: r1's BFD down "
                          f"{bl.fmt_ms(r['bfd_last'])} ms, r1 FAULT "
                          f"{bl.fmt_ms(r['fault_last'])} ms and r2 master "
                          f"{bl.fmt_ms(r['master_last'])} ms after rtr's last packet",
                          flush=True)
            finally:
                s.close()
        mdi = 3 * advert + (256 - 100) * advert / 256
        rows += [
            [f"{label}: r1 killed, rtr's bfdd declares r1 down (from the kill)",
             cell([r["bfd_kill"] for r in kills]), "<= 300"],
            [f"{label}: r1 killed, rtr's bfdd declares r1 down (from r1's last packet)",
             cell([r["bfd_last"] for r in kills]), "300"],
            [f"{label}: r1 killed, BGP withdraws r1's routes (from the kill)",
             cell([r["withdrawn"] for r in kills]) if any(r["withdrawn"] for r in kills)
             else "not measured (no BGP yet)",
             "with BFD: the row above; without: BGP hold time (FRR default 180 s)"],
            [f"{label}: r1 killed, VRRP: r2 master (from the kill)",
             cell([r["vrrp_kill"] for r in kills]), f"<= {bl.fmt_ms(mdi)} (Master_Down)"],
            [f"{label}: r1 cut off, r1's BFD down (from rtr's last packet)",
             cell([r["bfd_last"] for r in cuts]), "300"],
            [f"{label}: r1 cut off, r1 FAULT by track_bfd (same origin)",
             cell([r["fault_last"] for r in cuts]), "300"],
            [f"{label}: r1 cut off, r2 master (same origin)",
             cell([r["master_last"] for r in cuts]),
             f"{bl.fmt_ms(0.3 + (256 - 100) * advert / 256)} (300 + Skew_Time)"],
        ]
    print()
    print(f"failure detection and failover (ms, min / median / max of {args.runs} runs)")
    bl.print_table(["metric", "vigil + FRR bfdd", "target"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
