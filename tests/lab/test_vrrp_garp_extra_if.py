"""garp_extra_if (vmac_garp_intvl; global_defs vrrp_garp_extra_if): while master, keepalived
2.2.7 sends one gratuitous ARP / unsolicited NA every DELAY seconds on each other interface
than the instance's that has a VIP (the first VIP on it) — with `all` on any such interface,
without it only on VMACs of its own — and nothing more on the instance's interface.

Router r1 has eth0 on the lab's bridge and a veth `lan1` (peer `lan1p` in its namespace):
captures run for the same window on both, from before the daemon starts."""

from __future__ import annotations

import pytest

from test_vrrp_garp_devices import BPF, _announcements, _body, _garp, _na, _router_with_lan1

WINDOW = 10  # seconds: the messages on becoming master, then periodic ones at ~4 s and ~8 s


@pytest.mark.parametrize("where", ["instance", "global_defs"])
@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_periodic_announcements_on_the_other_interfaces(lab, vigild, kind, where):
    r1, node = _router_with_lan1(lab, vigild, kind)
    lan1, eth0 = node.mac("lan1"), node.mac("eth0")
    body = _body(["10.99.0.100/16", "10.98.0.100/24 dev lan1", "10.98.0.101/24 dev lan1"],
                 ["fd00:98::100/64 dev lan1"])
    body = body.replace("garp_master_repeat 2", "garp_master_repeat 1")
    global_extra = ""
    if where == "instance":
        body = body.replace("advert_int 1", "advert_int 1\n    garp_extra_if all 4")
    else:
        global_extra = "vrrp_garp_extra_if 4 all"
    on_bridge = lab.switch.start_capture(lab.BRIDGE, duration=WINDOW, bpf=BPF)
    on_lan1 = node.start_capture("lan1p", duration=WINDOW, bpf=BPF)
    r1.start(None, None, body=body, global_extra=global_extra)
    bridge, lan = _announcements(on_bridge), _announcements(on_lan1)
    logs = r1.log()[-3000:]
    assert bridge == [_garp(eth0, "10.99.0.100")], logs
    assert lan == [_garp(lan1, "10.98.0.100"), _garp(lan1, "10.98.0.101"),
                   _na(lan1, "fd00:98::100", "0")] + [_garp(lan1, "10.98.0.100")] * 2, logs


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_without_all_a_plain_interface_gets_none(lab, vigild, kind):
    r1, node = _router_with_lan1(lab, vigild, kind)
    lan1 = node.mac("lan1")
    body = _body(["10.99.0.100/16", "10.98.0.100/24 dev lan1"], [])
    body = body.replace("garp_master_repeat 2", "garp_master_repeat 1")
    body = body.replace("advert_int 1", "advert_int 1\n    garp_extra_if 2")
    on_lan1 = node.start_capture("lan1p", duration=WINDOW, bpf=BPF)
    r1.start(None, None, body=body)
    lan = _announcements(on_lan1)
    assert lan == [_garp(lan1, "10.98.0.100")], r1.log()[-3000:]
