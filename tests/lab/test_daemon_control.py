"""Seeing inside a running vigild and refusing bad reloads: dump signals, vigilctl (tables
and --json), the control socket's mode, the metrics endpoint, a reload with errors, and
systemd readiness notifications.

One lab serves the module: lb1 runs vigild alone (VRRP master of VI_1 holding the VIP,
virtual server VIP:80 over web1 and web2). The tests run in file order: the reload-error
test counts the daemon's first failed reload.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import time

import pytest

import lab as lablib
from daemon_lab import VIP, Instance, Setup, module_lab

PYTHON = lablib.PYTHON


@pytest.fixture(scope="module")
def one():
    with module_lab(webs=2) as ha:
        d = ha.daemons[0]
        # `debug` only shows in the data dump, as keepalived's.
        d.write(Setup(instances=[Instance("VI_1", 51, [VIP], extra="debug 2\n")]))
        d.start()
        pool = {ha.dest("web1"): 1, ha.dest("web2"): 1}
        lablib.wait_until(lambda: d.state() == "MASTER" and d.vips() == [VIP] and
                          d.pool() == pool, timeout=15,
                          message="lb1 master with its pool")
        yield ha


def metric(text: str, name: str, **labels: str) -> float:
    """The value of the sample `name{labels}` (labels in any order); KeyError if absent."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if got == labels:
            return float(m.group(3))
    raise KeyError(f"{name}{labels} not in metrics")


def send_bad_ttl_advert(ha) -> None:
    """A VRRPv2 advert for VRID 51 with TTL 64 (must be 255) from the client."""
    script = ("import socket\n"
              "from scapy.all import Ether, IP\n"
              "from scapy.layers.vrrp import VRRP\n"
              f"f = Ether(src='{ha.client.mac()}', dst='01:00:5e:00:00:12')/"
              f"IP(src='{ha.client.ipv4}', dst='224.0.0.18', ttl=64)/"
              f"VRRP(vrid=51, priority=200, addrlist=['{VIP}'])\n"
              "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
              "s.bind(('eth0', 0))\n"
              "s.send(bytes(f))\n")
    ha.client.run([PYTHON, "-c", script], timeout=30)


def test_dump_signals_write_data_stats_and_json(one):
    d = one.daemons[0]
    for path in (d.data_file, d.stats_file, d.json_file):
        if os.path.exists(path):
            os.unlink(path)
    d.signal(signal.SIGUSR1)
    lablib.wait_until(lambda: os.path.exists(d.data_file), timeout=5, message="data dump")
    d.signal(signal.SIGUSR2)
    lablib.wait_until(lambda: os.path.exists(d.stats_file), timeout=5, message="stats dump")
    d.signal(signal.SIGRTMIN + 2)
    lablib.wait_until(lambda: os.path.exists(d.json_file), timeout=5, message="json dump")
    time.sleep(0.3)  # the files are written in one go; let the last one close
    with open(d.data_file) as f:
        data = f.read()
    assert " VRRP instance = VI_1\n" in data
    assert "   state = MASTER\n" in data
    assert "   virtual router id = 51\n" in data
    assert "   priority = 150 (effective 150)\n" in data
    assert f"   virtual addresses = {VIP}/16\n" in data
    assert "   Debug level = 2\n" in data
    vs = d.status()["virtual_servers"][0]["name"]
    assert VIP in vs
    assert f"\n Virtual server = {vs}\n   scheduler = wrr\n   quorum = up\n" in data
    assert f"   real server = {one.dest('web1')} UP weight 1\n" in data
    with open(d.stats_file) as f:
        stats = f.read()
    assert stats.startswith("VRRP Instance: VI_1\n  Advertisements:\n    Received: ")
    assert "\n  Became master: 1\n" in stats
    with open(d.json_file) as f:
        js = json.load(f)  # keepalived's layout (json_version 1): VRRP instances only
    assert [i["data"]["iname"] for i in js] == ["VI_1"]
    assert js[0]["data"]["state"] == 2  # MASTER
    assert js[0]["data"]["vips"] == [f"{VIP}/16"]
    assert js[0]["stats"]["become_master"] == 1
    assert "wrote " + d.data_file in d.log()


