"""Lab test: gratuitous ARPs on becoming MASTER follow garp_master_repeat and are spaced by
the global vrrp_garp_interval."""

from __future__ import annotations

import lab as lablib

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
            garps.append((float(lablib.layer(p, "frame")["frame.time_epoch"]),
                          arp["arp.src.proto_ipv4"], arp["arp.opcode"]))
    # 3 rounds x 2 VIPs, ARP requests (opcode 1) with sender = target = VIP.
    assert [g[1] for g in garps] == ["10.99.0.100", "10.99.0.101"] * 3, garps
    assert {g[2] for g in garps} == {"1"}
    gaps = [b[0] - a[0] for a, b in zip(garps, garps[1:])]
    assert all(gap >= 0.18 for gap in gaps), gaps
    assert all(gap <= 0.5 for gap in gaps), gaps
