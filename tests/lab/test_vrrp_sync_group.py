"""vrrp_sync_group goes MASTER only when every member wants it, as keepalived 2.2.7 does.

r1 (priority 150) is master of a sync group of two instances (VRID 51 and 52); r2 (100) is
its backup, run by vigild or, as the oracle, by Debian's keepalived. r2 stops hearing the
adverts of VRID 51 only (an nftables drop in r2's namespace): its VI_1 wants MASTER, but
VI_2 still hears its master, so the group stays BACKUP and r2 takes no VIP. Once VRID 52
goes silent too, r2 takes the whole group; when r1 is heard again it takes it back.
"""

from __future__ import annotations

import json
import os
import time

import pytest

import lab as lablib
from vrrp_lab import Spec, VrrpLab, require_keepalived

SPEC = Spec(version=3, interval=0.1)
VIPS = {"VI_1": "10.99.0.100", "VI_2": "10.99.0.101"}
DROP_TABLE = "sync_test"
COUNT_TABLE = "sync_count"


def body(router, priority: int, notify: str = "") -> str:
    extra = ("vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n" +
             (f"    notify {notify}\n" if notify else "") + "}\n")
    for i, (name, vip) in enumerate(VIPS.items()):
        spec = Spec(version=3, interval=0.1, vrid=51 + i)
        extra += router.instance(spec, priority, name=name).replace(
            "10.99.0.100/16", f"{vip}/16")
    return extra


def drop_vrid(node: lablib.Node, vrid: int) -> None:
    """Drops the VRRP adverts of ``vrid`` arriving at ``node`` (byte 1 of the VRRP header)."""
    node.run([lablib.NFT, "add", "table", "inet", DROP_TABLE])
    node.run([lablib.NFT, "add", "chain", "inet", DROP_TABLE, "in",
              "{ type filter hook input priority 0 ; }"])
    node.run([lablib.NFT, "add", "rule", "inet", DROP_TABLE, "in", "ip", "protocol", "112",
              "@th,8,8", str(vrid), "drop"])


def count_adverts_from(node: lablib.Node, source: str) -> None:
    """Counts, in ``node``'s namespace, the VRRP adverts that ``source`` sends."""
    node.run([lablib.NFT, "add", "table", "inet", COUNT_TABLE])
    node.run([lablib.NFT, "add", "chain", "inet", COUNT_TABLE, "in",
              "{ type filter hook input priority 0 ; }"])
    node.run([lablib.NFT, "add", "rule", "inet", COUNT_TABLE, "in", "ip", "saddr", source,
              "ip", "protocol", "112", "counter"])


def adverts_counted(node: lablib.Node) -> int:
    data = json.loads(node.run([lablib.NFT, "-j", "list", "table", "inet", COUNT_TABLE]).stdout)
    return sum(i["rule"]["expr"][-1]["counter"]["packets"]
               for i in data["nftables"] if "rule" in i)


def held(router) -> set[str]:
    return set(VIPS.values()) & set(router.addresses("eth0"))


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_sync_group_waits_for_every_member(lab, vigild, kind):
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", "vigil")
    r2 = vl.router("r2", kind)
    log = os.path.join(lab.workdir, "group.log")
    notify = vl.file("group-notify.sh", f"#!/bin/sh\necho \"$@\" >> {log}\n", mode=0o755)
    r1.start(SPEC, 150, body=body(r1, 150))
    r2.start(SPEC, 100, body=body(r2, 100, notify))
    lablib.wait_until(lambda: held(r1) == set(VIPS.values()), timeout=10,
                      message="r1 holds the group")
    assert held(r2) == set()

    count_adverts_from(r1.node, r2.node.ipv4)
    drop_vrid(r2.node, 51)
    # Six Master_Down intervals of r2's VI_1 (0.33 s each): the group stays BACKUP there,
    # so r2 sends not one advert (a master, even for a moment, would).
    deadline = time.monotonic() + 6 * SPEC.master_down(100)
    while time.monotonic() < deadline:
        assert held(r2) == set(), "r2 took VIPs although VI_2 still hears its master"
        time.sleep(0.05)
    assert adverts_counted(r1.node) == 0
    if kind == "vigil":
        assert {n: r2.state(n) for n in VIPS} == {"VI_1": "BACKUP", "VI_2": "BACKUP"}
    assert held(r1) == set(VIPS.values())

    # VRID 52 falls silent too: every member wants MASTER, the group takes over.
    drop_vrid(r2.node, 52)
    lablib.wait_until(lambda: held(r2) == set(VIPS.values()), timeout=10,
                      message="r2 takes the whole group")
    if kind == "vigil":
        assert {n: r2.state(n) for n in VIPS} == {"VI_1": "MASTER", "VI_2": "MASTER"}

    # r1 is heard again: r2's masters receive priority 150 and give the group back.
    r2.node.run([lablib.NFT, "delete", "table", "inet", DROP_TABLE])
    lablib.wait_until(lambda: held(r2) == set(), timeout=10, message="r2 gives the group back")
    assert held(r1) == set(VIPS.values())

    # The group's notify script saw each of its state changes once.
    def lines():
        with open(log) as f:
            return f.read().splitlines()
    want = ["GROUP G BACKUP 0", "GROUP G MASTER 0", "GROUP G BACKUP 0"]
    lablib.wait_until(lambda: os.path.exists(log) and lines() == want, timeout=5,
                      message=f"group notifications {want}")
