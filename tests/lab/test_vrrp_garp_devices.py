"""Gratuitous ARPs and unsolicited NAs for VIPs given with `dev IFNAME` leave on that
device, from its own MAC, as keepalived 2.2.7 sends them: the instance's interface (or its
VMAC) carries only the announcements of the VIPs that are on it. What is announced depends
on the VIP's base interface, read each time: an NA carries the Router flag when that
interface forwards IPv6 (net.ipv6.conf.IF.forwarding = 1), and an interface flagged NOARP
(`ip link set IF arp off`) gets neither ARP nor NA, though its VIPs are added.

Each router has eth0 on the lab's bridge and a veth `lan1` whose peer `lan1p` stays in the
router's namespace; captures run on the bridge and on `lan1p` at the same time."""

from __future__ import annotations

import pytest

import lab as lablib
from vrrp_lab import IP, VrrpLab, require_tshark

VMAC = "00:00:5e:00:01:3d"  # VRID 61, IPv4

BODY = """vrrp_instance VI_1 {{
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 255
    advert_int 1
    garp_master_repeat 2
    garp_master_delay 0
    {vmac}
    virtual_ipaddress {{
{vips}
    }}
    virtual_ipaddress_excluded {{
{excluded}
    }}
}}
"""
BCAST = "ff:ff:ff:ff:ff:ff"
ALL_NODES = "33:33:00:00:00:01"

BPF = "arp or (icmp6 and ip6[40] == 136)"


def _announcements(cap: lablib.Capture) -> list[tuple]:
    """Each ARP / NA captured, in order, with every field keepalived and vigil set."""
    out = []
    for p in cap.packets():
        eth = lablib.layer(p, "eth")
        arp = lablib.layer(p, "arp")
        if arp:
            out.append(("arp", eth["eth.src"], eth["eth.dst"], arp["arp.opcode"],
                        arp["arp.src.hw_mac"], arp["arp.src.proto_ipv4"],
                        arp["arp.dst.hw_mac"], arp["arp.dst.proto_ipv4"]))
            continue
        icmp = lablib.layer(p, "icmpv6")
        ip6 = lablib.layer(p, "ipv6")
        flags = icmp["icmpv6.nd.na.flag_tree"]
        out.append(("na", eth["eth.src"], eth["eth.dst"], ip6["ipv6.src"], ip6["ipv6.dst"],
                    icmp["icmpv6.nd.na.target_address"], flags["icmpv6.nd.na.flag.r"],
                    flags["icmpv6.nd.na.flag.s"], flags["icmpv6.nd.na.flag.o"],
                    icmp["icmpv6.opt"]["icmpv6.opt.linkaddr"]))
    return out


def _body(vips: list[str], excluded: list[str], vmac: bool = False) -> str:
    """The instance with VIPs `vips` and excluded VIPs `excluded` (with use_vmac if `vmac`)."""
    return BODY.format(vmac="use_vmac" if vmac else "", vips=_lines(vips),
                       excluded=_lines(excluded))


def _lines(addresses: list[str]) -> str:
    return "\n".join(" " * 8 + a for a in addresses)


def _router_with_lan1(lab, vigild, kind: str):
    """Router r1 running `kind` (not started) and its node, with veth lan1 (peer lan1p)."""
    require_tshark()
    r1 = VrrpLab(lab, vigild).router("r1", kind)
    node = r1.node
    node.run([IP, "link", "add", "lan1", "type", "veth", "peer", "name", "lan1p"])
    node.run([IP, "addr", "add", "10.98.0.1/24", "dev", "lan1"])
    node.run([IP, "-6", "addr", "add", "fd00:98::1/64", "dev", "lan1", "nodad"])
    node.link_set("lan1p", True)
    node.link_set("lan1", True)
    return r1, node


def _garp(mac: str, vip: str) -> tuple:
    """An ARP request to broadcast, sender = target = `vip`, from `mac`."""
    return ("arp", mac, BCAST, "1", mac, vip, BCAST, vip)


