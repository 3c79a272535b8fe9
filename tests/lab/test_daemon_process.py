"""vigild's process model as operators meet it: an engine killed with SIGKILL is respawned
(or, with -R, vigild stops), a second vigild with the same pid file refuses to start, and
SIGTERM stops everything cleanly (priority-0 advert, VIPs and nftables table removed, pid
files and control socket gone).

One lab (client, lb1, lb2, web1, web2) serves the module; each test starts its daemons and
stops them at the end.
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

import lab as lablib
from daemon_lab import VIP, Instance, Setup, vrrp_adverts


@pytest.fixture
def ha(lb_lab):
    return lb_lab


def gone(path: str) -> bool:
    return not os.path.exists(path)


def test_killed_vrrp_engine_is_respawned_and_the_instance_recovers(ha):
    setup = Setup()
    ha.start(setup)
    ha.wait_converged(setup, timeout=15)
    lb1, lb2 = ha.daemons
    vrrp_pid = lb1.engine_pid("vrrp")
    check_pid = lb1.engine_pid("check")
    os.kill(vrrp_pid, signal.SIGKILL)
    lablib.wait_until(lambda: "engine vrrp was killed by signal 9; respawning in 1000 ms"
                      in lb1.log(), timeout=5, message="the supervisor to log the death")
    lablib.wait_until(lambda: lb1.engine_pid("vrrp") != vrrp_pid, timeout=5,
                      message="a new VRRP engine")
    new_pid = lb1.engine_pid("vrrp")
    assert os.path.exists(f"/proc/{new_pid}")
    assert re.search(rf"started engine vrrp \(pid {new_pid}\)", lb1.log())
    # The respawned engine wins the election back (priority 150 against 100).
    ha.wait_converged(setup, timeout=12)
    assert lb1.engine_pid("check") == check_pid, "the checker engine was disturbed"
    assert lb1.proc.poll() is None
    s = lb1.status()
    assert [i["name"] for i in s["instances"]] == ["VI_1"]


def test_respawned_backup_engine_removes_the_vips_its_killed_predecessor_left(ha):
    """With nopreempt the respawned lb1 stays BACKUP under lb2: it must not keep the VIP
    the killed engine left on its interface (two holders of one address)."""
    setup = Setup(instances=[Instance("VI_1", 51, [VIP], extra="nopreempt\n")])
    ha.start(setup)
    ha.wait_converged(setup, timeout=15)
    lb1, lb2 = ha.daemons
    vrrp_pid = lb1.engine_pid("vrrp")
    os.kill(vrrp_pid, signal.SIGKILL)
    lablib.wait_until(lambda: lb2.state() == "MASTER" and VIP in lb2.vips(), timeout=8,
                      message="lb2 to take over")
    lablib.wait_until(lambda: lb1.engine_pid("vrrp") != vrrp_pid and
                      lb1.state() == "BACKUP", timeout=8, message="lb1's engine back, BACKUP")
    lablib.wait_until(lambda: lb1.vips() == [], timeout=3,
                      message=f"lb1 to drop the leftover VIP (has {lb1.vips()})")
    time.sleep(1.5)
    assert lb1.state() == "BACKUP" and lb2.state() == "MASTER"
    assert lb1.vips() == [] and lb2.vips() == [VIP]


def test_with_dont_respawn_a_dead_engine_stops_vigild(ha):
    d = ha.start_lb1(None, "-R")
    os.kill(d.engine_pid("vrrp"), signal.SIGKILL)
    code = d.proc.wait(timeout=15)
    assert code == 1
    log = d.log()
    assert "engine vrrp was killed by signal 9; not respawning (-R); stopping vigild" in log
    assert "engine check exited with 0" in log
    assert not d.nft_table_exists()
    for path in (d.pid_file, d.check_pid_file, d.ctl):
        assert gone(path), path


@pytest.mark.parametrize("foreground", [True, False], ids=["-n", "daemonizing"])
def test_second_vigild_with_the_same_pid_file_refuses_to_start(ha, foreground):
    d = ha.start_lb1()
    argv = d.argv()
    if not foreground:
        argv.remove("-n")
    t0 = time.monotonic()
    second = d.node.run(argv, check=False, timeout=15)
    assert second.returncode == 1, (second.returncode, second.stdout, second.stderr)
    assert time.monotonic() - t0 < 10
    text = second.stdout + second.stderr
    assert f"another vigild is running (pid {d.proc.pid}): '{d.pid_file}' is locked" in text
    # The first one is untouched: its pid file, control socket and state.
    with open(d.pid_file) as f:
        assert int(f.read()) == d.proc.pid
    assert d.state() == "MASTER" and d.vips() == [VIP]
    assert d.status()["pid"] == d.proc.pid


def test_sigterm_stops_everything_cleanly(ha):
    setup = Setup()
    ha.start(setup)
    ha.wait_converged(setup, timeout=15)
    lb1, lb2 = ha.daemons
    cap = ha.lab.switch.start_capture("br0", duration=4, bpf="ip proto 112")
    t0 = time.monotonic()
    assert lb1.stop(timeout=15) == 0
    stopped = time.monotonic() - t0
    lablib.wait_until(lambda: VIP in lb2.vips(), timeout=3, interval=0.02,
                      message="lb2 to take over at once")
    took = time.monotonic() - t0
    cap.stop()
    adverts = vrrp_adverts(cap.packets(), lb1.node.ipv4)
    assert [p for _, p in adverts][-1] == 0, f"no priority-0 advert last: {adverts}"
    assert stopped < 5
    # Priority 0 makes the backup wait only Skew_Time (156/256 s for priority 100).
    assert took < 0.61 + 1.0, f"lb2 took {took:.2f} s"
    assert lb1.vips() == []
    assert not lb1.nft_table_exists()
    for path in (lb1.pid_file, lb1.vrrp_pid_file, lb1.check_pid_file, lb1.ctl):
        assert gone(path), path
    log = lb1.log()
    assert "engine vrrp exited with 0" in log and "engine check exited with 0" in log
    assert log.rstrip().endswith("stopped")


def test_daemonized_vigild_records_its_own_pid_and_stops_on_sigterm(ha):
    d = ha.daemons[0]
    d.write(Setup())
    argv = d.argv()
    argv.remove("-n")
    first = d.node.run(argv, check=False, timeout=15)
    assert first.returncode == 0, first
    lablib.wait_until(lambda: os.path.exists(d.ctl), timeout=10, message="control socket")
    with open(d.pid_file) as f:
        pid = int(f.read())
    assert d.status()["pid"] == pid
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    assert int(fields[3]) != pid, "the daemon must not lead a session (setsid, then a second fork)"
    lablib.wait_until(lambda: d.state() == "MASTER", timeout=15, message="lb1 master")
    os.kill(pid, signal.SIGTERM)
    lablib.wait_until(lambda: not os.path.exists(f"/proc/{pid}"), timeout=15,
                      message="the daemon to stop")
    for path in (d.pid_file, d.vrrp_pid_file, d.check_pid_file, d.ctl):
        assert gone(path), path
    assert d.vips() == [] and not d.nft_table_exists()
