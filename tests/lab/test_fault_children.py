"""Lab tests of what vigild's children get: every script kind (vrrp_script, notify,
notify_master, vrrp_notify_fifo_script, lvs_notify_fifo_script, MISC_CHECK, quorum_up, notify_up) runs with exactly
descriptors 0-2 and as the user keepalived would run it; a script run as another user dies
with its engine; the dump files never follow a symlink planted at their path.

Topology: one node "lb" (10.99.0.1) running vigild with both engines.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import textwrap

import pytest

import lab as lablib

PYTHON = lablib.PYTHON

# Writes what the script sees of itself to OUT/<kind>.json: the descriptors still open once
# the listing's own is closed, its user, groups and parent.
PROBE = textwrap.dedent("""\
    #!/usr/bin/python3
    import json, os, sys
    OUT = {out!r}
    kind = sys.argv[1]
    fds = []
    for name in os.listdir("/proc/self/fd"):
        try:
            os.readlink("/proc/self/fd/" + name)
        except OSError:
            continue  # the directory listing's own descriptor, closed by now
        fds.append(int(name))
    report = {{"fds": sorted(fds), "uid": os.getuid(), "euid": os.geteuid(),
              "gid": os.getgid(), "groups": sorted(os.getgroups()), "args": sys.argv[2:]}}
    tmp = os.path.join(OUT, kind + ".json.tmp")
    with open(tmp, "w") as f:
        json.dump(report, f)
    os.rename(tmp, os.path.join(OUT, kind + ".json"))
    """)

# A script that records its pid and then stays (to be killed with its engine).
HANG = textwrap.dedent("""\
    #!/bin/sh
    echo $$ > "$1.tmp" && mv "$1.tmp" "$1"
    exec sleep 60
    """)


def _nobody() -> tuple[int, int]:
    import pwd
    pw = pwd.getpwnam("nobody")
    return pw.pw_uid, pw.pw_gid


class Children:
    """A lab node with vigild and a directory its scripts (run as nobody) write to."""

    def __init__(self, lab, vigild: str):
        self.lab = lab
        self.vigild = vigild
        self.work = lab.workdir
        os.chmod(self.work, 0o755)  # scripts run as nobody must reach their files
        self.out = os.path.join(self.work, "out")
        os.mkdir(self.out)
        os.chmod(self.out, 0o777)
        self.node = lab.add_node("lb")
        self.proc = None

    def script(self, name: str, text: str) -> str:
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    def start(self, conf: str, env: dict | None = None, extra: tuple[str, ...] = ()) -> None:
        """Writes `conf` and starts vigild on it (with the options `extra`)."""
        base = os.path.join(self.work, "lb")
        with open(f"{base}.conf", "w") as f:
            f.write(conf)
        self.ctl = f"{base}.ctl"
        self.proc = self.node.spawn(
            [self.vigild, "-n", "-l", "-D", "-f", f"{base}.conf", "-p", f"{base}.pid",
             "-r", f"{base}r.pid", "-c", f"{base}c.pid", *extra],
            log_name="lb.log", env={**os.environ, **(env or {})})
        lablib.wait_until(lambda: os.path.exists(self.ctl) or self.proc.poll() is not None,
                          timeout=10, message="vigild's control socket")
        assert self.proc.poll() is None, f"vigild exited:\n{self.log()}"

    def engine_pid(self, engine: str) -> int:
        with open(os.path.join(self.work, "lbr.pid" if engine == "vrrp" else "lbc.pid")) as f:
            return int(f.read().strip())

    def log(self) -> str:
        try:
            with open(os.path.join(self.work, "lb.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait(self, pred, timeout: float, what: str) -> None:
        """Waits (bounded) for pred(); on timeout fails with vigild's log."""
        try:
            lablib.wait_until(pred, timeout=timeout, message=what)
        except lablib.WaitTimeout as exc:
            raise AssertionError(f"{exc}\nreports: {sorted(os.listdir(self.out))}"
                                 f"\n--- vigild log ---\n{self.log()}") from None

    def reports(self) -> dict[str, dict]:
        out = {}
        for name in os.listdir(self.out):
            if name.endswith(".json"):
                with open(os.path.join(self.out, name)) as f:
                    out[name[:-5]] = json.load(f)
        return out


@pytest.fixture
def children(lab, vigild):
    return Children(lab, vigild)