def test_vigilctl_tables_json_and_socket_mode(one):
    d = one.daemons[0]
    st = os.stat(d.ctl)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    status = d.ctl_run("status")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert re.fullmatch(r"vigild 0\.1\.0, pid \d+, up \d+ s, config " + re.escape(d.conf),
                        lines[0]), lines[0]
    assert lines[1] == "reloads: 0 (failed 0), load balancer: nftables"
    instances = d.ctl_run("instances").stdout.splitlines()
    assert instances[0].split() == ["INSTANCE", "STATE", "INTERFACE", "VRID", "PRIO", "MASTER",
                                    "VIPS"]
    assert instances[1].split() == ["VI_1", "MASTER", "eth0", "51", "150/150",
                                    d.node.ipv4, f"{VIP}/16"]
    servers = d.ctl_run("servers").stdout.splitlines()
    assert servers[0].split() == ["VIRTUAL", "SERVER", "REAL", "SERVER", "HEALTH", "WEIGHT",
                                  "OK/FAILED", "RUNNING", "POOL"]
    rows = sorted(ln.split()[1:4] for ln in servers[1:])
    assert rows == [[one.dest("web1"), "UP", "1"], [one.dest("web2"), "UP", "1"]]
    stats = d.ctl_run("stats").stdout.splitlines()
    assert stats[0].split() == ["INSTANCE", "SENT", "RECEIVED", "TRANSITIONS", "REJECTED"]
    assert stats[1].split()[0] == "VI_1" and int(stats[1].split()[1]) > 0
    assert stats[-1] == "reloads: 0 (failed 0)"
    js = d.ctl_json("status")
    assert js["ok"] is True and js["status"]["pid"] == d.proc.pid
    assert js["status"]["instances"][0]["name"] == "VI_1"
    assert d.ctl_json("instances")["instances"][0]["state"] == "MASTER"
    assert len(d.ctl_json("servers")["virtual_servers"][0]["real_servers"]) == 2
    assert d.ctl_json("stats")["stats"]["instances"][0]["instance"] == "VI_1"
    bad = d.ctl_run("nonsense")
    assert bad.returncode != 0


def test_metrics_expose_instances_servers_and_reloads(one):
    d = one.daemons[0]
    send_bad_ttl_advert(one)
    lablib.wait_until(lambda: "bad_ttl" in d.metrics(), timeout=5,
                      message="the bad-TTL advert counted")
    # Checks run every second: let a few pass.
    lablib.wait_until(lambda: metric(d.metrics(), "vigil_lb_checks_total",
                                     virtual_server=d.status()["virtual_servers"][0]["name"],
                                     real_server=one.dest("web1"), result="ok") >= 2,
                      timeout=10, message="two checks of web1")
    m = d.metrics()
    vi = {"instance": "VI_1"}
    assert metric(m, "vigil_vrrp_instance_state", state="MASTER", **vi) == 1
    assert metric(m, "vigil_vrrp_instance_state", state="BACKUP", **vi) == 0
    assert metric(m, "vigil_vrrp_instance_priority", **vi) == 150
    assert metric(m, "vigil_vrrp_instance_effective_priority", **vi) == 150
    assert metric(m, "vigil_vrrp_transitions_total", **vi) == 2  # INIT->BACKUP->MASTER
    assert metric(m, "vigil_vrrp_adverts_sent_total", **vi) >= 1
    assert metric(m, "vigil_vrrp_adverts_received_total", **vi) == 0
    assert metric(m, "vigil_vrrp_packets_rejected_total", reason="bad_ttl", **vi) == 1
    vs = d.status()["virtual_servers"][0]["name"]
    for web in ("web1", "web2"):
        rs = {"virtual_server": vs, "real_server": one.dest(web)}
        assert metric(m, "vigil_lb_real_server_up", **rs) == 1
        assert metric(m, "vigil_lb_real_server_weight", **rs) == 1
        assert metric(m, "vigil_lb_checks_total", result="failed", **rs) == 0
        assert 0 < metric(m, "vigil_lb_check_latency_seconds", **rs) < 1
    assert metric(m, "vigil_lb_virtual_server_quorum_up", virtual_server=vs) == 1
    assert metric(m, "vigil_lb_virtual_server_live_weight", virtual_server=vs) == 2
    assert metric(m, "vigil_reloads_total", result="ok") == 0
    assert metric(m, "vigil_reloads_total", result="failed") == 0
    assert metric(m, "vigil_last_reload_ok") == 1
    assert "# TYPE vigil_vrrp_transitions_total counter" in m


