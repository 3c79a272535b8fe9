"""The accept-mode filter's nftables tables and global_defs' firewall keywords (nftables,
nftables_priority, nftables_counters, nftables_ifindex, vrrp_iptables): vigild installs the
very ruleset Debian's keepalived 2.2.7 installs for the same configuration on the same
lab node (compared object for object, handles and counter values aside)."""

from __future__ import annotations

import json

import pytest

import lab as lablib
from vrrp_lab import IP, KEEPALIVED, Spec, VrrpLab, require_keepalived

SPEC = Spec(version=3, interval=0.1)
V4 = "10.99.0.100"
V6 = "fd00:99::100"
LL = "fe80::100"


def body(v6_extra: str = "", extra: str = "no_accept") -> str:
    """An IPv4 and an IPv6 instance (without accept mode unless ``extra`` says otherwise);
    the IPv6 one has a link-local VIP."""
    def inst(name: str, vrid: int, vips: list[str], extra: str = "") -> str:
        lines = ["state MASTER", "interface eth0", f"virtual_router_id {vrid}", "version 3",
                 "advert_int 0.1", "priority 150", *extra.split("\n"),
                 "virtual_ipaddress {", *[f"    {v}" for v in vips], "}"]
        return (f"vrrp_instance {name} {{\n" +
                "".join(f"    {line}\n" for line in lines if line) + "}\n")
    return (inst("VI_4", 51, [f"{V4}/16"], extra) +
            inst("VI_6", 52, [f"{LL}/64", f"{V6}/64"], extra + "\n" + v6_extra))


def ruleset(node: lablib.Node, rename: tuple[str, str] | None = None) -> dict:
    """`nft -j list ruleset` by table: (family, name) -> its sets, chains and rules in
    listed order, without handles, counters zeroed; ``rename`` maps a table name."""
    out = json.loads(node.run([lablib.NFT, "-j", "list", "ruleset"]).stdout)["nftables"]
    tables: dict = {}
    for obj in out:
        ((kind, o),) = obj.items()
        if kind == "metainfo":
            continue
        o = {k: v for k, v in o.items() if k != "handle"}
        name = o["name"] if kind == "table" else o["table"]
        if rename and name == rename[0]:
            name = rename[1]
            if kind != "table":
                o["table"] = name
        if kind == "table":
            tables[(o["family"], name)] = []
            continue
        if kind == "rule":
            o["expr"] = [{"counter": {"packets": 0, "bytes": 0}} if "counter" in e else e
                         for e in o["expr"]]
        tables[(o["family"], name)].append({kind: o})
    return tables


def holds(r, vmac: bool = False) -> bool:
    if vmac:
        return V4 in r.addresses("vrrp.51") and {V6, LL} <= set(r.addresses("vrrp.52"))
    return {V4, V6, LL} <= set(r.addresses())


def filtered(node: lablib.Node, family: str, table: str, set_name: str) -> list | None:
    proc = node.run([lablib.NFT, "-j", "list", "set", family, table, set_name], check=False)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout)["nftables"][1]["set"].get("elem", [])


def run(vl: VrrpLab, kind: str, global_extra: str, v6_extra: str, table: str,
        extra: str = "no_accept") -> dict:
    """Runs ``kind`` on r1 until it holds the VIPs and filters them (or, with accept mode
    and use_vmac, until its VMACs are in the tables); returns its ruleset, and checks that
    the tables go when the daemon stops."""
    r = vl.routers.get("r1") or vl.router("r1", kind)
    r.kind = kind
    vmac = "use_vmac" in extra
    r.start(SPEC, None, body=body(v6_extra, extra), global_extra=global_extra)
    lablib.wait_until(lambda: holds(r, vmac), timeout=15, message=f"{kind} holds the VIPs")
    if "no_accept" in extra:
        lablib.wait_until(lambda: filtered(r.node, "ip6", table, "vips") == [V6] and
                          filtered(r.node, "ip", table, "vips") == [V4],
                          timeout=10, message=f"{kind} filters the VIPs")
    if vmac:
        lablib.wait_until(lambda: filtered(r.node, "ip6", table, "vmac_set") == ["vrrp.52"],
                          timeout=10, message=f"{kind} moves the VMACs' reports")
    got = ruleset(r.node)
    r.term()
    lablib.wait_until(lambda: ruleset(r.node) == {}, timeout=10,
                      message=f"{kind} deletes its tables at stop")
    return got


