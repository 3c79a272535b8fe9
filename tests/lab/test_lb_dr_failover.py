"""Lab test: TCP connections through an nftables DR + mh virtual server survive the death
of the master director with no state shared between the directors.

Topology (one bridge, 10.99.0.0/16): client (.1, its connections from 10.99.1.1), two
directors lb1 (priority 150) and lb2 (100) running vigild with one VRRP instance holding the
VIP 10.99.0.100 on eth0 and the same virtual server (lb_kind DR, lb_algo mh, mh-port), and
real servers rs1..rs3 (echo servers) with the VIP on their loopback (arp_ignore=1,
arp_announce=2) that answer the client directly. The directors keep no connection state
(DR runs in the netdev ingress hook, before conntrack) and sync nothing: each sends a flow
to the real server its Maglev table gives, and both tables are the same one.

200 connections each exchange a line every 100 ms. The master box dies (every vigild
process SIGKILLed, its link down): lb2 takes the VIP (gratuitous ARP) and every connection
goes on, each still with the real server it had. lb1 then comes back as from a reboot,
takes the VIP back (failback), lb2's link goes down, and every connection goes on through
lb1 alone, still on the same real servers.
"""

from __future__ import annotations

import contextlib
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


class DrFailoverLab(DirectorPair):
    def __init__(self, lab, vigild: str):
        self.lab = lab
        self.vip = VIP
        self.vigild = vigild
        self.work = lab.workdir
        self.client = lab.add_node("client")
        self.lbs = [lab.add_node("lb1"), lab.add_node("lb2")]
        self.rs = [lab.add_node(f"rs{i + 1}") for i in range(3)]
        self.vigild_procs: list = []
        self.conns = LongConnections(self.client, self.work, VIP, PORT, CONNECTIONS, SOURCE)
        self.client.run([lablib.IP, "addr", "add", f"{SOURCE}/32", "dev", "eth0"])
        for rs in self.rs:
            lablib.dr_real_server(rs, VIP, "10.99.1.0/24", self.client.ipv4)
        echo_servers(self.work, PORT, CHECK_PORT).start(*self.rs)

    def config(self, lb, priority: int) -> str:
        return textwrap.dedent(f"""\
            global_defs {{
                router_id {lb.short}
                vigil_control_socket {self.work}/{lb.short}.ctl
                vigil_lb_backend nftables
            }}
            vrrp_instance VI_1 {{
                state BACKUP
                interface eth0
                virtual_router_id 62
                priority {priority}
                advert_int 1
                virtual_ipaddress {{
                    {VIP}/32
                }}
            }}
            """) + lablib.virtual_server_conf(VIP, PORT, "lb_algo mh; mh-port; lb_kind DR",
                                              self.rs, check_port=CHECK_PORT)

    def start(self) -> None:
        self.start_directors(3)

    def scheduled(self, lb) -> int:
        out = lb.run([lablib.NFT, "-j", "list", "chains", "netdev"], check=False).stdout or "{}"
        return sum(1 for c in json.loads(out).get("nftables", [])
                   if "chain" in c and c["chain"]["name"].startswith(f"d_tcp_{VIP}_{PORT}_"))

    def placement(self) -> dict[int, str]:
        """{client port: real server} of the established connections to the VIP."""
        out: dict[int, str] = {}
        for rs in self.rs:
            lines = rs.run(["ss", "-Htn", "state", "established", f"sport = :{PORT}"]).stdout
            for line in lines.splitlines():
                peer = line.split()[-1]
                if peer.startswith(SOURCE + ":"):
                    out[int(peer.rsplit(":", 1)[1])] = rs.short
        return out

    def kill(self, i: int) -> None:
        """Director i dies as a box does: every vigild process at once, then its link."""
        os.killpg(self.vigild_procs[i].pid, signal.SIGKILL)
        self.lbs[i].link_set("eth0", False)

    def restart_lb1(self) -> int:
        """lb1 comes back as from a reboot: no VIP, its link up, vigild started again — with
        its checker engine stopped (SIGSTOP) as soon as it exists, before it can apply the
        load balancer's table, as on a machine too busy to run it. Returns that engine's pid."""
        lb1 = self.lbs[0]
        lb1.run([lablib.NFT, "flush", "ruleset"])
        lb1.run([lablib.IP, "addr", "del", f"{VIP}/32", "dev", "eth0"], check=False)
        lb1.link_set("eth0", True)
        pid_file = os.path.join(self.work, "lb1c.pid")
        if os.path.exists(pid_file):
            os.unlink(pid_file)
        stopper = lablib.StopWhenStarted(pid_file, timeout=10)
        self.vigild_procs[0] = lb1.spawn_vigild(self.vigild, self.config(lb1, 150))
        pid = stopper.wait()
        assert pid, "lb1's checker engine never started"
        return pid

    def hold(self, lb) -> str:
        """VI_1's hold on ``lb`` as vigilctl shows it ("" for none)."""
        out = lb.run([os.path.join(os.path.dirname(self.vigild), "vigilctl"), "-s",
                      f"{self.work}/{lb.short}.ctl", "--json", "instances"], check=False)
        try:
            return {i["name"]: i.get("hold", "") for i in json.loads(out.stdout)["instances"]}["VI_1"]
        except (ValueError, KeyError):
            return "?"

    def hooked(self, lb) -> list[str]:
        """The interfaces `table netdev vigil`'s ingress chain hooks on ``lb`` (from nft's text:
        its JSON leaves out a chain's devices)."""
        out = lb.run([lablib.NFT, "list", "chain", "netdev", "vigil", "ingress"],
                     check=False).stdout or ""
        m = re.search(r'hook ingress (?:device "?([^" ]+)"?|devices = \{ ([^}]*) \})', out)
        if not m:
            return []
        return sorted([m.group(1)] if m.group(1) else
                      [d.strip().strip('"') for d in m.group(2).split(",")])

    @contextlib.contextmanager
    def logs_on_failure(self):
        """Prints both directors' vigild logs (and the client's) when the block fails."""
        try:
            yield
        except BaseException:
            for p in [*self.vigild_procs, self.conns.proc]:
                path = getattr(p, "log_path", None)
                if path and os.path.exists(path):
                    with open(path, errors="replace") as f:
                        print(f"==== {path}\n{f.read()[-20000:]}")
            raise

    def all_exchanging_after(self, t: float, what: str) -> None:
        lablib.wait_until(
            lambda: self.conns.exchanging_since(t) == CONNECTIONS, timeout=30,
            message=f"connections exchanging {what} ({self.conns.exchanging_since(t)}/"
                    f"{CONNECTIONS}; errors {self.conns.errors()[:3]})")


