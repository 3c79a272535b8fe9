"""Gratuitous ARPs and unsolicited NAs for VIPs given with `dev IFNAME` leave on that
device, from its own MAC, as keepalived 2.2.7 sends them: the instance's interface (or its
VMAC) carries only the announcements of the VIPs that are on it.

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
        10.99.0.100/16
        10.98.0.100/24 dev lan1
    }}
    virtual_ipaddress_excluded {{
        fd00:98::100/64 dev lan1
    }}
}}
"""

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


@pytest.mark.parametrize("vmac", [False, True], ids=["interface", "use_vmac"])
@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_announcements_leave_on_the_vips_own_device(lab, vigild, kind, vmac):
    require_tshark()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    node = r1.node
    node.run([IP, "link", "add", "lan1", "type", "veth", "peer", "name", "lan1p"])
    node.run([IP, "addr", "add", "10.98.0.1/24", "dev", "lan1"])
    node.run([IP, "-6", "addr", "add", "fd00:98::1/64", "dev", "lan1", "nodad"])
    node.link_set("lan1p", True)
    node.link_set("lan1", True)
    lan1 = node.mac("lan1")
    eth0 = VMAC if vmac else node.mac("eth0")
    # Each capture ends at the number of messages its device must carry (bounded in time):
    # a message on the wrong device shows as a wrong one among them.
    on_bridge = lab.switch.start_capture(lab.BRIDGE, duration=15, bpf=BPF, count=2)
    on_lan1 = node.start_capture("lan1p", duration=15, bpf=BPF, count=4)
    r1.start(None, None, body=BODY.format(vmac="use_vmac" if vmac else ""))
    bridge, lan = _announcements(on_bridge), _announcements(on_lan1)
    logs = r1.log()[-3000:]
    bcast = "ff:ff:ff:ff:ff:ff"
    # ARP requests to broadcast, sender = target = VIP, from the MAC of the VIP's device.
    garp = ("arp", eth0, bcast, "1", eth0, "10.99.0.100", bcast, "10.99.0.100")
    assert bridge == [garp] * 2, logs
    lan_garp = ("arp", lan1, bcast, "1", lan1, "10.98.0.100", bcast, "10.98.0.100")
    # Unsolicited (S clear), overriding, not a router's, to all nodes from the VIP itself,
    # with lan1's link-layer address.
    lan_na = ("na", lan1, "33:33:00:00:00:01", "fd00:98::100", "ff02::1", "fd00:98::100",
              "0", "0", "1", lan1)
    assert lan == [lan_garp, lan_na] * 2, logs