def chain(name: str, table: str, family: str, hook: str, prio: int) -> dict:
    return {"chain": {"family": family, "table": table, "name": name, "type": "filter",
                      "hook": hook, "prio": prio, "policy": "accept"}}


def match(table: str, family: str, chain_name: str, proto: str, field: str, right,
          verdict: dict, counter: bool) -> dict:
    expr = [{"match": {"op": "==", "left": {"payload": {"protocol": proto, "field": field}},
                       "right": right}}]
    if counter:
        expr.append({"counter": {"packets": 0, "bytes": 0}})
    expr.append(verdict)
    return {"rule": {"family": family, "table": table, "chain": chain_name, "expr": expr}}


def test_default_filter_is_keepaliveds_in_vigils_own_tables(lab, vigild):
    """no_accept alone: vigil's tables ip/ip6 vigil_vrrp hold exactly keepalived's objects
    (keepalived names its tables 'keepalived'); link-local VIPs by interface index."""
    vl = VrrpLab(lab, vigild)
    got = run(vl, "vigil", "", "", "vigil_vrrp")
    t = "vigil_vrrp"
    assert got[("ip", t)] == [
        {"set": {"family": "ip", "name": "vips", "table": t, "type": "ipv4_addr",
                 "elem": [V4]}},
        chain("out", t, "ip", "output", -1),
        chain("in", t, "ip", "input", -1),
        match(t, "ip", "out", "ip", "saddr", "@vips", {"drop": None}, False),
        match(t, "ip", "in", "ip", "daddr", "@vips", {"drop": None}, False),
    ]
    v6 = got[("ip6", t)]
    assert v6[:3] == [
        {"set": {"family": "ip6", "name": "vips", "table": t, "type": "ipv6_addr",
                 "elem": [V6]}},
        {"set": {"family": "ip6", "name": "neighbor-discovery", "table": t,
                 "type": "icmpv6_type", "flags": ["constant"],
                 "elem": ["nd-neighbor-solicit", "nd-neighbor-advert"]}},
        {"set": {"family": "ip6", "name": "vips_link_local", "table": t,
                 "type": ["ipv6_addr", "iface_index"],
                 "elem": [{"concat": [LL, "eth0"]}]}},
    ]
    assert [o["chain"]["name"] for o in v6 if "chain" in o] == [
        "out", "in", "in_link_local", "out_link_local"]
    require_keepalived()
    want = run(vl, "keepalived", "", "", "keepalived")
    assert ruleset_renamed(got, t, "keepalived") == want


def ruleset_renamed(tables: dict, old: str, new: str) -> dict:
    out = {}
    for (family, name), objs in tables.items():
        if name != old:
            out[(family, name)] = objs
            continue
        out[(family, new)] = [{k: {**o, "table": new}} for obj in objs for k, o in obj.items()]
    return out


@pytest.mark.parametrize("case", ["named-counters-by-name", "ifindex", "iptables"])
def test_firewall_keywords_make_keepaliveds_ruleset(lab, vigild, case):
    """nftables NAME, nftables_priority, nftables_counters; dont_track_primary keys
    link-local VIPs by name unless nftables_ifindex; vrrp_iptables means nftables."""
    require_keepalived()
    global_extra, v6_extra, table = {
        "named-counters-by-name": ("nftables fw_vrrp\nnftables_priority -300\n"
                                   "nftables_counters", "dont_track_primary", "fw_vrrp"),
        "ifindex": ("nftables fw_vrrp\nnftables_priority 7\nnftables_ifindex",
                    "dont_track_primary", "fw_vrrp"),
        "iptables": ("vrrp_iptables VRRP_IN VRRP_OUT", "", None),
    }[case]
    vl = VrrpLab(lab, vigild)
    vigil_table = table or "vigil_vrrp"
    got = run(vl, "vigil", global_extra, v6_extra, vigil_table)
    want = run(vl, "keepalived", global_extra, v6_extra, table or "keepalived")
    assert ruleset_renamed(got, vigil_table, table or "keepalived") == want
    v6 = got[("ip6", vigil_table)]
    sets = [o["set"]["name"] for o in v6 if "set" in o]
    prio = [o["chain"].get("prio") for o in v6 if "chain" in o]
    counters = all(any("counter" in e for e in o["rule"]["expr"]) for o in v6 if "rule" in o)
    if case == "named-counters-by-name":
        assert sets == ["vips", "neighbor-discovery", "vips_link_local_name"]
        assert prio == [-300, -300, None, None] and counters
    elif case == "ifindex":
        assert sets == ["vips", "neighbor-discovery", "vips_link_local"]
        assert prio == [7, 7, None, None] and not counters
    else:
        assert prio == [-1, -1, None, None] and not counters