def test_reload_with_errors_changes_nothing_and_reports(one):
    d = one.daemons[0]
    good = open(d.conf).read()
    before = d.instances()["VI_1"]
    rules = d.dst_rules()
    try:
        with open(d.conf, "w") as f:
            f.write(good.replace("priority 150", "priority 999")
                        .replace("weight 1", "weight 5"))
        answer = d.reload()
        assert answer["ok"] is False
        assert "priority 999 is out of range 1..255" in answer["error"]
        assert f"{d.conf}:" in answer["error"]
        plain = d.ctl_run("reload")
        assert plain.returncode == 1 and plain.stderr.startswith("error: ")
        d.signal(signal.SIGHUP)
        lablib.wait_until(lambda: d.status()["reload_failures"] == 3, timeout=5,
                          message="the SIGHUP reload counted as failed")
        s = d.status()
        assert s["reloads"] == 3 and s["last_reload_ok"] is False
        m = d.metrics()
        assert metric(m, "vigil_reloads_total", result="failed") == 3
        assert metric(m, "vigil_reloads_total", result="ok") == 0
        assert metric(m, "vigil_last_reload_ok") == 0
        log = d.log()
        assert "priority 999 is out of range 1..255" in log
        assert "reload refused: the new configuration has errors; nothing changed" in log
        after = d.instances()["VI_1"]
        assert after["state"] == "MASTER" and after["base_priority"] == 150
        assert after["transitions"] == before["transitions"]
        assert d.dst_rules() == rules and d.vips() == [VIP]
    finally:
        with open(d.conf, "w") as f:
            f.write(good)
    answer = d.reload()
    assert answer["ok"] is True, answer
    s = d.status()
    assert s["last_reload_ok"] is True and s["reload_failures"] == 3 and s["reloads"] == 4
    assert metric(d.metrics(), "vigil_reloads_total", result="ok") == 1


