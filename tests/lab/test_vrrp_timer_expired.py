"""timer_expired_backup (keepalived 2.4; `thread_timer_expired` is its older name): a
nopreempt master whose VRRP engine was not run for longer than a backup waits (here:
SIGSTOPped until the backup took over) goes BACKUP when it runs again, without sending an
advert; without the keyword it reasserts itself as before and the backup yields.

keepalived 2.2.7 does not know the keyword, so vigild is checked against upstream's
source: the bound is 3 advert intervals plus the skew time of the highest other priority
after the last advert sent."""

from __future__ import annotations

import os
import signal

import pytest

import lab as lablib
from vrrp_lab import Spec, VrrpLab, adverts, decode, require_tshark

SPEC = Spec(version=3, interval=0.1)


def engine_pid(r) -> int:
    with open(os.path.join(r.vl.lab.workdir, f"{r.name}-vrrp.pid")) as f:
        return int(f.read().strip())


@pytest.mark.parametrize("keyword", ["timer_expired_backup", None])
def test_master_stopped_past_takeover_goes_backup_with_the_keyword(lab, vigild, keyword):
    require_tshark()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1")
    r2 = vl.router("r2")
    extra = "nopreempt\n" + (keyword + "\n" if keyword else "")
    r1.start(SPEC, 150, extra=extra)
    vl.wait_holder(r1)
    r2.start(SPEC, 100, extra=extra)
    vl.wait_states({r1: "MASTER", r2: "BACKUP"})

    pid = engine_pid(r1)
    os.kill(pid, signal.SIGSTOP)
    try:
        # r2 hears nothing for its Master_Down_Interval and takes over; r1's VIP stays in
        # its kernel while it is stopped.
        vl.wait_states({r2: "MASTER"}, timeout=5)
        lablib.wait_until(lambda: r2.holds_all(), timeout=5, message="r2 holds the VIP")
        cap = vl.capture(2.0)  # every advert from r1 in it was sent after SIGCONT
    finally:
        os.kill(pid, signal.SIGCONT)
    packets = adverts(decode(cap))
    from_r1 = [p["prio"] for p in packets if p["src"] == r1.ipv4]
    from_r2 = [p["prio"] for p in packets if p["src"] == r2.ipv4]
    if keyword:
        # r1 steps down at once, silently; r2 (lower priority) stays master: nopreempt.
        vl.wait_holder(r2)
        vl.wait_states({r1: "BACKUP", r2: "MASTER"})
        assert from_r1 == [], vl.logs()
        assert from_r2 and set(from_r2) == {100}
        assert ("VI_1: the VRRP engine ran late: last advert sent" in r1.log() and
                "timer_expired_backup: going BACKUP" in r1.log()), r1.log()
        assert r1.instances()["VI_1"]["became_master"] == 1
    else:
        # As before: r1 resumes as master at once, r2 yields to its higher priority.
        vl.wait_holder(r1)
        vl.wait_states({r1: "MASTER", r2: "BACKUP"})
        assert from_r1 and set(from_r1) == {150}, vl.logs()
        assert "ran late" not in r1.log()
