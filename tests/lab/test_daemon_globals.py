"""Lab tests of global_defs keywords that shape vigild's own processes, as keepalived's:
startup_script runs before the engines start and shutdown_script after they have stopped,
each killed at its timeout; umask (and -u, which wins) gives the mode of the files vigild
creates and the umask of its scripts; process_name & co. name the processes; use_pid_dir
(and instance) put the pid files in /run/vigild; child_wait_time bounds the wait for the
engines at stop; include_check refuses an executable included file.

Topology: one node "lb" (10.99.0.1) running vigild with one VRRP instance that becomes
MASTER alone and holds 10.99.0.100.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import textwrap
import time

import pytest

import lab as lablib
from test_fault_children import Children

VIP = "10.99.0.100"


class Node(Children):
    """test_fault_children's node "lb" with vigild, and what these tests observe of it."""

    def __init__(self, lab, vigild: str):
        super().__init__(lab, vigild)
        self.base = os.path.join(self.work, "lb")

    def script(self, name: str, text: str) -> str:
        return super().script(name, textwrap.dedent(text))

    def conf(self, global_extra: str, vrid: int = 51, checker: bool = False) -> str:
        """A configuration with `global_extra` in global_defs, the VRRP instance and, with
        `checker`, a virtual server (so that the checker engine runs too)."""
        extra = textwrap.indent(textwrap.dedent(global_extra), "    ")
        text = (f"global_defs {{\n    router_id lb\n    enable_script_security\n"
                f"    script_user root\n    vigil_control_socket {self.base}.ctl\n"
                f"    vigil_lb_backend nftables\n{extra}}}\n"
                f"vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n"
                f"    virtual_router_id {vrid}\n    priority 100\n    advert_int 1\n"
                f"    virtual_ipaddress {{\n        {VIP}/16\n    }}\n}}\n")
        if checker:
            text += (f"virtual_server {VIP} 80 {{\n    delay_loop 1\n    lb_algo rr\n"
                     f"    lb_kind NAT\n    protocol TCP\n    real_server 10.99.0.7 80 {{\n"
                     f"        TCP_CHECK {{\n            connect_timeout 1\n        }}\n"
                     f"    }}\n}}\n")
        return text

    def pid(self, who: str = "") -> int:
        with open(f"{self.base}{who}.pid") as f:
            return int(f.read().strip())

    def comm(self, who: str = "") -> str:
        """The name (/proc/PID/comm) of the supervisor (""), the VRRP ("r") or checker ("c")
        engine."""
        with open(f"/proc/{self.pid(who)}/comm") as f:
            return f.read().strip()

    def has_vip(self) -> bool:
        return VIP in self.node.addresses("eth0", "inet")

    def stop(self, timeout: float = 20) -> float:
        """Sends SIGTERM and returns the seconds vigild took to exit."""
        t = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - t

    def line_index(self, text: str) -> int:
        """The index of the first log line containing `text` (fails if there is none)."""
        for i, line in enumerate(self.log().splitlines()):
            if text in line:
                return i
        raise AssertionError(f"no log line with {text!r}:\n{self.log()}")


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


@pytest.fixture
def lb(lab, vigild):
    n = Node(lab, vigild)
    yield n
    if n.proc is not None and n.proc.poll() is None:
        n.proc.kill()


