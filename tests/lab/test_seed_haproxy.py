"""The seed example: keepalived's canonical HAProxy set-up, configuration as written.

lb1 (state MASTER, priority 101) and lb2 (state BACKUP, priority 100) each run HAProxy on the
VIP 10.99.0.100/32 in front of web1 and web2, and track it with
`vrrp_script check_haproxy { script "killall -0 haproxy" interval 2 weight 2 }` (a bare
command name, searched in PATH; no enable_script_security). Each daemon runs in a PID
namespace of its own, so `killall` sees only its own node's HAProxy.

HAProxy killed on lb1: lb1 drops to 101 < 102 and lb2 takes the VIP; the client's requests
go through lb2's HAProxy. HAProxy started again: lb1's 103 > 102 takes the VIP back.
The same scenario runs against Debian's keepalived, the reference for the behaviour.
"""

from __future__ import annotations

import pytest

import lab as lablib
import seed_lab
from vrrp_lab import Spec, VrrpLab, require_keepalived

VIP = "10.99.0.100"
SPEC = Spec(version=2, interval=1.0)
# The script may take up to one interval (2 s) to notice, then the new master's
# Master_Down_Interval runs out (3 x 1 s + skew); a generous bound under machine load.
MOVE_TIMEOUT = 2 + SPEC.master_down(100) + 8


@pytest.fixture
def vl(lab, vigild):
    return VrrpLab(lab, vigild)


def _through(client, lb: str) -> bool:
    """True once a request to the VIP is answered through ``lb`` by one of the web servers."""
    got = seed_lab.get(client, VIP)
    return got is not None and got[0] == lb and got[1] in ("web1", "web2")


def _priorities(routers) -> dict[str, tuple[str, int]]:
    return {r.name: (r.state(), r.instances()["VI_1"]["effective_priority"]) for r in routers}


def _wait_master(vl, client, master, backup, priorities) -> None:
    """Waits until ``master`` alone holds the VIP and carries the client's requests; for
    vigild, also that states and effective priorities are ``priorities``."""
    vl.wait_holder(master, SPEC, timeout=MOVE_TIMEOUT)
    if master.kind == "vigil":
        vl.wait_states({master: "MASTER", backup: "BACKUP"})
        assert _priorities([master, backup]) == priorities
    lablib.wait_until(lambda: _through(client, master.name), timeout=10,
                      message=f"the client served through {master.name}'s HAProxy")


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_seed_haproxy_fails_over_when_haproxy_dies_and_comes_back(vl, kind):
    if kind == "keepalived":
        require_keepalived()
    lb1, lb2 = vl.router("lb1", kind), vl.router("lb2", kind)
    webs = [vl.lab.add_node("web1"), vl.lab.add_node("web2")]
    client = vl.client
    for web in webs:
        seed_lab.start_web(web)

    haproxies = {}
    for lb, state, prio in ((lb1, "MASTER", 101), (lb2, "BACKUP", 100)):
        lb.start(SPEC, prio, body=seed_lab.seed_config(state, prio, VIP),
                 wrapper=seed_lab.PIDNS_WRAPPER)
        haproxies[lb.name] = seed_lab.HAProxy(lb.node, seed_lab.pid1(lb.proc), VIP, webs)
        haproxies[lb.name].start()
    vl.wait_holder(lb1, SPEC, timeout=MOVE_TIMEOUT)
    if kind == "vigil":
        lablib.wait_until(lambda: _priorities([lb1, lb2]) ==
                          {"lb1": ("MASTER", 103), "lb2": ("BACKUP", 102)},
                          timeout=10, message="both scripts to succeed")
    lablib.wait_until(lambda: _through(client, "lb1"), timeout=10,
                      message="the client served through lb1's HAProxy")

    # killall in lb1's namespace: lb2's HAProxy is not touched.
    haproxies["lb1"].kill()
    assert haproxies["lb2"].running()
    _wait_master(vl, client, lb2, lb1, {"lb1": ("BACKUP", 101), "lb2": ("MASTER", 102)})

    haproxies["lb1"].start()
    _wait_master(vl, client, lb1, lb2, {"lb1": ("MASTER", 103), "lb2": ("BACKUP", 102)})
