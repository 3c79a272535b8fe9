"""An instance without an interface (unicast, from unicast_src_ip) runs on no interface, as
upstream keepalived runs it (keepalived 2.2.7 refuses it: "Unknown interface!", exit 5):
default_interface is only for static addresses, so its link state plays no part; the
interfaces of the instance's VIPs are tracked (FAULT while one is down), and the VIPs are
announced on them, from their own MACs.

Each router has eth0 on the lab's bridge (adverts), a veth lan1 (its peer lan1p in the
same namespace) carrying the VIP, and a veth lan2, down, named by default_interface."""

from __future__ import annotations

import lab as lablib
from vrrp_lab import IP, VrrpLab, gratuitous_arps, require_tshark

BODY = """vrrp_instance VI_1 {{
    state BACKUP
    virtual_router_id 71
    version 3
    advert_int 0.2
    priority {priority}
    unicast_src_ip {src}
    unicast_peer {{
        {peer}
    }}
    garp_master_repeat 2
    garp_master_delay 0
    virtual_ipaddress {{
        10.97.0.100/24 dev lan1
    }}
}}
"""


def _veth(node, name: str, address: str, up: bool) -> None:
    node.run([IP, "link", "add", name, "type", "veth", "peer", "name", name + "p"])
    node.run([IP, "addr", "add", address, "dev", name])
    node.link_set(name + "p", True)
    node.link_set(name, up)


def test_instance_without_interface_follows_its_vips_interfaces(lab, vigild):
    require_tshark()
    vl = VrrpLab(lab, vigild)
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    for i, r in enumerate((r1, r2), start=1):
        _veth(r.node, "lan1", f"10.97.0.{i}/24", up=True)
        _veth(r.node, "lan2", f"10.96.0.{i}/24", up=False)
    vip = "10.97.0.100"

    def has_vip(r) -> bool:
        return vip in r.addresses("lan1")

    r2.start(None, None, body=BODY.format(priority=100, src=r2.ipv4, peer=r1.ipv4),
             global_extra="default_interface lan2")
    lablib.wait_until(lambda: r2.state() == "MASTER", timeout=5, message="r2 MASTER alone")
    garps = r1.node.start_capture("lan1p", duration=3, bpf="arp")
    r1.start(None, None, body=BODY.format(priority=200, src=r1.ipv4, peer=r2.ipv4),
             global_extra="default_interface lan2")
    # default_interface lan2 is down: it does not matter; r1 preempts with 200.
    lablib.wait_until(lambda: r1.state() == "MASTER" and r2.state() == "BACKUP", timeout=5,
                      message="r1 MASTER, r2 BACKUP")
    assert has_vip(r1) and not has_vip(r2)
    assert r1.instances()["VI_1"]["interface"] == ""
    lan1 = r1.mac("lan1")
    assert gratuitous_arps(garps) == [(lan1, lan1, vip)] * 2, r1.log()[-3000:]

    # The VIP's interface is tracked: down, r1 goes to FAULT and r2 takes the VIP; up, r1
    # comes back and preempts.
    r1.node.link_set("lan1", False)
    lablib.wait_until(lambda: r1.state() == "FAULT" and r2.state() == "MASTER", timeout=5,
                      message="r1 FAULT, r2 MASTER")
    lablib.wait_until(lambda: has_vip(r2), timeout=5, message="VIP on r2")
    r1.node.link_set("lan1", True)
    lablib.wait_until(lambda: r1.state() == "MASTER" and r2.state() == "BACKUP", timeout=5,
                      message="r1 MASTER again")
    lablib.wait_until(lambda: has_vip(r1) and not has_vip(r2), timeout=5, message="VIP back")
