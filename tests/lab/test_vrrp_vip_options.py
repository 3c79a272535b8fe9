"""The options of a virtual_ipaddress line as keepalived 2.2.7 sends them to the kernel:
`peer`, the IFA_F_* flags `home`, `mngtmpaddr`, `noprefixroute`, `autojoin`, `-nodad` (DAD
kept on an IPv6 VIP, which otherwise gets nodad), and IPv6 `preferred_lft` — by default 0
(deprecated, never chosen as a source address) for a /128, forever otherwise. vigild parsed
them and sent none (and refused keepalived's `-nodad` while taking ip(8)'s `nodad`,
`valid_lft` and `metric`, which keepalived refuses). One difference kept on purpose: vigild
removes a VIP with a peer at its stop, which keepalived 2.2.7 leaves behind."""

from __future__ import annotations

import pytest

import lab as lablib
from vrrp_lab import VrrpLab

BODY = """vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 255
    advert_int 1
    virtual_ipaddress {
        10.99.0.100/16
        10.99.0.101 peer 10.99.0.201
        10.99.0.102/16 noprefixroute
    }
    virtual_ipaddress_excluded {
        fd00:99::100/128
        fd00:99::101/64 home mngtmpaddr
        fd00:99::102/64 preferred_lft 0 noprefixroute
        fd00:99::103/64 -nodad
        fd00:99::104/128 preferred_lft forever
    }
}
"""

FLAGS = ("home", "mngtmpaddr", "noprefixroute", "autojoin", "nodad", "deprecated")


def _vips(node) -> dict:
    """eth0's VIPs (10.99.0.10x, fd00:99::10x): local -> (prefix length, peer, flags)."""
    out = {}
    for a in node.ip_json("addr", "show", "dev", "eth0")[0]["addr_info"]:
        local = a["local"]
        if not (local.startswith("10.99.0.10") or local.startswith("fd00:99::10")):
            continue
        flags = tuple(f for f in FLAGS if a.get(f))
        out[local] = (a["prefixlen"], a.get("address"), flags)
    return out


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_vip_line_options_reach_the_kernel_as_keepaliveds(lab, vigild, kind):
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    r1.start(None, None, body=BODY)
    want = {
        "10.99.0.100": (16, None, ()),
        "10.99.0.101": (32, "10.99.0.201", ()),
        "10.99.0.102": (16, None, ("noprefixroute",)),
        "fd00:99::100": (128, None, ("nodad", "deprecated")),
        "fd00:99::101": (64, None, ("home", "mngtmpaddr", "nodad")),
        "fd00:99::102": (64, None, ("noprefixroute", "nodad", "deprecated")),
        "fd00:99::103": (64, None, ()),
        "fd00:99::104": (128, None, ("nodad",)),
    }
    lablib.wait_until(lambda: _vips(r1.node) == want, timeout=10,
                      message=f"the VIPs: {_vips(r1.node)}\n{r1.log()[-3000:]}")
    assert r1.term() == 0
    # keepalived 2.2.7 deletes an IPv4 VIP naming the address itself as IFA_ADDRESS, which
    # misses one with a peer: it stays after the stop. vigild names the peer and removes it.
    left = {"10.99.0.101": want["10.99.0.101"]} if kind == "keepalived" else {}
    assert _vips(r1.node) == left, r1.log()[-3000:]
