"""Lab test: the gratuitous ARPs a new MASTER sends under vrrp_garp_interval or a
garp_group — how many and in which order, on the wire, beside keepalived.

When each one leaves (the interval between them, a group's pacing replacing the global
one) is asserted on the schedule, with a fake clock: PacingScheduleTest in
tests/unit/vrrp/gratuitous_sender_test.cc. Gaps measured on the wire would be wall-clock
assertions."""

from __future__ import annotations

import pytest

import lab as lablib
from vrrp_lab import Spec, VrrpLab, require_keepalived

CONF = """global_defs {{
  vigil_control_socket {w}/r1.ctl
  vrrp_garp_interval 0.2
}}
vrrp_instance VI_1 {{
  state MASTER
  interface eth0
  virtual_router_id 61
  priority 255
  advert_int 1
  garp_master_repeat 3
  garp_master_delay 0
  virtual_ipaddress {{
    10.99.0.100/16
    10.99.0.101/16
  }}
}}
"""


def test_garps_are_repeated_and_paced(lab, vigild):
    w = lab.workdir
    r1 = lab.add_node("r1")
    cap = lab.switch.start_capture(lab.BRIDGE, duration=4, bpf="arp")
    r1.spawn_vigild(vigild, CONF.format(w=w))
    packets = cap.packets()
    garps = []
    for p in packets:
        arp = lablib.layer(p, "arp")
        if arp and arp.get("arp.src.proto_ipv4") == arp.get("arp.dst.proto_ipv4"):
            garps.append((arp["arp.src.proto_ipv4"], arp["arp.opcode"]))
    # 3 rounds x 2 VIPs, ARP requests (opcode 1) with sender = target = VIP.
    assert garps == [("10.99.0.100", "1"), ("10.99.0.101", "1")] * 3, garps


GROUP_INSTANCE = """garp_master_repeat 3
garp_master_delay 0"""


def _garps(cap) -> list[str]:
    """The VIPs of the gratuitous ARPs captured, in order."""
    out = []
    for p in cap.packets():
        arp = lablib.layer(p, "arp")
        if arp and arp.get("arp.src.proto_ipv4") == arp.get("arp.dst.proto_ipv4"):
            out.append(arp["arp.src.proto_ipv4"])
    return out


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
@pytest.mark.parametrize("case", ["group_paces", "group_replaces_global"])
def test_garp_group_paces_its_interfaces(lab, vigild, kind, case):
    """Under a garp_group (with a garp_interval, or without one under a global
    vrrp_garp_interval) every round of ARPs leaves, VIP after VIP. Which of them are paced
    is PacingScheduleTest.AGarpGroupPacesItsInterfacesOrLeavesThemUnpaced."""
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    spec = Spec(version=3, interval=1.0, vrid=61, vip_count=2)
    if case == "group_paces":
        top, global_extra = "garp_group {\n    garp_interval 0.2\n    interface eth0\n}\n", ""
    else:
        top = "garp_group {\n    gna_interval 0.1\n    interface eth0\n}\n"
        global_extra = "vrrp_garp_interval 0.3"
    cap = lab.switch.start_capture(lab.BRIDGE, duration=2.5, bpf="arp")
    r1.start(spec, 255, extra=GROUP_INSTANCE, state="MASTER", top=top,
             global_extra=global_extra)
    garps = _garps(cap)
    if kind == "keepalived" and case == "group_paces":
        # keepalived coalesces a queued message with a repeat for the same VIP, so fewer
        # than 3 rounds leave.
        assert len(garps) >= 2 and set(garps) == {"10.99.0.100", "10.99.0.101"}, garps
        return
    assert garps == ["10.99.0.100", "10.99.0.101"] * 3, garps