@pytest.fixture
def drlab(lab, vigild):
    the = DrFailoverLab(lab, vigild)
    yield the
    for p in the.vigild_procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)


def test_dr_mh_connections_survive_failover_and_failback_without_state(drlab):
    with drlab.logs_on_failure():
        _survive_failover_and_failback(drlab)


def _survive_failover_and_failback(drlab) -> None:
    drlab.start()
    lb1, lb2 = drlab.lbs
    drlab.conns.start()
    t0 = time.monotonic()
    drlab.all_exchanging_after(t0, "through lb1")
    before = drlab.placement()
    assert len(before) == CONNECTIONS, before
    # mh-port spreads one client's connections over the three real servers.
    assert set(before.values()) == {"rs1", "rs2", "rs3"}, before
    # No director keeps state for them: DR runs before conntrack.
    for lb in drlab.lbs:
        out = lb.run(["conntrack", "-L", "-p", "tcp", "--orig-dst", VIP], check=False).stdout
        assert VIP not in out, out

    drlab.kill(0)
    t_dead = time.monotonic()  # from now on nothing passes through lb1
    lablib.wait_until(lambda: drlab.state(lb2) == "MASTER", timeout=10, message="lb2 master")
    drlab.all_exchanging_after(t_dead, "through lb2")
    t_after = time.monotonic()
    drlab.all_exchanging_after(t_after + 1, "still, through lb2")
    assert drlab.conns.errors() == []
    assert drlab.placement() == before

    # Failback: lb1 returns (higher priority) and takes the VIP back; lb2's link goes down.
    # While lb1's load balancer has no table, lb1 must not preempt lb2: the connections
    # it would attract would be answered by its own stack (reset).
    t_restart = time.monotonic()
    checker = drlab.restart_lb1()
    try:
        lablib.wait_until(lambda: drlab.hold(lb1) == "lb_not_ready", timeout=10,
                          message="lb1 to hold its preemption")
        assert drlab.scheduled(lb1) == 0  # (the checker was stopped before its first apply)
        # Longer than lb1's Master_Down_Interval (3 x 1 s + 106/256 s): lb2 stays master.
        t_held = time.monotonic()
        while time.monotonic() < t_held + 6:
            assert (drlab.state(lb1), drlab.state(lb2)) == ("BACKUP", "MASTER")
            time.sleep(0.5)
        assert drlab.conns.errors() == []
    finally:
        os.kill(checker, signal.SIGCONT)
    lablib.wait_until(lambda: drlab.state(lb1) == "MASTER" and drlab.state(lb2) == "BACKUP",
                      timeout=20, message="lb1 master again")
    lablib.wait_until(lambda: drlab.scheduled(lb1) == 3, timeout=20,
                      message="lb1 to schedule the three real servers again")
    # lb1 forwards them: its DR ingress hook is on the link the client's packets come in by.
    assert drlab.hooked(lb1) == ["eth0"]
    print(f"restart at {t_restart:.2f}, lb1 master and scheduling by {time.monotonic():.2f}")
    assert drlab.conns.errors() == []
    drlab.kill(1)
    t_gone = time.monotonic()
    drlab.all_exchanging_after(t_gone, "through lb1 after failback")
    drlab.all_exchanging_after(time.monotonic() + 1, "still, through lb1")
    assert drlab.conns.errors() == []
    assert drlab.placement() == before
