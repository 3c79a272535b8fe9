"""Lab test: a VIP deleted by someone else (NetworkManager, an operator) while vigil is
MASTER is put back at once, with a gratuitous ARP."""

from __future__ import annotations

import lab as lablib

CONF = """global_defs {{
  vigil_control_socket {w}/r1.ctl
}}
vrrp_instance VI_1 {{
  state MASTER
  interface eth0
  virtual_router_id 81
  priority 255
  advert_int 1
  virtual_ipaddress {{
    10.99.0.100/16
  }}
}}
"""


def test_deleted_vip_is_put_back(lab, vigild):
    w = lab.workdir
    r1 = lab.add_node("r1")
    r1.spawn_vigild(vigild, CONF.format(w=w))
    lablib.wait_until(lambda: "10.99.0.100" in r1.addresses("eth0"), timeout=10)
    cap = lab.switch.start_capture(lab.BRIDGE, duration=3, bpf="arp")
    r1.run(["ip", "addr", "del", "10.99.0.100/16", "dev", "eth0"])
    lablib.wait_until(lambda: "10.99.0.100" in r1.addresses("eth0"), timeout=5, interval=0.02)
    garps = [p for p in cap.packets()
             if (lablib.layer(p, "arp") or {}).get("arp.src.proto_ipv4") == "10.99.0.100"]
    assert garps, "no gratuitous ARP after the VIP was restored"
    with open(f"{w}/r1.log") as f:
        assert "was removed by someone else; putting it back" in f.read()
