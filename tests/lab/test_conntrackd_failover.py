"""Lab test: TCP connections through an nftables NAT virtual server survive the death of the
master director when vigild drives conntrackd (global_defs vigil_conntrackd).

Topology (one bridge, 10.99.0.0/16): client (.1, its connections from 10.99.1.1), two
directors lb1 (.2, priority 150) and lb2 (.3, priority 100) running vigild with one VRRP
instance holding the VIP 10.99.0.100 and the same NAT virtual server, and real servers rs1,
rs2 (echo servers, round robin) that route the client's network back through the VIP. The
directors are also joined by a dedicated veth (10.99.200.0/24) over which their conntrackd
daemons replicate the connection table (FTFW over UDP).

As a real director would, each drops what conntrack calls invalid and does not pick up TCP
connections in the middle (nf_conntrack_tcp_loose 0): a packet of a connection the kernel has
no entry for is dropped, never NATed afresh to whichever real server comes next.

200 connections each exchange a line every 100 ms. The master box dies: its vigild (every
process) and conntrackd get SIGKILL and its links go down. With conntrackd, lb2 takes over
and commits lb1's connections (conntrackd -c ... -B): every connection goes on. lb1 then
comes back as from a reboot and takes them back (failback), and they go on through it alone.
Without conntrackd (the control case, same lab), lb2 has no entry for them and none goes on.
"""

from __future__ import annotations

import json
import os
import re
import signal
import textwrap
import time

import pytest

import lab as lablib
from long_connections import DirectorPair, LongConnections, echo_servers

VIP = "10.99.0.100"
PORT = 7000
CHECK_PORT = 7001
SOURCE = "10.99.1.1"
CONNECTIONS = 200
METRICS_PORT = 9102

CONNTRACKD_CONF = """\
Sync {{
    Mode FTFW {{
        DisableExternalCache Off
        CommitTimeout 1800
        PurgeTimeout 5
    }}
    UDP {{
        IPv4_address {local}
        IPv4_Destination_Address {peer}
        Port 3780
        Interface sync0
        SndSocketBuffer 1249280
        RcvSocketBuffer 1249280
        Checksum on
    }}
}}
General {{
    HashSize 8192
    HashLimit 65536
    LogFile {work}/{name}-conntrackd.log
    Syslog off
    LockFile {work}/{name}-conntrackd.lock
    UNIX {{
        Path {work}/{name}-conntrackd.ctl
    }}
    NetlinkBufferSize 2097152
    NetlinkBufferSizeMaxGrowth 8388608
    Filter From Userspace {{
        Protocol Accept {{
            TCP
        }}
        Address Ignore {{
            IPv4_address 127.0.0.1
            IPv4_address 10.99.200.0/24
        }}
    }}
}}
"""

# What a director drops: packets conntrack has no valid entry for (see the docstring).
GUARD = """\
table inet lab_guard {
    chain prerouting {
        type filter hook prerouting priority -150; policy accept;
        ct state invalid drop
    }
}
"""


