"""vrrp_instance keywords that act on the kernel, each checked against Debian's keepalived
2.2.7 on the same lab: promote_secondaries."""

from __future__ import annotations

import pytest

import lab as lablib
from vrrp_lab import IP, Spec, VrrpLab, require_keepalived

SPEC = Spec(version=3, interval=0.1)


def sysctl(node: lablib.Node, key: str) -> str:
    return node.run(["cat", f"/proc/sys/{key}"]).stdout.strip()


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_promote_secondaries_keeps_the_subnets_other_addresses(lab, vigild, kind):
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    key = "net/ipv4/conf/eth0/promote_secondaries"
    assert sysctl(r1.node, key) == "0"
    r1.start(SPEC, 255, extra="promote_secondaries", state="MASTER")
    lablib.wait_until(lambda: r1.holds_all(), timeout=10, message="r1 holds the VIP")
    assert sysctl(r1.node, key) == "1"
    # The VIP is the primary address of 10.99.0.0/16; another address of that subnet added
    # after it is secondary, and must outlive the VIP's removal.
    r1.node.run([IP, "addr", "add", "10.99.0.200/16", "dev", "eth0"])
    assert r1.term() == 0
    assert "10.99.0.100" not in r1.addresses()
    assert "10.99.0.200" in r1.addresses()
    assert sysctl(r1.node, key) == "0"  # put back as it was
