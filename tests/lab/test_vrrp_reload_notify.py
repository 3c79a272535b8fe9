"""What an instance that a reload removes tells its notify scripts, as keepalived 2.2.7
tells it (checked live): with notify_deleted, its notify_deleted script and the generic
`notify` with DELETED; without, the generic `notify` alone with FAULT (not the notify_fault
script). Never STOP, which is for the daemon's own stop: vigild ran notify_stop and the
generic script with STOP there."""

from __future__ import annotations

import os
import signal

import pytest

import lab as lablib
from vrrp_lab import VrrpLab

KEPT = """vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 200
    advert_int 1
    virtual_ipaddress {
        10.99.0.100/16
    }
}
"""

REMOVED = """vrrp_instance VI_2 {{
    state BACKUP
    interface eth0
    virtual_router_id 62
    priority 100
    advert_int 1
    notify_master {d}/master.sh
    notify_backup {d}/backup.sh
    notify_fault {d}/fault.sh
    notify_stop {d}/stop.sh
    {deleted}
    notify {d}/generic.sh
    virtual_ipaddress {{
        10.99.0.101/16
    }}
}}
"""


@pytest.mark.parametrize("deleted", [False, True], ids=["plain", "notify_deleted"])
@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_an_instance_a_reload_removes_is_notified_as_keepalived_does(lab, vigild, kind, deleted):
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    d = lab.workdir
    out = os.path.join(d, "notified.txt")
    for name in ("master", "backup", "fault", "stop", "deleted", "generic"):
        vl.file(f"{name}.sh", f'#!/bin/sh\necho "{name} $*" >> {out}\n', mode=0o755)
    removed = REMOVED.format(d=d, deleted=f"notify_deleted {d}/deleted.sh" if deleted else "")
    r1.start(None, None, body=KEPT + removed)
    lablib.wait_until(lambda: "generic INSTANCE VI_2 BACKUP 100" in lablib.file_lines(out),
                      timeout=10, message=f"VI_2 BACKUP: {lablib.file_lines(out)}\n{r1.log()[-3000:]}")
    # keepalived runs a transition's scripts at once: each transition's lines in any order.
    assert sorted(lablib.file_lines(out)) == ["backup ", "generic INSTANCE VI_2 BACKUP 100"]
    with open(r1.conf, "w") as f:
        f.write(r1.config(KEPT))
    r1.proc.send_signal(signal.SIGHUP)
    want = (["deleted ", "generic INSTANCE VI_2 DELETED 100"] if deleted
            else ["generic INSTANCE VI_2 FAULT 100"])
    lablib.wait_until(lambda: len(lablib.file_lines(out)) >= 2 + len(want), timeout=10,
                      message=f"the removal's notifications: {lablib.file_lines(out)}\n"
                              f"{r1.log()[-3000:]}")
    assert r1.term() == 0
    assert sorted(lablib.file_lines(out)[2:]) == want, r1.log()[-3000:]