def test_startup_script_runs_before_the_engines_and_shutdown_script_after(lb):
    events = os.path.join(lb.work, "events")
    # Each script records what it sees: whether an engine runs (its pid file) and whether
    # the VIP is on the interface.
    probe = f"""\
        #!/bin/sh
        if [ -e {lb.base}r.pid ]; then engine=engine; else engine=no-engine; fi
        if ip -4 -o addr show dev eth0 | grep -q ' {VIP}/'; then vip=vip; else vip=no-vip; fi
        echo "$1 $(id -u) $engine $vip" >> {events}
        """
    up = lb.script("up.sh", probe)
    down = lb.script("down.sh", probe)
    lb.start(lb.conf(f"""\
        startup_script "{up} startup"
        shutdown_script "{down} shutdown"
        """))
    lb.wait(lb.has_vip, 15, "the VIP on the MASTER")
    with open(events) as f:
        assert f.read() == "startup 0 no-engine no-vip\n"
    assert lb.line_index(f"startup script {up} startup succeeded") < \
        lb.line_index("started engine vrrp")
    assert lb.stop() < 10
    assert lb.proc.returncode == 0
    with open(events) as f:
        assert f.read().splitlines() == ["startup 0 no-engine no-vip",
                                         "shutdown 0 no-engine no-vip"]
    assert lb.line_index("engine vrrp exited with 0") < \
        lb.line_index(f"running shutdown script {down} shutdown") < \
        lb.line_index(f"shutdown script {down} shutdown succeeded") < lb.line_index("stopped")


def test_startup_script_is_killed_at_its_timeout_and_the_engines_start(lb):
    pid_file = os.path.join(lb.work, "hang.pid")
    hang = lb.script("hang.sh", f"""\
        #!/bin/sh
        echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}
        exec sleep 30
        """)
    t = time.monotonic()
    lb.start(lb.conf(f"""\
        startup_script {hang}
        startup_script_timeout 1
        """))
    lb.wait(lambda: os.path.exists(pid_file), 5, "the startup script")
    with open(pid_file) as f:
        script = int(f.read().strip())
    assert not lb.has_vip()
    lb.wait(lb.has_vip, 15, "the VIP once the startup script was killed")
    assert time.monotonic() - t >= 1
    lb.wait(lambda: _gone(script), 5, "the startup script to be gone")
    assert lb.line_index(f"startup script {hang} timed out after 1 s and was killed") < \
        lb.line_index("started engine vrrp")


def test_shutdown_script_that_ignores_sigterm_is_killed_after_its_timeout(lb):
    pid_file = os.path.join(lb.work, "stubborn.pid")
    stubborn = lb.script("stubborn.sh", f"""\
        #!/bin/sh
        trap '' TERM
        echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}
        while :; do sleep 0.2; done
        """)
    lb.start(lb.conf(f"""\
        shutdown_script {stubborn}
        shutdown_script_timeout 1
        """))
    lb.wait(lb.has_vip, 15, "the VIP on the MASTER")
    took = lb.stop()
    # 1 s to SIGTERM (ignored), 2 s more to SIGKILL, as keepalived.
    assert 3 <= took < 8, f"vigild took {took:.1f} s to stop\n{lb.log()}"
    with open(pid_file) as f:
        script = int(f.read().strip())
    assert _gone(script)
    assert f"shutdown script {stubborn} timed out after 1 s and was killed" in lb.log()
    assert lb.proc.returncode == 0


def _mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _dump_and_umask(lb, global_extra: str, *options: str) -> tuple[int, int, str]:
    """Starts vigild with `global_extra` and `options`; returns the mode of its SIGUSR1 dump
    and of its pid file, and the umask its startup script saw."""
    tmpdir = os.path.join(lb.work, "tmp")
    os.makedirs(tmpdir, exist_ok=True)
    seen = os.path.join(lb.work, "umask")
    probe = lb.script("umask.sh", f"#!/bin/sh\numask > {seen}\n")
    lb.start(lb.conf(global_extra + f"startup_script {probe}\n"), env={"TMPDIR": tmpdir},
             extra=options)
    data = os.path.join(tmpdir, "keepalived.data")
    lb.proc.send_signal(signal.SIGUSR1)
    lb.wait(lambda: os.path.exists(data), 10, "the data dump")
    with open(seen) as f:
        script_umask = f.read().strip()
    return _mode(data), _mode(f"{lb.base}.pid"), script_umask


def test_default_umask_is_keepaliveds(lb):
    dump, pid, script = _dump_and_umask(lb, "")
    assert (oct(dump), oct(pid), script) == ("0o600", "0o644", "0177")


