"""IPVS cases for the UML lab, and the driver that runs them inside the UML kernel.

test_ipvs_uml.py boots one UML kernel (uml.py) with this file as its driver:

    python3 ipvs_uml_cases.py --results DIR --vigild PATH [--only NAME ...]

The guest's network: a switch namespace with a bridge; a client (10.99.0.1, fd00:99::1);
the director "lb" (.2) holding the VIPs; real servers rs1..rs3 (.3-.5) and a sorry
server (.6). Each server answers TCP, UDP and SCTP on port 80 with its own name. It has
the VIPs on lo (ARP for them ignored) for DR and tunl0 up for TUN, and it routes replies
from its own address through the director (NAT) and replies from a VIP straight to the
client (DR, TUN). Everything the driver does in a namespace it does in-process where it
can (setns for sockets and sysctls, ``ip -batch`` per namespace): every exec is slow in UML.

A case is one virtual server (or a few) on its own VIP and port. Cases are run in groups
("runs") so that one daemon start serves many: for each run the IPVS table is flushed,
vigild -C with the IPVS backend starts with every case's configuration, its table
(``ipvsadm -Ln``, polled until unchanged) is read, then, when a case of the run has one,
the table after a reload (SIGHUP with each such case's second configuration); then each
case's probes go from the client through its VIP; then vigild stops (SIGTERM, or with -I
for a run that keeps the table) and the table is read again. keepalived 2.2.7 -C then runs
the same configurations and the same tables are read (no probes). An SMTP sink on the
director's loopback (MailSink) keeps the mails each daemon sent, for the cases that compare
them. Each case's share of all
this goes to DIR/<case>.json; the host (test_ipvs_uml.py) makes the assertions.
"""

from __future__ import annotations

import itertools
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass

from uml_guest import build_switch, in_netns, ip_batch, parse_args, run, run_cases, sysctl

PORT = 80                      # every real server's port
KEPT_PORT = 82                 # also answered (TCP): a persistent fwmark service keeps the port
VIP = "10.99.0.100"            # NAT services, one port each
VIP_FWMARK = "10.99.0.101"     # reached through the fwmark service only
VIP_DR = "10.99.0.102"         # DR services (port 80, as the real servers)
VIP_TUN = "10.99.0.103"        # TUN services (port 80)
VIP_SORRY_DR = "10.99.0.104"   # a DR service whose sorry server is reached by DR
VIP_MIXED = "10.99.0.105"      # a service with DR and TUN real servers
VIP_GUE = "10.99.0.106"        # TUN over GUE (UDP port GUE_PORT)
VIP_GRE = "10.99.0.107"        # TUN over GRE
GUE_PORT = 6080
VIP6 = "fd00:99::100"          # IPv6 NAT services
VIP_RELOAD_KIND = "10.99.0.108"  # a DR service that a reload makes TUN
VIP6_DR = "fd00:99::102"       # IPv6 DR
VIP6_FWMARK = "fd00:99::101"   # reached through an IPv6 fwmark service only
VIP_SUSPEND = "10.99.0.109"    # ha_suspend: on the director only in the steps that say so
VIPS4 = (VIP, VIP_FWMARK, VIP_DR, VIP_TUN, VIP_SORRY_DR, VIP_MIXED, VIP_GUE, VIP_GRE,
         VIP_RELOAD_KIND)
VIPS6 = (VIP6, VIP6_DR, VIP6_FWMARK)
NODES = {"client": 1, "lb": 2, "rs1": 3, "rs2": 4, "rs3": 5, "sorry": 6}
SERVERS = ("rs1", "rs2", "rs3", "sorry")
ALL = ("rs1", "rs2", "rs3")
WORK = "/tmp/ipvs-uml"         # the driver's directory inside the guest (a tmpfs)
# The MISC_CHECK script of the cases with steps: "health.sh FLAG" fails while WORK/down-FLAG
# exists and, while WORK/weight-FLAG holds N, succeeds with exit status 2 + N (misc_dynamic:
# weight N). Each run is noted in WORK/checks.log as it starts and in WORK/checks-done.log as
# it ends, so that the driver knows when a daemon has seen a step.
HEALTH_SH = f"""#!/bin/sh
echo "$1" >> {WORK}/checks.log
trap 'echo "$1" >> {WORK}/checks-done.log' EXIT
[ -e {WORK}/down-$1 ] && exit 1
[ -e {WORK}/weight-$1 ] && exit $((2 + $(cat {WORK}/weight-$1)))
exit 0
"""

# The SMTP sink (MailSink) on the director's loopback, and the mail settings of a run that
# sends it mail; every real server's smtp_alert is off but where a case turns it on.
MAIL_PORT = 2525
MAIL_GLOBAL_DEFS = f"""router_id LB_UML
notification_email {{
    ops@example.com
}}
notification_email_from lb@example.com
smtp_server 127.0.0.1 {MAIL_PORT}
smtp_helo_name lb.example.com
smtp_alert_checker off"""

# Kernel modules the guest loads before the driver starts (others load on demand).
MODULES = ["veth", "bridge", "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_lc", "ip_vs_wlc",
           "ip_vs_lblc", "ip_vs_lblcr", "ip_vs_dh", "ip_vs_sh", "ip_vs_sed", "ip_vs_nq",
           "ip_vs_fo", "ip_vs_ovf", "ip_vs_mh", "ip_vs_pe_sip", "ipip", "fou", "ip_gre", "sctp", "sch_ingress", "cls_flower",
           "act_skbedit"]


def addr(name: str, v6: bool = False) -> str:
    """The lab address of node ``name``."""
    return f"fd00:99::{NODES[name]}" if v6 else f"10.99.0.{NODES[name]}"


