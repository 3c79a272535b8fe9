#!/usr/bin/env python3
"""Benchmark: a load balancer fails — when the router withdraws its BGP route, with BFD and
with the BGP hold timer alone, beside VRRP failover, in the same runs; and VRRP failover
driven by BFD (track_bfd -> FAULT) when a load balancer loses its router.

Lab: rtr runs FRR's zebra + bfdd with a 100 ms x 3 session to each of r1 and r2, and bgpd
(AS 65000, maximum-paths, `timers bgp 1 3`: keepalive 1 s, hold time 3 s, short but used in
practice; FRR's default is 60 / 180 s); r1 (priority 150, the master) and r2 (priority 100)
run vigild with VI_1 (VIP 10.99.0.100) tracking their own bfd_instance towards rtr
(track_bfd) — vigild's BFD engine answers rtr's sessions — and FRR's zebra + bgpd (ASes
65001, 65002, the same timers) announcing 10.99.0.200/32, so rtr routes it over both (ECMP).
`neighbor X bfd` in rtr's bgpd ties the sessions to BFD, or not (set at run time between the
two series). `ip -ts monitor route` in rtr gives the moment its kernel route leaves r1.
bench/lib/bfd_sniff.py records the BFD packets in rtr's and r1's namespaces (kernel
timestamps). Cases, for VRRPv2 advert_int 1 and VRRPv3 advert_int 0.1 (--runs each, default
5):

  r1 killed:  r1 dies as a machine does: its switch port goes down (nothing more leaves it,
              no TCP FIN of its BGP session either), then every process of its vigild is
              SIGKILLed; FRR's daemons stay, cut off, and the session comes back once the
              port is up again. --runs with BFD on rtr's BGP sessions, --runs without.
              Figures, from the kill: rtr's kernel route to 10.99.0.200 loses r1 (BFD Down
              ends the session at once; without BFD, the hold timer 3 s after r1's last
              keepalive, so 2-3 s after the kill); bfdd on rtr declares r1 down (its log,
              us; also from r1's last packet); r2 logs "-> MASTER" (vigild's log, ms).
  r1 cut off: rtr stops exchanging BFD with r1 (nftables in rtr drops both directions;
              VRRP on the LAN and BGP, without BFD then, go on). Figures, from the last packet of rtr that reached
              r1: r1's session Down, r1 "-> FAULT" (track_bfd; r1 sends a priority-0
              advert) and r2 "-> MASTER" (Skew_Time later).
"""
from __future__ import annotations

import argparse
import datetime
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
ANNOUNCED = "10.99.0.200"
CASES = [(2, 1.0), (3, 0.1)]
HOLD_S = 3
ROUTE_EVENT = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})\] (.*)$")


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


def bgp_conf(asn: int, router_id: str, peers: list[tuple[str, int]], announce: bool) -> str:
    """bgpd's configuration: eBGP with `peers` [(address, AS)], `timers bgp 1 3`; the router
    (announce False) takes every path (ECMP), a load balancer announces ANNOUNCED."""
    text = (f"log timestamp precision 6\nrouter bgp {asn}\n bgp router-id {router_id}\n"
            " bgp log-neighbor-changes\n no bgp ebgp-requires-policy\n"
            " no bgp network import-check\n bgp bestpath as-path multipath-relax\n"
            f" timers bgp 1 {HOLD_S}\n")
    for address, remote in peers:
        text += f" neighbor {address} remote-as {remote}\n neighbor {address} timers connect 1\n"
    text += " address-family ipv4 unicast\n"
    text += f"  network {ANNOUNCED}/32\n" if announce else "  maximum-paths 8\n"
    return text + " exit-address-family\n!\n"


def route_events(path: str) -> list[tuple[float, str]]:
    """(realtime, text) of each route change `ip -ts monitor route` wrote to `path`, a
    multipath route's nexthop lines joined to it."""
    out: list[list] = []
    for line in bd.read(path).splitlines():
        m = ROUTE_EVENT.match(line)
        if m:
            out.append([datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
                        .timestamp(), m.group(2)])
        elif out and line[:1].isspace():
            out[-1][1] += " " + line.strip()
    return [(t, text) for t, text in out]