def test_umask_in_global_defs_sets_the_dump_mode_and_the_scripts_umask(lb):
    dump, pid, script = _dump_and_umask(lb, "umask IWGRP|IWOTH\n")
    assert (oct(dump), oct(pid), script) == ("0o644", "0o644", "0022")


def test_umask_option_takes_precedence_over_global_defs(lb):
    dump, pid, script = _dump_and_umask(lb, "umask 0\n", "-u", "0x3f")
    assert (oct(dump), oct(pid), script) == ("0o600", "0o644", "0077")
    assert "umask: -u takes precedence over global_defs umask" in lb.log()


def test_process_names_as_configured_and_changed_by_a_reload(lb):
    lb.start(lb.conf("", checker=True))
    lb.wait(lambda: os.path.exists(f"{lb.base}r.pid") and os.path.exists(f"{lb.base}c.pid"),
            10, "both engines")
    assert (lb.comm(), lb.comm("r"), lb.comm("c")) == ("vigild", "vigild-vrrp", "vigild-check")
    lb.stop()
    lb.start(lb.conf("process_name ha\nvrrp_process_name ha_vrrp\n"
                     "checker_process_name ha_check\n", checker=True))
    names = lambda: (lb.comm(), lb.comm("r"), lb.comm("c"))  # noqa: E731
    lb.wait(lambda: os.path.exists(f"{lb.base}c.pid") and
            names() == ("ha", "ha_vrrp", "ha_check"), 10, "the configured names")
    # A reload renames every process in place: process_names gives the engines
    # keepalived's names, and the supervisor, no longer named, gets vigil's back.
    vrrp, check = lb.pid("r"), lb.pid("c")
    with open(f"{lb.base}.conf", "w") as f:
        f.write(lb.conf("process_names\n", checker=True))
    lb.proc.send_signal(signal.SIGHUP)
    lb.wait(lambda: names() == ("vigild", "keepalived_vrrp", "keepalived_lvs"), 10,
            f"the names after the reload (have {names()})")
    assert (lb.pid("r"), lb.pid("c")) == (vrrp, check)


def test_use_pid_dir_and_instance_put_the_pid_files_in_run_vigild(lb):
    inst = f"t{os.getpid()}x{os.path.basename(lb.work)[-6:]}"
    conf = f"{lb.base}.conf"
    with open(conf, "w") as f:
        f.write("use_pid_dir\ninstance " + inst + "\n" + lb.conf(""))
    lb.proc = lb.node.spawn([lb.vigild, "-n", "-l", "-f", conf], log_name="lb.log")
    files = [f"/run/vigild/vigild_{inst}.pid", f"/run/vigild/vigild_vrrp_{inst}.pid"]
    lb.wait(lambda: all(os.path.exists(p) for p in files), 10, f"the pid files {files}")
    with open(files[0]) as f:
        assert int(f.read()) == lb.proc.pid
    assert _mode("/run/vigild") == 0o755
    assert [_mode(p) for p in files] == [0o644, 0o644]
    lb.stop()
    assert not any(os.path.exists(p) for p in files)


def test_child_wait_time_bounds_the_wait_for_an_engine_at_stop(lb):
    lb.start(lb.conf("").replace("global_defs", "child_wait_time 1\nglobal_defs", 1))
    lb.wait(lb.has_vip, 15, "the VIP on the MASTER")
    engine = lb.pid("r")
    os.kill(engine, signal.SIGSTOP)  # an engine that cannot act on SIGTERM
    took = lb.stop()
    assert 1 <= took < 4, f"vigild took {took:.1f} s to stop\n{lb.log()}"
    assert "engine vrrp did not stop in time; killing it" in lb.log()
    assert _gone(engine)