def control_lines(path: str, requests: list[str], timeout: float = 10) -> list[dict]:
    """Sends `requests` (JSON lines) on one control connection in one write and returns
    the answers, in order."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(timeout)
        c.connect(path)
        c.sendall("".join(r + "\n" for r in requests).encode())
        buf = b""
        while buf.count(b"\n") < len(requests):
            chunk = c.recv(65536)
            if not chunk:
                break
            buf += chunk
    return [json.loads(line) for line in buf.decode().splitlines()]


def test_status_right_after_a_reload_shows_the_new_configuration(one):
    d = one.daemons[0]
    good = open(d.conf).read()
    reload, instances = '{"command": "reload"}', '{"command": "instances"}'
    try:
        with open(d.conf, "w") as f:
            f.write(good.replace("priority 150", "priority 140"))
        # The instances request waits on the same connection: it is answered right after
        # the reload, which must come after the engines' new reports.
        answers = control_lines(d.ctl, [reload, instances])
        assert answers[0]["ok"] is True, answers
        i = answers[1]["instances"][0]
        assert (i["base_priority"], i["state"]) == (140, "MASTER")
    finally:
        with open(d.conf, "w") as f:
            f.write(good)
    answers = control_lines(d.ctl, [reload, instances])
    assert answers[1]["instances"][0]["base_priority"] == 150


def test_engines_apply_the_model_vigild_checked_and_report_once(one):
    """vigild reads and checks a reload, then hands each engine the model it checked (its
    size in each engine's "reloaded" line, decoded there): whole to the checker engine,
    without the virtual servers to the VRRP engine; the checker sends one report per
    reload."""
    d = one.daemons[0]
    start = len(d.log())
    count = d.status()["reloads"]
    d.signal(signal.SIGHUP)
    lablib.wait_until(lambda: "reload complete" in d.log()[start:], timeout=10,
                      message="the SIGHUP reload to complete")
    time.sleep(1)  # a second report would follow the first within kMinReportGap
    lines = [re.sub(r"^\S+ \S+ \S+: ", "", line) for line in d.log()[start:].splitlines()]
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("SIGHUP: ")):]
    assert d.status()["reloads"] == count + 1  # (asks for reports: after `lines`)
    checked = next(i for i, line in enumerate(lines)
                   if line.startswith("reload: the configuration is checked"))
    sizes = re.search(r"its model \((\d+) bytes, (\d+) without the virtual servers; encoded in "
                      r"\d+ ms CPU\) goes to the engines$", lines[checked]).groups()
    assert int(sizes[0]) > int(sizes[1]) > 100, lines[checked]
    for engine, size in (("check", sizes[0]), ("vrrp", sizes[1])):
        reloaded = next(i for i, line in enumerate(lines)
                        if line.startswith(f"{engine}: reloaded: "))
        assert re.search(rf"; the model vigild checked, {size} bytes, decoded in \d+ ms, "
                         r"\d+ ms CPU\)$", lines[reloaded]), lines[reloaded]
        assert checked < reloaded < lines.index("reload complete"), lines
    reports = [line for line in lines if line.startswith("check: status report ")]
    assert len(reports) == 1, "\n".join(lines)


def test_engines_apply_what_vigild_checked_not_the_file_as_it_is_later(one):
    """The file is read once, by vigild: replaced by another valid configuration after
    vigild checked the reload (the VRRP engine held still meanwhile), it is not what the
    engine applies — the engine applies the configuration vigild checked and reported."""
    d = one.daemons[0]
    good = open(d.conf).read()
    assert "priority 150" in good
    vrrp = d.engine_pid("vrrp")
    start = len(d.log())
    try:
        with open(d.conf, "w") as f:
            f.write(good.replace("priority 150", "priority 140"))
        os.kill(vrrp, signal.SIGSTOP)
        try:
            d.signal(signal.SIGHUP)
            lablib.wait_until(lambda: "goes to the engines" in d.log()[start:], timeout=10,
                              message="vigild to check the reload")
            with open(d.conf, "w") as f:
                f.write(good.replace("priority 150", "priority 130"))
        finally:
            os.kill(vrrp, signal.SIGCONT)
        lablib.wait_until(lambda: "reload complete" in d.log()[start:], timeout=10,
                          message="the SIGHUP reload to complete")
        assert d.status()["last_reload_ok"] is True
        assert d.instances()["VI_1"]["base_priority"] == 140
    finally:
        with open(d.conf, "w") as f:
            f.write(good)
    assert d.reload()["ok"] is True
    assert d.instances()["VI_1"]["base_priority"] == 150


def test_concurrent_reloads_all_succeed_promptly(one):
    d = one.daemons[0]
    before = d.status()
    conns = []
    # The VRRP engine is held still while the requests arrive, so that they overlap.
    vrrp = d.engine_pid("vrrp")
    os.kill(vrrp, signal.SIGSTOP)
    try:
        for _ in range(3):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(5)
            c.connect(d.ctl)
            conns.append(c)
        for c in conns:
            c.sendall(b'{"command": "reload"}\n')
        d.signal(signal.SIGHUP)
        time.sleep(0.5)
        os.kill(vrrp, signal.SIGCONT)
        answers = []
        for c in conns:
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = c.recv(65536)  # socket.timeout here: a reload left unanswered
                assert chunk, "vigild closed the connection"
                buf += chunk
            answers.append(json.loads(buf))
    finally:
        os.kill(vrrp, signal.SIGCONT)
        for c in conns:
            c.close()
    assert [a["ok"] for a in answers] == [True, True, True], answers
    lablib.wait_until(lambda: d.status()["reloads"] >= before["reloads"] + 2, timeout=5,
                      message="the SIGHUP reload")
    s = d.status()
    assert s["reload_failures"] == before["reload_failures"] and s["last_reload_ok"] is True


def test_systemd_notifications_ready_reloading_stopping(one):
    """lb2's vigild runs with NOTIFY_SOCKET (a datagram socket of this test)."""
    d = one.daemons[1]
    path = os.path.join(one.work, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    messages: list[str] = []

    def collect_until(pred, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} on NOTIFY_SOCKET; got {messages}")
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                pass

    try:
        d.write(Setup())
        d.start(env={"NOTIFY_SOCKET": path})
        collect_until(lambda: any("READY=1" in m for m in messages), 10, "READY=1")
        assert messages[0].split("\n")[0] == "READY=1"
        assert d.proc.poll() is None
        n = len(messages)
        assert d.reload()["ok"] is True
        collect_until(lambda: len(messages) >= n + 2, 10, "RELOADING=1, READY=1")
        assert [m.split("\n")[0] for m in messages[n:n + 2]] == ["RELOADING=1", "READY=1"]
        assert re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=\d+", messages[n]), messages[n]
        usec = int(messages[n].split("=")[-1])
        assert abs(usec / 1e6 - time.clock_gettime(time.CLOCK_MONOTONIC)) < 10
        n = len(messages)
        assert d.stop() == 0
        collect_until(lambda: len(messages) > n, 5, "STOPPING=1")
        assert messages[n].split("\n")[0] == "STOPPING=1"
    finally:
        sock.close()