@pytest.mark.parametrize("extra,igmp", [("use_vmac", ""), ("use_vmac\nno_accept", ""),
                                        ("use_vmac", "disable_local_igmp")])
def test_vmac_reports_rules_are_keepaliveds(lab, vigild, extra, igmp):
    """use_vmac: the VMACs' IGMP / MLD reports leave by the parent and their router
    solicitations are dropped, in the same tables as the VIP filter, as keepalived has it;
    under disable_local_igmp an IPv4 VMAC has no IGMP reports to move (no rule)."""
    require_keepalived()
    vl = VrrpLab(lab, vigild)
    g = "nftables fw_vrrp\n" + igmp
    got = run(vl, "vigil", g, "", "fw_vrrp", extra)
    want = run(vl, "keepalived", g, "", "fw_vrrp", extra)
    assert got == want
    vmac_map = {"map": {"family": "ip", "name": "vmac_map", "table": "fw_vrrp",
                        "type": "iface_index", "map": "iface_index",
                        "elem": [["vrrp.51", "eth0"]]}}
    if igmp:
        assert ("ip", "fw_vrrp") not in got
    else:
        assert vmac_map in got[("ip", "fw_vrrp")]
    out = [o["rule"] for o in got[("ip6", "fw_vrrp")] if "rule" in o and o["rule"]["chain"] == "out"]
    assert [list(e)[0] for e in out[0]["expr"]][-2:] == ["dup", "drop"]
    assert len(out) == (5 if "no_accept" in extra else 2)


def test_no_accept_ipv6_vip_still_resolves(lab, vigild):
    """Neighbour discovery passes the filter: a client resolves the IPv6 VIP to the
    master's MAC (it can route through it) though the VIP itself does not answer."""
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1")
    r1.start(SPEC, None, body=body())
    lablib.wait_until(lambda: holds(r1), timeout=15, message="r1 holds the VIPs")
    lablib.wait_until(lambda: filtered(r1.node, "ip6", "vigil_vrrp", "vips") == [V6],
                      timeout=10, message="r1 filters the IPv6 VIP")
    assert not vl.client.ping(V6, timeout=1.0)
    assert vl.neighbour_mac(V6) == r1.mac()
    assert vl.client.ping(r1.ipv6, timeout=2.0)
    assert r1.term() == 0


def test_reload_keeps_the_filters_tables(lab, vigild):
    """A reload may not rename the tables (refused, as keepalived refuses it); a new
    priority or counters setting leaves the tables made as they are (logged)."""
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1")
    r1.start(SPEC, None, body=body())
    lablib.wait_until(lambda: filtered(r1.node, "ip", "vigil_vrrp", "vips") == [V4],
                      timeout=15, message="r1 filters the VIP")
    before = ruleset(r1.node)

    def reload(global_extra: str) -> dict:
        with open(r1.conf, "w") as f:
            f.write(r1.config(body(), global_extra))
        proc = r1.node.run([vl.vigilctl, "-s", r1.ctl, "--json", "reload"], check=False,
                           timeout=15)
        return json.loads(proc.stdout)

    reply = reload("nftables fw_vrrp")
    assert reply["ok"] is False
    assert reply["error"] == "nftables cannot change at a reload; restart vigild"
    assert ruleset(r1.node) == before
    assert reload("nftables\nnftables_priority 5\nnftables_counters")["ok"] is True
    lablib.wait_until(lambda: "nftables_priority and nftables_counters cannot change at a "
                      "reload" in r1.log(), timeout=10, message="the engine says so")
    assert ruleset(r1.node) == before
    assert r1.term() == 0
    assert ruleset(r1.node) == {}