def test_include_check_refuses_an_executable_included_file(lb):
    inc = os.path.join(lb.work, "inc.conf")
    with open(inc, "w") as f:
        f.write("vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 9\n"
                " priority 100\n virtual_ipaddress {\n  10.99.0.109/16\n }\n}\n")
    os.chmod(inc, 0o755)
    conf = f"{lb.base}.conf"

    def check(include_check: str):
        with open(conf, "w") as f:
            f.write(lb.conf(include_check) + f"include {inc}\n")
        return lb.node.run([lb.vigild, "-t", "-f", conf], check=False)

    skipped = check("")
    assert skipped.returncode == 0, skipped.stderr
    assert f"warning: included file '{inc}' is executable; skipping it" in skipped.stderr
    refused = check("include_check\n")
    assert refused.returncode == 4, refused.stderr
    assert f"error: included file '{inc}' is executable; skipping it" in refused.stderr
    os.chmod(inc, 0o644)
    assert check("include_check\n").returncode == 0


def test_sigterm_during_the_startup_script_starts_no_engine(lb):
    pid_file = os.path.join(lb.work, "slow.pid")
    slow = lb.script("slow.sh", f"""\
        #!/bin/sh
        echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}
        exec sleep 30
        """)
    lb.start(lb.conf(f"startup_script {slow}\n"))
    lb.wait(lambda: os.path.exists(pid_file), 5, "the startup script")
    with open(pid_file) as f:
        script = int(f.read().strip())
    assert lb.stop() < 3
    assert lb.proc.returncode == 0
    assert "started engine" not in lb.log()
    assert not os.path.exists(f"{lb.base}r.pid")
    lb.wait(lambda: _gone(script), 5, "the startup script to end with vigild")


def test_a_reload_asked_during_the_startup_script_runs_once_the_engines_started(lb):
    flag = os.path.join(lb.work, "started")
    slow = lb.script("slow.sh", f"#!/bin/sh\ntouch {flag}\nsleep 2\n")
    lb.start(lb.conf(f"startup_script {slow}\n"))
    lb.wait(lambda: os.path.exists(flag), 5, "the startup script")
    lb.proc.send_signal(signal.SIGHUP)
    lb.wait(lambda: "reload complete" in lb.log(), 15, "the reload")
    assert lb.line_index(f"startup script {slow} succeeded") < \
        lb.line_index("vigild started") < lb.line_index("reload complete")
    lb.wait(lb.has_vip, 15, "the VIP on the MASTER")


