"""keepalived's reload keywords in global_defs, on a running vigild (lb1 of the lb lab):
reload_check_config with its log file, reload_file, config_save_dir, and reload_time_file
(with reload_repeat) making vigild reload at the time a file names.

One lab (conftest.lb_module) serves the module; each test starts vigild on lb1 and stops
it at the end.
"""

from __future__ import annotations

import glob
import os
import signal
import time

import lab as lablib
from daemon_lab import VIP, Instance, Setup



def reloads(d) -> int:
    return d.status()["reloads"]


def test_reload_check_config_logs_and_refuses_a_broken_configuration(lb_lab):
    ha = lb_lab
    work = ha.work
    check_log = os.path.join(work, "reload-check.log")
    reload_file = os.path.join(work, "lb1.reload")
    saved = os.path.join(work, "saved-configs")
    extra = (f"reload_check_config {check_log}\nreload_file {reload_file}\n"
             f"config_save_dir {saved}\n")
    d = ha.start_lb1(Setup(global_extra=extra))
    pid = d.proc.pid
    web1, web2 = ha.dest("web1"), ha.dest("web2")
    # The configuration vigild started with is kept.
    [first] = glob.glob(os.path.join(saved, "vigild.conf.*.0"))
    with open(first) as f:
        assert f.read() == f"# {d.conf}\n" + open(d.conf).read()

    # A broken configuration: refused, its diagnostics in the check's log.
    with open(reload_file, "w") as f:
        f.write("about to reload")
    d.write(Setup(instances=[Instance("VI_1", 300, [VIP])], global_extra=extra))
    before = reloads(d)
    d.signal(signal.SIGHUP)
    lablib.wait_until(lambda: reloads(d) == before + 1, timeout=10, message="the SIGHUP reload")
    lablib.wait_until(lambda: "reload refused" in d.log(), timeout=10, message="the refusal")
    assert d.status()["last_reload_ok"] is False
    with open(check_log) as f:
        text = f.read()
    assert f"{d.conf}:" in text and "error: virtual_router_id 300 is out of range 1..255" in text
    assert (f"reload refused: the new configuration has errors (see {check_log}); nothing "
            "changed") in d.log()
    assert not os.path.exists(reload_file)  # the configuration was read
    assert d.vips() == [VIP] and d.pool() == {web1: 1, web2: 1}
    assert len(glob.glob(os.path.join(saved, "vigild.conf.*"))) == 1

    # Fixed: the reload goes through, the log is replaced, the new configuration is kept.
    with open(reload_file, "w") as f:
        f.write("about to reload")
    fixed = Setup(servers={"web1": 3, "web2": 1}, global_extra=extra)
    d.write(fixed)
    answer = d.reload()
    assert answer["ok"] is True, answer
    assert d.pool() == {web1: 3, web2: 1}
    with open(check_log) as f:  # replaced: this check's findings only (warnings, if any)
        assert "error:" not in f.read()
    assert not os.path.exists(reload_file)
    [second] = [p for p in glob.glob(os.path.join(saved, "vigild.conf.*"))
                if p.endswith(".1")]
    assert os.path.basename(second).startswith("vigild.conf.")
    with open(second) as f:
        assert "weight 3" in f.read()
    assert d.proc.pid == pid


def at(seconds_from_now: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(time.time() + seconds_from_now))


def test_reload_time_file_reloads_at_the_time_it_names(lb_lab):
    ha = lb_lab
    time_file = os.path.join(ha.work, "reload-at")
    if os.path.exists(time_file):
        os.unlink(time_file)
    extra = f"reload_time_file {time_file}\n"
    d = ha.start_lb1(Setup(global_extra=extra))
    web1, web2 = ha.dest("web1"), ha.dest("web2")
    # The new configuration waits for the time the file names.
    d.write(Setup(servers={"web1": 4, "web2": 1}, global_extra=extra))
    when = at(3)
    with open(time_file, "w") as f:
        f.write(when + "\n")
    lablib.wait_until(lambda: "reload_time_file: reload scheduled for " in d.log(),
                      timeout=5, message="the reload to be scheduled")
    assert f" {when}" in d.log()
    assert reloads(d) == 0 and d.pool() == {web1: 1, web2: 1}
    lablib.wait_until(lambda: d.pool() == {web1: 4, web2: 1}, timeout=8,
                      message="the scheduled reload")
    assert reloads(d) == 1
    assert "reload_time_file: reloading as scheduled for " in d.log()
    assert not os.path.exists(time_file)  # done: the file is removed

    # A time that is then deleted: no reload.
    with open(time_file, "w") as f:
        f.write(at(3) + "\n")
    lablib.wait_until(lambda: d.log().count("reload scheduled for") == 2, timeout=5,
                      message="the second schedule")
    os.unlink(time_file)
    lablib.wait_until(lambda: "cancelled" in d.log(), timeout=5, message="the cancellation")
    time.sleep(4)
    assert reloads(d) == 1


def test_reload_repeat_keeps_the_file_and_reloads_again_the_next_day(lb_lab):
    ha = lb_lab
    time_file = os.path.join(ha.work, "reload-daily")
    extra = f"reload_time_file {time_file}\nreload_repeat\n"
    d = ha.start_lb1(Setup(global_extra=extra))
    when = at(2)
    with open(time_file, "w") as f:
        f.write(when + "\n")
    lablib.wait_until(lambda: reloads(d) >= 1, timeout=8, message="the scheduled reload")
    assert os.path.exists(time_file)
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    lablib.wait_until(lambda: f"reload scheduled for {tomorrow} {when}" in d.log(), timeout=5,
                      message="the same time tomorrow")
    time.sleep(1)
    assert reloads(d) == 1  # once: the next is tomorrow
    assert d.status()["last_reload_ok"] is True
