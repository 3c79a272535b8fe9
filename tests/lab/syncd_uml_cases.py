"""IPVS connection synchronisation (lvs_sync_daemon) in the UML lab: the guest-side driver.

test_ipvs_syncd_uml.py boots one UML kernel (uml.py) with this file as its driver:

    python3 syncd_uml_cases.py --results DIR --vigild PATH

The guest's network: a switch namespace with a bridge; a client (10.99.0.1, its connections
from 10.99.1.1), two directors lb1 (.2, priority 150) and lb2 (.3, priority 100) and real
servers rs1, rs2 (.4, .5: echo servers, routing the client's network back through the VIP).
Each director runs vigild: VRRP instance VI_1 (advert_int 1, preempt_delay PREEMPT_DELAY)
holding the VIP 10.99.0.100 and an IPVS NAT virtual server VIP:7000 (rr, both real
servers); the sync daemons use eth0 (the kernel's multicast group, 224.0.0.81:8848).

Phases, each writing DIR/<phase>.json for the host's assertions:
  sync       lvs_sync_daemon eth0 VI_1. 200 connections (long_connections.CLIENT, a line every
             100 ms) through lb1; once lb2 has all of them, lb1 dies (its link goes down, its
             vigild and every child get SIGKILL); lb2 takes over. lb1 then comes back as from
             a reboot (a fresh network namespace: no IPVS state), learns the connections as
             BACKUP and preempts after PREEMPT_DELAY; lb2's link then goes down so that they
             can only go on through lb1. Notes `ipvsadm -L --daemon` in each state, the
             connections each director has, every connection's gaps and errors.
  keepalived keepalived 2.2.7 with the same configuration: its `ipvsadm -L --daemon` on the
             master and the backup, and on the backup once it took over.
  control    no lvs_sync_daemon: lb1 dies under the connections, lb2 takes over without them.
  checker_form  `lvs_sync_daemon eth0 id 5` without an instance, vigild then keepalived on
             lb1: both daemons while the checker runs, none after SIGTERM.
Every wait is bounded; a phase that fails writes its traceback as "error".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import long_connections
import uml_guest as guest

VIP = "10.99.0.100"
PORT = 7000
CHECK_PORT = 7001
SOURCE = "10.99.1.1"
CONNECTIONS = 200
PREEMPT_DELAY = 10     # seconds: the returning lb1 learns the connections first
NODES = {"client": 1, "lb1": 2, "lb2": 3, "rs1": 4, "rs2": 5}
WORK = "/tmp/syncd-uml"
MODULES = ["veth", "bridge", "ip_vs", "ip_vs_rr"]


def ip(name: str) -> str:
    return f"10.99.0.{NODES[name]}"


_generation = {"lb1": 0, "lb2": 0}


def add_node(name: str) -> None:
    """Makes namespace ``name`` with eth0 on the bridge (a new host-side veth name each time:
    a director that "reboots" gets a fresh namespace)."""
    guest.plug(name, f"p{NODES[name]}g{_generation.get(name, 0)}")
    lines = ["link set lo up", f"addr add {ip(name)}/16 dev eth0", "link set eth0 up"]
    if name == "client":
        lines.append(f"addr add {SOURCE}/32 dev eth0")
    elif name.startswith("lb"):
        lines.append(f"route add 10.99.1.0/24 via {ip('client')}")
    else:
        lines.append(f"route add 10.99.1.0/24 via {VIP}")
    guest.ip_batch(name, lines)
    if name.startswith("lb"):
        # A connection is sent at its 3rd packet, then every 10 (kernel default: 50), so
        # that a returning director has all of them well within PREEMPT_DELAY.
        values = {"net.ipv4.ip_forward": 1, "net.ipv4.vs.sync_threshold": "3 10"}
        values.update({f"net.ipv4.conf.{k}.send_redirects": 0
                       for k in ("all", "default", "eth0")})
        guest.sysctl(name, values)
    elif name.startswith("rs"):
        guest.sysctl(name, {f"net.ipv4.conf.{k}.accept_redirects": 0 for k in ("all", "eth0")})


def build_network() -> None:
    guest.build_switch({}, no_dad=False)
    for name in NODES:
        add_node(name)


def remove_node(name: str) -> None:
    """The director's box is gone: its link down first (nothing more leaves it), then its
    namespace."""
    if not os.path.exists(f"/run/netns/{name}"):
        return
    guest.ip_batch(name, ["link set eth0 down"])
    guest.ip_batch(None, [f"netns del {name}"])
    _generation[name] += 1


def fresh_directors() -> None:
    """Both directors as new (up, no connections, no daemon) for the next phase."""
    for name in ("lb1", "lb2"):
        remove_node(name)
        add_node(name)


def spawn(ns: str, argv: list[str], log: str) -> subprocess.Popen:
    with open(os.path.join(WORK, log), "wb") as out, guest.in_netns(ns):
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def wait_until(what: str, predicate, timeout: float, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f}s")
        time.sleep(interval)


class Director:
    def __init__(self, name: str, priority: int, daemon: str, vigild: str):
        self.name, self.priority, self.daemon, self.vigild = name, priority, daemon, vigild
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def config(self, sync: bool | str) -> str:
        base = os.path.join(WORK, self.name)
        extra = ""
        if self.daemon == "vigild":
            extra = f"    vigil_control_socket {base}.ctl\n    vigil_lb_backend ipvs\n"
        if sync:  # True: VI_1 drives the daemons; a string: that lvs_sync_daemon line
            extra += f"    {sync if isinstance(sync, str) else 'lvs_sync_daemon eth0 VI_1'}\n"
        servers = "".join(f"    real_server {ip(rs)} {PORT} {{\n        weight 1\n    }}\n"
                          for rs in ("rs1", "rs2"))
        return (f"global_defs {{\n    router_id {self.name}\n{extra}}}\n" + textwrap.dedent(f"""\
            vrrp_instance VI_1 {{
                state BACKUP
                interface eth0
                virtual_router_id 51
                priority {self.priority}
                advert_int 1
                preempt_delay {PREEMPT_DELAY}
                virtual_ipaddress {{
                    {VIP}/32
                }}
            }}
            virtual_server {VIP} {PORT} {{
                delay_loop 1
                lb_algo rr
                lb_kind NAT
                protocol TCP
            """) + servers + "}\n")

    def start(self, sync: bool | str) -> None:
        self.starts += 1
        base = os.path.join(WORK, f"{self.name}-{self.daemon}")
        conf = f"{base}.conf"
        with open(conf, "w") as f:
            f.write(self.config(sync))
        binary = self.vigild if self.daemon == "vigild" else "keepalived"
        argv = [binary, "-n", "-l", "-D", "-f", conf, "-p", f"{base}.pid", "-r",
                f"{base}-vrrp.pid", "-c", f"{base}-check.pid"]
        if self.daemon == "vigild":
            argv += ["-b", f"{base}-bfd.pid"]
        self.proc = spawn(self.name, argv, f"{self.name}-{self.daemon}-{self.starts}.log")

    def kill(self) -> None:
        """SIGKILL to the daemon and every process it started (its process group)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> int | None:
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
            return None

    def has_vip(self) -> bool:
        return f" {VIP}/32 " in guest.run(self.name, ["ip", "-o", "-4", "addr", "show", "eth0"])

    def state(self) -> str:
        if self.daemon != "vigild":  # keepalived: as far as the VIP tells
            return "MASTER" if self.has_vip() else "BACKUP"
        vigilctl = os.path.join(os.path.dirname(self.vigild), "vigilctl")
        with guest.in_netns(self.name):
            p = subprocess.run([vigilctl, "-s", os.path.join(WORK, f"{self.name}.ctl"),
                                "--json", "instances"], capture_output=True, text=True,
                               timeout=20)
        try:
            return {i["name"]: i["state"] for i in json.loads(p.stdout)["instances"]}["VI_1"]
        except (ValueError, KeyError):
            return "?"

    def daemons(self) -> list[str]:
        """``ipvsadm -L --daemon``, one daemon a line."""
        out = guest.run(self.name, ["ipvsadm", "-L", "--daemon"])
        return sorted(line.strip() for line in out.splitlines() if line.strip())

    def connections(self) -> int:
        """The director's IPVS connections to the VIP's port that are ESTABLISHED."""
        out = guest.run(self.name, ["ipvsadm", "-Lnc"])
        return sum(1 for line in out.splitlines()
                   if "ESTABLISHED" in line and f"{VIP}:{PORT}" in line)

    def log(self) -> str:
        """The end of the daemon's last log (keepalived -l writes to the UML console)."""
        path = os.path.join(WORK, f"{self.name}-{self.daemon}-{self.starts}.log")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""


class ClientNode:
    """The client namespace as long_connections.LongConnections starts its client there."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None

    def spawn(self, argv: list[str], log_name: str) -> subprocess.Popen:
        self.proc = spawn("client", argv, log_name)
        return self.proc

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


class Client(long_connections.LongConnections):
    def __init__(self):
        self.client_node = ClientNode()
        super().__init__(self.client_node, WORK, VIP, PORT, CONNECTIONS, SOURCE)

    def start(self) -> None:
        if os.path.exists(self.status_path):
            os.unlink(self.status_path)
        super().start()

    def stop(self) -> None:
        self.client_node.stop()


def start_pair(lb1: Director, lb2: Director, sync: bool) -> None:
    """lb1 first (MASTER once its master-down timer ends), then lb2 (BACKUP)."""
    lb1.start(sync)
    wait_until("lb1 MASTER with the VIP", lb1.has_vip, 30)
    lb2.start(sync)
    if sync:
        wait_until("lb2's backup daemon", lambda: lb2.daemons() == [
            d.replace("master", "backup") for d in lb1.daemons() if "master" in d], 20)
    wait_until("lb2 BACKUP", lambda: lb2.state() == "BACKUP", 20)


def establish(client: Client, lb1: Director, lb2: Director, sync: bool) -> None:
    start_pair(lb1, lb2, sync)
    client.start()
    t0 = time.monotonic()
    wait_until(f"{CONNECTIONS} connections exchanging",
               lambda: client.exchanging_since(t0) == CONNECTIONS, 40)
    if sync:
        # The kernel sends a connection at its sync_threshold-th packet (3 by default).
        wait_until("lb2 has every connection", lambda: lb2.connections() == CONNECTIONS, 30)


def sync_phase(vigild: str, out: dict, daemon: str = "vigild") -> None:
    fresh_directors()
    lb1, lb2 = Director("lb1", 150, daemon, vigild), Director("lb2", 100, daemon, vigild)
    client = Client()
    try:
        establish(client, lb1, lb2, sync=True)
        out["daemons_master"], out["daemons_backup"] = lb1.daemons(), lb2.daemons()
        out["lb1_connections"] = lb1.connections()
        out["lb2_connections_before"] = lb2.connections()

        lb1.kill()                  # every process of vigild, then the box goes
        remove_node("lb1")
        t_dead = time.monotonic()
        wait_until("lb2 MASTER", lambda: lb2.state() == "MASTER", 15)
        out["takeover_seconds"] = round(time.monotonic() - t_dead, 2)
        wait_until("every connection exchanging through lb2",
                   lambda: client.exchanging_since(t_dead) == CONNECTIONS
                   or len(client.errors()) == CONNECTIONS, 40)
        t_over = time.monotonic()
        out["failover_exchanging"] = client.exchanging_since(t_dead)
        out["failover_errors"] = client.errors()[:5]
        out["daemons_new_master"] = lb2.daemons()
        out["failover_gaps"] = client.gaps_between(t_dead, t_over)

        # lb1 comes back as from a reboot: a fresh namespace, vigild started again.
        add_node("lb1")
        t_back = time.monotonic()
        lb1.start(sync=True)
        # The new master sends each connection again every 10 packets (sync_threshold):
        # lb1 has all of them well within PREEMPT_DELAY, still BACKUP.
        wait_until("lb1 learning the connections",
                   lambda: lb1.connections() == CONNECTIONS, PREEMPT_DELAY + 20)
        out["lb1_learned_after"] = round(time.monotonic() - t_back, 2)
        out["lb1_learned_state"] = lb1.state()
        out["daemons_returning"] = lb1.daemons()
        wait_until("lb1 MASTER again, lb2 BACKUP",
                   lambda: lb1.state() == "MASTER" and lb2.state() == "BACKUP",
                   PREEMPT_DELAY + 20)
        t_master = time.monotonic()
        out["failback_seconds"] = round(t_master - t_back, 2)
        out["daemons_back_master"], out["daemons_back_backup"] = lb1.daemons(), lb2.daemons()
        # Only lb1 is left to carry them.
        guest.ip_batch("lb2", ["link set eth0 down"])
        t_gone = time.monotonic()
        wait_until("every connection exchanging through lb1",
                   lambda: client.exchanging_since(t_gone) == CONNECTIONS
                   or len(client.errors()) == CONNECTIONS, 40)
        out["failback_exchanging"] = client.exchanging_since(t_gone)
        out["failback_errors"] = client.errors()[:5]
        out["failback_gaps"] = client.gaps_between(t_back, time.monotonic())
        # Where the failback gaps start: seconds after lb1 was seen MASTER / lb2's link down.
        starts = sorted(begin for _, _, _, gaps in client.conns() for begin, _ in gaps
                        if begin > t_back)
        out["failback_gap_starts"] = [round(starts[len(starts) // 2] - t, 2) if starts
                                      else None for t in (t_master, t_gone)]
        out["errors"] = len(client.errors())
        # SIGTERM: vigild stops the daemons it started.
        out["lb1_exit"] = lb1.stop()
        out["daemons_after_stop"] = lb1.daemons()
    finally:
        client.stop()
        out["lb1_log"], out["lb2_log"] = lb1.log(), lb2.log()
        lb1.stop()
        lb2.stop()


def keepalived_phase(vigild: str, out: dict) -> None:
    """keepalived's daemons in the same set-up (no traffic)."""
    fresh_directors()
    lb1, lb2 = (Director("lb1", 150, "keepalived", vigild),
                Director("lb2", 100, "keepalived", vigild))
    try:
        start_pair(lb1, lb2, sync=True)
        out["daemons_master"], out["daemons_backup"] = lb1.daemons(), lb2.daemons()
        lb1.stop()
        wait_until("keepalived: lb2 with the VIP", lb2.has_vip, 15)
        wait_until("keepalived: lb2's master daemon",
                   lambda: any("master" in d for d in lb2.daemons()), 10)
        out["daemons_new_master"] = lb2.daemons()
        lb2.stop()
        out["daemons_after_stop"] = lb2.daemons()
    finally:
        out["lb1_log"], out["lb2_log"] = lb1.log(), lb2.log()
        lb1.stop()
        lb2.stop()


def control_phase(vigild: str, out: dict) -> None:
    fresh_directors()
    lb1, lb2 = Director("lb1", 150, "vigild", vigild), Director("lb2", 100, "vigild", vigild)
    client = Client()
    try:
        establish(client, lb1, lb2, sync=False)
        out["daemons_master"], out["daemons_backup"] = lb1.daemons(), lb2.daemons()
        out["lb2_connections_before"] = lb2.connections()
        lb1.kill()
        remove_node("lb1")
        t_dead = time.monotonic()
        wait_until("lb2 MASTER", lambda: lb2.state() == "MASTER", 15)
        # lb2 has no entry for them: it answers their next packet with a reset. A connection
        # whose packets were lost while no director answered sends its next one after its
        # retransmission timeout, doubled at each loss: under load that can be 20 s away.
        try:
            wait_until("every connection broken", lambda: len(client.errors()) == CONNECTIONS,
                       60)
        except TimeoutError:
            pass
        out["exchanging"] = client.exchanging_since(t_dead + 1)
        out["errors"] = len(client.errors())
        out["error_sample"] = client.errors()[:3]
    finally:
        client.stop()
        out["lb1_log"], out["lb2_log"] = lb1.log(), lb2.log()
        lb1.stop()
        lb2.stop()


def checker_form_phase(vigild: str, out: dict) -> None:
    """`lvs_sync_daemon eth0 id 5` (no instance): the checker runs both daemons, vigild and
    keepalived alike, and stops them when it stops."""
    fresh_directors()
    for daemon in ("vigild", "keepalived"):
        lb = Director("lb1", 150, daemon, vigild)
        try:
            lb.start("lvs_sync_daemon eth0 id 5")
            out[f"{daemon}_daemons"] = wait_until(f"{daemon}: both daemons",
                                                  lambda: len(lb.daemons()) == 2
                                                  and lb.daemons(), 20)
            out[f"{daemon}_exit"] = lb.stop()
            out[f"{daemon}_after_stop"] = lb.daemons()
        finally:
            out[f"{daemon}_log"] = lb.log()
            lb.stop()


PHASES = {"sync": sync_phase, "keepalived": keepalived_phase, "control": control_phase,
          "checker_form": checker_form_phase,
          # bench/ipvs_syncd_uml.py: keepalived under the same connections
          "keepalived_sync": lambda vigild, out: sync_phase(vigild, out, "keepalived")}
DEFAULT = ("sync", "keepalived", "control", "checker_form")


def main() -> int:
    args = guest.parse_args()
    started = time.monotonic()
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "server.py"), "w") as f:
        f.write(long_connections.SERVER)
    build_network()
    for rs in ("rs1", "rs2"):
        spawn(rs, [sys.executable, os.path.join(WORK, "server.py"), str(PORT),
                   str(CHECK_PORT)], f"{rs}-server.log")
    for rs in ("rs1", "rs2"):
        wait_until(f"echo server on {rs}", lambda rs=rs: f":{PORT} " in guest.run(
            rs, ["ss", "-Htln"]), 20)
    print(f"driver: network ready in {time.monotonic() - started:.1f}s", flush=True)
    guest.run_cases({n: PHASES[n] for n in guest.chosen(PHASES, args.only, DEFAULT)}, args)
    print(f"driver: done in {time.monotonic() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
