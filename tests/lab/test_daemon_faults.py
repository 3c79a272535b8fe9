"""Faults around vigild's processes and listeners: signals sent to the engines' own pids
(as `systemctl kill` sends them to the whole cgroup), engines that cannot be started (fd
and process limits), floods of the metrics port and the control socket, a second vigild
on the same control socket, and clients without the right credentials.

One lab (client, lb1, web1, web2) serves the module; each test starts vigild on lb1 and
stops it at the end.
"""

from __future__ import annotations

import os
import signal

import pytest

import lab as lablib
from daemon_lab import VIP, Setup, module_lab


@pytest.fixture(scope="module")
def mod():
    with module_lab(webs=2) as ha:
        yield ha


@pytest.fixture
def ha(mod):
    yield mod
    mod.stop()
    for d in mod.daemons:
        d.proc = None


def start_one(ha, setup: Setup | None = None, *extra: str):
    d = ha.daemons[0]
    d.write(setup or Setup())
    d.start(*extra)
    pool = {ha.dest("web1"): 1, ha.dest("web2"): 1}
    lablib.wait_until(lambda: d.state() == "MASTER" and d.vips() == [VIP] and
                      d.pool() == pool, timeout=15, message="lb1 master with its pool")
    return d


# Signals an engine may receive from outside; none of them may stop it or move a VIP.
ENGINE_SIGNALS = [
    ("SIGUSR1", signal.SIGUSR1), ("SIGUSR2", signal.SIGUSR2),
    ("SIGRTMIN+2", signal.SIGRTMIN + 2), ("SIGRTMAX-1", signal.SIGRTMAX - 1),
    ("SIGRTMAX", signal.SIGRTMAX), ("SIGHUP", signal.SIGHUP), ("SIGINT", signal.SIGINT),
    ("SIGPIPE", signal.SIGPIPE), ("SIGCHLD", signal.SIGCHLD),
]


def test_signals_sent_to_the_engines_stop_nothing_and_move_no_vip(ha):
    d = start_one(ha)
    pids = {e: d.engine_pid(e) for e in ("vrrp", "check")}
    before = d.instances()["VI_1"]
    for engine, pid in pids.items():
        for name, sig in ENGINE_SIGNALS:
            os.kill(pid, sig)
    # The forwarded ones reach the supervisor: each engine passes SIGHUP and the four dump
    # signals on; the engines ignore SIGINT, SIGPIPE and SIGCHLD.
    forwarded = ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGRTMIN+2", "SIGRTMAX-1", "SIGRTMAX"]
    for engine in pids:
        for name in forwarded:
            line = f"{engine}: {name} passed on to the supervisor (pid {d.proc.pid})"
            lablib.wait_until(lambda: line in d.log(), timeout=5, message=line)
        assert f"{engine}: SIGINT ignored (the supervisor stops the engines)" in d.log()
    lablib.wait_until(lambda: os.path.exists(d.data_file) and os.path.exists(d.stats_file)
                      and os.path.exists(d.json_file), timeout=5, message="the dumps")
    lablib.wait_until(lambda: d.status()["reloads"] >= 1 and "reload complete" in d.log(),
                      timeout=10, message="the forwarded reload")
    assert {e: d.engine_pid(e) for e in pids} == pids
    for pid in pids.values():
        assert os.path.exists(f"/proc/{pid}")
    assert d.proc.poll() is None
    after = d.instances()["VI_1"]
    assert after["state"] == "MASTER"
    assert after["transitions"] == before["transitions"]
    assert d.vips() == [VIP]
    assert "respawning" not in d.log()
    assert "was killed by signal" not in d.log()