@dataclass(frozen=True)
class Probe:
    """``count`` requests from the client to ``address``:``port`` over ``proto`` (tcp, udp,
    sctp), each on a new socket; the answers are the names of the servers that replied.

    ``expect`` is what the answers must be:
      {"rs1": 2, ...}   exactly these counts (rr, wrr: the cycle is deterministic);
      ("one", names)    every answer from one server, which is one of ``names``;
      ("spread", names) every answer from ``names``, at least two different ones.
    """

    proto: str
    address: str
    port: int
    count: int
    expect: object


@dataclass(frozen=True)
class Case:
    name: str
    services: str                   # the virtual_server blocks, keepalived's syntax
    keys: tuple[str, ...]           # their services as ipvsadm -Ln names them: "TCP a:p"
    probes: tuple[Probe, ...] = ()
    reload: str | None = None       # the blocks after a reload (SIGHUP)
    run: str = "main"               # cases of one run share the daemons
    keep: bool = False              # the run stops with -I: the table stays
    settle: float = 1.0             # the table is read once unchanged this long
    lb_tc: tuple[str, ...] = ()     # tc commands for the director (fwmark)
    global_defs: str = ""           # global_defs lines for the whole run
    before: tuple[str, ...] = ()    # ipvsadm commands on the director before a daemon starts
    # Health changes after the start (and the reload): one {server: "down" | weight} a
    # step, for the MISC_CHECKs made by _misc(name, server); the table is read after each.
    # With `local` set, a step's "local": True / False puts that address on the director's
    # eth0 or takes it away (absent at start): its checks are waited for only while it is
    # there (ha_suspend).
    steps: tuple[dict, ...] = ()
    local: str = ""
    # Someone else's changes to the table once it is read (ipvsadm -R input, one process),
    # vigild only: its periodic audit finds them (the log lines `found`, after "load
    # balancer: ") and restores the table, read again once whole ("restored"). keepalived
    # does not audit its table.
    damage: tuple[str, ...] = ()
    found: tuple[str, ...] = ()
    # The mails both daemons sent in the run (MailSink) are compared: the run's global_defs
    # send them to the sink, and only this case's servers have smtp_alert.
    mails: bool = False


def _rs(name: str, weight: int = 1, check: str = "", v6: bool = False,
        extra: str = "") -> str:
    body = f"weight {weight}\n{extra}{check}"
    return (f"    real_server {addr(name, v6)} {PORT} {{\n"
            f"{textwrap.indent(body, '        ')}\n    }}\n")


def _vs(head: str, servers: str, algo: str = "rr", kind: str = "NAT", proto: str = "TCP",
        extra: str = "") -> str:
    method = "lvs_method" if " " in kind else "lb_kind"  # lb_kind: the older name
    lines = [f"virtual_server {head} {{", "    delay_loop 1", f"    lb_algo {algo}",
             f"    {method} {kind}"]
    if proto:
        lines.append(f"    protocol {proto}")
    lines += [textwrap.indent(x, "    ") for x in extra.splitlines()]
    return "\n".join(lines) + "\n" + servers + "}\n"


def _three(weights=(1, 1, 1), check: str = "", v6: bool = False) -> str:
    return "".join(_rs(f"rs{i + 1}", w, check, v6) for i, w in enumerate(weights))


UP = "TCP_CHECK {\n    connect_timeout 1\n}\n"
# A check that fails at once: nothing listens on port 81 (connection refused).
DOWN = "TCP_CHECK {\n    connect_port 81\n    connect_timeout 1\n    retry 0\n}\n"

_ports = itertools.count(8001)  # explicit ports: 81xx, 82xx


def _misc(case_name: str, server: str, dynamic: bool = False) -> str:
    """A MISC_CHECK the case's steps drive (see HEALTH_SH)."""
    dynamic_line = "    misc_dynamic\n" if dynamic else ""
    return (f"MISC_CHECK {{\n    misc_path \"{WORK}/health.sh {case_name}-{server}\"\n"
            f"    misc_timeout 10\n{dynamic_line}}}\n")


