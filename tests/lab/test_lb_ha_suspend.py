"""Lab test of virtual_server ha_suspend with the nftables backend (vigild -C).

A virtual server with ha_suspend whose address is not on the load balancer has its
checkers suspended: no probe is sent, its real server stays as it started (in the table)
and its counters stay 0. The address added to an interface resumes them; deleted, they are
suspended again with the server's state frozen. keepalived 2.2.7 is compared with vigild on
IPVS in the UML lab (ipvs_uml_cases.py). The topology is test_lb_engine's, with two real
servers: rs1 serves the suspended virtual server, rs2 a witness one whose checks count the
delay_loops that pass.
"""

from __future__ import annotations

import json
import os

import pytest

import lab as lablib
from test_lb_engine import PORT, REMOVAL_BOUND, VIP, LbLab, real_server

SUSPENDED_VIP = "10.99.0.200"


@pytest.fixture
def hslab(lab, vigild):
    the = LbLab(lab, vigild, servers=2)
    yield the
    the.stop()


def virtual_servers(the) -> list[dict]:
    """The virtual servers of vigilctl's JSON status."""
    ctl = os.path.join(os.path.dirname(the.vigild_path), "vigilctl")
    out = the.lb.run([ctl, "-s", os.path.join(the.work, "ctl"), "status", "--json"]).stdout
    return json.loads(out)["status"]["virtual_servers"]


def counters(the) -> dict[str, tuple[int, int]]:
    """{"vs rs": (checks_ok, checks_failed)} from vigilctl's JSON status."""
    return {f"{v['name']} {r['address']}": (r["checks_ok"], r["checks_failed"])
            for v in virtual_servers(the) for r in v["real_servers"]}


def suspended_vss(the) -> dict[str, bool]:
    """{"vs": checkers_suspended} from vigilctl's JSON status."""
    return {v["name"]: v["checkers_suspended"] for v in virtual_servers(the)}


def test_ha_suspend_checks_only_while_the_address_is_local(hslab):
    rs1, rs2 = hslab.rs
    suspended = f"{SUSPENDED_VIP}:80/tcp {hslab.dest(rs1)}"
    witness = f"{VIP}:80/tcp {hslab.dest(rs2)}"
    hslab.stop_server(rs1)  # nothing listens: a check would fail
    conf = "".join(
        f"virtual_server {vip} 80 {{\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n"
        f"    protocol TCP\n{extra}{real_server(node)}}}\n"
        for vip, node, extra in ((SUSPENDED_VIP, rs1, "    ha_suspend\n"), (VIP, rs2, "")))
    hslab.start_vigild(conf)
    both = {hslab.dest(rs1): 1, hslab.dest(rs2): 1}
    hslab.wait_destinations(both, timeout=10)
    rs_vs = f"[{rs1.ipv4}]:tcp:{PORT} for VS [{SUSPENDED_VIP}]:tcp:80"
    lablib.wait_until(lambda: f"Deactivating healthchecker for service {rs_vs}" in hslab.log(),
                      timeout=5, message="the suspended checker logged")

    def wait_witness_checks(n: int) -> None:
        start = counters(hslab)[witness][0]
        lablib.wait_until(lambda: counters(hslab)[witness][0] >= start + n, timeout=n + 5,
                          message=f"{n} more checks of the witness")

    # Four delay_loops: rs1 is never checked and stays in the table.
    wait_witness_checks(4)
    assert counters(hslab)[suspended] == (0, 0)
    assert hslab.destinations() == both
    assert suspended_vss(hslab) == {f"{SUSPENDED_VIP}:80/tcp": True, f"{VIP}:80/tcp": False}

    # The address on an interface: checking resumes and rs1 fails.
    hslab.lb.run([lablib.IP, "addr", "add", f"{SUSPENDED_VIP}/32", "dev", "eth0"])
    hslab.wait_destinations({hslab.dest(rs2): 1}, timeout=REMOVAL_BOUND)
    assert f"Activating healthchecker for service {rs_vs}" in hslab.log()
    assert counters(hslab)[suspended][1] >= 1
    assert not suspended_vss(hslab)[f"{SUSPENDED_VIP}:80/tcp"]

    # Deleted: suspended again; a listener now on rs1 is not seen, rs1 stays out.
    hslab.lb.run([lablib.IP, "addr", "del", f"{SUSPENDED_VIP}/32", "dev", "eth0"])
    lablib.wait_until(lambda: f"Suspending healthchecker for service {rs_vs}" in hslab.log(),
                      timeout=5, message="the checker suspended")
    frozen = counters(hslab)[suspended]
    assert suspended_vss(hslab)[f"{SUSPENDED_VIP}:80/tcp"]
    hslab.start_server(rs1)
    wait_witness_checks(4)
    assert counters(hslab)[suspended] == frozen
    assert hslab.destinations() == {hslab.dest(rs2): 1}

    # Added again: rs1 passes its next check and comes back.
    hslab.lb.run([lablib.IP, "addr", "add", f"{SUSPENDED_VIP}/32", "dev", "eth0"])
    hslab.wait_destinations(both, timeout=REMOVAL_BOUND)
    assert counters(hslab)[suspended][0] >= 1