class ConntrackdLab(DirectorPair):
    def __init__(self, lab, vigild: str, with_conntrackd: bool):
        self.lab = lab
        self.vip = VIP
        self.vigild = vigild
        self.with_conntrackd = with_conntrackd
        self.work = lab.workdir
        self.client = lab.add_node("client")
        self.lbs = [lab.add_node("lb1"), lab.add_node("lb2")]
        self.rs = [lab.add_node("rs1"), lab.add_node("rs2")]
        self.vigild_procs: list = []
        self.conntrackd_procs: list = []
        self.client_conns = LongConnections(self.client, self.work, VIP, PORT, CONNECTIONS,
                                            SOURCE)
        self.status_path = self.client_conns.status_path
        self.client.run([lablib.IP, "addr", "add", f"{SOURCE}/32", "dev", "eth0"])
        # The dedicated sync link: a veth pair made in lb1 with its peer moved to lb2.
        lb1, lb2 = self.lbs
        lb1.run([lablib.IP, "link", "add", "sync0", "type", "veth", "peer", "name", "sync0",
                 "netns", lb2.name])
        for i, lb in enumerate(self.lbs):
            lb.run([lablib.IP, "addr", "add", f"10.99.200.{i + 1}/24", "dev", "sync0"])
            lb.link_set("sync0", True)
            lb.sysctl("net.ipv4.ip_forward", 1)
            for key in ("all", "default", "eth0"):
                lb.sysctl(f"net.ipv4.conf.{key}.send_redirects", 0)
            lb.run([lablib.NFT, "-f", "-"], input_text=GUARD)
        for rs in self.rs:
            rs.sysctl("net.ipv4.conf.all.accept_redirects", 0)
            rs.sysctl("net.ipv4.conf.eth0.accept_redirects", 0)
            rs.run([lablib.IP, "route", "add", "10.99.1.0/24", "via", VIP])
        echo_servers(self.work, PORT, CHECK_PORT).start(*self.rs)

    # -- directors ----------------------------------------------------------------------

    def conntrackd_conf(self, lb) -> str:
        return os.path.join(self.work, f"{lb.short}-conntrackd.conf")

    def config(self, lb, priority: int) -> str:
        ctd = (f"    vigil_conntrackd {self.conntrackd_conf(lb)} VI_1 timeout 5\n"
               if self.with_conntrackd else "")
        return textwrap.dedent(f"""\
            global_defs {{
                router_id {lb.short}
                vigil_control_socket {self.work}/{lb.short}.ctl
                vigil_lb_backend nftables
                vigil_metrics_listen 127.0.0.1:{METRICS_PORT}
            """) + ctd + textwrap.dedent(f"""\
            }}
            vrrp_instance VI_1 {{
                state BACKUP
                interface eth0
                virtual_router_id 61
                priority {priority}
                advert_int 1
                virtual_ipaddress {{
                    {VIP}/32
                }}
            }}
            """) + lablib.virtual_server_conf(VIP, PORT, "lb_algo rr; lb_kind NAT", self.rs,
                                              check_port=CHECK_PORT)

    def start(self) -> None:
        if self.with_conntrackd:
            for i, lb in enumerate(self.lbs):
                with open(self.conntrackd_conf(lb), "w") as f:
                    f.write(CONNTRACKD_CONF.format(local=f"10.99.200.{i + 1}",
                                                   peer=f"10.99.200.{2 - i}",
                                                   work=self.work, name=lb.short))
                self.conntrackd_procs.append(lb.spawn(
                    ["/usr/sbin/conntrackd", "-C", self.conntrackd_conf(lb)],
                    log_name=f"{lb.short}-conntrackd.out"))
            for lb in self.lbs:
                lablib.wait_until(lambda lb=lb: self.ctd(lb, "-s").returncode == 0,
                                  timeout=10, message=f"conntrackd on {lb.short}")
        self.start_directors(2)
        for lb in self.lbs:
            # Set once vigild's NAT has the conntrack module loaded in the namespace.
            lb.sysctl("net.netfilter.nf_conntrack_tcp_loose", 0)

    def ctd(self, lb, *args: str):
        return lb.run(["/usr/sbin/conntrackd", "-C", self.conntrackd_conf(lb), *args], check=False)

    def metrics(self, lb) -> str:
        return lb.run(["curl", "-sf", "--max-time", "5",
                       f"http://127.0.0.1:{METRICS_PORT}/metrics"], check=False).stdout

    def scheduled(self, lb) -> int:
        out = lb.run([lablib.NFT, "-j", "list", "chains", "inet"], check=False).stdout or "{}"
        return sum(1 for c in json.loads(out).get("nftables", [])
                   if "chain" in c and c["chain"]["name"].startswith(f"d_tcp_{VIP}_{PORT}_"))

    def external_connections(self, lb) -> int:
        """The connections to the VIP in lb's conntrackd external cache (the peer's)."""
        out = self.ctd(lb, "-e").stdout
        return sum(1 for line in out.splitlines() if f"dst={VIP}" in line and
                   "ESTABLISHED" in line)

    def kill_master(self) -> None:
        """lb1 dies as a box does: every vigild process and conntrackd at once (SIGKILL to
        their process groups), then its links go down."""
        for p in self.vigild_procs[:1] + self.conntrackd_procs[:1]:
            os.killpg(p.pid, signal.SIGKILL)
        lb1 = self.lbs[0]
        lb1.link_set("eth0", False)
        if self.with_conntrackd:
            lb1.link_set("sync0", False)

    def restart_master(self) -> None:
        """lb1 comes back as from a reboot: no connection state, no VIP, its links up, then
        conntrackd and vigild started again."""
        lb1 = self.lbs[0]
        lb1.run(["conntrack", "-F"], check=False)
        lb1.run([lablib.IP, "addr", "del", f"{VIP}/32", "dev", "eth0"], check=False)
        lb1.link_set("eth0", True)
        lb1.link_set("sync0", True)
        # What a reboot clears: the killed conntrackd's lock file (/var/lock is a tmpfs).
        os.unlink(os.path.join(self.work, "lb1-conntrackd.lock"))
        self.conntrackd_procs[0] = lb1.spawn(
            ["/usr/sbin/conntrackd", "-C", self.conntrackd_conf(lb1)],
            log_name="lb1-conntrackd-2.out")
        lablib.wait_until(lambda: self.ctd(lb1, "-s").returncode == 0, timeout=10,
                          message="conntrackd on lb1 again")
        self.vigild_procs[0] = lb1.spawn_vigild(self.vigild, self.config(lb1, 150))

    # -- traffic ------------------------------------------------------------------------

    def start_client(self) -> None:
        self.client_conns.start()

    def conns(self) -> list[list]:
        return self.client_conns.conns()

    def exchanging_since(self, t: float) -> int:
        """The connections with an echo after monotonic time `t` and no error."""
        return self.client_conns.exchanging_since(t)

    def errors(self) -> list[str]:
        return self.client_conns.errors()


@pytest.fixture
def ctlab_factory(lab, vigild):
    if not os.access("/usr/sbin/conntrackd", os.X_OK):
        pytest.skip("conntrackd is not installed (scripts/install-deps.sh installs it)")
    return lambda with_conntrackd: ConntrackdLab(lab, vigild, with_conntrackd)


