"""Interoperability with Debian's keepalived 2.2.7 on one segment.

Each case runs a mixed pair, vigild on r1 and keepalived on r2:
1. vigild (150) and keepalived (100) start as backups: vigild is elected.
2. vigild is SIGKILLed: keepalived takes over when its Master_Down timer runs out.
3. vigild comes back with priority 50: it stays backup behind keepalived's adverts.
4. keepalived is SIGKILLed: vigild takes over when its Master_Down timer runs out.
Every advert vigild sent during the test must decode in tshark with a good checksum and
no malformed or expert mark.
"""

from __future__ import annotations

import pytest

import lab as lablib
from vrrp_lab import (IP, Spec, VrrpLab, adverts, decode, matrix, require_keepalived,
                      require_tshark, stop_after_next_advert)


@pytest.fixture
def vl(lab, vigild):
    require_keepalived()
    require_tshark()
    return VrrpLab(lab, vigild)


CASES = (matrix(versions=(2,), families=("inet",), auths=(None, "s3cret")) +
         matrix(versions=(2,), families=("inet6",), casts=(False,)) +
         matrix(versions=(3,)))


def _drop_leftover_vips(router, spec):
    """A SIGKILLed daemon leaves its VIPs: remove them, as a reboot would."""
    for v in spec.vip_lines():
        router.node.run([IP, "addr", "del", v, "dev", "eth0"], check=False)


def _vigil_checksums_ok(seen: list[dict], vigil_mac: str, spec: Spec) -> list[dict]:
    mine = [a for a in seen if a["eth_src"] == vigil_mac]
    assert mine, "vigild sent no advert"
    bad = [(a["prio"], a["checksum_status"], a["malformed"], a["expert"]) for a in mine
           if a["checksum_status"] != "1" or a["malformed"] or a["expert"]]
    assert bad == [], bad
    return mine


@pytest.mark.parametrize("spec", CASES)
def test_mixed_pair_elects_and_fails_over_both_ways(vl, spec: Spec):
    r1, r2 = vl.routers_of(["vigil", "keepalived"])
    cap = vl.capture(duration=4 * spec.master_down(50) + 8)
    r2.start(spec, 100)
    r1.start(spec, 150)
    vl.wait_holder(r1, spec, timeout=spec.master_down(150) + 5)
    vl.wait_states({r1: "MASTER"})

    r1.kill()
    vl.wait_holder(r2, spec, timeout=spec.master_down(100) + 5, ignore=(r1,))
    _drop_leftover_vips(r1, spec)

    r1.start(spec, 50)
    lablib.wait_until(lambda: r1.instances()["VI_1"]["adverts_received"] >= 1, timeout=5,
                      message="vigild hears keepalived")
    vl.assert_sole_holder(r2, spec)
    info = r1.instances()["VI_1"]
    assert (info["state"], info["rejected"]) == ("BACKUP", {})
    if spec.unicast or not spec.v6:
        assert info["master_address"] == r2.address(spec)

    r2.kill()
    vl.wait_holder(r1, spec, timeout=spec.master_down(50) + 5, ignore=(r2,))
    assert r1.instances()["VI_1"]["rejected"] == {}
    stop_after_next_advert(cap, spec)
    seen = adverts(decode(cap))
    if spec.version == 2 and spec.v6:
        # VRRPv2 over IPv6 is not in any RFC: both daemons let the kernel checksum it
        # (IPV6_CHECKSUM, with the IPv6 pseudo-header) while tshark checks v2 without
        # one, so tshark flags every advert of both alike.
        assert {(a["checksum_status"], a["malformed"]) for a in seen} == {("0", False)}
        mine = [a for a in seen if a["eth_src"] == r1.mac()]
    else:
        mine = _vigil_checksums_ok(seen, r1.mac(), spec)
    assert {a["version"] for a in seen} == {spec.version}
    assert {a["prio"] for a in mine} == {150, 50}


@pytest.mark.parametrize("kinds", [["vigil", "keepalived"], ["keepalived", "vigil"]],
                         ids=["keepalived-higher-address", "vigil-higher-address"])
def test_mixed_pair_with_equal_priorities_keeps_the_higher_address(vl, kinds):
    # Cut VRRP so both become master, then heal: the one with the lower address must
    # step down, whichever daemon it is.
    spec = Spec(version=3, interval=0.1)
    r1, r2 = vl.routers_of(kinds)
    vl.lab.drop_vrrp_percent(100)
    r1.start(spec, 100)
    r2.start(spec, 100)
    lablib.wait_until(lambda: r1.holds_all(spec) and r2.holds_all(spec), timeout=5,
                      message="split brain")
    vl.lab.drop_vrrp_percent(0)
    vl.wait_holder(r2, spec, timeout=5)
    vigil = r1 if r1.kind == "vigil" else r2
    vl.wait_states({vigil: "MASTER" if vigil is r2 else "BACKUP"})
