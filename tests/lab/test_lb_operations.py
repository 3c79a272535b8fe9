"""Runtime operations on real servers over the control socket (`vigilctl enable`,
`disable`, `weight`, `drain`): each reaches the kernel's nftables table before vigilctl
answers, shows as runtime state in `vigilctl servers`, the JSON status and /metrics, is
logged, and survives a reload while its real server stays configured.

One lab (conftest.lb_module) serves the module; each test starts vigild on lb1 and stops
it at the end.
"""

from __future__ import annotations

import json
import os
import signal
import time

import lab as lablib
from daemon_lab import PYTHON, VIP, WEB_PORT

# Opens one TCP connection to VIP:80 and holds it, sending nothing, until killed.
HOLD = ("import socket, sys, time\n"
        "s = socket.create_connection((sys.argv[1], 80), timeout=5)\n"
        "print('connected', s.getsockname(), flush=True)\n"
        "time.sleep(600)\n")


def vs_name() -> str:
    return f"{VIP}:80/tcp"


def ctl(d, *args: str):
    return d.ctl_run(*args)


def real_servers(d) -> dict[str, dict]:
    [vs] = [v for v in d.status()["virtual_servers"] if v["name"] == vs_name()]
    return {r["address"]: r for r in vs["real_servers"]}


def test_operations_change_the_nftables_table_and_show_as_runtime_state(lb_lab):
    ha = lb_lab
    d = ha.start_lb1()
    web1, web2 = ha.dest("web1"), ha.dest("web2")
    lablib.wait_until(lambda: set(d.pool()) == {web1, web2}, timeout=15, message="both servers")

    # weight: the new weight is in the kernel when vigilctl returns.
    p = ctl(d, "weight", vs_name(), web1, "5")
    assert (p.returncode, p.stdout) == (0, f"{web1} of {vs_name()} weight set to 5\n")
    assert d.pool() == {web1: 5, web2: 1}
    # The short form of a TCP virtual server's name does too.
    p = ctl(d, "disable", f"{VIP}:80", web2)
    assert (p.returncode, p.stdout) == (0, f"{web2} of {vs_name()} disabled\n")
    assert set(d.dst_rules()) == {web1}
    rs = real_servers(d)
    assert (rs[web1]["admin"], rs[web1]["admin_weight"], rs[web1]["weight"]) == ("enabled", 5, 5)
    assert (rs[web2]["admin"], rs[web2]["up"], rs[web2]["weight"]) == ("disabled", True, 0)
    table = {ln.split()[1]: ln.split()[2:4] for ln in d.ctl_run("servers").stdout.splitlines()[1:]}
    assert table == {web1: ["UP", "5(set)"], web2: ["UP/disabled", "0"]}
    metrics = d.metrics()
    labels = f'virtual_server="{vs_name()}",real_server="{web2}"'
    assert f'vigil_lb_real_server_admin{{{labels},state="disabled"}} 1\n' in metrics
    assert (f'vigil_lb_real_server_admin_weight{{virtual_server="{vs_name()}",'
            f'real_server="{web1}"}} 5\n') in metrics
    log = d.log()
    assert f"control: weight {vs_name()} {web1} 5" in log
    assert f"control: disable {VIP}:80 {web2}" in log

    # A reload keeps what the operator set.
    assert d.reload()["ok"] is True
    assert d.pool() == {web1: 5}
    assert real_servers(d)[web2]["admin"] == "disabled"

    # enable clears the runtime state: back to the configuration.
    for web in (web1, web2):
        p = ctl(d, "enable", vs_name(), web)
        assert (p.returncode, p.stdout) == (0, f"{web} of {vs_name()} enabled (runtime state cleared)\n")
    assert d.pool() == {web1: 1, web2: 1}
    rs = real_servers(d)
    assert [(rs[w]["admin"], rs[w]["admin_weight"]) for w in (web1, web2)] == [("enabled", -1)] * 2