def test_dump_files_go_where_global_defs_says_named_with_the_instance(lb):
    """state_dump_file / stats_dump_file / json_dump_file by keepalived's rule (a directory
    when ending in '/', only the last component of a relative path, in $TMPDIR),
    data_use_instance adds ".INSTANCE" before the extension, json_version 2 puts the VRRP
    instances under "vrrp"; every dump is a new 0600 file renamed into place."""
    tmpdir = os.path.join(lb.work, "tmp")
    dumps = os.path.join(lb.work, "dumps")
    os.makedirs(tmpdir)
    os.makedirs(dumps)
    inst = "blue"
    data = os.path.join(dumps, f"keepalived.{inst}.data")
    stats = os.path.join(dumps, f"counters.{inst}.txt")
    js = os.path.join(tmpdir, f"ka.{inst}.json")
    victim = os.path.join(lb.work, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.symlink(victim, js)  # planted: replaced, never written through
    conf = f"instance {inst}\n" + lb.conf(f"""\
        state_dump_file {dumps}/
        stats_dump_file {dumps}/counters.txt
        json_dump_file elsewhere/ka.json
        data_use_instance
        json_version 2
        """)
    lb.start(conf, env={"TMPDIR": tmpdir})
    lb.wait(lambda: _vip_held(lb), 10, "VI_1 to become MASTER")
    lb.proc.send_signal(signal.SIGUSR1)
    lb.wait(lambda: os.path.exists(data), 10, "the data dump")
    lb.proc.send_signal(signal.SIGUSR2)
    lb.wait(lambda: os.path.exists(stats), 10, "the stats dump")
    lb.proc.send_signal(signal.SIGRTMIN + 2)
    lb.wait(lambda: not os.path.islink(js), 10, "the JSON dump")
    assert sorted(os.listdir(dumps)) == sorted(os.path.basename(p) for p in (data, stats))
    assert sorted(os.listdir(tmpdir)) == [os.path.basename(js)]
    with open(victim) as f:
        assert f.read() == "precious\n"
    for path in (data, stats, js):
        st = os.lstat(path)
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, path
    with open(data) as f:
        assert " VRRP instance = VI_1\n" in f.read()
    with open(stats) as f:
        assert f.read().startswith("VRRP Instance: VI_1\n")
    with open(js) as f:
        doc = json.load(f)
    assert list(doc) == ["vrrp"]
    [vi] = doc["vrrp"]
    assert (vi["data"]["iname"], vi["data"]["state"], vi["data"]["vrid"]) == ("VI_1", 2, 51)
    assert vi["data"]["vips"] == [f"{VIP}/16"]
    assert vi["stats"]["become_master"] == 1


def _vip_held(lb) -> bool:
    out = lb.node.run(["ip", "-4", "-o", "addr", "show", "dev", "eth0"], check=False)
    return f" {VIP}/16 " in out.stdout


def test_route_names_come_from_iproute_etc_dir_and_iproute_usr_dir(lb):
    """Table, protocol and scope names of static and virtual routes and rules are read from
    iproute_etc_dir (its file replacing iproute_usr_dir's) and both FILE.d directories. (A
    tracked route's protocol is keepalived's own, 18, as in keepalived 2.2.7: no_track.)"""
    etc = os.path.join(lb.work, "ipr-etc")
    usr = os.path.join(lb.work, "ipr-usr")
    for d in (f"{etc}/rt_tables.d", usr):
        os.makedirs(d)
    files = {f"{usr}/rt_tables": "100 web\n",
             f"{usr}/rt_protos": "78 hidden_by_etc\n",
             f"{etc}/rt_protos": "77 vigilproto\n",
             f"{etc}/rt_tables.d/db.conf": "101 db\n",
             f"{usr}/rt_scopes": "200 far\n"}
    for path, text in files.items():
        with open(path, "w") as f:
            f.write(text)
    conf = lb.conf(f"iproute_etc_dir {etc}\niproute_usr_dir {usr}\n") + textwrap.dedent("""\
        static_routes {
            10.61.0.0/24 dev eth0 table web protocol vigilproto no_track
            10.63.0.0/24 dev eth0 table web protocol hidden_by_etc no_track
        }
        static_rules {
            from 10.62.0.0/24 lookup db
        }
        """)
    lb.start(conf)
    lb.wait(lambda: lb.node.ip_json("route", "show", "table", "100") != [], 10,
            "the route in table 100 (web)")
    routes = lb.node.ip_json("route", "show", "table", "100")
    assert [(r["dst"], str(r.get("protocol"))) for r in routes] == [("10.61.0.0/24", "77")]
    lb.wait(lambda: any(r.get("src") == "10.62.0.0" for r in lb.node.ip_json("rule", "show")),
            10, "the rule from 10.62.0.0/24")
    [rule] = [r for r in lb.node.ip_json("rule", "show") if r.get("src") == "10.62.0.0"]
    assert str(rule["table"]) == "101"
    assert "10.63.0.0/24" in lb.log() and "not a protocol: 'hidden_by_etc'" in lb.log()


def _sched(pid: int) -> tuple[int, int]:
    """(policy, rt_priority) of process `pid` (/proc/PID/stat fields 41 and 40)."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(") ", 1)[1].split()
    return int(rest[38]), int(rest[37])


def test_max_auto_priority_raises_a_late_engine_step_by_step(lb):
    """An engine whose timers run more than min_auto_priority_delay late (here: stopped for
    1 s) switches to SCHED_RR 1, then one priority higher at each delay, up to
    max_auto_priority."""
    lb.start(lb.conf("max_auto_priority 2\nmin_auto_priority_delay 400000\n", checker=True))
    lb.wait(lambda: os.path.exists(f"{lb.base}r.pid") and os.path.exists(f"{lb.base}c.pid"),
            10, "both engines")
    vrrp = lb.pid("r")
    time.sleep(0.5)
    assert _sched(vrrp) == (0, 0)  # SCHED_OTHER while on time
    for want in (1, 2, 2):
        os.kill(vrrp, signal.SIGSTOP)
        time.sleep(1)
        os.kill(vrrp, signal.SIGCONT)
        lb.wait(lambda: _sched(vrrp) == (2, want), 5, f"SCHED_RR {want}")  # 2: SCHED_RR
        time.sleep(0.3)
        assert _sched(vrrp) == (2, want)
    assert "(more than min_auto_priority_delay): real-time priority 2 (max_auto_priority 2)" \
        in lb.log()


def test_disable_local_igmp_while_the_vrrp_engine_runs(lb):
    key = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports"
    read = lambda: lb.node.run(["cat", key]).stdout.strip()  # noqa: E731
    assert read() == "1"
    lb.start(lb.conf("disable_local_igmp\n"))
    lb.wait(lambda: read() == "0", 10, "igmp_link_local_mcast_reports 0")
    lb.proc.terminate()
    lb.proc.wait(timeout=15)
    assert read() == "1"


def _symlinked_script_conf(lb, link: str, global_extra: str) -> str:
    """A configuration whose one instance tracks the vrrp_script `link` (every second)."""
    return (f"global_defs {{\n    router_id lb\n    enable_script_security\n"
            f"    script_user root\n    vigil_control_socket {lb.base}.ctl\n{global_extra}}}\n"
            f"vrrp_script chk {{\n    script \"{link}\"\n    interval 1\n}}\n"
            f"vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n"
            f"    virtual_router_id 51\n    priority 100\n    advert_int 1\n"
            f"    virtual_ipaddress {{\n        {VIP}/16\n    }}\n"
            f"    track_script {{\n        chk\n    }}\n}}\n")


@pytest.mark.parametrize("use_symlink_paths", [False, True],
                         ids=["resolved_at_load", "use_symlink_paths"])
def test_a_script_behind_a_symlink_runs_what_it_named_at_load_unless_use_symlink_paths(
        lb, use_symlink_paths):
    # keepalived (2.3 and later: lib/notify.c, check_script_secure) resolves a script's
    # path (realpath) when it reads the configuration and executes that file; with
    # use_symlink_paths it executes the configured path, so a symlink retargeted later takes
    # effect at the next run. A shell script's $0 is the file executed. (2.2.7, run the
    # same way here, follows this symlink at each run: it kept a file name that names the
    # same file in the target's directory.)
    runs = os.path.join(lb.work, "runs")
    for name in ("a", "b"):
        lb.script(f"{name}.sh", f"#!/bin/sh\necho \"{name} $0\" >> {runs}\n")
    link = os.path.join(lb.work, "check.sh")
    os.symlink("a.sh", link)

    def ran(name: str) -> str:
        """The line `name`.sh writes when it runs through the symlink."""
        real = os.path.join(os.path.realpath(lb.work), f"{name}.sh")
        return f"{name} {link if use_symlink_paths else real}"

    def seen() -> list[str]:
        return lablib.file_lines(runs)

    lb.start(_symlinked_script_conf(lb, link, "    use_symlink_paths\n" if use_symlink_paths
                                    else ""))
    lb.wait(lambda: len(seen()) >= 1, 15, "the vrrp_script's first run")
    assert seen()[0] == ran("a")
    os.symlink("b.sh", link + ".new")
    os.rename(link + ".new", link)  # the symlink now names b.sh
    before = len(seen())
    lb.wait(lambda: len(seen()) >= before + 3, 15, "three runs after the symlink changed")
    # (the first may have started before the change)
    after = seen()[before + 1:]
    if use_symlink_paths:
        assert set(after) == {ran("b")}, seen()
        return
    assert set(after) == {ran("a")}, seen()
    # A reload reads the configuration again: the symlink is resolved anew.
    lb.proc.send_signal(signal.SIGHUP)
    lb.wait(lambda: seen()[-1] == ran("b"), 15, "b.sh to run after the reload")
