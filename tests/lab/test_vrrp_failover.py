"""VRRP failover between vigild routers: the master killed, its link down, a tracked
script failing, a graceful stop (priority-0 advert), and preemption rules.

r1 is a backup of priority 100, r2 the master of priority 200 (started first unless the
test says otherwise); intervals are short VRRPv3 ones except where v2 timing is the point.
"""

from __future__ import annotations

import os
import time

import pytest

import lab as lablib
from vrrp_lab import Spec, VrrpLab, adverts, decode

V3 = Spec(version=3, interval=0.1)


@pytest.fixture
def vl(lab, vigild):
    return VrrpLab(lab, vigild)


def _pair(vl, spec, r2_extra="", top="", r1_prio=100, r2_prio=200):
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    vl.client  # noqa: B018
    r2.start(spec, r2_prio, extra=r2_extra, top=top)
    r1.start(spec, r1_prio)
    vl.wait_holder(r2, spec, timeout=spec.master_down(r2_prio) + 5)
    lablib.wait_until(lambda: r1.state() == "BACKUP", timeout=5, message="r1 BACKUP")
    return r1, r2


@pytest.mark.parametrize("spec", [
    pytest.param(V3, id="v3-ipv4-multicast"),
    pytest.param(Spec(version=3, family="inet6", unicast=True, interval=0.1), id="v3-ipv6-unicast"),
])
def test_sigkill_of_the_master_moves_the_vips_and_the_client_follows(vl, spec):
    r1, r2 = _pair(vl, spec)
    vl.assert_client_reaches(r2, spec)
    r2.kill()  # the supervisor and every engine process
    # The dead router keeps its addresses (nobody removed them); the backup takes over
    # and its gratuitous ARP / unsolicited NA repoints the client's existing entry.
    vl.wait_holder(r1, spec, timeout=spec.master_down(100) + 5, ignore=(r2,))
    vl.wait_states({r1: "MASTER"})
    for vip in spec.vips():
        lablib.wait_until(lambda: vl.neighbour_mac(vip) == r1.mac(), timeout=5,
                          message=f"client entry for {vip} -> r1")


def test_link_down_faults_the_master_and_link_up_restores_it(vl):
    r1, r2 = _pair(vl, V3)
    r2.node.link_set("eth0", False)
    vl.wait_holder(r1, V3, timeout=5)
    lablib.wait_until(lambda: r2.state() == "FAULT", timeout=5, message="r2 FAULT")
    assert r2.vips() == []
    r2.node.link_set("eth0", True)
    vl.wait_holder(r2, V3, timeout=5)
    vl.wait_states({r1: "BACKUP", r2: "MASTER"})


@pytest.mark.parametrize("weight,r2_state,r2_prio,program", [
    pytest.param(-150, "BACKUP", 50, "/usr/bin/test", id="weight-drops-priority"),
    pytest.param(0, "FAULT", 200, "/usr/bin/test", id="weight0-faults"),
    # A command without '/' is searched in PATH, as keepalived does (`killall -0 haproxy`).
    pytest.param(-150, "BACKUP", 50, "test", id="command-found-in-path"),
])
def test_failing_tracked_script_hands_over_and_recovery_takes_back(vl, weight, r2_state, r2_prio,
                                                                   program):
    flag = vl.file("healthy", "")
    top = (f'vrrp_script chk {{\n    script "{program} -e {flag}"\n    interval 1\n'
           f'    fall 1\n    rise 1\n    weight {weight}\n}}\n')
    r1, r2 = _pair(vl, V3, r2_extra="track_script {\n    chk\n}", top=top)
    os.unlink(flag)
    vl.wait_holder(r1, V3, timeout=5)
    vl.wait_states({r1: "MASTER", r2: r2_state})
    assert r2.instances()["VI_1"]["effective_priority"] == r2_prio
    vl.file("healthy", "")
    vl.wait_holder(r2, V3, timeout=5)
    vl.wait_states({r1: "BACKUP", r2: "MASTER"})
    assert r2.instances()["VI_1"]["effective_priority"] == 200


def test_sigterm_sends_priority_zero_and_the_backup_takes_over_at_once(vl):
    # v2, advert_int 1: Master_Down for r1 is 3 + 156/256 s; after a priority-0 advert a
    # backup waits only its Skew_Time (0.61 s).
    spec = Spec(version=2, interval=1.0)
    r1, r2 = _pair(vl, spec)
    cap = vl.capture(duration=4)
    assert r2.term() == 0
    assert r2.vips() == []
    vl.wait_holder(r1, spec, timeout=5)
    seen = adverts(decode(cap))
    zero = [a for a in seen if a["src"] == r2.ipv4 and a["prio"] == 0]
    assert len(zero) >= 1, seen
    after = [a for a in seen if a["src"] == r1.ipv4 and a["time"] > zero[0]["time"]]
    assert after, "r1 never advertised"
    # Measured on the wire: r1's first advert follows the priority-0 one by about its
    # Skew_Time, far below Master_Down (3.6 s).
    assert after[0]["time"] - zero[0]["time"] < spec.master_down(100) / 2
    assert r1.stats()["priority_zero_received"] >= 1


def test_higher_priority_started_later_preempts(vl):
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    r1.start(V3, 100)
    vl.wait_holder(r1, V3, timeout=5)
    r2.start(V3, 200)
    vl.wait_holder(r2, V3, timeout=5)
    vl.wait_states({r1: "BACKUP", r2: "MASTER"})


def test_nopreempt_leaves_the_running_master_in_place(vl):
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    r1.start(V3, 100)
    vl.wait_holder(r1, V3, timeout=5)
    r2.start(V3, 200, extra="nopreempt")
    lablib.wait_until(lambda: r2.instances()["VI_1"]["adverts_received"] >= 10, timeout=5,
                      message="r2 hears r1")
    assert (r1.state(), r2.state()) == ("MASTER", "BACKUP")
    vl.assert_sole_holder(r1, V3)
    r1.kill()
    vl.wait_holder(r2, V3, timeout=5, ignore=(r1,))


def test_preempt_delay_defers_the_takeover(vl):
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    r1.start(V3, 100)
    vl.wait_holder(r1, V3, timeout=5)
    t0 = time.monotonic()
    r2.start(V3, 200, extra="preempt_delay 2")
    # Well inside the 2 s delay r2 has heard r1 for many intervals and still waits.
    lablib.wait_until(lambda: r2.instances()["VI_1"]["adverts_received"] >= 5, timeout=5,
                      message="r2 hears r1")
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    assert (r1.state(), r2.state()) == ("MASTER", "BACKUP")
    vl.assert_sole_holder(r1, V3)
    vl.wait_holder(r2, V3, timeout=5)
    assert time.monotonic() - t0 >= 2.0
