"""Lab test: active-active load balancers announced by FRR BGP with ECMP and BFD.

rtr runs FRR (zebra, bgpd, bfdd) in AS 65000 with maximum-paths and multipath-relax; lb1..lb3
(ASes 65002..65004) each run vigild -C (vigil_announce_table 100) and FRR (zebra with
`ip import-table 100`, bgpd with `redistribute table 100`, bfdd), BGP and BFD (100 ms x 3)
towards rtr. The virtual server 10.99.0.100:80 has two real servers, rs1 and rs2.

Shown: rtr routes the VIP over all three load balancers (ECMP); a real server failing
behind all of them changes nothing (the service keeps its quorum: no load balancer withdraws
anything); a load balancer that loses the service withdraws only its own path; the VIP
leaves rtr only when the service has lost its quorum on every load balancer, and comes back
with it. A load balancer that dies (its link cut, vigild and every FRR daemon SIGKILLed)
leaves rtr through BFD, not the BGP hold timer; the others stay. Each vigild shows FRR's view
(vtysh): the BGP peer, what FRR advertises to it, the BFD session.
"""

from __future__ import annotations

import json
import os
import signal
import textwrap
import time

import pytest

import lab as lablib
from frr_lab import Frr, frr_missing

VIP = "10.99.0.100"
PORT = 8080
TABLE = 100
SERVER = "import http.server as h; h.ThreadingHTTPServer(('0.0.0.0', {port}), " \
         "h.SimpleHTTPRequestHandler).serve_forever()"

BFD = "bfd\n profile fast\n  receive-interval 100\n  transmit-interval 100\n  detect-multiplier 3\n !\n!\n"


def neighbor(address: str, asn: int) -> str:
    return (f" neighbor {address} remote-as {asn}\n neighbor {address} bfd profile fast\n"
            f" neighbor {address} timers 3 9\n neighbor {address} timers connect 1\n")


def router_bgp(lbs) -> str:
    return ("router bgp 65000\n bgp router-id 10.99.0.1\n no bgp ebgp-requires-policy\n"
            " bgp bestpath as-path multipath-relax\n" +
            "".join(neighbor(lb.ipv4, 65000 + lb.index) for lb in lbs) +
            " address-family ipv4 unicast\n  maximum-paths 8\n exit-address-family\n!\n")


def lb_bgp(lb, rtr) -> str:
    return (f"router bgp {65000 + lb.index}\n bgp router-id {lb.ipv4}\n"
            " no bgp ebgp-requires-policy\n" + neighbor(rtr.ipv4, 65000) +
            f" address-family ipv4 unicast\n  redistribute table {TABLE}\n"
            " exit-address-family\n!\n")


def vigil_conf(work: str, lb, rs, vty: str, service: str | None = None) -> str:
    """vigild's configuration on `lb`: the route announcement through FRR (`vty`), then
    `service` (default: VIP:80, rr NAT over `rs` on PORT)."""
    return textwrap.dedent(f"""\
        global_defs {{
            vigil_control_socket {work}/{lb.short}.ctl
            vigil_lb_backend nftables
            vigil_announce_table {TABLE} vty_socket {vty}
        }}
        """) + (service or lablib.virtual_server_conf(VIP, 80, "lb_algo rr; lb_kind NAT", rs,
                                                     rs_port=PORT))


def next_hops(rtr) -> list[str]:
    """Returns the gateways of rtr's kernel route to the VIP, sorted ([] for none)."""
    routes = rtr.ip_json("route", "show", f"{VIP}/32")
    hops = []
    for r in routes:
        if "gateway" in r:
            hops.append(r["gateway"])
        for h in r.get("nexthops", []):
            hops.append(h["gateway"])
    return sorted(hops)