def test_every_script_kind_gets_only_fds_0_to_2_and_its_user(children):
    c = children
    probe = c.script("probe.py", PROBE.format(out=c.out))
    fifo = os.path.join(c.work, "vrrp.fifo")
    conf = textwrap.dedent(f"""\
        global_defs {{
            router_id lb
            enable_script_security
            script_user nobody
            vigil_control_socket {c.work}/lb.ctl
            vigil_lb_backend nftables
            vrrp_notify_fifo {fifo}
            vrrp_notify_fifo_script "{probe} fifo"
            lvs_notify_fifo {c.work}/lvs.fifo
            lvs_notify_fifo_script "{probe} lvs_fifo"
        }}
        vrrp_script chk {{
            script "{probe} vrrp_script"
            interval 1
        }}
        vrrp_instance VI_1 {{
            state MASTER
            interface eth0
            virtual_router_id 51
            priority 100
            advert_int 1
            virtual_ipaddress {{
                10.99.0.100/16
            }}
            track_script {{
                chk
            }}
            notify "{probe} notify"
            notify_master "{probe} notify_master" daemon
        }}
        virtual_server 10.99.0.100 80 {{
            delay_loop 1
            alpha
            lb_algo rr
            lb_kind NAT
            protocol TCP
            quorum_up "{probe} quorum_up"
            real_server 10.99.0.7 80 {{
                notify_up "{probe} notify_up"
                MISC_CHECK {{
                    misc_path "{probe} misc"
                }}
            }}
        }}
        """)
    c.start(conf)
    kinds = {"vrrp_script", "notify", "notify_master", "fifo", "lvs_fifo", "misc", "quorum_up",
             "notify_up"}
    master_notify = ["INSTANCE", "VI_1", "MASTER", "100"]
    # The generic notify script runs once per state (BACKUP, then MASTER): under load its
    # MASTER run may come after every other kind has reported.
    c.wait(lambda: kinds <= set(r := c.reports()) and r["notify"]["args"] == master_notify,
           15, "a report from every script kind, the MASTER one of notify")
    import pwd
    uid, gid = _nobody()
    daemon = pwd.getpwnam("daemon")
    reports = c.reports()
    for kind in sorted(kinds):
        r = reports[kind]
        want = (daemon.pw_uid, daemon.pw_gid) if kind == "notify_master" else (uid, gid)
        assert r["fds"] == [0, 1, 2], f"{kind} inherited descriptors: {r}"
        assert (r["uid"], r["euid"], r["gid"]) == (want[0], want[0], want[1]), f"{kind}: {r}"
        assert r["groups"] == [want[1]], f"{kind}: {r}"
    assert reports["fifo"]["args"] == [fifo]
    assert reports["lvs_fifo"]["args"] == [os.path.join(c.work, "lvs.fifo")]
    assert reports["notify"]["args"] == master_notify


def test_script_run_as_another_user_dies_with_its_engine(children):
    c = children
    hang = c.script("hang.sh", HANG)
    pid_file = os.path.join(c.out, "hang.pid")
    conf = textwrap.dedent(f"""\
        global_defs {{
            router_id lb
            vigil_control_socket {c.work}/lb.ctl
        }}
        vrrp_script hang {{
            script "{hang} {pid_file}"
            interval 1
            timeout 60
            user nobody
        }}
        vrrp_instance VI_1 {{
            state BACKUP
            interface eth0
            virtual_router_id 52
            priority 100
            advert_int 1
            virtual_ipaddress {{
                10.99.0.101/16
            }}
            track_script {{
                hang
            }}
        }}
        """)
    c.start(conf)
    c.wait(lambda: os.path.exists(pid_file), 10, "the script's pid file")
    with open(pid_file) as f:
        script = int(f.read().strip())
    engine = c.engine_pid("vrrp")
    with open(f"/proc/{script}/status") as f:
        status = f.read()
    assert f"Uid:\t{_nobody()[0]}\t" in status
    os.kill(engine, signal.SIGKILL)

    def gone() -> bool:
        try:
            with open(f"/proc/{script}/stat") as f:
                return f.read().split(") ", 1)[1].startswith("Z")
        except OSError:
            return True

    c.wait(gone, 5, "the script to die with its engine")


