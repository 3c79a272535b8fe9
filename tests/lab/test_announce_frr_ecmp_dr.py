"""Lab test: active-active DR + mh load balancers behind a router's ECMP (FRR BGP + BFD):
every load balancer picks the same real server for a flow, so a flow keeps its real server
whichever load balancer the router hashes it to, and when one dies.

rtr runs FRR (bgpd with maximum-paths, bfdd) and hashes the flows it forwards over its
paths by their addresses and ports (net.ipv4.fib_multipath_hash_policy=1). The client
sits behind rtr on a link of its own (10.99.1.0/24, off the bridge): 200 long-lived TCP
connections from its four addresses 10.99.1.1-4, each exchanging a line every 100 ms
(tests/lab/long_connections.py). lb1..lb3 each run vigild (vigil_announce_table 100,
the virtual server 10.99.0.100:7000 with lb_kind DR, lb_algo mh, mh-port) and FRR
announcing the VIP to rtr with BFD (100 ms x 3). The VIP is on no load balancer: each
forwards the packets for it in its netdev ingress hook. rs1..rs3 (VIP on their loopback,
arp_ignore=1, arp_announce=2) answer the client directly, through rtr.

Shown: the flows spread over the three load balancers (each sees some, none sees a flow
another sees); lb3 dies (link down, vigild and FRR SIGKILLed): BFD takes its path away, the
flows it carried continue through the others to the same real servers, and the flows the
survivors carried go on without a single retransmission.
"""

from __future__ import annotations

import os
import re
import signal
import textwrap
import time

import pytest

import lab as lablib
from frr_lab import Frr, frr_missing
from long_connections import LongConnections, echo_servers
from test_announce_frr_ecmp import BFD, TABLE, lb_bgp, next_hops, router_bgp, vigil_conf

VIP = "10.99.0.100"
PORT = 7000
CHECK_PORT = 7001
CLIENT_NET = "10.99.1"
SOURCES = [f"{CLIENT_NET}.{i}" for i in (1, 2, 3, 4)]
CONNECTIONS = 200

# On each load balancer, ahead of vigil's hook: the client address and port of the flows it
# receives (frames sent to it: not those the switch floods to every port, which vigil leaves
# too).
SEEN = textwrap.dedent(f"""\
    table netdev lab {{
        set flows {{ type ipv4_addr . inet_service; flags dynamic; size 65535; }}
        chain in {{
            type filter hook ingress device "eth0" priority -10; policy accept;
            meta pkttype host ip daddr {VIP} tcp dport {PORT} add @flows {{ ip saddr . tcp sport }}
        }}
    }}
    """)


def seen(lb) -> set[str]:
    """The flows (client "address:port") that reached `lb`."""
    out = lb.run([lablib.NFT, "list", "set", "netdev", "lab", "flows"]).stdout
    return {f"{a}:{p}" for a, p in re.findall(r"(\d+\.\d+\.\d+\.\d+) \. (\d+)", out)}


def is_client(endpoint: str) -> bool:
    return endpoint.rsplit(":", 1)[0] in SOURCES


def placement(rs) -> dict[str, str]:
    """{client address:port: real server} of the established connections."""
    out: dict[str, str] = {}
    for r in rs:
        lines = r.run(["ss", "-Htn", "state", "established", f"sport = :{PORT}"]).stdout
        for line in lines.splitlines():
            peer = line.split()[-1]
            if is_client(peer):
                out[peer] = r.short
    return out


def retransmissions(client) -> dict[str, int]:
    """{client address:port: segments retransmitted so far} of the connections to the VIP."""
    out = client.run(["ss", "-Htin", "state", "established", f"dst {VIP}:{PORT}"]).stdout
    result: dict[str, int] = {}
    flow = None
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):
            flow = next(f for f in line.split() if is_client(f))
            result[flow] = 0
        elif flow is not None:
            m = re.search(r"\bretrans:\d+/(\d+)", line)
            result[flow] = int(m.group(1)) if m else 0
    return result