def test_ecmp_over_load_balancers_follows_quorum_everywhere_and_bfd(lab, vigild):
    why = frr_missing()
    if why or not os.access("/usr/lib/frr/bgpd", os.X_OK):
        pytest.skip(why or "bgpd is missing")
    vigilctl = os.path.join(os.path.dirname(vigild), "vigilctl")
    w = lab.workdir
    rtr = lab.add_node("rtr")
    lbs = [lab.add_node(f"lb{i}") for i in (1, 2, 3)]
    rs = [lab.add_node(f"rs{i}") for i in (1, 2)]
    servers = {}

    def start_server(node):
        servers[node.short] = node.spawn([lablib.PYTHON, "-c", SERVER.format(port=PORT)],
                                         log_name=f"{node.short}-http-{time.monotonic_ns()}.log")
        lablib.wait_until(lambda: node.run(["ss", "-Htln", f"sport = :{PORT}"]).stdout.strip(),
                          timeout=10, message=f"http server on {node.short}")

    def stop_server(node):
        proc = servers.pop(node.short)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)

    for node in rs:
        start_server(node)
    rtr.sysctl("net.ipv4.ip_forward", 1)
    router = Frr(rtr)
    router.start(BFD)
    router.start_bgpd(router_bgp(lbs))
    frrs, daemons = {}, {}
    for lb in lbs:
        frr = Frr(lb)
        with open(f"{w}/{lb.short}.conf", "w") as f:
            f.write(vigil_conf(w, lb, rs, frr.dir))
        daemons[lb.short] = lb.spawn(
            [vigild, "-n", "-l", "-C", "-D", "-f", f"{w}/{lb.short}.conf", "-p",
             f"{w}/{lb.short}.pid", "-c", f"{w}/{lb.short}c.pid"], log_name=f"{lb.short}.log")
        frr.start(BFD, zebra_conf=f"ip import-table {TABLE}\n!\n")
        frr.start_bgpd(lb_bgp(lb, rtr))
        frrs[lb.short] = frr

    def status(lb) -> dict:
        out = lb.run([vigilctl, "-s", f"{w}/{lb.short}.ctl", "--json", "status"], check=False,
                     timeout=15).stdout
        try:
            return json.loads(out)["status"]
        except (ValueError, KeyError):
            return {}

    def live(lb) -> list[str]:
        for v in status(lb).get("virtual_servers", []):
            return sorted(r["address"] for r in v["real_servers"] if r["up"])
        return []

    def withdrawals(lb) -> list[dict]:
        out = lb.run(["timeout", "2", vigilctl, "-s", f"{w}/{lb.short}.ctl", "--json", "watch",
                      "--from", "0"], check=False, timeout=10).stdout
        return [e for e in map(json.loads, out.splitlines())
                if e.get("type") == "announce" and not e["announced"]]

    def wait_hops(want: list, message: str, timeout: float = 30) -> None:
        lablib.wait_until(lambda: next_hops(rtr) == sorted(want), timeout=timeout,
                          message=f"{message}: next hops {sorted(want)} (now {next_hops(rtr)})")

    all_lbs = [lb.ipv4 for lb in lbs]
    # ECMP: one next hop per load balancer; BFD Up with each.
    wait_hops(all_lbs, "the VIP over every load balancer", timeout=60)
    router.wait_bfd_up(all_lbs)

    # vigil reads FRR's view back: the VIP is announced, advertised to rtr over an
    # Established session with BFD up.
    def frr_view(lb) -> list:
        a = status(lb).get("announce", {})
        return [(p["address"], p["state"], p["advertised"], p["bfd"])
                for p in a.get("frr_peers", [])] if a.get("frr") else []

    for lb in lbs:
        lablib.wait_until(lambda lb=lb: frr_view(lb) == [(rtr.ipv4, "Established",
                                                          [f"{VIP}/32"], "up")],
                          timeout=20, message=f"{lb.short}'s FRR view (now {frr_view(lb)})")
    text = lbs[0].run([vigilctl, "-s", f"{w}/lb1.ctl", "status"], check=False).stdout
    assert f"{VIP}  100    yes        {rtr.ipv4}\n" in text, text

    # rs1 fails behind every load balancer: each sees it down, none withdraws (quorum 1 of
    # rs2's weight remains), the router's route never changes.
    stop_server(rs[0])
    for lb in lbs:
        lablib.wait_until(lambda lb=lb: live(lb) == [f"{rs[1].ipv4}:{PORT}"], timeout=20,
                          message=f"{lb.short} sees rs1 down")
        assert next_hops(rtr) == sorted(all_lbs)
    for lb in lbs:
        assert withdrawals(lb) == [], lb.short

    # lb1 alone loses rs2 (its checks are dropped at rs2): lb1 withdraws, the others stay.
    rs[1].run([lablib.NFT, "add table inet lab; add chain inet lab in { type filter hook input "
               f"priority 0; }}; add rule inet lab in ip saddr {lbs[0].ipv4} tcp dport {PORT} drop"])
    wait_hops(all_lbs[1:], "lb1's path withdrawn")
    lablib.wait_until(lambda: frr_view(lbs[0]) == [(rtr.ipv4, "Established", [], "up")],
                      timeout=20, message=f"lb1's FRR advertises nothing (now {frr_view(lbs[0])})")
    assert [e["reason"] for e in withdrawals(lbs[0])] == ["quorum"]

    # rs2 fails too: the service has no quorum anywhere, the VIP leaves the router.
    stop_server(rs[1])
    wait_hops([], "the VIP withdrawn everywhere")
    for lb in lbs:
        assert [e["reason"] for e in withdrawals(lb)] == ["quorum"], lb.short

    # rs1 back: every load balancer announces it again.
    start_server(rs[0])
    wait_hops(all_lbs, "the VIP back over every load balancer")

    # lb3 dies as a machine does: silent at once (its switch port down, so that no TCP FIN
    # of its BGP session gets out), vigild and FRR killed. BFD takes its path away, long
    # before BGP's 9 s hold timer would; the others stay.
    before = router.vtysh_json(f"show bgp neighbors {lbs[2].ipv4} json", "bgpd")
    killed = time.monotonic()
    lab.switch.link_set(lbs[2].switch_port, False)
    daemons["lb3"].send_signal(signal.SIGKILL)
    frrs["lb3"].kill_all()
    wait_hops(all_lbs[:2], "lb3's path withdrawn", timeout=20)
    gone_after = time.monotonic() - killed
    peer = router.vtysh_json(f"show bgp neighbors {lbs[2].ipv4} json", "bgpd")[lbs[2].ipv4]
    # rtr closed the session for BFD (a Cease notification, subcode 10: BFD Down).
    assert peer["lastNotificationReason"] == "Cease/BFD Down", peer
    assert peer["lastErrorCodeSubcode"] == "060A", peer
    assert before[lbs[2].ipv4]["bgpState"] == "Established", before
    print(f"lb3's path left the router {gone_after * 1000:.0f} ms after the kill")