def case(name: str, servers: str | None = None, *, algo: str = "rr", kind: str = "NAT",
         vip: str | None = None,
         proto: str = "TCP", v6: bool = False, extra: str = "", count: int = 6,
         expect: object = None, reload: str | None = None, **kw) -> Case:
    """One virtual server on its own VIP:port (NAT: a port of VIP/VIP6; DR, TUN: port 80
    of their VIP) with ``servers`` (default rs1..rs3, weight 1), probed ``count`` times
    with ``expect`` (default: 2 answers from each of rs1..rs3). ``reload``: the real
    servers after a reload (same virtual server)."""
    vip = vip or {"NAT": VIP6 if v6 else VIP, "DR": VIP6_DR if v6 else VIP_DR,
                  "TUN": VIP_TUN}[kind.split()[0]]
    port = next(_ports) if vip in (VIP, VIP6) else PORT
    servers = servers if servers is not None else _three(v6=v6)
    head = f"{vip} {port}"
    shown = f"[{vip}]:{port}" if v6 else f"{vip}:{port}"
    probe = Probe(proto.lower(), vip, port, count,
                  expect if expect is not None else {n: count // 3 for n in ALL})
    again = _vs(head, reload, algo, kind, proto, extra) if reload is not None else None
    return Case(name, _vs(head, servers, algo, kind, proto, extra), (f"{proto} {shown}",),
                (probe,) if count else (), reload=again, **kw)


def _fwmark_filter() -> list[str]:
    # UML's kernel has nftables for the bridge family only (no NF_TABLES_IPV4) and the
    # host has no iptables: tc marks the packets, on the director's ingress.
    # Mark 1: VIP_FWMARK:80; mark 3: VIP_FWMARK:KEPT_PORT; mark 2: [VIP6_FWMARK]:80.
    rule = "filter add dev eth0 ingress protocol {} flower ip_proto tcp dst_ip {} dst_port {} " \
           "action skbedit mark {}"
    return ["qdisc add dev eth0 clsact", rule.format("ip", VIP_FWMARK, PORT, 1),
            rule.format("ip", VIP_FWMARK, KEPT_PORT, 3),
            rule.format("ipv6", VIP6_FWMARK, PORT, 2)]


_SORRY = f"sorry_server {addr('sorry')} {PORT}"

CASES: list[Case] = [
    case("rr", _three(check=UP)),
    case("wrr", _three((1, 2, 3)), algo="wrr", count=12,
         expect={"rs1": 2, "rs2": 4, "rs3": 6}),
    case("lc", algo="lc", expect=("spread", ALL)),
    case("wlc", _three((1, 2, 3)), algo="wlc", count=12, expect=("spread", ALL)),
    case("sh", algo="sh", expect=("one", ALL)),
    case("sh_port_fallback", algo="sh", extra="sh-port\nsh-fallback", count=12,
         expect=("spread", ALL)),
    case("mh", algo="mh", expect=("one", ALL)),
    case("mh_port_fallback", algo="mh", extra="mh-port\nmh-fallback", count=12,
         expect=("spread", ALL)),
    case("persistence",
         extra="persistence_timeout 30\npersistence_granularity 255.255.255.0",
         expect=("one", ALL)),
    Case("fwmark", _vs("fwmark 1", _three(), proto=""), ("FWM 1",),
         (Probe("tcp", VIP_FWMARK, PORT, 6, {n: 2 for n in ALL}),), lb_tc=tuple(_fwmark_filter())),
    case("ipv6", _three(check=UP, v6=True), v6=True),
    case("udp", proto="UDP"),
    case("sorry_server", _three(check=DOWN), extra=_SORRY, count=3, expect={"sorry": 3},
         settle=2.5),
    case("inhibit_on_failure",
         _rs("rs1", 1, DOWN, extra="inhibit_on_failure\n") + _rs("rs2", 1, UP) + _rs("rs3", 1, UP),
         count=4, expect={"rs2": 2, "rs3": 2}, settle=2.5),
    case("quorum", _rs("rs1", 1, UP) + _rs("rs2", 1, UP) + _rs("rs3", 1, DOWN),
         extra=f"quorum 3\nhysteresis 0\n{_SORRY}", count=3, expect={"sorry": 3}, settle=2.5),
    case("reload_weights", algo="wrr", reload=_three((1, 2, 3)), count=12,
         expect={"rs1": 2, "rs2": 4, "rs3": 6}),
    case("dr", kind="DR"),
    case("tun", kind="TUN"),
    case("sctp", proto="SCTP"),
    # Every other scheduler. Requests come one after another and each connection is
    # closed before the next, so no server ever has an active connection: sed and ovf
    # always pick the heaviest server, fo too; nq the first idle one; lblc, lblcr and dh
    # stay with the server they chose for the one destination address.
    case("lblc", algo="lblc", expect=("one", ALL)),
    case("lblcr", algo="lblcr", expect=("one", ALL)),
    case("dh", algo="dh", expect=("one", ALL)),
    case("sed", _three((1, 2, 3)), algo="sed", expect={"rs3": 6}),
    case("nq", _three((1, 2, 3)), algo="nq", expect=("one", ALL)),
    case("fo", _three((1, 2, 3)), algo="fo", expect={"rs3": 6}),
    case("ovf", _three((1, 2, 3)), algo="ovf", expect={"rs3": 6}),
    case("thresholds", "".join(_rs(n, 1, extra=f"uthreshold {50 * i}\nlthreshold {5 * i}\n")
                               for i, n in enumerate(ALL, 1))),
    case("vs_default_weight", "".join(f"    real_server {addr(n)} {PORT} {{\n    }}\n"
                                      for n in ALL), algo="wrr", extra="weight 2"),
    # One-packet scheduling keeps no connection, so a NAT reply finds nothing to un-NAT:
    # ops is for DR/TUN.
    case("udp_ops", proto="UDP", kind="DR", extra="ops"),
    case("persistence_engine_sip", proto="UDP", count=0,
         extra="persistence_timeout 60\npersistence_engine sip"),
    case("ipv6_udp", v6=True, proto="UDP"),
    case("ipv6_dr", v6=True, kind="DR"),
    case("alpha", _rs("rs1", 1, DOWN) + _rs("rs2", 1, UP) + _rs("rs3", 1, UP), extra="alpha",
         count=4, expect={"rs2": 2, "rs3": 2}, settle=2.5),
    # Weight 2 is within quorum 3 - hysteresis 1, but a service starts without quorum and
    # gains it only at quorum + hysteresis (4): the sorry server serves.
    case("quorum_hysteresis", _rs("rs1", 1, UP) + _rs("rs2", 1, UP) + _rs("rs3", 1, DOWN),
         extra=f"quorum 3\nhysteresis 1\n{_SORRY}", count=3, expect={"sorry": 3},
         settle=2.5),
    case("sorry_server_inhibit", _three(check=UP), extra=f"{_SORRY}\nsorry_server_inhibit"),
    case("sorry_server_dr", _three(check=DOWN), kind="DR", vip=VIP_SORRY_DR, count=3,
         extra=f"{_SORRY}\nsorry_server_lvs_method DR", expect={"sorry": 3}, settle=2.5),
    case("mixed_methods", _rs("rs1") + _rs("rs2") + _rs("rs3", extra="lvs_method TUN\n"),
         kind="DR", vip=VIP_MIXED),
    case("tun_gue", kind=f"TUN type gue port {GUE_PORT} csum", vip=VIP_GUE),
    case("tun_gre", kind="TUN type gre", vip=VIP_GRE),
    case("reload_pool", _rs("rs1") + _rs("rs2"), count=4, expect={"rs2": 2, "rs3": 2},
         reload=_rs("rs2") + _rs("rs3", 2)),
    Case("reload_removes", _vs(f"{VIP} {next(_ports)}", _three()),
         (f"TCP {VIP}:{next(_ports) - 1}",), reload=""),
    Case("virtual_server_group",
         f"virtual_server_group web {{\n    {VIP} 8101\n    {VIP} 8102\n}}\n"
         + _vs("group web", _three()),
         (f"TCP {VIP}:8101", f"TCP {VIP}:8102"),
         (Probe("tcp", VIP, 8101, 3, {n: 1 for n in ALL}),
          Probe("tcp", VIP, 8102, 3, {n: 1 for n in ALL}))),
    # Health changing while the daemons run (run "steps": each step's table is compared).
    case("steps_failover", "".join(_rs(n, 1, _misc("steps_failover", n)) for n in ALL),
         run="steps", steps=({"rs1": "down"}, {"rs1": "down", "rs2": "down"}, {}, {})),
    case("steps_quorum_hysteresis",
         "".join(_rs(n, w, _misc("steps_quorum_hysteresis", n)) for n, w in zip(ALL, (2, 1, 1))),
         extra=f"quorum 3\nhysteresis 1\n{_SORRY}", run="steps", count=0,
         steps=({"rs3": "down"}, {"rs3": "down", "rs2": "down"},
                {"rs3": "down", "rs2": "down", "rs1": "down"}, {})),
    case("steps_inhibit",
         _rs("rs1", 1, _misc("steps_inhibit", "rs1"), extra="inhibit_on_failure\n")
         + _rs("rs2") + _rs("rs3"), run="steps", count=0,
         steps=({"rs1": "down"}, {}, {"rs1": "down"}, {})),
    case("steps_misc_dynamic_weight",
         "".join(_rs(n, 1, _misc("steps_misc_dynamic_weight", n, dynamic=True)) for n in ALL),
         algo="wrr", run="steps", count=0,
         steps=({"rs1": 5}, {"rs1": 0, "rs2": 3}, {"rs2": "down"}, {})),
    # ha_suspend: checked only while its address is local. rs1 failing is not seen while
    # the address is away, seen once it comes; away again, rs1 passing is not seen (it stays
    # out) until it comes back.
    # SMTP alerts of a MISC_CHECK's first result, of a real server going down and up and
    # of the quorum it takes along, and of an SMTP_CHECK refused (nothing listens on port
    # 25), byte for byte (but Date) as keepalived sends them. The SMTP_CHECK's service is
    # not compared (not in keys): keepalived's first check comes 2 s after its start, after
    # the table is read.
    Case("steps_mail",
         _vs(f"{VIP} 8160", _rs("rs1", 1, _misc("steps_mail", "rs1"), extra="smtp_alert on\n"),
             extra="smtp_alert on")
         + _vs(f"{VIP} 8161", _rs("rs2", 1, "SMTP_CHECK {\n    connect_port 25\n"
                                            "    connect_timeout 1\n    retry 0\n}\n",
                                  extra="smtp_alert on\n")),
         (f"TCP {VIP}:8160",), run="steps", steps=({"rs1": "down"}, {}),
         global_defs=MAIL_GLOBAL_DEFS, mails=True),
    case("steps_ha_suspend", "".join(_rs(n, 1, _misc("steps_ha_suspend", n)) for n in ALL),
         vip=VIP_SUSPEND, extra="ha_suspend", run="steps", count=0, local=VIP_SUSPEND,
         steps=({"rs1": "down", "local": False}, {"rs1": "down", "local": True},
                {"local": False}, {"local": True})),
    # More reloads: the service's own attributes, a real server's forwarding method, the
    # quorum (lost: the sorry server comes), the sorry server dropped.
    Case("reload_service_attrs", _vs(f"{VIP} 8150", _three()), (f"TCP {VIP}:8150",),
         reload=_vs(f"{VIP} 8150", _three(), algo="wlc",
                    extra="persistence_timeout 60\npersistence_granularity 255.255.255.0")),
    case("reload_forwarding", kind="DR", vip=VIP_RELOAD_KIND, reload="".join(
        _rs(n, extra="lvs_method TUN\n") for n in ALL)),
    case("reload_quorum", _rs("rs1", 1, UP) + _rs("rs2", 1, UP) + _rs("rs3", 1, DOWN),
         extra=f"{_SORRY}\nquorum 2", count=3, expect={"sorry": 3}, settle=2.5,
         reload=_rs("rs1", 1, UP) + _rs("rs2", 1, DOWN) + _rs("rs3", 1, DOWN)),
    # fwmark: IPv6 (ip_family), persistent; a group of an address range and a mark.
    Case("fwmark_ipv6", _vs("fwmark 2", _three(v6=True), proto="", extra="ip_family inet6"),
         ("FWM 2",), (Probe("tcp", VIP6_FWMARK, PORT, 6, {n: 2 for n in ALL}),)),
    # A persistent fwmark service (port 0) keeps the client's port: KEPT_PORT, not 80.
    Case("fwmark_persistent", _vs("fwmark 3", _three(), proto="",
                                  extra="persistence_timeout 60"),
         ("FWM 3",), (Probe("tcp", VIP_FWMARK, KEPT_PORT, 6, ("one", ALL)),)),
    Case("group_range_and_fwmark",
         f"virtual_server_group mixed {{\n    {VIP}-101 8103\n    fwmark 4\n}}\n"
         + _vs("group mixed", _three()),
         (f"TCP {VIP}:8103", f"TCP {VIP_FWMARK}:8103", "FWM 4"),
         (Probe("tcp", VIP, 8103, 3, {n: 1 for n in ALL}),
          Probe("tcp", VIP_FWMARK, 8103, 3, {n: 1 for n in ALL}))),
    case("sctp_ipv6", v6=True, proto="SCTP"),
    case("weight_zero", _three((0, 1, 1)), algo="sh", expect=("one", ("rs2", "rs3"))),
    # A service the daemon did not make: left alone, and flushed at start with lvs_flush.
    Case("foreign_service", _vs(f"{VIP} 8201", _three()),
         (f"TCP {VIP}:8201", f"TCP {VIP}:8202"), run="foreign",
         before=(f"-A -t {VIP}:8202 -s rr", f"-a -t {VIP}:8202 -r {addr('rs1')}:80 -m")),
    Case("lvs_flush", _vs(f"{VIP} 8203", _three()),
         (f"TCP {VIP}:8203", f"TCP {VIP}:8204"), run="flush", global_defs="lvs_flush",
         before=(f"-A -t {VIP}:8204 -s rr", f"-a -t {VIP}:8204 -r {addr('rs1')}:80 -m")),
    case("lvs_timeouts", run="timeouts", global_defs="lvs_timeouts tcp 600 tcpfin 30 udp 90"),
    case("keep_on_stop", run="keep", keep=True),
    # One real server deleted and another's weight changed behind the daemon's back.
    Case("audit_restores", _vs(f"{VIP} 8205", _three()), (f"TCP {VIP}:8205",),
         (Probe("tcp", VIP, 8205, 3, {n: 1 for n in ALL}),), run="damage",
         damage=(f"-d -t {VIP}:8205 -r {addr('rs2')}:80",
                 f"-e -t {VIP}:8205 -r {addr('rs3')}:80 -m -w 7"),
         found=(f"update-destination tcp {VIP}:8205 rr -> {addr('rs3')}:80 NAT weight=1 "
                "is needed",
                f"add-destination tcp {VIP}:8205 rr -> {addr('rs2')}:80 NAT weight=1 is needed")),
    # A virtual server with an invalid address beside a valid one: keepalived skips it
    # ("Invalid virtual server IP address/port 10.99.0.256/8301 - skipping") and runs the
    # other, as vigild does; both -t refuse the file (exit 5: tests/golden/invalid_virtual_server).
    Case("invalid_virtual_server", _vs("10.99.0.256 8301", _three()) + _vs(f"{VIP} 8302", _three()),
         (f"TCP {VIP}:8302",), (Probe("tcp", VIP, 8302, 3, {n: 1 for n in ALL}),),
         run="invalid"),
]


# ======================================================================================
# The driver (inside UML).

def build_network() -> None:
    build_switch(NODES)
    for n in NODES:
        lines = ["link set lo up", f"addr add {addr(n)}/16 dev eth0",
                 f"addr add {addr(n, True)}/64 dev eth0 nodad", "link set eth0 up"]
        if n == "lb":
            lines += [f"addr add {v}/32 dev eth0" for v in VIPS4]
            # Deprecated (preferred_lft 0): they take traffic, but the director's own
            # connections (its health checks) keep fd00:99::2 as their source; a /128 would
            # otherwise win the longest-prefix rule of source address selection.
            lines += [f"addr add {v}/128 dev eth0 nodad preferred_lft 0" for v in VIPS6]
        if n in SERVERS:
            lines += [f"addr add {v}/32 dev lo" for v in VIPS4]
            lines += [f"addr add {v}/128 dev lo" for v in VIPS6]
            lines += ["link set tunl0 up", "link set gre0 up", f"fou add port {GUE_PORT} gue",
                      f"route add {addr('client')}/32 via {addr('lb')} table 100",
                      f"rule add from {addr(n)} table 100",
                      f"-6 route add {addr('client', True)}/128 via {addr('lb', True)} table 100",
                      f"-6 rule add from {addr(n, True)} table 100"]
        ip_batch(n, lines)
    sysctl("lb", {"net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1,
                  "net.ipv4.conf.all.send_redirects": 0, "net.ipv4.conf.eth0.send_redirects": 0,
                  "net.ipv4.vs.expire_nodest_conn": 1})
    for n in SERVERS:
        values = {f"net.ipv4.conf.{k}.rp_filter": 0
                  for k in ("all", "default", "eth0", "tunl0", "gre0")}
        for k in ("all", "eth0"):
            values.update({f"net.ipv4.conf.{k}.arp_ignore": 1,
                           f"net.ipv4.conf.{k}.arp_announce": 2,
                           f"net.ipv4.conf.{k}.accept_redirects": 0,
                           # The director redirects NAT replies for a client on the same
                           # link: followed, they would bypass it and miss their un-NAT.
                           f"net.ipv6.conf.{k}.accept_redirects": 0})
        sysctl(n, values)


_PROTOS = {"tcp": (socket.SOCK_STREAM, 0), "udp": (socket.SOCK_DGRAM, 0),
           "sctp": (socket.SOCK_STREAM, socket.IPPROTO_SCTP)}


class Servers:
    """Every server's listeners, served by one thread: a TCP or SCTP connection gets the
    server's name and is closed; a UDP datagram gets the name back."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def listen(self, name: str) -> None:
        # A UDP socket answers from the address it is bound to, so each address a request
        # may reach (its own for NAT, a VIP for DR/TUN) gets its own socket: the reply
        # then takes the route that address needs (through the director, or straight back).
        binds = [("tcp", "0.0.0.0", PORT), ("tcp", "::", PORT), ("sctp", "0.0.0.0", PORT),
                 ("sctp", "::", PORT), ("tcp", "0.0.0.0", KEPT_PORT)]
        binds += [("udp", a, PORT) for a in (addr(name), addr(name, True), *VIPS4, *VIPS6)]
        for proto, address, port in binds:
            kind, number = _PROTOS[proto]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            with in_netns(name):
                s = socket.socket(family, kind, number)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port))
            if kind == socket.SOCK_STREAM:
                s.listen(64)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, (proto, name.encode()))

    def _loop(self) -> None:
        while True:
            for key, _ in self.sel.select():
                proto, reply = key.data
                s = key.fileobj
                try:
                    if proto == "udp":
                        _, peer = s.recvfrom(2048)
                        s.sendto(reply, peer)
                    else:
                        conn, _ = s.accept()
                        with conn:
                            conn.settimeout(2)
                            conn.sendall(reply)
                except OSError:
                    pass


def request(proto: str, address: str, port: int, timeout: float = 3.0) -> str:
    """One request from the client; returns the name that answered or "ERR ..."."""
    kind, number = _PROTOS[proto]
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with in_netns("client"):
        s = socket.socket(family, kind, number)
    try:
        s.settimeout(timeout)
        s.connect((address, port))  # UDP too: only the VIP's answer is taken
        if proto == "udp":
            s.send(b"who")
            return s.recv(2048).decode()
        data = b""
        while True:
            chunk = s.recv(2048)
            if not chunk:
                return data.decode()
            data += chunk
    except OSError as exc:
        return f"ERR {type(exc).__name__} {exc}"
    finally:
        s.close()


def normalize(table_text: str) -> list[str]:
    """``ipvsadm -Ln`` (also with --thresholds or --tun-info) without its headers and the
    connection counters that end each destination's line, one entry a line with single
    spaces: "TCP 10.99.0.100:8001 rr", "-> 10.99.0.3:80 Masq 1"."""
    out = []
    for line in table_text.splitlines():
        words = line.split()
        if not words or line.startswith(("IP Virtual Server", "Prot LocalAddress")) \
                or words[:2] == ["->", "RemoteAddress:Port"]:
            continue
        out.append(" ".join(words[:-2] if words[0] == "->" else words))
    return out


def share(table: list[str] | None, keys: tuple[str, ...]) -> list[str] | None:
    """The lines of ``table`` that belong to the services ``keys`` (in the table's order)."""
    if table is None:
        return None
    out, mine = [], False
    for line in table:
        if not line.startswith("->"):
            mine = " ".join(line.split()[:2]) in keys
        if mine:
            out.append(line)
    return out


class MailSink:
    """An SMTP sink on the director's loopback (127.0.0.1:MAIL_PORT) that accepts every mail
    and keeps, per mail, the commands of its connection and its message without the Date
    header."""

    def __init__(self):
        with in_netns("lb"):
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", MAIL_PORT))
        self.sock.listen(16)
        self.lock = threading.Lock()
        self.mails: list[dict] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        mail: dict = {"commands": [], "data": None}
        with conn, conn.makefile("rb") as f:
            conn.sendall(b"220 sink ESMTP\r\n")
            while line := f.readline():
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                mail["commands"].append(command)
                verb = command.split(" ", 1)[0].split(":", 1)[0].upper()
                if verb == "DATA":
                    conn.sendall(b"354 end with .\r\n")
                    data = b""
                    while (part := f.readline()) and part != b".\r\n":
                        data += part
                    mail["data"] = re.sub(r"^Date: [^\r]*\r\n", "",
                                          data.decode("utf-8", "replace"))
                    conn.sendall(b"250 queued\r\n")
                elif verb == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    break
                else:
                    conn.sendall(b"250 ok\r\n")
        if mail["data"] is not None:
            with self.lock:
                self.mails.append(mail)

    def take(self) -> list[dict]:
        """The mails received since the last take."""
        with self.lock:
            out, self.mails = self.mails, []
        return out

    def quiet(self, seconds: float = 1.0, timeout: float = 5.0) -> None:
        """Waits (bounded) until no mail came for ``seconds``."""
        deadline = time.monotonic() + timeout
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            with self.lock:
                now = len(self.mails)
            if now != count:
                count, since = now, time.monotonic()
            elif time.monotonic() - since >= seconds:
                return
            time.sleep(0.1)


class Director:
    """Runs one daemon on the director with a run's configuration and reads its tables."""

    def __init__(self, work: str, vigild: str, sink: MailSink):
        self.work = work
        self.vigild = vigild
        self.sink = sink

    def table(self, *view: str) -> list[str]:
        """The table; ``view``: "--thresholds" or "--tun-info" for those columns."""
        return normalize(run("lb", ["ipvsadm", "-Ln", *view]))

    def settle(self, seconds: float, differs_from: list[str] | None = None,
               timeout: float = 20.0) -> list[str]:
        """Polls the table until it is non-empty (and not ``differs_from``) and unchanged
        for ``seconds``, bounded by ``timeout``; returns the last table read."""
        deadline = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while True:
            now = time.monotonic()
            t = self.table()
            if t != last:
                last, since = t, now
            elif t and t != differs_from and now - since >= seconds:
                return t
            if now >= deadline:
                return last
            time.sleep(0.2)

    def wait_table(self, want: list[str], timeout: float = 20.0) -> list[str]:
        """Polls the table until it is ``want``, bounded by ``timeout``; returns the last
        table read."""
        deadline = time.monotonic() + timeout
        while True:
            t = self.table()
            if t == want or time.monotonic() >= deadline:
                return t
            time.sleep(0.2)

    def write_conf(self, daemon: str, services: str, global_defs: str) -> str:
        path = os.path.join(self.work, f"{daemon}.conf")
        extra = textwrap.indent(global_defs, "    ")
        if daemon == "vigild":
            extra += f"    vigil_lb_backend ipvs\n    vigil_control_socket {self.work}/ctl\n"
        with open(path, "w") as f:
            f.write(f"global_defs {{\n{extra}}}\n{services}")
        return path

    def start(self, daemon: str, conf: str, keep: bool) -> subprocess.Popen:
        base = os.path.join(self.work, daemon)
        argv = [self.vigild if daemon == "vigild" else "keepalived", "-n", "-l", "-D", "-C",
                "-f", conf, "-p", f"{base}.pid", "-c", f"{base}-check.pid"]
        if keep:
            argv.append("-I")
        log = open(f"{base}.log", "wb")  # noqa: SIM115 - closed below, kept by the child
        try:
            with in_netns("lb"):
                proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()
        proc.log_path = f"{base}.log"  # type: ignore[attr-defined]
        return proc

    @staticmethod
    def stop(proc: subprocess.Popen, timeout: float = 15.0) -> int | None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
            return None

    def take_step(self, c: Case, step: dict, proc: subprocess.Popen) -> None:
        """Sets case ``c``'s health for ``step`` and its local address: an address that goes
        is gone (its checkers suspended: the daemon said so, and no check of them under way)
        before the health changes; one that comes, after."""
        local = c.local and run("lb", ["ip", "-o", "addr", "show", "dev", "eth0", "to",
                                       f"{c.local}/32"]).strip()
        if local and not step["local"]:
            said = suspensions(proc)
            run("lb", ["ip", "addr", "del", f"{c.local}/32", "dev", "eth0"])
            wait_for(lambda: suspensions(proc) > said, "the checkers suspended")
            # A check launched before the suspension may still read the health: let it end
            # (keepalived applies its result; vigild drops it).
            wait_idle([f"{c.name}-{n}" for n in SERVERS])
        set_health(c.name, step)
        if c.local and not local and step["local"]:
            run("lb", ["ip", "addr", "add", f"{c.local}/32", "dev", "eth0"])

    def run_daemon(self, daemon: str, cases: list[Case], traffic: bool) -> dict:
        out: dict = {"reloaded": None}
        run("lb", ["ipvsadm", "-C"])
        for c in cases:
            set_health(c.name, {})
            if c.local:
                run("lb", ["ip", "addr", "flush", "dev", "eth0", "to", f"{c.local}/32"])
            for command in c.before:
                run("lb", ["ipvsadm", *command.split()])
        settle = max(c.settle for c in cases)
        keep = any(c.keep for c in cases)
        global_defs = "".join(c.global_defs + "\n" for c in cases if c.global_defs)
        conf = self.write_conf(daemon, "".join(c.services for c in cases), global_defs)
        t0 = time.monotonic()
        before = self.table()  # entries made for a case (c.before), not by the daemon
        self.sink.take()
        for log in ("checks.log", "checks-done.log"):  # this daemon's runs only
            with open(os.path.join(WORK, log), "w"):
                pass
        checks_at_start = checks_run()
        proc = self.start(daemon, conf, keep)
        try:
            out["table"] = self.settle(settle, differs_from=before)
            out["thresholds"] = self.table("--thresholds")
            out["tunnels"] = self.table("--tun-info")
            out["timeouts"] = run("lb", ["ipvsadm", "-L", "--timeout"]).strip()
            if any(c.reload is not None for c in cases):
                self.write_conf(daemon, "".join(c.services if c.reload is None else c.reload
                                                for c in cases), global_defs)
                proc.send_signal(signal.SIGHUP)
                out["reloaded"] = self.settle(settle, differs_from=out["table"])
            out["steps"] = []
            # A case whose mails are compared takes its first step once its first results
            # are in (mailed as keepalived mails a MISC_CHECK's first result).
            wait_checks([f"{c.name}-{n}" for c in cases if c.mails for n in SERVERS
                         if f"health.sh {c.name}-{n}\"" in c.services], checks_at_start)
            for i in range(max(len(c.steps) for c in cases)):
                before = checks_run()
                for c in cases:
                    if i < len(c.steps):
                        self.take_step(c, c.steps[i], proc)
                flags = [f"{c.name}-{n}" for c in cases if c.steps for n in SERVERS
                         if f"health.sh {c.name}-{n}\"" in c.services
                         and (not c.local or c.steps[min(i, len(c.steps) - 1)]["local"])]
                wait_checks(flags, before)
                out["steps"].append(self.settle(settle))
            damage = [line for c in cases for line in c.damage]
            if daemon == "vigild" and damage:
                whole = out["steps"][-1] if out["steps"] else out["reloaded"] or out["table"]
                run("lb", ["ipvsadm", "-R"], "\n".join(damage) + "\n")
                out["restored"] = self.wait_table(whole)
            if traffic:
                out["answers"] = {c.name: [[request(p.proto, p.address, p.port)
                                            for _ in range(p.count)] for p in c.probes]
                                  for c in cases}
            out["running"] = proc.poll() is None
            if any(c.mails for c in cases):
                self.sink.quiet()
            out["mails"] = self.sink.take()
        finally:
            out["exit"] = self.stop(proc)
        out["after_stop"] = self.table()
        out["seconds"] = round(time.monotonic() - t0, 2)
        with open(proc.log_path, encoding="utf-8", errors="replace") as f:  # type: ignore
            out["log"] = f.read()[-8000:]
        run("lb", ["ipvsadm", "-C"])
        return out


def suspensions(proc: subprocess.Popen) -> int:
    """How many "Suspending healthchecker" lines the daemon of ``proc`` has logged (vigild's
    words are keepalived's)."""
    with open(proc.log_path, encoding="utf-8", errors="replace") as f:  # type: ignore
        return f.read().count("Suspending healthchecker for service")


def wait_for(pred, what: str, timeout: float = 10.0) -> None:
    """Waits (bounded) until ``pred()``."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{what}: not within {timeout}s")
        time.sleep(0.1)


def checks_run(log: str = "checks.log") -> dict[str, int]:
    """How many times HEALTH_SH has started (``checks-done.log``: ended) for each flag."""
    counts: dict[str, int] = {}
    try:
        with open(os.path.join(WORK, log)) as f:
            for line in f:
                counts[line.strip()] = counts.get(line.strip(), 0) + 1
    except FileNotFoundError:
        pass
    return counts


def wait_checks(flags: list[str], before: dict[str, int], timeout: float = 30.0) -> None:
    """Waits (bounded) until every check of ``flags`` has started twice since ``before``:
    the first of those runs saw the new state and its result is in by the second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = checks_run()
        if all(now.get(f, 0) - before.get(f, 0) >= 2 for f in flags):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the health checks of {flags} did not run twice in {timeout}s")


def wait_idle(flags: list[str], quiet: float = 2.0, timeout: float = 20.0) -> None:
    """Waits (bounded) until no check of ``flags`` is under way: each run started has ended
    and none has started for ``quiet`` seconds (a check the daemon launched just before it
    suspended them gets to its script within that)."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        started, ended = checks_run(), checks_run("checks-done.log")
        now = [(started.get(f, 0), ended.get(f, 0)) for f in flags]
        if now != last:
            last, since = now, time.monotonic()
        elif all(s == e for s, e in now) and time.monotonic() - since >= quiet:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the health checks of {flags} did not go idle in {timeout}s")


def set_health(case_name: str, step: dict) -> None:
    """Sets the flag files HEALTH_SH reads for every server of the case (absent: up)."""
    for server in SERVERS:
        flag = f"{case_name}-{server}"
        state = step.get(server)
        for kind, present in (("down", state == "down"), ("weight", isinstance(state, int))):
            path = os.path.join(WORK, f"{kind}-{flag}")
            if present:
                with open(path, "w") as f:
                    f.write(f"{state}\n" if kind == "weight" else "")
            elif os.path.exists(path):
                os.unlink(path)


def run_group(director: Director, cases: list[Case], out: dict) -> None:
    """Runs one group of cases, vigild then keepalived, each daemon's outcome into
    ``out[daemon]`` as it ends."""
    tc = [line for c in cases for line in c.lb_tc]
    try:
        if tc:
            run("lb", ["tc", "-batch", "-"], "\n".join(tc) + "\n")
        for daemon in ("vigild", "keepalived"):
            out[daemon] = director.run_daemon(daemon, cases, traffic=daemon == "vigild")
            print(f"driver: {cases[0].run}: {daemon} {out[daemon]['seconds']}s", flush=True)
    finally:
        if tc:
            run("lb", ["tc", "qdisc", "del", "dev", "eth0", "clsact"])


def case_results(cases: list[Case], group: dict) -> dict[str, dict]:
    """Each case's share of its group's result (``group``: run_group's, with its error)."""
    out = {}
    for c in cases:
        result: dict = {"name": c.name, "run": c.run, "error": group["error"]}
        for daemon in ("vigild", "keepalived"):
            if daemon not in group:
                continue
            o = group[daemon]
            result[daemon] = {
                "table": share(o["table"], c.keys), "reloaded": share(o["reloaded"], c.keys),
                "thresholds": share(o["thresholds"], c.keys),
                "tunnels": share(o["tunnels"], c.keys), "timeouts": o["timeouts"],
                "restored": share(o.get("restored"), c.keys),
                "steps": [share(t, c.keys) for t in o["steps"][:len(c.steps)]],
                "after_stop": share(o["after_stop"], c.keys),
                "whole_after_stop": o["after_stop"], "exit": o["exit"],
                "running": o["running"], "answers": o.get("answers", {}).get(c.name),
                "mails": o.get("mails") if c.mails else None,
                "log": o["log"]}
        out[c.name] = result
    return out


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    build_network()
    servers = Servers()
    for name in SERVERS:
        servers.listen(name)
    servers.thread.start()
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "health.sh"), "w") as f:
        f.write(HEALTH_SH)
    os.chmod(os.path.join(WORK, "health.sh"), 0o755)
    director = Director(WORK, args.vigild, MailSink())
    print(f"driver: network ready in {time.monotonic() - started:.1f}s", flush=True)
    runs: dict[str, list[Case]] = {}
    for c in CASES:
        if not args.only or c.name in args.only:
            runs.setdefault(c.run, []).append(c)
    run_cases({name: lambda _vigild, out, group=group: run_group(director, group, out)
               for name, group in runs.items()},
              args, split=lambda result: case_results(runs[result["name"]], result))
    print(f"driver: done in {time.monotonic() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
