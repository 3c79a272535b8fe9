"""Runtime VRRP operations over the control socket between two vigild routers
(`vigilctl maintenance`, `failover`, `priority`): the VIPs move on the wire and in the
kernel (`ip -j addr`), the runtime state shows in `vigilctl instances`, the JSON status
and /metrics, and maintenance survives a reload.

r2 is the master (priority 200), r1 the backup (priority 100); short VRRPv3 intervals.
"""

from __future__ import annotations

import os
import signal
import textwrap
import time

import lab as lablib
import pytest
from vrrp_lab import Spec, VrrpLab

V3 = Spec(version=3, interval=0.1)


@pytest.fixture
def vl(lab, vigild):
    return VrrpLab(lab, vigild)


def _pair(vl):
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    r2.start(V3, 200)
    r1.start(V3, 100)
    vl.wait_holder(r2, V3, timeout=V3.master_down(200) + 5)
    vl.wait_states({r1: "BACKUP", r2: "MASTER"})
    return r1, r2


def ctl(router, *args: str):
    """Runs vigilctl against ``router``; returns (exit status, stdout + stderr)."""
    p = router.node.run([router.vl.vigilctl, "-s", router.ctl, *args], timeout=15, check=False)
    return p.returncode, p.stdout + p.stderr


def test_maintenance_moves_the_vips_to_the_peer_survives_a_reload_and_comes_back(vl):
    r1, r2 = _pair(vl)
    rc, out = ctl(r2, "maintenance", "on")
    assert (rc, out) == (0, "maintenance on: 1 master(s) stepped down with a priority-0 "
                            "advert; no instance becomes master\n")
    # The priority-0 advert: r1 takes over after its skew time, far below Master_Down.
    vl.wait_holder(r1, V3, timeout=5)
    # It took over on r2's priority-0 advert (after Skew_Time: StateMachineTest), not at
    # its down timer; wall-clock bounds are for bench/, not tests.
    assert r1.stats()["priority_zero_received"] >= 1
    vl.wait_states({r1: "MASTER", r2: "BACKUP"})
    i = r2.instances()["VI_1"]
    assert (i["hold"], i["effective_priority"]) == ("maintenance", 200)
    assert r2.ctl_json("status")["status"]["maintenance"] is True
    assert ctl(r2, "maintenance", "on") == (0, "maintenance is already on\n")
    # Held: several of r2's down intervals pass and r1 keeps the VIPs.
    time.sleep(3 * V3.master_down(200))
    vl.assert_sole_holder(r1, V3)
    # A reload keeps maintenance.
    r2.proc.send_signal(signal.SIGHUP)
    lablib.wait_until(lambda: r2.ctl_json("status")["status"]["reloads"] == 1, timeout=10,
                      message="r2 reloaded")
    time.sleep(2 * V3.master_down(200))
    vl.assert_sole_holder(r1, V3)
    assert r2.instances()["VI_1"]["hold"] == "maintenance"
    assert "operator: maintenance on" in r2.log()
    rc, out = ctl(r2, "maintenance", "off")
    assert (rc, out) == (0, "maintenance off: 1 instance(s) back in the election\n")
    # r2 preempts again (priority 200 over 100).
    vl.wait_holder(r2, V3, timeout=V3.master_down(200) + 3)
    vl.wait_states({r1: "BACKUP", r2: "MASTER"})
    assert r2.instances()["VI_1"]["hold"] == ""
    assert r2.ctl_json("status")["status"]["maintenance"] is False


def test_failover_moves_the_vips_at_once_and_the_old_master_yields(vl):
    r1, r2 = _pair(vl)
    # Refused where it cannot act: a backup, an unknown instance.
    assert ctl(r1, "failover", "VI_1") == (1, "error: VI_1 is BACKUP, not MASTER: only a "
                                              "master can fail over\n")
    assert ctl(r2, "failover", "VI_9") == (1, "error: no vrrp_instance VI_9\n")
    vl.assert_sole_holder(r2, V3)
    rc, out = ctl(r2, "failover", "VI_1")
    assert (rc, out) == (0, "VI_1 stepped down (priority-0 advert); BACKUP, yielding to the "
                            "new master until none is heard\n")
    vl.wait_holder(r1, V3, timeout=5)
    assert r1.stats()["priority_zero_received"] >= 1  # (as above)
    # r2 (200) does not preempt r1 (100) back while r1 is heard.
    time.sleep(3 * V3.master_down(200))
    vl.assert_sole_holder(r1, V3)
    assert r2.instances()["VI_1"]["hold"] == "failover"
    assert r2.stats()["priority_zero_sent"] >= 1
    # r1 goes away: r2 is master again by the protocol, and no longer yields.
    r1.kill()
    vl.wait_holder(r2, V3, timeout=V3.master_down(200) + 3, ignore=(r1,))
    assert r2.instances()["VI_1"]["hold"] == ""