def _na(mac: str, vip: str, router: str) -> tuple:
    """An unsolicited (S clear), overriding NA for `vip` from `vip` to all nodes, with
    link-layer address `mac`, Router flag `router`."""
    return ("na", mac, ALL_NODES, vip, "ff02::1", vip, router, "0", "1", mac)


@pytest.mark.parametrize("vmac", [False, True], ids=["interface", "use_vmac"])
@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_announcements_leave_on_the_vips_own_device(lab, vigild, kind, vmac):
    r1, node = _router_with_lan1(lab, vigild, kind)
    lan1 = node.mac("lan1")
    eth0 = VMAC if vmac else node.mac("eth0")
    # Each capture ends at the number of messages its device must carry (bounded in time):
    # a message on the wrong device shows as a wrong one among them.
    on_bridge = lab.switch.start_capture(lab.BRIDGE, duration=15, bpf=BPF, count=2)
    on_lan1 = node.start_capture("lan1p", duration=15, bpf=BPF, count=4)
    r1.start(None, None, body=_body(["10.99.0.100/16", "10.98.0.100/24 dev lan1"],
                                     ["fd00:98::100/64 dev lan1"], vmac))
    bridge, lan = _announcements(on_bridge), _announcements(on_lan1)
    logs = r1.log()[-3000:]
    assert bridge == [_garp(eth0, "10.99.0.100")] * 2, logs
    # The NA is not a router's: lan1 does not forward IPv6.
    assert lan == [_garp(lan1, "10.98.0.100"), _na(lan1, "fd00:98::100", "0")] * 2, logs


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_na_has_the_router_flag_where_the_interface_forwards_ipv6(lab, vigild, kind):
    r1, node = _router_with_lan1(lab, vigild, kind)
    node.sysctl("net.ipv6.conf.lan1.forwarding", 1)
    node.sysctl("net.ipv6.conf.eth0.forwarding", 0)
    lan1, eth0 = node.mac("lan1"), node.mac("eth0")
    on_bridge = lab.switch.start_capture(lab.BRIDGE, duration=15, bpf=BPF, count=4)
    on_lan1 = node.start_capture("lan1p", duration=15, bpf=BPF, count=2)
    r1.start(None, None, body=_body(["10.99.0.100/16"],
                                     ["fd00:99::100/64", "fd00:98::100/64 dev lan1"]))
    bridge, lan = _announcements(on_bridge), _announcements(on_lan1)
    logs = r1.log()[-3000:]
    assert bridge == [_garp(eth0, "10.99.0.100"), _na(eth0, "fd00:99::100", "0")] * 2, logs
    assert lan == [_na(lan1, "fd00:98::100", "1")] * 2, logs


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_a_noarp_interface_gets_no_announcement_but_its_vips(lab, vigild, kind):
    r1, node = _router_with_lan1(lab, vigild, kind)
    node.run([IP, "link", "set", "lan1", "arp", "off"])
    eth0 = node.mac("eth0")
    # lan1's VIPs come first: their messages (if any) would leave before eth0's.
    on_lan1 = node.start_capture("lan1p", duration=15, bpf=BPF)
    on_bridge = lab.switch.start_capture(lab.BRIDGE, duration=15, bpf=BPF, count=2)
    r1.start(None, None, body=_body(["10.98.0.100/24 dev lan1", "10.99.0.100/16"],
                                     ["fd00:98::100/64 dev lan1"]))
    bridge = _announcements(on_bridge)
    lablib.wait_until(lambda: {"10.98.0.100", "fd00:98::100"} <= set(r1.addresses("lan1")),
                      timeout=10, message="lan1's VIPs added")
    on_lan1.stop()
    lan = _announcements(on_lan1)
    logs = r1.log()[-3000:]
    assert bridge == [_garp(eth0, "10.99.0.100")] * 2, logs
    assert lan == [], logs
    assert "10.99.0.100" in r1.addresses("eth0")
