"""VRRP election between vigild routers: the highest priority holds the VIPs, answers the
client's ARP/ND for them and is the only one advertising; backups hold nothing.

Matrix: v2 (advert_int 1) and v3 (0.1 s) x IPv4 and IPv6 x multicast and unicast, with
two and three routers (v2 runs only with three to keep the suite fast).
"""

from __future__ import annotations

import time

import pytest

import lab as lablib
from vrrp_lab import Spec, VrrpLab, adverts, decode, matrix, require_tshark

PRIORITIES = [100, 200, 150]  # the master is r2, started between the others


@pytest.fixture
def vl(lab, vigild):
    require_tshark()
    return VrrpLab(lab, vigild)


def _cases():
    out = []
    for p in matrix(versions=(3,)):
        out.append(pytest.param(p.values[0], 3, id=f"{p.id}-3routers"))
        if p.id in ("v3-ipv4-multicast", "v3-ipv6-unicast"):
            out.append(pytest.param(p.values[0], 2, id=f"{p.id}-2routers"))
    for p in matrix(versions=(2,)):
        out.append(pytest.param(p.values[0], 3, id=f"{p.id}-3routers"))
    return out


@pytest.mark.parametrize("spec,count", _cases())
def test_highest_priority_holds_the_vips_and_answers_for_them(vl, spec: Spec, count: int):
    routers = vl.routers_of(["vigil"] * count)
    vl.client  # noqa: B018 - create the client before the routers start
    master = routers[1]
    # The capture covers the election; once it is decided only the master advertises.
    # (With 0.1 s v3 intervals r1 may win before r2 starts, then r2 preempts it.)
    cap = vl.capture(duration=spec.master_down(200) + 2)
    for r, prio in zip(routers, PRIORITIES):
        r.start(spec, prio)
    vl.wait_holder(master, spec, timeout=spec.master_down(150) + 5)
    decided = time.time()
    vl.wait_states({r: ("MASTER" if r is master else "BACKUP") for r in routers})

    states = {r.name: r.instances()["VI_1"] for r in routers}
    assert {n: s["effective_priority"] for n, s in states.items()} == {
        r.name: p for r, p in zip(routers, PRIORITIES)}
    if spec.unicast or not spec.v6:  # IPv6 multicast adverts come from link-local addresses
        assert {n: s["master_address"] for n, s in states.items()} == {
            r.name: master.address(spec) for r in routers}
    vl.assert_client_reaches(master, spec)

    seen = [a for a in adverts(decode(cap)) if a["time"] > decided]
    assert seen, "no adverts captured"
    if spec.unicast:
        want_dst = {r.address(spec) for r in routers if r is not master}
    else:
        want_dst = {"ff02::12" if spec.v6 else "224.0.0.18"}
    assert {a["dst"] for a in seen} == want_dst
    assert {(a["version"], a["vrid"], a["prio"], a["ttl"], a["eth_src"]) for a in seen} == {
        (spec.version, spec.vrid, 200, 255, master.mac())}
    if spec.unicast:
        assert {a["src"] for a in seen} == {master.address(spec)}
    vl.assert_sole_holder(master, spec)


@pytest.mark.parametrize("spec", [
    pytest.param(Spec(version=3, family="inet"), id="v3-ipv4-multicast"),
    pytest.param(Spec(version=3, family="inet", unicast=True), id="v3-ipv4-unicast"),
])
def test_equal_priorities_elect_the_higher_primary_address(vl, spec: Spec):
    # A backup never preempts an equal priority, so the tie-break only decides between
    # masters: cut VRRP on the segment so all three become master, then heal it. Each
    # master that hears the same priority from a higher address steps down: r3 remains.
    r1, r2, r3 = vl.routers_of(["vigil"] * 3)
    vl.lab.drop_vrrp_percent(100)
    for r in (r1, r2, r3):
        r.start(spec, 100)
    lablib.wait_until(lambda: all(r.holds_all(spec) for r in (r1, r2, r3)), timeout=5,
                      message="split brain")
    vl.lab.drop_vrrp_percent(0)
    vl.wait_holder(r3, spec, timeout=5)
    vl.wait_states({r1: "BACKUP", r2: "BACKUP", r3: "MASTER"})

