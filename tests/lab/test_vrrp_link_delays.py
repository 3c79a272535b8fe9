"""Lab tests of the link keywords, each run against vigild and against keepalived 2.2.7 in the
same lab with the same configuration: interface_up_down_delays (a link that flaps faster
than its delay moves nothing; one down for longer puts the instance in FAULT, and it comes
back after the up delay) and track_group (the instances of a group track the interfaces of
the static addresses and routes naming it). Each router is alone: its instance is on a veth
whose peer end sits in the same namespace, hears nobody and becomes master; taking the peer
end down takes the carrier (IFF_RUNNING) away from the instance's side."""

from __future__ import annotations

import os
import time

import pytest

import lab as lablib
from vrrp_lab import IP, Spec, VrrpLab

SPEC = Spec(version=2, interval=1)
DOWN_DELAY = 1.5
UP_DELAY = 0.5


@pytest.fixture
def vl(lab, vigild):
    return VrrpLab(lab, vigild)


def make_link(node: lablib.Node, name: str, address: str) -> None:
    """Creates veth ``name`` (its peer ``<name>p`` in the same node), addressed and up."""
    node.run([IP, "link", "add", name, "type", "veth", "peer", "name", name + "p"])
    node.run([IP, "addr", "add", address, "dev", name])
    node.link_set(name + "p", True)
    node.link_set(name, True)


def instance(notify: str, dev: str = "vlan9", vip: str = "10.77.0.100/24") -> str:
    lines = [f'notify_{s.lower()} "{notify} {s}"' for s in ("MASTER", "BACKUP", "FAULT")]
    return ("vrrp_instance VI_1 {\n    state BACKUP\n    interface " + dev + "\n"
            "    virtual_router_id 51\n    advert_int 1\n    priority 100\n"
            "    virtual_ipaddress {\n        " + vip + "\n    }\n    " +
            "\n    ".join(lines) + "\n}\n")


def notify_script(vl: VrrpLab, name: str) -> tuple[str, str]:
    """Returns (script, log): the script appends its first argument to the log."""
    log = os.path.join(vl.lab.workdir, f"{name}-states.log")
    script = vl.file(f"{name}-notify.sh", f'#!/bin/sh\necho "$1" >> {log}\n', mode=0o755)
    return script, log


def states(log: str) -> list[str]:
    """The states notified, without the initial BACKUP that a daemon may announce."""
    try:
        with open(log) as f:
            s = f.read().split()
    except FileNotFoundError:
        return []
    return s[1:] if s[:1] == ["BACKUP"] else s


def wait_states(log: str, want: list[str], timeout: float = 10) -> None:
    lablib.wait_until(lambda: states(log) == want, timeout=timeout,
                      message=f"states {want} (have {states(log)})")


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_link_flapping_faster_than_its_delay_moves_nothing(vl, kind):
    (r1,) = vl.routers_of([kind])
    node = r1.node
    make_link(node, "vlan9", "10.77.0.1/24")
    script, log = notify_script(vl, kind)
    top = f"interface_up_down_delays {{\n    vlan9 {DOWN_DELAY} {UP_DELAY}\n}}\n"
    r1.start(SPEC, 100, top=top, body=instance(script))
    wait_states(log, ["MASTER"])

    # Down for a fifth of the delay, three times: nothing happens.
    for _ in range(3):
        node.link_set("vlan9p", False)
        time.sleep(DOWN_DELAY / 5)
        node.link_set("vlan9p", True)
        time.sleep(DOWN_DELAY / 5)
    time.sleep(DOWN_DELAY + 1)  # past the delay: a change that counted would show by now
    assert states(log) == ["MASTER"]
    assert "10.77.0.100" in r1.addresses("vlan9")

    # Down for longer than the delay: FAULT, the VIP goes.
    node.link_set("vlan9p", False)
    wait_states(log, ["MASTER", "FAULT"])
    assert "10.77.0.100" not in r1.addresses("vlan9")
    # Up again: after the up delay BACKUP, then MASTER (nobody else on the link).
    node.link_set("vlan9p", True)
    wait_states(log, ["MASTER", "FAULT", "BACKUP", "MASTER"])

    text = r1.log()
    if kind == "vigil":
        # Each change waited for its delay; each flap came back before it.
        assert text.count("interface vlan9 is down; that counts once it lasts 1.5 s "
                          "(interface_up_down_delays)") == 4
        assert text.count("interface vlan9 is up again before its delay ended: no change") == 3
        assert "interface vlan9 has been down for its delay: it counts now" in text
        assert ("interface vlan9 is up; that counts once it lasts 0.5 s "
                "(interface_up_down_delays)") in text
        assert "interface vlan9 has been up for its delay: it counts now" in text
    else:
        # keepalived 2.2.7 says the same in its words (the delay in microseconds).
        assert text.count("vlan9: Adding flags change from") >= 5
        assert "delay by 1500000" in text and "delay by 500000" in text


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_track_group_instances_track_static_address_and_route_interfaces(vl, kind):
    (r1,) = vl.routers_of([kind])
    node = r1.node
    make_link(node, "vlan9", "10.77.0.1/24")
    make_link(node, "vlan8", "10.78.0.1/24")
    make_link(node, "vlan7", "10.79.0.1/24")
    script, log = notify_script(vl, kind)
    top = ("track_group G1 {\n    group {\n        VI_1\n    }\n}\n"
           "static_ipaddress {\n    10.88.0.1/24 dev vlan8 track_group G1\n}\n"
           "static_routes {\n    10.66.0.0/16 dev vlan7 track_group G1\n}\n")
    r1.start(SPEC, 100, top=top, body=instance(script))
    wait_states(log, ["MASTER"])
    assert "10.88.0.1" in r1.addresses("vlan8")

    # The static address's interface loses its link: the group's instance goes to FAULT.
    node.link_set("vlan8p", False)
    wait_states(log, ["MASTER", "FAULT"])
    node.link_set("vlan8p", True)
    wait_states(log, ["MASTER", "FAULT", "BACKUP", "MASTER"])
    # The static route's interface, likewise.
    node.link_set("vlan7p", False)
    wait_states(log, ["MASTER", "FAULT", "BACKUP", "MASTER", "FAULT"])
    node.link_set("vlan7p", True)
    wait_states(log, ["MASTER", "FAULT", "BACKUP", "MASTER", "FAULT", "BACKUP", "MASTER"])
