"""static_routes / static_rules / virtual_routes / virtual_rules options as keepalived 2.2.7
puts them in the kernel, checked for both daemons on the same lab (`ip -j route show table
all`, `ip -j rule`): scope global unless given, protocol "keepalived" unless a protocol is
given with no_track (a tracked route's or rule's is reset), onlink, via, src, metric,
table, tos, realms, pref, append, nexthop (multipath), the route types, IPv6, the route
metrics (mtu, advmss, ..., rtt / rttvar / rto_min in keepalived's units, lock); a rule's from, to,
fwmark/mask, iif, oif, not, tos, preference, protocol, the actions (table, goto, nop,
blackhole, unreachable, prohibit, l3mdev), suppress_prefixlength / suppress_ifgroup,
uidrange, ipproto, sport / dport ranges, realms; a rule without a preference numbered from
16384 down per family in the order of the file. (keepalived 2.2.7 ignores a sport or dport
of one port, "invalid sport range": vigil takes it, so the test gives ranges.)"""

from __future__ import annotations

import json

import pytest

import lab as lablib
from vrrp_lab import IP, Spec, VrrpLab, require_keepalived

SPEC = Spec(version=3, interval=0.1)

ROUTES = [
    "10.1.1.0/24 via 10.99.0.254 dev eth0",
    "10.1.2.0/24 dev eth0 src 10.99.0.1",
    "10.1.3.0/24 dev eth0 scope link table 100",
    "10.1.4.0/24 via 10.99.0.254 metric 50",
    "10.1.5.0/24 dev eth0 protocol static no_track",
    "10.1.6.0/24 dev eth0 protocol static",
    "blackhole 10.1.7.0/24",
    "unreachable 10.1.8.0/24",
    "prohibit 10.1.9.0/24 table 100",
    "10.1.10.0/24 via 192.0.2.1 dev eth0 onlink",
    "default via 10.99.0.254 table 101",
    "2001:db8:1::/64 via fd00:99::254 dev eth0",
    "10.1.11.0/24 dev eth0 mtu lock 1400 advmss 1300 hoplimit 10 initcwnd 10 initrwnd 20",
    "10.1.12.0/24 dev eth0 window 100 cwnd lock 10 ssthresh 20 reordering 5 features ecn",
    "10.1.13.0/24 dev eth0 quickack 1 fastopen_no_cookie 1 congctl lock cubic",
    "10.1.14.0/24 table 102 nexthop via 10.99.0.253 dev eth0 weight 1 "
    "nexthop via 10.99.0.252 dev eth0 weight 2",
    "10.1.15.0/24 dev eth0 tos 0x10",
    "10.1.16.0/24 dev eth0 realms 3/4",
    "2001:db8:2::/64 dev eth0 pref high",
    "throw 10.1.17.0/24 table 102",
    "10.1.18.0/24 via 10.99.0.254 dev eth0 metric 7 table 102",
    "10.1.18.0/24 via 10.99.0.253 dev eth0 metric 7 table 102 append",
    "10.1.19.0/24 dev eth0 rtt 100 rttvar 5000 rto_min 300ms",
    "10.1.21.0/24 dev eth0 rtt lock 1.5s rttvar 30ms rto_min lock 2s",
    "10.1.22.0/24 dev eth0 rtt 200s rttvar 1.25sec",
]
RULES = [
    "from 10.2.1.0/24 table 100 preference 1001",
    "to 10.2.2.0/24 table 100 priority 1002",
    "from 10.2.3.0/24 fwmark 3/0xff table 100 preference 1003",
    "iif eth0 table 100 preference 1004",
    "from 10.2.5.0/24 table 100 preference 1005 protocol 4 no_track",
    "from 2001:db8:3::/64 table 100 preference 1006",
    "oif eth0 table 100 preference 1007",
    "not from 10.2.8.0/24 tos 0x10 table 100 preference 1008",
    "from 10.2.9.0/24 goto 1010 preference 1009",
    "from 10.2.10.0/24 blackhole preference 1010",
    "from 10.2.11.0/24 type unreachable preference 1011",
    "from 10.2.12.0/24 prohibit preference 1012",
    "from 10.2.13.0/24 nop preference 1013",
    "table 100 suppress_prefixlength 0 preference 1014",
    "uidrange 1000-2000 table 100 preference 1015",
    "from 10.2.16.0/24 ipproto tcp sport 1000-2000 dport 80-81 table 100 preference 1016",
    "l3mdev preference 1017",
    "from 10.2.18.0/24 realms 3/4 table 100 preference 1018",
    "from 10.2.19.0/24 suppress_ifgroup 5 table 100 preference 1019",
    "from 10.2.30.0/24 table 100",
    "from 10.2.31.0/24 table 100",
    "from 2001:db8:4::/64 table 100",
]
K = "keepalived"
# As keepalived 2.2.7 leaves them (ip -j, sorted by table and destination; rules in order).
WANT_ROUTES = [
    {"dst": "10.1.1.0/24", "gateway": "10.99.0.254", "dev": "eth0", "protocol": K, "flags": []},
    {"dst": "10.1.10.0/24", "gateway": "192.0.2.1", "dev": "eth0", "protocol": K,
     "flags": ["onlink"]},
    {"dst": "10.1.11.0/24", "dev": "eth0", "protocol": K, "flags": [],
     "metrics": [{"mtu": 1400, "advmss": 1300, "hoplimit": 10, "initcwnd": 10, "initrwnd": 20}]},
    {"dst": "10.1.12.0/24", "dev": "eth0", "protocol": K, "flags": [],
     "metrics": [{"window": 100, "ssthresh": 20, "cwnd": 10, "reordering": 5, "ecn": None}]},
    {"dst": "10.1.13.0/24", "dev": "eth0", "protocol": K, "flags": [],
     "metrics": [{"quickack": 1, "congestion": "cubic", "fastopen_no_cookie": 1}]},
    {"dst": "10.1.15.0/24", "tos": "0x10", "dev": "eth0", "protocol": K, "flags": []},
    {"dst": "10.1.16.0/24", "dev": "eth0", "protocol": K, "flags": [],
     "flow": {"from": "3", "to": "4"}},
    {"dst": "10.1.19.0/24", "dev": "eth0", "protocol": K, "flags": [],
     "metrics": [{"rtt": 200, "rttvar": 1250, "rto_min": 300}]},
    {"dst": "10.1.2.0/24", "dev": "eth0", "protocol": K, "prefsrc": "10.99.0.1", "flags": []},
    {"dst": "10.1.20.0/24", "dev": "eth0", "protocol": K, "flags": []},
    {"dst": "10.1.21.0/24", "dev": "eth0", "protocol": K, "flags": [],
     "metrics": [{"rtt": 1500, "rttvar": 200, "rto_min": 2000}]},
    {"dst": "10.1.22.0/24", "dev": "eth0", "protocol": K, "flags": [],
     "metrics": [{"rtt": 120000, "rttvar": 1250}]},
    {"dst": "10.1.4.0/24", "gateway": "10.99.0.254", "dev": "eth0", "protocol": K, "metric": 50,
     "flags": []},
    {"dst": "10.1.5.0/24", "dev": "eth0", "protocol": "static", "flags": []},
    {"dst": "10.1.6.0/24", "dev": "eth0", "protocol": K, "flags": []},
    {"type": "blackhole", "dst": "10.1.7.0/24", "protocol": K, "flags": []},
    {"type": "unreachable", "dst": "10.1.8.0/24", "protocol": K, "flags": []},
    {"dst": "2001:db8:1::/64", "gateway": "fd00:99::254", "dev": "eth0", "protocol": K,
     "metric": 1024, "flags": [], "pref": "medium"},
    {"dst": "2001:db8:2::/64", "dev": "eth0", "protocol": K, "metric": 1024, "flags": [],
     "pref": "high"},
    {"dst": "10.1.3.0/24", "dev": "eth0", "table": "100", "protocol": K, "scope": "link",
     "flags": []},
    {"type": "prohibit", "dst": "10.1.9.0/24", "table": "100", "protocol": K, "flags": []},
    {"dst": "default", "gateway": "10.99.0.254", "dev": "eth0", "table": "101", "protocol": K,
     "flags": []},
    {"dst": "10.1.14.0/24", "table": "102", "protocol": K, "flags": [],
     "nexthops": [{"gateway": "10.99.0.253", "dev": "eth0", "weight": 1, "flags": []},
                  {"gateway": "10.99.0.252", "dev": "eth0", "weight": 2, "flags": []}]},
    {"type": "throw", "dst": "10.1.17.0/24", "table": "102", "protocol": K, "flags": []},
    {"dst": "10.1.18.0/24", "gateway": "10.99.0.254", "dev": "eth0", "table": "102",
     "protocol": K, "metric": 7, "flags": []},
    {"dst": "10.1.18.0/24", "gateway": "10.99.0.253", "dev": "eth0", "table": "102",
     "protocol": K, "metric": 7, "flags": []},
]
WANT_RULES = [
    {"priority": 1001, "src": "10.2.1.0", "srclen": 24, "table": "100", "protocol": K},
    {"priority": 1002, "src": "all", "dst": "10.2.2.0", "dstlen": 24, "table": "100",
     "protocol": K},
    {"priority": 1003, "src": "10.2.3.0", "srclen": 24, "fwmark": "0x3", "fwmask": "0xff",
     "table": "100", "protocol": K},
    {"priority": 1004, "src": "all", "iif": "eth0", "table": "100", "protocol": K},
    {"priority": 1005, "src": "10.2.5.0", "srclen": 24, "table": "100", "protocol": "static"},
    {"priority": 1007, "src": "all", "oif": "eth0", "table": "100", "protocol": K},
    {"priority": 1008, "not": None, "src": "10.2.8.0", "srclen": 24, "tos": "0x10",
     "table": "100", "protocol": K},
    {"priority": 1009, "src": "10.2.9.0", "srclen": 24, "goto": 1010, "protocol": K},
    {"priority": 1010, "src": "10.2.10.0", "srclen": 24, "action": "blackhole", "protocol": K},
    {"priority": 1011, "src": "10.2.11.0", "srclen": 24, "action": "unreachable", "protocol": K},
    {"priority": 1012, "src": "10.2.12.0", "srclen": 24, "action": "prohibit", "protocol": K},
    {"priority": 1013, "src": "10.2.13.0", "srclen": 24, "nop": None, "protocol": K},
    {"priority": 1014, "src": "all", "table": "100", "suppress_prefixlen": 0, "protocol": K},
    {"priority": 1015, "src": "all", "uid_start": 1000, "uid_end": 2000, "table": "100",
     "protocol": K},
    {"priority": 1016, "src": "10.2.16.0", "srclen": 24, "ipproto": "tcp", "sport_start": 1000,
     "sport_end": 2000, "dport_start": 80, "dport_end": 81, "table": "100", "protocol": K},
    {"priority": 1017, "src": "all", "l3mdev": None, "protocol": K},
    {"priority": 1018, "src": "10.2.18.0", "srclen": 24, "table": "100", "flow_from": "3",
     "flow_to": "4", "protocol": K},
    {"priority": 1019, "src": "10.2.19.0", "srclen": 24, "table": "100", "suppress_ifgroup": "5",
     "protocol": K},
    {"priority": 1020, "src": "10.2.20.0", "srclen": 24, "table": "100", "protocol": K},
    {"priority": 16383, "src": "10.2.31.0", "srclen": 24, "table": "100", "protocol": K},
    {"priority": 16384, "src": "10.2.30.0", "srclen": 24, "table": "100", "protocol": K},
    {"priority": 1006, "src": "2001:db8:3::", "srclen": 64, "table": "100", "protocol": K},
    {"priority": 16384, "src": "2001:db8:4::", "srclen": 64, "table": "100", "protocol": K},
]
VIRTUAL = "virtual_routes {\n    10.1.20.0/24 dev eth0\n}\n" \
          "virtual_rules {\n    from 10.2.20.0/24 table 100 preference 1020\n}"