@pytest.mark.parametrize("lines,status", [
    ("nftables fw_vrrp\nnftables_priority -300\nnftables_counters\nnftables_ifindex", 0),
    ("nftables_priority 10\nnftables fw_vrrp", 0),  # the priority is lost, silently there
    ("nftables\nnftables_ipvs\nnftables_ipvs_priority 3\nnftables_ipvs_start_fwmark 7", 0),
    ("nftables a\nnftables b", 5),
    ("nftables_priority x", 5),
    ("nftables_priority 2147483648", 5),
    ("nftables_ipvs_start_fwmark 0", 5),
    ("nftables_ipvs_priority -2147483649", 5),
    ("vrrp_iptables", 5),
    ("vrrp_iptables VRRP_IN VRRP_OUT", 5),
    ("vrrp_ipsets keepalived", 5),
])
def test_check_exits_as_keepalived(lab, vigild, lines, status):
    """vigild -t and keepalived 2.2.7 -t on the same file, on a node where the interface
    exists: the same exit status."""
    require_keepalived()
    vl = VrrpLab(lab, vigild)
    node = vl.router("r1").node
    conf = vl.file("check.conf", "global_defs {\n" + "".join(
        f"    {line}\n" for line in lines.split("\n")) + "}\n" + body())
    k = node.run([KEEPALIVED, "-t", "-f", conf], check=False)
    t = node.run([vl.vigild, "-t", "-f", conf], check=False)
    assert (t.returncode, k.returncode) == (status, status), t.stderr + k.stdout + k.stderr


def test_strict_version_2_resets_accept_as_keepalived(lab, vigild):
    """strict mode with VRRP version 2 takes no accept mode (RFC 3768): keepalived resets
    an explicit `accept` (-t exits 5) and filters the VIP; so does vigild."""
    require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1")
    v2 = Spec(version=2, interval=1)
    conf = vl.file("v2.conf", "global_defs {\n}\n" +
                   r1.instance(v2, 150, extra="strict_mode\naccept", state="MASTER"))
    k = r1.node.run([KEEPALIVED, "-t", "-f", conf], check=False)
    t = r1.node.run([vl.vigild, "-t", "-f", conf], check=False)
    assert (t.returncode, k.returncode) == (5, 5)
    assert "accept mode for VRRP version 2 does not comply with RFC3768" in k.stdout + k.stderr
    r1.start(v2, 150, extra="strict_mode\naccept", state="MASTER")
    lablib.wait_until(lambda: r1.holds_all(), timeout=15, message="r1 holds the VIP")
    lablib.wait_until(lambda: filtered(r1.node, "ip", "vigil_vrrp", "vips") == v2.vips(),
                      timeout=10, message="r1 filters the VIP")
    assert not vl.client.ping(v2.vips()[0], timeout=1.0)
    assert r1.term() == 0


def test_dont_release_vrrp_keeps_the_vips_but_not_the_tables_as_keepalived(lab, vigild):
    """With -V (--dont-release-vrrp) the VIPs stay at stop, but the filter's tables go:
    keepalived 2.2.7 deletes its tables whatever -V says."""
    require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1")
    for kind, table in (("vigil", "vigil_vrrp"), ("keepalived", "keepalived")):
        r1.kind = kind
        r1.start(SPEC, None, body=body(), args=("-V",))
        lablib.wait_until(lambda: filtered(r1.node, "ip6", table, "vips") == [V6] and
                          filtered(r1.node, "ip", table, "vips") == [V4],
                          timeout=15, message=f"{kind} filters the VIPs")
        assert r1.term() == 0
        lablib.wait_until(lambda: ruleset(r1.node) == {}, timeout=10,
                          message=f"{kind} deletes its tables")
        assert holds(r1), kind
        for a in (f"{V4}/16", f"{V6}/64", f"{LL}/64"):
            r1.node.run([IP, "addr", "del", a, "dev", "eth0"])
