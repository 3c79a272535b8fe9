"""The notify FIFO's lines for a two-instance sync group, in order, as keepalived 2.2.7
writes them (its vrrp_init_state and sync rules), checked for both daemons on the same lab:

- a group that starts BACKUP: its GROUP line first, then its members' BACKUP lines;
  each transition then gives the members' lines and the group's after them; at stop the
  members' STOP lines, then the group's;
- a group of address owners that start MASTER: MASTER from the start, no GROUP line until
  it leaves MASTER (none at all here);
- a group with a member that cannot run (its interface has no IPv4 address): every
  member's FAULT line, then the group's — no BACKUP on the way.
"""

from __future__ import annotations

import pytest

import lab as lablib
from vrrp_lab import IP, Spec, VrrpLab, fifo_reader, require_keepalived

VIPS = {"VI_1": "10.99.0.100", "VI_2": "10.99.0.101"}


def body(router, priority: int, state: str = "BACKUP", dev2: str = "eth0") -> str:
    text = "vrrp_sync_group G1 {\n    group {\n        VI_1\n        VI_2\n    }\n}\n"
    for i, (name, vip) in enumerate(VIPS.items()):
        spec = Spec(version=3, interval=0.1, vrid=51 + i)
        block = router.instance(spec, priority, name=name, state=state)
        text += block.replace("10.99.0.100/16", f"{vip}/16").replace(
            "interface eth0", f"interface {dev2 if i else 'eth0'}")
    return text


def held(router) -> set[str]:
    return set(VIPS.values()) & set(router.addresses("eth0"))


def phases(lines: list[str]) -> list[str]:
    """``lines`` with each run of INSTANCE lines of one state sorted: which member of a
    group moves first is a race of timers; the group's line before or after them is not."""
    out: list[str] = []
    run: list[str] = []
    for line in lines + ["END"]:
        if run and (not line.startswith("INSTANCE ") or
                    line.split()[2] != run[-1].split()[2]):
            out += sorted(run)
            run = []
        if line.startswith("INSTANCE "):
            run.append(line)
        else:
            out.append(line)
    return out[:-1]


def B(name: str, state: str, priority: int = 100) -> str:
    return f'INSTANCE "{name}" {state} {priority}'


WANT = {
    "backup": ['GROUP "G1" BACKUP 0', B("VI_1", "BACKUP"), B("VI_2", "BACKUP"),
               B("VI_1", "MASTER"), B("VI_2", "MASTER"), 'GROUP "G1" MASTER 0',
               B("VI_1", "BACKUP"), B("VI_2", "BACKUP"), 'GROUP "G1" BACKUP 0',
               B("VI_1", "MASTER"), B("VI_2", "MASTER"), 'GROUP "G1" MASTER 0',
               B("VI_1", "STOP"), B("VI_2", "STOP"), 'GROUP "G1" STOP 0'],
    "owner": [B("VI_1", "MASTER", 255), B("VI_2", "MASTER", 255),
              B("VI_1", "STOP", 255), B("VI_2", "STOP", 255), 'GROUP "G1" STOP 0'],
    "fault": [B("VI_1", "FAULT"), B("VI_2", "FAULT"), 'GROUP "G1" FAULT 0',
              B("VI_1", "STOP"), B("VI_2", "STOP"), 'GROUP "G1" STOP 0'],
}


@pytest.mark.parametrize("case", list(WANT))
@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_sync_group_fifo_lines_at_start_transitions_and_stop(lab, vigild, kind, case):
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    with fifo_reader(r1) as (fifo, lines):
        g = f"notify_fifo {fifo}"
        if case == "backup":
            r2 = vl.router("r2", "vigil")
            r1.start(None, None, body=body(r1, 100), global_extra=g)
            lablib.wait_until(lambda: held(r1) == set(VIPS.values()), timeout=10,
                              message="r1 holds the group")
            r2.start(None, None, body=body(r2, 150))
            lablib.wait_until(lambda: held(r1) == set(), timeout=10, message="r1 gives it up")
            assert r2.term() == 0
            lablib.wait_until(lambda: held(r1) == set(VIPS.values()), timeout=10,
                              message="r1 takes it back")
        elif case == "owner":
            r1.start(None, None, body=body(r1, 255, "MASTER"), global_extra=g)
            lablib.wait_until(lambda: len(lines()) >= 2, timeout=10,
                              message=f"the members' MASTER lines: {lines()}")
        else:
            r1.node.run([IP, "link", "add", "lan1", "type", "veth", "peer", "name", "lan1p"])
            r1.start(None, None, body=body(r1, 100, dev2="lan1"), global_extra=g)
            lablib.wait_until(lambda: 'GROUP "G1" FAULT 0' in lines(), timeout=10,
                              message=f"the group's FAULT line: {lines()}")
        assert r1.term() == 0
        lablib.wait_until(lambda: 'GROUP "G1" STOP 0' in lines(), timeout=5,
                          message=f"the STOP lines: {lines()}")
        assert phases(lines()) == WANT[case], lines()