def test_drain_keeps_the_server_at_weight_zero_then_removes_it(lb_lab):
    ha = lb_lab
    d = ha.start_lb1()
    web1, web2 = ha.dest("web1"), ha.dest("web2")
    lablib.wait_until(lambda: set(d.pool()) == {web1, web2}, timeout=15, message="both servers")
    p = ctl(d, "drain", vs_name(), web1, "2")
    assert (p.returncode, p.stdout) == (0, f"{web1} of {vs_name()} draining (weight 0; disabled in 2 s)\n")
    # In the table with weight 0: its connections go on, no new one comes.
    assert {k: w for k, (w, _) in d.dst_rules().items()} == {web1: 0, web2: 1}
    rs = real_servers(d)[web1]
    assert rs["admin"] == "draining" and 0 < rs["drain_left_s"] <= 2
    lablib.wait_until(lambda: set(d.dst_rules()) == {web2}, timeout=10, message="the drain's end")
    assert real_servers(d)[web1]["admin"] == "disabled"
    assert (f"operator: drain of real server [{web1.replace(':', ']:tcp:')} of VS "
            in d.log())


def test_drain_lasts_while_a_connection_through_the_vip_is_open(lb_lab):
    ha = lb_lab
    d = ha.start_lb1()
    web1, web2 = ha.dest("web1"), ha.dest("web2")
    lablib.wait_until(lambda: set(d.pool()) == {web1, web2}, timeout=15, message="both servers")
    # With web2 out of the pool, the client's connection goes to web1.
    assert ctl(d, "disable", vs_name(), web2).returncode == 0
    hold = ha.client.spawn([PYTHON, "-c", HOLD, VIP], log_name="hold-connection.log")
    try:
        lablib.wait_until(
            lambda: ha.web["web1"].run(["ss", "-Htn", "state", "established",
                                        f"sport = :{WEB_PORT}", f"dst = {ha.client.ipv4}"]
                                       ).stdout.strip(),
            timeout=10, message="the client's connection on web1")
        assert ctl(d, "enable", vs_name(), web2).returncode == 0
        p = ctl(d, "drain", vs_name(), web1, "60")
        assert (p.returncode, p.stdout) == (
            0, f"{web1} of {vs_name()} draining (weight 0; disabled in 60 s)\n")
        # Its connections are counted each second: the open one keeps it at weight 0.
        time.sleep(4)
        assert {k: w for k, (w, _) in d.dst_rules().items()} == {web1: 0, web2: 1}
        rs = real_servers(d)[web1]
        assert rs["admin"] == "draining" and 50 < rs["drain_left_s"] < 57
    finally:
        closed = time.monotonic()
        os.killpg(hold.pid, signal.SIGKILL)
        hold.wait(timeout=10)
    # The connection is over (conntrack: TIME_WAIT): the drain ends long before its timeout.
    lablib.wait_until(lambda: set(d.dst_rules()) == {web2}, timeout=10, message="the drain's end")
    assert time.monotonic() - closed < 10
    assert real_servers(d)[web1]["admin"] == "disabled"
    assert " ended (no connections left); disabled" in d.log()


def test_operations_on_unknown_servers_are_refused_and_change_nothing(lb_lab):
    ha = lb_lab
    d = ha.start_lb1()
    web1 = ha.dest("web1")
    lablib.wait_until(lambda: web1 in d.pool(), timeout=15, message="web1")
    before = d.dst_rules()
    p = ctl(d, "disable", "10.9.9.9:80/tcp", web1)
    assert (p.returncode, p.stderr) == (1, "error: no virtual server 10.9.9.9:80/tcp\n")
    p = ctl(d, "disable", vs_name(), "10.9.9.9:80")
    assert (p.returncode, p.stderr) == (
        1, f"error: virtual server {vs_name()} has no real server 10.9.9.9:80\n")
    p = ctl(d, "weight", vs_name(), web1, "70000")
    assert (p.returncode, p.stderr) == (1, 'error: weight needs a "weight" from 0 to 65535\n')
    p = ctl(d, "--json", "weight", vs_name(), web1)
    assert p.returncode == 2 and "usage: vigilctl weight" in p.stderr
    assert d.dst_rules() == before
    assert json.loads(ctl(d, "--json", "servers").stdout)["ok"] is True