def route_withdrawn_at(setup: "Setup", lb_node, after: float) -> float | None:
    """When rtr's kernel route to ANNOUNCED first left `lb_node` after `after` (realtime
    seconds), or None."""
    via = re.compile(rf"\bvia {re.escape(lb_node.ipv4)}\b")
    for t, text in route_events(setup.monitor.log_path):
        if t >= after and ANNOUNCED in text.split()[:2] and not via.search(text):
            return t
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
        """r1 dies: its switch port down, then vigild SIGKILLed. Returns when (realtime) the
        port was down: once `ip link set` has returned (starting it takes tens of ms on a
        loaded machine, and r1 goes on sending until it runs)."""
        pids = [self.v.proc.pid] + bl.descendants(self.v.proc.pid)
        self.node.lab.switch.link_set(self.node.switch_port, False)
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
        lbs = [(self.n1, 65001), (self.n2, 65002)]
        self.monitor = self.rtr.spawn([bl.IP, "-ts", "monitor", "route"],
                                      log_name="rtr-routes.log")
        self.frr.start_bgpd(bgp_conf(65000, self.rtr.ipv4, [(n.ipv4, a) for n, a in lbs],
                                     announce=False))
        self.lb_frrs = []
        for node, asn in lbs:
            frr = bd.Frr(node)
            frr.start(None)
            frr.start_bgpd(bgp_conf(asn, node.ipv4, [(self.rtr.ipv4, 65000)], announce=True))
            self.lb_frrs.append(frr)
        self.bgp_bfd = False
        self.set_bgp_bfd(True)
        self.r1 = Lb(self.n1, self.rtr, version, advert, 150)
        self.steady(r2_running=False)
        self.r2 = Lb(self.n2, self.rtr, version, advert, 100)
        self.sniff_rtr = bd.Sniffer(self.rtr, 3600)
        self.sniff_r1 = bd.Sniffer(self.n1, 3600)
        self.steady()

    def frr_up(self, node) -> bool:
        p = self.frr.peer(node.ipv4)
        return p.get("status") == "up" and p.get("remote-transmit-interval") == bd.INTERVAL_MS

    def set_bgp_bfd(self, on: bool) -> None:
        """`neighbor X bfd` on rtr's sessions to r1 and r2, or none."""
        self.frr.configure("bgpd", "router bgp 65000",
                           *(f"{'' if on else 'no '}neighbor {n.ipv4} bfd"
                             for n in (self.n1, self.n2)))
        self.bgp_bfd = on

    def announced_via(self) -> list[str]:
        """The next hops of rtr's kernel route to ANNOUNCED, sorted."""
        hops = []
        for r in self.rtr.ip_json("route", "show", f"{ANNOUNCED}/32"):
            hops += [r["gateway"]] if "gateway" in r else []
            hops += [h["gateway"] for h in r.get("nexthops", [])]
        return sorted(hops)

    def bgp_steady(self) -> bool:
        """rtr routes ANNOUNCED over r1 and r2, each session with BFD or not as set."""
        if self.announced_via() != sorted([self.n1.ipv4, self.n2.ipv4]):
            return False
        peers = self.frr.vtysh_json("show bgp neighbors json", "bgpd")
        return all(peers.get(n.ipv4, {}).get("bgpState") == "Established" and
                   ("peerBfdInfo" in peers.get(n.ipv4, {})) == self.bgp_bfd
                   for n in (self.n1, self.n2))

    def steady(self, r2_running: bool = True) -> None:
        def ok() -> bool:
            if not self.bgp_steady():
                return False
            if not (self.r1.v.steady() and self.frr_up(self.n1) and self.r1.master()):
                return False
            return not r2_running or (self.r2.v.steady() and self.frr_up(self.n2) and
                                      not self.r2.master())
        bl.lablib.wait_until(ok, timeout=30 + 4 * self.advert, interval=0.1,
                             message="r1 master, r2 backup, every BFD session Up at 100 ms, "
                                     "rtr's BGP route over both")
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
                             len(times(MASTER, self.r2.log_path())) > m2_before and
                             route_withdrawn_at(self, self.n1, t_kill) is not None,
                             timeout=10 + 4 * self.advert + HOLD_S, interval=0.05,
                             message="bfdd's r1 down, r2 master and r1's route withdrawn")
        t_frr = self.frr_downs(self.n1)[frr_before]
        t_m2 = times(MASTER, self.r2.log_path())[m2_before]
        t_withdrawn = route_withdrawn_at(self, self.n1, t_kill)
        time.sleep(0.2)
        last = self.last_from(self.sniff_rtr, self.n1.ipv4, t_frr)
        # r1's kernel keeps the VIP after the kill; a restarted vigild starts clean.
        self.n1.run([bl.IP, "addr", "del", f"{VIP}/16", "dev", "eth0"], check=False)
        self.lab.switch.link_set(self.n1.switch_port, True)
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
    rows, side = [], []
    for version, advert in CASES:
        label = f"v{version} advert_int {advert:g}"
        with bl.lablib.Lab() as lab:
            s = Setup(lab, version, advert)
            try:
                kills: dict[bool, list[dict]] = {True: [], False: []}
                cuts = []
                for bfd in (True, False):
                    s.set_bgp_bfd(bfd)
                    s.steady()
                    how = "with BFD" if bfd else "hold timer"
                    for i in range(args.runs):
                        r = s.kill_run()
                        kills[bfd].append(r)
                        print(f"  {label} r1 killed ({how}), run {i + 1}: route withdrawn "
                              f"{bl.fmt_ms(r['withdrawn'])} ms after the kill, bfdd down "
                              f"{bl.fmt_ms(r['bfd_kill'])} ms ({bl.fmt_ms(r['bfd_last'])} after "
                              f"r1's last packet), r2 master {bl.fmt_ms(r['vrrp_kill'])} ms",
                              flush=True)
                # BGP without BFD stays up while rtr drops only BFD.
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
        every = kills[True] + kills[False]
        rows += [
            [f"{label}: r1 killed, rtr's bfdd declares r1 down (from the kill)",
             cell([r["bfd_kill"] for r in every]), "<= 300"],
            [f"{label}: r1 killed, rtr's bfdd declares r1 down (from r1's last packet)",
             cell([r["bfd_last"] for r in every]), "300"],
            [f"{label}: r1 killed, BGP with BFD: rtr's route leaves r1 (from the kill)",
             cell([r["withdrawn"] for r in kills[True]]), "<= 300 (BFD) + bgpd and zebra"],
            [f"{label}: r1 killed, BGP with BFD: the same, from bfdd's Down",
             cell([r["withdrawn"] - r["bfd_kill"] for r in kills[True]]), ""],
            [f"{label}: r1 killed, BGP without BFD (timers bgp 1 {HOLD_S}): the same",
             cell([r["withdrawn"] for r in kills[False]]),
             f"{HOLD_S - 1}000-{HOLD_S}000 (hold time from r1's last keepalive)"],
            [f"{label}: r1 killed, VRRP: r2 master (from the kill)",
             cell([r["vrrp_kill"] for r in every]), f"<= {bl.fmt_ms(mdi)} (Master_Down)"],
            [f"{label}: r1 cut off, r1's BFD down (from rtr's last packet)",
             cell([r["bfd_last"] for r in cuts]), "300"],
            [f"{label}: r1 cut off, r1 FAULT by track_bfd (same origin)",
             cell([r["fault_last"] for r in cuts]), "300"],
            [f"{label}: r1 cut off, r2 master (same origin)",
             cell([r["master_last"] for r in cuts]),
             f"{bl.fmt_ms(0.3 + (256 - 100) * advert / 256)} (300 + Skew_Time)"],
        ]
        side.append([label, cell([r["withdrawn"] for r in kills[True]]),
                     cell([r["withdrawn"] for r in kills[False]]),
                     cell([r["vrrp_kill"] for r in every])])
    print()
    print(f"failure detection and failover (ms, min / median / max of {args.runs} runs; "
          f"'r1 killed' rows without a mode: {2 * args.runs})")
    bl.print_table(["metric", "vigil + FRR bfdd", "target"], rows)
    print()
    print("a load balancer killed: from the kill to rtr's route leaving it, and to VRRP's "
          "failover (ms, min / median / max)")
    bl.print_table(["VRRP case", "BGP + BFD 100 ms x 3", f"BGP alone, timers bgp 1 {HOLD_S}",
                    "VRRP: backup master"], side)
    return 0


if __name__ == "__main__":
    sys.exit(main())