def test_dumps_never_follow_a_planted_symlink(children):
    c = children
    tmpdir = os.path.join(c.work, "tmp")
    os.mkdir(tmpdir)
    victim = os.path.join(c.work, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.chmod(victim, 0o644)
    data = os.path.join(tmpdir, "keepalived.data")
    os.symlink(victim, data)
    stats = os.path.join(tmpdir, "keepalived.stats")
    with open(stats, "w") as f:  # a file planted there: replaced, never truncated in place
        f.write("planted\n")
    planted_inode = os.stat(stats).st_ino
    conf = textwrap.dedent(f"""\
        global_defs {{
            router_id lb
            vigil_control_socket {c.work}/lb.ctl
        }}
        vrrp_instance VI_1 {{
            state BACKUP
            interface eth0
            virtual_router_id 53
            priority 100
            advert_int 1
            virtual_ipaddress {{
                10.99.0.102/16
            }}
        }}
        """)
    c.start(conf, env={"TMPDIR": tmpdir})
    c.proc.send_signal(signal.SIGUSR1)
    c.proc.send_signal(signal.SIGUSR2)
    c.wait(lambda: not os.path.islink(data) and os.path.exists(data) and
           os.stat(stats).st_ino != planted_inode, 10, "both dumps written")
    with open(victim) as f:
        assert f.read() == "precious\n"
    assert stat.S_IMODE(os.stat(victim).st_mode) == 0o644
    for path in (data, stats):
        st = os.lstat(path)
        assert stat.S_ISREG(st.st_mode), path
        assert stat.S_IMODE(st.st_mode) == 0o600, path
        with open(path) as f:
            assert "VI_1" in f.read() or path == stats
    assert sorted(os.listdir(tmpdir)) == ["keepalived.data", "keepalived.stats"]


def _cloexec_flags(pid: int) -> dict[int, bool]:
    """Returns, for each descriptor of process `pid` above 2, whether it is close-on-exec."""
    out = {}
    for name in os.listdir(f"/proc/{pid}/fdinfo"):
        if int(name) <= 2:
            continue
        try:
            with open(f"/proc/{pid}/fdinfo/{name}") as f:
                flags = next(line for line in f if line.startswith("flags:"))
        except (OSError, StopIteration):
            continue  # closed meanwhile
        out[int(name)] = bool(int(flags.split()[1], 8) & 0o2000000)  # O_CLOEXEC
    return out


def test_every_descriptor_of_vigild_is_close_on_exec(children):
    c = children
    conf = textwrap.dedent(f"""\
        global_defs {{
            router_id lb
            vigil_control_socket {c.work}/lb.ctl
            vigil_metrics_listen 127.0.0.1:9650
            vigil_lb_backend nftables
        }}
        vrrp_instance VI_1 {{
            state BACKUP
            interface eth0
            virtual_router_id 54
            priority 100
            advert_int 1
            virtual_ipaddress {{
                10.99.0.103/16
            }}
        }}
        virtual_server 10.99.0.103 80 {{
            delay_loop 1
            lb_algo rr
            lb_kind NAT
            protocol TCP
            real_server 10.99.0.7 80 {{
                TCP_CHECK {{
                    connect_timeout 1
                }}
            }}
        }}
        """)
    c.start(conf)
    with open(os.path.join(c.work, "lb.pid")) as f:
        supervisor = int(f.read().strip())
    c.wait(lambda: os.path.exists(os.path.join(c.work, "lbr.pid")) and
           os.path.exists(os.path.join(c.work, "lbc.pid")), 10, "both engines")
    for name, pid in (("supervisor", supervisor), ("vrrp", c.engine_pid("vrrp")),
                      ("check", c.engine_pid("check"))):
        flags = _cloexec_flags(pid)
        assert flags, f"{name} has no descriptors above 2?"
        leaking = {fd: os.readlink(f"/proc/{pid}/fd/{fd}") for fd, ok in flags.items() if not ok}
        assert leaking == {}, f"{name} (pid {pid}) has descriptors without O_CLOEXEC: {leaking}"


def _user_with_a_supplementary_group():
    """A user of this host who is a member of a group other than its own, or a skip."""
    import grp
    import pwd
    for g in sorted(grp.getgrall(), key=lambda g: g.gr_gid):
        for member in g.gr_mem:
            try:
                pw = pwd.getpwnam(member)
            except KeyError:
                continue
            if pw.pw_gid != g.gr_gid:
                return pw
    pytest.skip("no user on this host has a supplementary group")


def test_supplementary_groups_of_the_script_user(children):
    """Scripts run with only their group unless set_supplementary_groups (global), or a ':'
    before the group (or alone) in a script's user, asks for the user's own groups
    (getgrouplist: its primary group and every group it is a member of)."""
    c = children
    pw = _user_with_a_supplementary_group()
    everyone = sorted(os.getgrouplist(pw.pw_name, pw.pw_gid))
    import grp
    daemon_gid = grp.getgrnam("daemon").gr_gid
    probe = c.script("probe.py", PROBE.format(out=c.out))
    user = pw.pw_name

    def run(global_extra: str) -> dict[str, dict]:
        for name in os.listdir(c.out):
            os.unlink(os.path.join(c.out, name))
        c.start(textwrap.dedent(f"""\
            global_defs {{
                router_id lb
                vigil_control_socket {c.work}/lb.ctl
                enable_script_security
            {global_extra}}}
            vrrp_script chk {{
                script "{probe} vrrp_script"
                interval 1
                user {user} :daemon
            }}
            vrrp_instance VI_1 {{
                state MASTER
                interface eth0
                virtual_router_id 51
                priority 100
                advert_int 1
                virtual_ipaddress {{
                    10.99.0.100/16
                }}
                track_script {{
                    chk
                }}
                notify_master "{probe} plain" {user}
                notify_backup "{probe} colon" {user} :
                notify "{probe} colon" {user} :
            }}
            """))
        c.wait(lambda: {"vrrp_script", "plain", "colon"} <= set(c.reports()), 15,
               "the scripts' reports")
        reports = c.reports()
        c.proc.terminate()
        c.proc.wait(timeout=15)
        return reports

    r = run("")
    assert (r["plain"]["uid"], r["plain"]["gid"], r["plain"]["groups"]) == \
        (pw.pw_uid, pw.pw_gid, [pw.pw_gid])
    assert (r["colon"]["gid"], r["colon"]["groups"]) == (pw.pw_gid, everyone)
    # ":GROUP": that group, and the user's own groups (not GROUP's).
    assert (r["vrrp_script"]["gid"], r["vrrp_script"]["groups"]) == (daemon_gid, everyone)

    r = run("    set_supplementary_groups\n")
    assert (r["plain"]["uid"], r["plain"]["gid"], r["plain"]["groups"]) == \
        (pw.pw_uid, pw.pw_gid, everyone)