def establish(ct: ConntrackdLab) -> float:
    """Starts the client and waits until all connections exchange through lb1, spread over
    both real servers."""
    ct.start_client()
    t0 = time.monotonic()
    lablib.wait_until(lambda: ct.exchanging_since(t0) == CONNECTIONS, timeout=20,
                      message=f"{CONNECTIONS} connections exchanging "
                              f"({ct.exchanging_since(t0)}; errors {ct.errors()[:3]})")
    # Round robin: each real server has half of them (counted on the master's table).
    out = ct.lbs[0].run(["conntrack", "-L", "-p", "tcp", "--orig-dst", VIP], check=False).stdout
    for rs in ct.rs:
        assert len(re.findall(rf"src={re.escape(rs.ipv4)} ", out)) == CONNECTIONS // 2, out


def test_connections_survive_failover_with_conntrackd(ctlab_factory):
    ct = ctlab_factory(True)
    ct.start()
    lb1, lb2 = ct.lbs
    establish(ct)
    # lb2's conntrackd has every connection of lb1 in its external cache.
    lablib.wait_until(lambda: ct.external_connections(lb2) == CONNECTIONS, timeout=15,
                      message=f"lb2's external cache ({ct.external_connections(lb2)})")

    ct.kill_master()
    t_dead = time.monotonic()  # from now on nothing passes through lb1
    lablib.wait_until(lambda: ct.state(lb2) == "MASTER", timeout=10, message="lb2 master")
    # Every connection goes on through lb2, each within a bounded time.
    lablib.wait_until(lambda: ct.exchanging_since(t_dead) == CONNECTIONS, timeout=30,
                      message=f"connections exchanging through lb2 "
                              f"({ct.exchanging_since(t_dead)}/{CONNECTIONS}; errors "
                              f"{ct.errors()[:3]})")
    # ... and keeps going.
    t_after = time.monotonic()
    lablib.wait_until(lambda: ct.exchanging_since(t_after + 1) == CONNECTIONS, timeout=10,
                      message=f"connections still exchanging ({ct.exchanging_since(t_after)})")
    assert ct.errors() == []

    # vigild ran the master's commands, in order, each counted once as a success.
    metrics = ct.metrics(lb2)
    for command in ("commit", "flush", "resync", "bulk_send"):
        assert (f'vigil_conntrackd_commands_total{{command="{command}",result="success"}} 1'
                in metrics), metrics
    for command in ("commit", "flush", "resync", "bulk_send", "shorten_timers",
                    "request_resync"):
        for result in ("failure", "timeout"):
            assert (f'vigil_conntrackd_commands_total{{command="{command}",result="{result}"}} 0'
                    in metrics), metrics
    with open(os.path.join(ct.work, "lb2.log"), encoding="utf-8", errors="replace") as f:
        log = f.read()
    conf = ct.conntrackd_conf(lb2)
    lines = [line for line in log.splitlines() if ": conntrackd " in line]
    order = [re.search(r"conntrackd (\w+) \(", line).group(1) for line in lines]
    # Started BACKUP (shorten timers, request a resync), then MASTER.
    assert order == ["shorten_timers", "request_resync", "commit", "flush", "resync",
                     "bulk_send"], lines
    assert f"VI_1: conntrackd commit (/usr/sbin/conntrackd -C {conf} -c): done in" in log

    # Failback: lb1 returns (higher priority), learns lb2's connections as BACKUP (-n) and
    # takes them over as MASTER (-c); then lb2 leaves and every connection goes on through
    # lb1 alone.
    ct.restart_master()
    lablib.wait_until(lambda: ct.state(lb1) == "MASTER" and ct.state(lb2) == "BACKUP",
                      timeout=20, message="lb1 master again")
    lb2.link_set("eth0", False)
    t_gone = time.monotonic()
    lablib.wait_until(lambda: ct.exchanging_since(t_gone) == CONNECTIONS, timeout=30,
                      message=f"connections exchanging through lb1 after failback "
                              f"({ct.exchanging_since(t_gone)}/{CONNECTIONS}; errors "
                              f"{ct.errors()[:3]})")
    assert ct.errors() == []
    metrics = ct.metrics(lb1)
    for command in ("shorten_timers", "request_resync", "commit", "flush", "resync",
                    "bulk_send"):
        assert (f'vigil_conntrackd_commands_total{{command="{command}",result="success"}} 1'
                in metrics), metrics


def test_connections_break_on_failover_without_conntrackd(ctlab_factory):
    ct = ctlab_factory(False)
    ct.start()
    lb2 = ct.lbs[1]
    establish(ct)
    ct.kill_master()
    t_dead = time.monotonic()  # from now on nothing passes through lb1
    lablib.wait_until(lambda: ct.state(lb2) == "MASTER", timeout=10, message="lb2 master")
    # lb2 has no entry for the connections: their packets are dropped, none goes on (within
    # the time every connection needed with conntrackd).
    time.sleep(15)
    assert ct.exchanging_since(t_dead) == 0
    assert "vigil_conntrackd_commands_total" not in ct.metrics(lb2)