def ours(routes: list[dict]) -> list[dict]:
    """The routes of the configuration (10.1/16, 2001:db8::/32, table 101's default)."""
    keep = [r for r in routes if r.get("dst", "").startswith(("10.1.", "2001:db8:")) or
            r.get("table") == "101"]
    return sorted(keep, key=lambda r: (r.get("table", ""), r["dst"]))


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_route_and_rule_options_in_the_kernel(lab, vigild, kind):
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    top = ("static_routes {\n" + "".join(f"    {line}\n" for line in ROUTES) + "}\n" +
           "static_rules {\n" + "".join(f"    {line}\n" for line in RULES) + "}\n")
    r1.start(SPEC, 255, state="MASTER", top=top, extra=VIRTUAL)
    lablib.wait_until(lambda: r1.holds_all(), timeout=10, message="r1 holds the VIP")

    def routes() -> list[dict]:
        out = []
        for family in ("-4", "-6"):
            out += json.loads(r1.node.run([IP, family, "-j", "route", "show", "table",
                                           "all"]).stdout)
        return ours(out)

    def rules() -> list[dict]:
        out = []
        for family in ("-4", "-6"):
            out += [r for r in json.loads(r1.node.run([IP, family, "-j", "rule"]).stdout)
                    if 1000 <= r["priority"] < 2000 or 16000 <= r["priority"] <= 16384]
        return out

    lablib.wait_until(lambda: len(routes()) == len(ROUTES) + 1 and len(rules()) == len(RULES) + 1,
                      timeout=10, message=f"the routes and rules: {routes()} {rules()}")
    assert routes() == WANT_ROUTES
    # ip -j leaves the locks out; its text says them.
    text = r1.node.run([IP, "route", "show"]).stdout.splitlines()
    assert [line for line in text if "lock" in line] == [
        "10.1.11.0/24 dev eth0 proto keepalived mtu lock 1400 advmss 1300 hoplimit 10 "
        "initcwnd 10 initrwnd 20 ",
        "10.1.12.0/24 dev eth0 proto keepalived window 100 ssthresh 20 cwnd lock 10 "
        "reordering 5 features ecn ",
        "10.1.13.0/24 dev eth0 proto keepalived quickack 1 congctl lock cubic "
        "fastopen_no_cookie 1 ",
        "10.1.21.0/24 dev eth0 proto keepalived rtt lock 1.5s rttvar 200ms rto_min lock 2s "]
    assert rules() == WANT_RULES
    assert r1.term() == 0