def test_ecmp_dr_mh_flows_keep_their_real_server_through_any_load_balancer(lab, vigild):
    why = frr_missing()
    if why or not os.access("/usr/lib/frr/bgpd", os.X_OK):
        pytest.skip(why or "bgpd is missing")
    w = lab.workdir
    rtr = lab.add_node("rtr")
    lbs = [lab.add_node(f"lb{i}") for i in (1, 2, 3)]
    rs = [lab.add_node(f"rs{i}") for i in (1, 2, 3)]
    for r in rs:
        lablib.dr_real_server(r, VIP, f"{CLIENT_NET}.0/24", rtr.ipv4)
    echo_servers(w, PORT, CHECK_PORT).start(*rs)
    client = lab.add_behind(rtr, "client", CLIENT_NET, addresses=len(SOURCES))
    rtr.sysctl("net.ipv4.fib_multipath_hash_policy", 1)
    router = Frr(rtr)
    router.start(BFD)
    router.start_bgpd(router_bgp(lbs))
    frrs, daemons = {}, {}
    service = lablib.virtual_server_conf(VIP, PORT, "lb_algo mh; mh-port; lb_kind DR", rs,
                                         check_port=CHECK_PORT)
    for lb in lbs:
        lb.run([lablib.NFT, "-f", "-"], input_text=SEEN)
        frr = Frr(lb)
        with open(f"{w}/{lb.short}.conf", "w") as f:
            f.write(vigil_conf(w, lb, rs, frr.dir, service))
        daemons[lb.short] = lb.spawn(
            [vigild, "-n", "-l", "-f", f"{w}/{lb.short}.conf", "-p", f"{w}/{lb.short}.pid",
             "-c", f"{w}/{lb.short}c.pid"], log_name=f"{lb.short}.log")
        frr.start(BFD, zebra_conf=f"ip import-table {TABLE}\n!\n")
        frr.start_bgpd(lb_bgp(lb, rtr))
        frrs[lb.short] = frr
    all_lbs = sorted(lb.ipv4 for lb in lbs)
    lablib.wait_until(lambda: next_hops(rtr) == all_lbs, timeout=60,
                      message=f"the VIP over every load balancer (now {next_hops(rtr)})")

    conns = LongConnections(client, w, VIP, PORT, CONNECTIONS, SOURCES)
    conns.start()
    t0 = time.monotonic()
    lablib.wait_until(lambda: conns.exchanging_since(t0) == CONNECTIONS, timeout=30,
                      message=f"{CONNECTIONS} connections exchanging "
                              f"({conns.exchanging_since(t0)}; errors {conns.errors()[:3]})")
    before = placement(rs)
    assert len(before) == CONNECTIONS and set(before.values()) == {"rs1", "rs2", "rs3"}, before
    # ECMP spreads the flows over the three load balancers, each flow to one.
    by_lb = {lb.short: seen(lb) for lb in lbs}
    assert all(by_lb.values()), {k: len(v) for k, v in by_lb.items()}
    assert sum(len(v) for v in by_lb.values()) == CONNECTIONS, {k: len(v) for k, v in by_lb.items()}
    assert set().union(*by_lb.values()) == set(before)
    assert {f.rsplit(":", 1)[0] for f in before} == set(SOURCES)
    retrans = retransmissions(client)
    assert sorted(retrans) == sorted(before)

    # lb3 dies as a machine does — once BFD is Up with it (BGP's session may be up before).
    router.wait_bfd_up(all_lbs)
    lab.switch.link_set(lbs[2].switch_port, False)
    daemons["lb3"].send_signal(signal.SIGKILL)
    frrs["lb3"].kill_all()
    t_dead = time.monotonic()
    lablib.wait_until(lambda: next_hops(rtr) == sorted(lb.ipv4 for lb in lbs[:2]), timeout=20,
                      message=f"lb3's path withdrawn (now {next_hops(rtr)})")
    # BFD took it away (a Cease notification, subcode 10: BFD Down), not the 9 s hold timer.
    peer = router.vtysh_json(f"show bgp neighbors {lbs[2].ipv4} json", "bgpd")[lbs[2].ipv4]
    assert (peer["lastNotificationReason"], peer["lastErrorCodeSubcode"]) == \
        ("Cease/BFD Down", "060A"), peer
    lablib.wait_until(lambda: conns.exchanging_since(t_dead) == CONNECTIONS, timeout=30,
                      message=f"connections exchanging through lb1 and lb2 "
                              f"({conns.exchanging_since(t_dead)}; errors {conns.errors()[:3]})")
    t_after = time.monotonic()
    lablib.wait_until(lambda: conns.exchanging_since(t_after + 1) == CONNECTIONS,
                      timeout=10, message="connections still exchanging")
    assert conns.errors() == []
    # Every flow is still with its real server; lb3's now go through the survivors.
    assert placement(rs) == before
    orphans = by_lb["lb3"]
    assert orphans <= seen(lbs[0]) | seen(lbs[1])
    # The survivors' flows never lost a segment; lb3's lost what they sent until BFD took its
    # path away (the switch flooded them to lb1 and lb2, which leave frames for another MAC).
    # Not necessarily every one: a flow whose next line left after the withdrawal (the client
    # is one Python process for 200 connections, late on a loaded machine) lost nothing.
    after = retransmissions(client)
    assert [p for p in orphans if after[p] != retrans[p]], "no flow of lb3 lost a segment"
    survivors = set(before) - orphans
    assert {p: after[p] - retrans[p] for p in survivors if after[p] != retrans[p]} == {}
    print(f"flows per load balancer {[len(by_lb[lb.short]) for lb in lbs]}; lb3's "
          f"{len(orphans)} moved, retransmitting {sum(after[p] - retrans[p] for p in orphans)} "
          "segments in all")
