"""Faults around vigild's processes and listeners: signals sent to the engines' own pids
(as `systemctl kill` sends them to the whole cgroup), engines that cannot be started (fd
and process limits), floods of the metrics port and the control socket, a second vigild
on the same control socket, and clients without the right credentials.

One lab (conftest.lb_module) serves the module; each test starts vigild on lb1 and
stops it at the end.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import textwrap
import time

import pytest

import lab as lablib
from daemon_lab import METRICS_PORT, PYTHON, VIP, Setup

# Opens N connections (TCP to 127.0.0.1:PORT, or the Unix socket PATH), sends nothing and
# holds them for HOLD seconds.
IDLE_CLIENTS = textwrap.dedent("""\
    import socket, sys, time
    target, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    held = []
    for _ in range(n):
        if target.startswith("/"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            addr = target
        else:
            s = socket.socket()
            addr = ("127.0.0.1", int(target))
        s.setblocking(False)
        try:
            s.connect(addr)
        except (BlockingIOError, OSError):
            pass
        held.append(s)
    print("holding", len(held), flush=True)
    time.sleep(hold)
    """)


@pytest.fixture
def ha(lb_lab):
    return lb_lab


# Signals an engine may receive from outside; none of them may stop it or move a VIP.
ENGINE_SIGNALS = [
    ("SIGUSR1", signal.SIGUSR1), ("SIGUSR2", signal.SIGUSR2),
    ("SIGRTMIN+2", signal.SIGRTMIN + 2), ("SIGRTMAX-1", signal.SIGRTMAX - 1),
    ("SIGRTMAX", signal.SIGRTMAX), ("SIGHUP", signal.SIGHUP), ("SIGINT", signal.SIGINT),
    ("SIGPIPE", signal.SIGPIPE), ("SIGCHLD", signal.SIGCHLD),
]


def test_signals_sent_to_the_engines_stop_nothing_and_move_no_vip(ha):
    d = ha.start_lb1()
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
            line = (f"{engine}: {name} from pid {os.getpid()} passed on to the supervisor "
                    f"(pid {d.proc.pid})")
            lablib.wait_until(lambda: line in d.log(), timeout=5, message=line)
        # SIGINT is sent after SIGHUP, so the engine may not have read it yet.
        ignored = f"{engine}: SIGINT ignored (the supervisor stops the engines)"
        lablib.wait_until(lambda: ignored in d.log(), timeout=5, message=ignored)
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


def signal_pending(pid: int, sig: int) -> bool:
    """Returns True iff ``sig`` is pending for process ``pid`` (shared or its own)."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    bit = 1 << (sig - 1)
    return bool((int(fields["ShdPnd"], 16) | int(fields["SigPnd"], 16)) & bit)


def signal_the_group(d, sig: int, name: str) -> None:
    """Sends ``sig`` to vigild's whole process group so that every copy reaches the
    supervisor separately (the kernel merges a copy that arrives while another is still
    pending): the engines are stopped until the supervisor has taken its own copy, then
    continued one at a time. Returns once both engines have passed it on and the supervisor
    has taken their copies."""
    engines = {e: d.engine_pid(e) for e in ("vrrp", "check")}
    for pid in engines.values():
        os.kill(pid, signal.SIGSTOP)
    try:
        os.killpg(d.proc.pid, sig)
        lablib.wait_until(lambda: not signal_pending(d.proc.pid, sig), timeout=5,
                          message=f"the supervisor's own {name}")
        for engine, pid in engines.items():
            os.kill(pid, signal.SIGCONT)
            line = f"{engine}: {name} from pid {os.getpid()} passed on to the supervisor"
            lablib.wait_until(lambda: line in d.log(), timeout=5, message=line)
            lablib.wait_until(lambda: not signal_pending(d.proc.pid, sig), timeout=5,
                              message=f"{name} from {engine} pending in the supervisor")
    finally:
        for pid in engines.values():
            os.kill(pid, signal.SIGCONT)


def test_a_signal_to_the_whole_process_group_acts_once(ha):
    # As `systemctl kill -s HUP vigil` does to the cgroup: the supervisor gets the signal
    # directly and from each engine; one signal is one reload, one dump.
    d = ha.start_lb1()
    lablib.wait_until(lambda: d.state() == "MASTER", timeout=15, message="lb1 master")
    assert os.getpgid(d.proc.pid) == d.proc.pid
    signal_the_group(d, signal.SIGHUP, "SIGHUP")
    lablib.wait_until(lambda: "reload complete" in d.log(), timeout=10, message="the reload")
    status = d.status()  # a round trip through the supervisor's loop, after the copies
    log = d.log()
    assert status["reloads"] == 1
    assert log.count("SIGHUP: reloading") == 1
    for engine in ("vrrp", "check"):
        assert log.count(f"SIGHUP from pid {os.getpid()} passed on by {engine}: a copy of one "
                         "already handled") == 1

    for sig, name, path in [(signal.SIGUSR1, "SIGUSR1", d.data_file),
                            (signal.SIGUSR2, "SIGUSR2", d.stats_file),
                            (signal.SIGRTMIN + 2, "SIGRTMIN+2", d.json_file)]:
        signal_the_group(d, sig, name)
        wrote = f"wrote {path}"
        lablib.wait_until(lambda: wrote in d.log(), timeout=5, message=f"the {name} dump")
        d.status()  # waits for any refresh (a second dump would be written at its end)
        log = d.log()
        assert log.count(wrote) == 1, name
        assert log.count(f"{name} from pid {os.getpid()} passed on by ") == 2
    assert d.status()["reloads"] == 1
    assert d.state() == "MASTER"


def test_second_vigild_on_the_same_control_socket_refuses_and_leaves_the_first_alone(ha):
    d = ha.start_lb1()
    w = ha.work
    argv = [ha.vigild, "-n", "-l", "-f", d.conf, "-p", os.path.join(w, "second.pid"),
            "-r", os.path.join(w, "second-vrrp.pid"), "-c", os.path.join(w, "second-check.pid")]
    proc = d.node.run(argv, check=False, timeout=15)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert (f"control socket '{d.ctl}': another vigild is running (pid {d.proc.pid}): "
            f"'{d.ctl}.lock' is locked") in out
    # The first keeps its socket and answers on it; nothing else of it was touched.
    assert os.path.exists(d.ctl)
    assert d.ctl_run("status").returncode == 0
    assert d.state() == "MASTER" and d.vips() == [VIP]
    assert not os.path.exists(os.path.join(w, "second.pid"))
    assert d.stop() == 0
    assert not os.path.exists(d.ctl) and not os.path.exists(d.ctl + ".lock")


def ctl_as(d, user: str, vigilctl: str, *args: str):
    return d.node.run(["runuser", "-u", user, "--", vigilctl, "-s", d.ctl, *args],
                      check=False, timeout=15)


def test_control_socket_admits_root_and_its_group_only(ha):
    d = ha.daemons[0]
    public = os.path.join(ha.work, "public")
    os.makedirs(public, exist_ok=True)
    os.chmod(ha.work, 0o711)
    os.chmod(public, 0o755)
    # The build tree may sit below a directory only root can enter (a clone in mktemp -d):
    # the other users run a copy of vigilctl from the public directory.
    vigilctl = shutil.copy2(d.ha.vigilctl, public)
    saved = d.ctl
    d.ctl = os.path.join(public, "lb1.ctl")
    try:
        # Without vigil_control_group: root only, by mode and by credentials.
        ha.start_lb1()
        st = os.stat(d.ctl)
        assert oct(st.st_mode & 0o777) == "0o600"
        refused = ctl_as(d, "nobody", vigilctl, "status")
        assert refused.returncode != 0 and "Permission denied" in refused.stderr
        os.chmod(d.ctl, 0o666)  # a mode gone wrong: the credentials check still refuses
        refused = ctl_as(d, "nobody", vigilctl, "status")
        assert refused.returncode != 0
        assert ("error: permission denied: uid 65534 may not use the control socket "
                "(root only)") in refused.stdout + refused.stderr
        assert d.ctl_run("status").returncode == 0
        d.stop()
        # With the group: its members get in, others do not.
        ha.start_lb1(Setup(global_extra="vigil_control_group nogroup\n"))
        st = os.stat(d.ctl)
        assert oct(st.st_mode & 0o777) == "0o660" and st.st_gid == 65534
        member = ctl_as(d, "nobody", vigilctl, "--json", "instances")
        assert member.returncode == 0, member.stdout + member.stderr
        assert '"VI_1"' in member.stdout
        os.chmod(d.ctl, 0o666)
        other = ctl_as(d, "daemon", vigilctl, "status")
        assert ("error: permission denied: uid 1 may not use the control socket "
                "(root or group 'nogroup' only)") in other.stdout + other.stderr
        listener = {x["name"]: x for x in d.status()["listeners"]}["control"]
        assert listener["refused"] == 1
    finally:
        d.ctl = saved


def listeners(d) -> dict[str, dict]:
    return {x["name"]: x for x in d.status()["listeners"]}


def idle_clients(d, target: str, n: int, hold: float):
    return d.node.spawn([PYTHON, "-c", IDLE_CLIENTS, target, str(n), str(hold)],
                        log_name=f"idle-{time.monotonic_ns()}.log")


def test_a_flood_of_the_metrics_port_leaves_the_control_socket_answering(ha):
    d = ha.start_lb1()
    flood = idle_clients(d, str(METRICS_PORT), 300, 20)
    try:
        lablib.wait_until(lambda: listeners(d)["metrics"]["open"] == 32, timeout=10,
                          message="the metrics listener at its cap")
        # The control socket answers at once while the metrics port is full.
        for _ in range(3):
            assert d.ctl_run("status", timeout=5).returncode == 0
        m = listeners(d)["metrics"]
        assert m["open"] == 32 and m["max_connections"] == 32
        assert m["accepted"] == 32 and m["accept_errors"] == 0
    finally:
        os.killpg(flood.pid, signal.SIGKILL)
        flood.wait(timeout=5)
    lablib.wait_until(lambda: listeners(d)["metrics"]["open"] == 0, timeout=10,
                      message="the flood's connections closed")
    # The scrape's own connection is the one open.
    assert "vigil_listener_connections{listener=\"metrics\"} 1\n" in d.metrics()


def test_exhausted_descriptors_pause_the_accept_loops_instead_of_spinning(ha):
    d = ha.start_lb1()
    pids = {e: d.engine_pid(e) for e in ("vrrp", "check")}
    sup = d.proc.pid
    before = listeners(d)
    saved = resource.prlimit(sup, resource.RLIMIT_NOFILE)
    clients = []
    try:
        # Not one descriptor more for the supervisor: every accept fails with EMFILE.
        in_use = len(os.listdir(f"/proc/{sup}/fd"))
        resource.prlimit(sup, resource.RLIMIT_NOFILE, (in_use, saved[1]))
        clients = [idle_clients(d, str(METRICS_PORT), 5, 30), idle_clients(d, d.ctl, 3, 30)]
        time.sleep(2)  # what a spinning loop made 12,000 failed accept calls of
    finally:
        resource.prlimit(sup, resource.RLIMIT_NOFILE, saved)
    try:
        # The peers that waited in the backlog are accepted once descriptors are back.
        lablib.wait_until(lambda: listeners(d)["metrics"]["accepted"] >=
                          before["metrics"]["accepted"] + 5, timeout=10,
                          message="the metrics clients accepted")
        after = listeners(d)
        for name in ("metrics", "control"):
            errors = after[name]["accept_errors"] - before[name]["accept_errors"]
            # 10 ms doubling to 1 s: about eight calls in two seconds.
            assert 1 <= errors <= 20, (name, errors)
        assert d.ctl_run("status").returncode == 0
        assert {e: d.engine_pid(e) for e in pids} == pids
        assert d.state() == "MASTER" and d.vips() == [VIP]
    finally:
        for c in clients:
            os.killpg(c.pid, signal.SIGKILL)
            c.wait(timeout=5)


def engines(d) -> dict[str, dict]:
    return {e["name"]: e for e in d.status()["engines"]}


class Notifications:
    """A NOTIFY_SOCKET for vigild: the sd_notify messages it sent."""

    def __init__(self, path: str):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setblocking(False)
        self.messages: list[str] = []

    def read(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return self.messages

    def close(self) -> None:
        self.sock.close()
        os.unlink(self.path)


def test_an_engine_that_cannot_be_started_is_retried_shown_and_started_by_a_reload(ha):
    d = ha.daemons[0]
    notes = Notifications(os.path.join(ha.work, "notify-engines.sock"))
    try:
        d.write(Setup())
        d.start(env={"NOTIFY_SOCKET": notes.path})
        lablib.wait_until(lambda: d.state() == "MASTER" and d.vips() == [VIP], timeout=15,
                          message="lb1 master")
        engine_start_failure(ha, d, notes)
    finally:
        notes.close()


def engine_start_failure(ha, d, notes):
    assert notes.read()[0] == "READY=1\nSTATUS=running"
    sup = d.proc.pid
    old_vrrp = d.engine_pid("vrrp")
    saved = resource.prlimit(sup, resource.RLIMIT_NOFILE)
    try:
        # The supervisor keeps exactly one spare descriptor once the dead engine's channel is
        # closed: enough to answer vigilctl and /metrics, too few for a socketpair.
        in_use = len(os.listdir(f"/proc/{sup}/fd"))
        resource.prlimit(sup, resource.RLIMIT_NOFILE, (in_use, saved[1]))
        os.kill(old_vrrp, signal.SIGKILL)
        first = ("cannot start engine vrrp: socketpair: Too many open files; "
                 "retrying in 2000 ms")
        lablib.wait_until(lambda: first in d.log(), timeout=10, message=first)
        second = ("cannot start engine vrrp: socketpair: Too many open files; "
                  "retrying in 4000 ms")
        lablib.wait_until(lambda: second in d.log(), timeout=10, message=second)
        e = engines(d)["vrrp"]
        assert e["running"] is False and e["pid"] == 0
        assert e["start_failures"] == 2
        assert e["last_error"] == "socketpair: Too many open files"
        assert 0 <= e["retry_in_s"] <= 4
        assert engines(d)["check"]["running"] is True
        text = d.ctl_run("status").stdout
        assert "vrrp NOT RUNNING (socketpair: Too many open files; retry in " in text
        metrics = d.metrics()
        assert 'vigil_engine_up{engine="vrrp"} 0\n' in metrics
        assert 'vigil_engine_up{engine="check"} 1\n' in metrics
        assert 'vigil_engine_start_failures_total{engine="vrrp"} 2\n' in metrics
        assert ("STATUS=engine vrrp not running (socketpair: Too many open files), retrying"
                in notes.read())
    finally:
        resource.prlimit(sup, resource.RLIMIT_NOFILE, saved)
    # A reload starts the missing engine at once (the next retry was seconds away).
    d.signal(signal.SIGHUP)
    lablib.wait_until(lambda: "reload: starting engine vrrp" in d.log(), timeout=5,
                      message="the reload starting the engine")
    lablib.wait_until(lambda: engines(d)["vrrp"]["running"], timeout=5,
                      message="the VRRP engine running")
    e = engines(d)["vrrp"]
    assert e["pid"] == d.engine_pid("vrrp") != old_vrrp
    assert e["starts"] == 2 and e["retry_in_s"] == -1
    lablib.wait_until(lambda: notes.read()[-1] == "STATUS=running" or
                      "STATUS=running" in notes.messages[-3:], timeout=5,
                      message=f"STATUS=running again in {notes.messages}")
    lablib.wait_until(lambda: d.state() == "MASTER" and d.vips() == [VIP], timeout=10,
                      message="lb1 master again")
    assert d.proc.poll() is None


def max_open_files(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise AssertionError("no Max open files line")


def test_each_process_raises_its_open_file_limit_to_what_its_checks_need(ha):
    d = ha.daemons[0]
    web = ha.web["web1"].ipv4
    servers = "".join(f"    real_server {web} {20000 + i} {{\n        TCP_CHECK {{\n"
                      f"            connect_timeout 1\n        }}\n    }}\n" for i in range(150))
    setup = Setup(extra=f"virtual_server {VIP} 81 {{\n    delay_loop 30\n    lb_algo rr\n"
                        f"    lb_kind NAT\n    protocol TCP\n{servers}}}\n")
    d.write(setup)
    env = {**os.environ, "TMPDIR": d.tmpdir}
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert hard >= 1024, "the test needs a hard limit above the checker's need"
    d.proc = d.node.spawn(["prlimit", f"--nofile=256:{hard}", *d.argv()], log_name=d.log_name,
                          env=env)
    try:
        lablib.wait_until(lambda: d.state() == "MASTER", timeout=15, message="lb1 master")
    except lablib.WaitTimeout:
        raise AssertionError(d.log()) from None
    # 64 + 2 per virtual server + 2 per check: (2 + 150) checks, 2 virtual servers.
    assert max_open_files(d.engine_pid("check")) == (64 + 4 + 2 * 152, hard)
    assert "check: open file limit raised to 372 (the configuration needs 372)" in d.log()
    # The probe queue follows the raised limit (372 less a reserve of 256), not the 256 the
    # process inherited (which left room for one probe at a time).
    assert "probes holding descriptors at once: at most 116" in d.log()
    # The others need less than 256 and keep it.
    assert max_open_files(d.engine_pid("vrrp")) == (256, hard)
    assert max_open_files(d.proc.pid) == (256, hard)