def test_priority_reorders_with_preemption_and_reset_restores_it(vl):
    r1, r2 = _pair(vl)
    rc, out = ctl(r1, "priority", "VI_1", "250")
    assert (rc, out) == (0, "VI_1 priority set to 250 (effective 250)\n")
    vl.wait_holder(r1, V3, timeout=V3.master_down(250) + 3)
    vl.wait_states({r1: "MASTER", r2: "BACKUP"})
    i = r1.instances()["VI_1"]
    assert (i["base_priority"], i["runtime_priority"], i["effective_priority"]) == (100, 250, 250)
    # Out of range: refused by vigilctl and by vigild.
    assert ctl(r1, "priority", "VI_1", "255") == (1, 'error: priority needs a "priority" from '
                                                     '1 to 254, or "reset"\n')
    assert ctl(r1, "priority", "VI_1", "x") == (2, "vigilctl: not a priority (1 to 254, or "
                                                   "reset): x\n")
    rc, out = ctl(r1, "priority", "VI_1", "reset")
    assert (rc, out) == (0, "VI_1 priority reset to the configured 100 (effective 100)\n")
    vl.wait_holder(r2, V3, timeout=V3.master_down(200) + 3)
    vl.wait_states({r1: "BACKUP", r2: "MASTER"})
    assert r1.instances()["VI_1"]["runtime_priority"] == 0


def test_a_runtime_priority_outlives_the_vrrp_engine_unasked(vl):
    """The supervisor gives a restarted VRRP engine the runtime priority its last process
    reported, though nobody asked vigild's status since (it reads a report only when asked:
    the report with the priority was still unread when the engine died)."""
    r1, r2 = _pair(vl)  # asks the instances: the supervisor has read a report without it
    rc, out = ctl(r1, "priority", "VI_1", "250")
    assert (rc, out) == (0, "VI_1 priority set to 250 (effective 250)\n")
    # A report logged after the answer has the priority (r1 becoming MASTER makes one); no
    # vigilctl until the engine is killed.
    reports = r1.log().count("vrrp: status report ")
    lablib.wait_until(lambda: r1.log().count("vrrp: status report ") > reports, timeout=10,
                      message="r1: a status report after the operation")
    vl.wait_holder(r1, V3, timeout=V3.master_down(250) + 3)
    with open(os.path.join(vl.lab.workdir, f"{r1.name}-vrrp.pid")) as f:
        old = int(f.read().strip())
    os.kill(old, signal.SIGKILL)

    def restarted():
        with open(os.path.join(vl.lab.workdir, f"{r1.name}-vrrp.pid")) as f:
            text = f.read().strip()
        return text and int(text) != old and r1.instances()["VI_1"]["runtime_priority"] == 250

    lablib.wait_until(restarted, timeout=20, message=f"r1: a new VRRP engine at priority 250\n"
                                                     f"{vl.logs()}")
    vl.wait_holder(r1, V3, timeout=V3.master_down(250) + 3)
    i = r1.instances()["VI_1"]
    assert (i["base_priority"], i["runtime_priority"], i["effective_priority"]) == (100, 250, 250)


def test_a_node_whose_load_balancer_never_gets_ready_preempts_after_30_s(vl):
    """A node starting with virtual servers preempts no lower-priority master until its
    checker has applied the load balancer's table (test_lb_dr_failover: connections would be
    reset) — but for 30 s at most: a checker that never gets there must not keep the node out
    for good. r2 (priority 200, a Maglev virtual server: ~0.6 s to apply its 65,537 slots)
    starts beside master r1 (100) with its checker engine stopped before its first apply."""
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    r1.start(V3, 100)
    vl.wait_holder(r1, V3, timeout=V3.master_down(100) + 5)
    vs = textwrap.dedent("""\
        virtual_server 10.99.0.200 80 {
            lb_algo mh
            lb_kind NAT
            protocol TCP
            real_server 10.99.0.201 80 {
                weight 1
            }
        }
        """)
    stopper = lablib.StopWhenStarted(os.path.join(vl.lab.workdir, f"{r2.name}-check.pid"))
    r2.start(V3, 200, top=vs, global_extra="vigil_lb_backend nftables")
    checker = stopper.wait()
    assert checker, "r2's checker engine never started"
    try:
        # Not applied (the checker was stopped first), so r2 leaves r1 be: many of its down
        # intervals (0.3 s + skew) pass.
        lablib.wait_until(lambda: r2.instances()["VI_1"]["hold"] == "lb_not_ready", timeout=10,
                          message="r2 to hold its preemption")
        assert "table inet vigil" not in r2.node.run([lablib.NFT, "list", "tables"]).stdout
        t_held = time.monotonic()
        while time.monotonic() < t_held + 20:
            assert (r1.state(), r2.state()) == ("MASTER", "BACKUP")
            time.sleep(1)
        # The bound: 30 s after the hold began r2 preempts all the same, and says why.
        lablib.wait_until(lambda: r2.state() == "MASTER", timeout=20, message="r2 master")
        vl.wait_holder(r2, V3, timeout=5)
        assert r2.instances()["VI_1"]["hold"] == ""
        assert ("the load balancer's table is still not applied after 30 s; instances preempt "
                "all the same") in r2.log()
    finally:
        os.kill(checker, signal.SIGCONT)
