"""The daemon as operators run it: two load balancers with VRRP and a virtual server.

Topology (one bridge, 10.99.0.0/16), as demo/demo.py:

    client (10.99.0.1)   lb1 (10.99.0.2, priority 150)   lb2 (10.99.0.3, priority 100)
    web1..webN (10.99.0.4...): HTTP on :8080, routing the client through the VIP (NAT)

Each load balancer runs a full vigild (supervisor + VRRP engine + checker/LB engine with
nftables), with its control socket, metrics endpoint, dump files and pid files in the lab's
work directory. Helpers here observe what an operator would: addresses, nftables rules,
packets on the bridge, the control socket, the metrics endpoint and the log.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import textwrap
import time
from dataclasses import dataclass, field

import lab as lablib

VIP = "10.99.0.100"
VIP2 = "10.99.0.101"
WEB_PORT = 8080
METRICS_PORT = 9101
PYTHON = lablib.PYTHON
NFT = lablib.NFT
IP = lablib.IP

WEB = textwrap.dedent("""\
    import http.server, sys
    name = sys.argv[1].encode()
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(name)))
            self.end_headers()
            self.wfile.write(name)
        def log_message(self, *a):
            pass
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[2])), H).serve_forever()
    """)

# Continuous traffic from the client: HTTP requests to VIP:80 back to back (each on a new
# connection, 2 s timeout) and ICMP echoes to every ping target every 10 ms. On SIGTERM it
# writes a JSON summary to the output file and exits.
TRAFFIC = textwrap.dedent("""\
    import http.client, json, os, select, signal, socket, struct, sys, threading, time
    vip, out_path = sys.argv[1], sys.argv[2]
    targets = sys.argv[3:]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    http_ok, http_fail, answers = 0, [], {}

    def http_loop():
        global http_ok
        while not stop.is_set():
            t = time.monotonic()
            try:
                c = http.client.HTTPConnection(vip, 80, timeout=2)
                c.request("GET", "/")
                body = c.getresponse().read().decode()
                c.close()
                http_ok += 1
                answers[body] = answers.get(body, 0) + 1
            except Exception as e:
                http_fail.append([round(t, 3), type(e).__name__])
            time.sleep(0.005)

    def csum(d):
        s = sum(int.from_bytes(d[i:i + 2], "big") for i in range(0, len(d), 2))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF

    sent = {a: {} for a in targets}
    got = {a: set() for a in targets}
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF

    def ping_send():
        seq = 0
        while not stop.is_set():
            seq = (seq + 1) & 0xFFFF
            for i, a in enumerate(targets):
                hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
                payload = bytes([i]) + b"vigil"
                hdr = struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq)
                sent[a][seq] = time.monotonic()
                try:
                    sock.sendto(hdr + payload, (a, 0))
                except OSError:
                    pass
            time.sleep(0.01)

    def ping_recv():
        while not stop.is_set():
            if not select.select([sock], [], [], 0.1)[0]:
                continue
            data, src = sock.recvfrom(2048)
            data = data[(data[0] & 0x0F) * 4:]
            if len(data) < 9:
                continue
            t, _, _, rid, rseq = struct.unpack("!BBHHH", data[:8])
            if t == 0 and rid == ident and src[0] in got:
                got[src[0]].add(rseq)

    threads = [threading.Thread(target=f, daemon=True) for f in (http_loop, ping_send, ping_recv)]
    for th in threads:
        th.start()
    while not stop.is_set():
        stop.wait(0.2)
    end = time.monotonic()
    time.sleep(0.3)
    lost = {}
    total = {}
    for a in targets:
        # Echoes sent in the last 0.5 s may still be on their way: not counted.
        seqs = [s for s, t in sent[a].items() if t < end - 0.5]
        total[a] = len(seqs)
        lost[a] = sorted(round(sent[a][s], 3) for s in seqs if s not in got[a])
    with open(out_path, "w") as f:
        json.dump({"http_ok": http_ok, "http_fail": http_fail, "answers": answers,
                   "pings": total, "lost": lost}, f)
    """)


@dataclass
class Instance:
    """One vrrp_instance as both load balancers configure it."""

    name: str
    vrid: int
    vips: list[str]
    priorities: tuple[int, int] = (150, 100)
    extra: str = ""

    def render(self, lb_index: int) -> str:
        vips = "\n".join(f"        {v}/16" for v in self.vips)
        extra = textwrap.indent(self.extra, "    ") if self.extra else ""
        return (f"vrrp_instance {self.name} {{\n"
                f"    state BACKUP\n    interface eth0\n    virtual_router_id {self.vrid}\n"
                f"    priority {self.priorities[lb_index]}\n    advert_int 1\n"
                f"    garp_master_delay 0\n"
                f"{extra}"
                f"    virtual_ipaddress {{\n{vips}\n    }}\n}}\n")


@dataclass
class Setup:
    """What both vigild configurations hold."""

    instances: list[Instance] = field(default_factory=lambda: [Instance("VI_1", 51, [VIP])])
    # web short name -> weight
    servers: dict[str, int] = field(default_factory=lambda: {"web1": 1, "web2": 1})
    algo: str = "wrr"
    global_extra: str = ""
    extra: str = ""  # appended to the file as it is (scripts, more virtual servers)


class Daemon:
    """One vigild on a load balancer node."""

    def __init__(self, ha: "HaLab", node: lablib.Node, index: int):
        self.ha = ha
        self.node = node
        self.index = index
        self.name = node.short
        w = ha.work
        self.conf = os.path.join(w, f"{self.name}.conf")
        self.ctl = os.path.join(w, f"{self.name}.ctl")
        self.pid_file = os.path.join(w, f"{self.name}.pid")
        self.vrrp_pid_file = os.path.join(w, f"{self.name}-vrrp.pid")
        self.check_pid_file = os.path.join(w, f"{self.name}-check.pid")
        # Dumps go to $TMPDIR (as keepalived's): a directory of this daemon's own.
        self.tmpdir = os.path.join(w, f"{self.name}-tmp")
        os.makedirs(self.tmpdir, exist_ok=True)
        self.data_file = os.path.join(self.tmpdir, "keepalived.data")
        self.stats_file = os.path.join(self.tmpdir, "keepalived.stats")
        self.json_file = os.path.join(self.tmpdir, "keepalived.json")
        self.proc: subprocess.Popen | None = None
        self.log_name = f"{self.name}-vigild.log"

    # -- configuration ------------------------------------------------------------------

    def render(self, setup: Setup) -> str:
        ha = self.ha
        glob = textwrap.dedent(f"""\
            global_defs {{
                router_id {self.name}
                enable_script_security
                script_user root
                vigil_control_socket {self.ctl}
                vigil_lb_backend nftables
                vigil_metrics_listen 127.0.0.1:{METRICS_PORT}
            """) + textwrap.indent(setup.global_extra, "    ") + "}\n\n"
        body = "".join(i.render(self.index) for i in setup.instances)
        servers = ""
        for web, weight in setup.servers.items():
            servers += (f"    real_server {ha.web[web].ipv4} {WEB_PORT} {{\n"
                        f"        weight {weight}\n"
                        f"        TCP_CHECK {{\n            connect_timeout 1\n        }}\n"
                        f"    }}\n")
        vs = (f"virtual_server {VIP} 80 {{\n    delay_loop 1\n    lb_algo {setup.algo}\n"
              f"    lb_kind NAT\n    protocol TCP\n{servers}}}\n")
        return glob + body + "\n" + vs + setup.extra

    def write(self, setup: Setup | str) -> None:
        text = setup if isinstance(setup, str) else self.render(setup)
        with open(self.conf, "w") as f:
            f.write(text)

    # -- process ------------------------------------------------------------------------

    def argv(self, *extra: str) -> list[str]:
        return [self.ha.vigild, "-n", "-l", "-D", "-f", self.conf, "-p", self.pid_file,
                "-r", self.vrrp_pid_file, "-c", self.check_pid_file, *extra]

    def start(self, *extra: str, env: dict | None = None) -> None:
        full_env = {**os.environ, "TMPDIR": self.tmpdir, **(env or {})}
        self.proc = self.node.spawn(self.argv(*extra), log_name=self.log_name, env=full_env)
        lablib.wait_until(lambda: os.path.exists(self.ctl) or self.proc.poll() is not None,
                          timeout=10, message=f"{self.name}'s control socket")
        assert self.proc.poll() is None, f"vigild on {self.name} exited:\n{self.log()}"

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def log(self) -> str:
        path = os.path.join(self.ha.work, self.log_name)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def engine_pid(self, engine: str) -> int:
        path = self.vrrp_pid_file if engine == "vrrp" else self.check_pid_file
        with open(path) as f:
            return int(f.read().strip())

    # -- control socket and metrics -----------------------------------------------------

    def ctl_run(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
        return self.node.run([self.ha.vigilctl, "-s", self.ctl, *args], check=False,
                             timeout=timeout)

    def ctl_json(self, command: str) -> dict:
        proc = self.ctl_run("--json", command)
        return json.loads(proc.stdout)

    def status(self) -> dict:
        return self.ctl_json("status")["status"]

    def instances(self) -> dict[str, dict]:
        return {i["name"]: i for i in self.ctl_json("instances")["instances"]}

    def state(self, instance: str = "VI_1") -> str:
        try:
            return self.instances()[instance]["state"]
        except (KeyError, ValueError):
            return "?"

    def reload(self) -> dict:
        """`vigilctl --json reload`: the answer as JSON."""
        proc = self.ctl_run("--json", "reload", "-t", "30000", timeout=40)
        return json.loads(proc.stdout)

    def metrics(self) -> str:
        return self.node.run(["curl", "-sf", "--max-time", "5",
                              f"http://127.0.0.1:{METRICS_PORT}/metrics"]).stdout

    # -- kernel state -------------------------------------------------------------------

    def vips(self) -> list[str]:
        return [a for a in self.node.addresses("eth0", "inet") if a != self.node.ipv4]

    def dst_rules(self) -> dict[str, tuple[int, int]]:
        """{"addr:port": (weight, rule handle)} of the destination rules in table inet vigil."""
        proc = self.node.run([NFT, "-j", "-a", "list", "table", "inet", "vigil"], check=False)
        if proc.returncode != 0:
            return {}
        return lablib.vigil_destinations(json.loads(proc.stdout).get("nftables", []))

    def pool(self) -> dict[str, int]:
        """{"addr:port": weight} of the destinations the selector can pick (weight > 0)."""
        return {k: w for k, (w, _) in self.dst_rules().items() if w > 0}

    def nft_table_exists(self) -> bool:
        return "vigil" in self.node.run([NFT, "list", "tables"]).stdout


class AddressWatch:
    """`ip monitor address` in a namespace, for the deletions of given addresses."""

    def __init__(self, node: lablib.Node):
        self.proc = node.spawn([IP, "-ts", "monitor", "address"],
                               log_name=f"{node.short}-ipmon-{time.monotonic_ns()}.log")
        self.path = self.proc.log_path  # type: ignore[attr-defined]
        time.sleep(0.3)  # the monitor subscribes before the first event we care about

    def lines(self) -> list[str]:
        with open(self.path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()

    def deleted(self, address: str) -> list[str]:
        return [ln for ln in self.lines() if "Deleted" in ln and f" {address}/" in ln]

    def added(self, address: str) -> list[str]:
        return [ln for ln in self.lines() if "Deleted" not in ln and f" {address}/" in ln]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=5)


class Traffic:
    """The client's continuous HTTP and ping traffic; ``stop()`` returns its summary."""

    def __init__(self, ha: "HaLab", ping_targets: list[str]):
        self.out = os.path.join(ha.work, f"traffic-{time.monotonic_ns()}.json")
        self.proc = ha.client.spawn([PYTHON, ha.traffic_py, VIP, self.out, *ping_targets],
                                    log_name=os.path.basename(self.out) + ".log")
        time.sleep(0.5)

    def stop(self) -> dict:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=15)
        with open(self.out) as f:
            return json.load(f)


class HaLab:
    """client, lb1, lb2, web1..webN; vigild on both load balancers."""

    def __init__(self, lab: lablib.Lab, vigild: str, webs: int = 3):
        self.lab = lab
        self.vigild = vigild
        self.vigilctl = os.path.join(os.path.dirname(vigild), "vigilctl")
        self.work = lab.workdir
        self.client = lab.add_node("client")
        self.lbs = [lab.add_node("lb1"), lab.add_node("lb2")]
        self.web = {f"web{i + 1}": lab.add_node(f"web{i + 1}") for i in range(webs)}
        self.traffic_py = os.path.join(self.work, "traffic.py")
        web_py = os.path.join(self.work, "web.py")
        for path, text in ((self.traffic_py, TRAFFIC), (web_py, WEB)):
            with open(path, "w") as f:
                f.write(text)
        for lb in self.lbs:
            lb.sysctl("net.ipv4.ip_forward", 1)
            for key in ("all", "default", "eth0"):
                lb.sysctl(f"net.ipv4.conf.{key}.send_redirects", 0)
        for name, web in self.web.items():
            web.run([IP, "route", "add", f"{self.client.ipv4}/32", "via", VIP])
            web.spawn([PYTHON, web_py, name, str(WEB_PORT)], log_name=f"{name}-http.log")
        for name, web in self.web.items():
            lablib.wait_until(
                lambda: web.run(["ss", "-Htln", f"sport = :{WEB_PORT}"]).stdout.strip(),
                timeout=10, message=f"http server on {name}")
        self.daemons = [Daemon(self, lb, i) for i, lb in enumerate(self.lbs)]

    def dest(self, web: str) -> str:
        return f"{self.web[web].ipv4}:{WEB_PORT}"

    def start(self, setup: Setup, *extra: str) -> None:
        for d in self.daemons:
            d.write(setup)
            d.start(*extra)

    def write(self, setup: Setup) -> None:
        for d in self.daemons:
            d.write(setup)

    def wait_converged(self, setup: Setup, timeout: float = 15) -> None:
        """Waits until lb1 is MASTER and lb2 BACKUP of every instance, the VIPs sit on lb1
        only, and both pools hold every configured server with its weight."""
        lb1, lb2 = self.daemons
        want_vips = sorted(v for i in setup.instances for v in i.vips)
        pool = {self.dest(w): wt for w, wt in setup.servers.items()}

        def ok():
            i1, i2 = lb1.instances(), lb2.instances()
            return (all(i1.get(i.name, {}).get("state") == "MASTER" and
                        i2.get(i.name, {}).get("state") == "BACKUP" for i in setup.instances)
                    and sorted(lb1.vips()) == want_vips and lb2.vips() == []
                    and lb1.pool() == pool and lb2.pool() == pool)

        lablib.wait_until(ok, timeout=timeout, interval=0.2,
                          message=f"convergence (lb1 {lb1.instances()} {lb1.vips()} "
                                  f"{lb1.pool()}; lb2 {lb2.instances()} {lb2.vips()})")

    def start_lb1(self, setup: Setup | None = None, *extra: str) -> Daemon:
        """Starts vigild on lb1 alone (default Setup, vigild options `extra`) and waits until
        it is MASTER with its VIP and every configured server in its pool."""
        d = self.daemons[0]
        setup = setup or Setup()
        d.write(setup)
        d.start(*extra)
        pool = {self.dest(w): wt for w, wt in setup.servers.items()}
        lablib.wait_until(lambda: d.state() == "MASTER" and d.vips() == [VIP] and
                          d.pool() == pool, timeout=15, message="lb1 master with its pool")
        return d

    def stop(self) -> None:
        for d in self.daemons:
            if d.proc is not None and d.proc.poll() is None:
                try:
                    d.stop(timeout=10)
                except Exception:  # noqa: BLE001 - the lab kills it anyway
                    pass


def vigild_path() -> str | None:
    """The vigild under $VIGIL_BUILD, or None (with the reason printed by the caller)."""
    build = os.environ.get("VIGIL_BUILD")
    if not build:
        return None
    path = os.path.join(build, "apps", "vigild")
    return path if os.access(path, os.X_OK) else None


@contextlib.contextmanager
def module_lab(webs: int = 3):
    """A Lab and an HaLab for a whole test module (skips without root or $VIGIL_BUILD)."""
    import pytest

    ok, why = lablib.netns_usable()
    if not ok:
        pytest.skip(why)
    vigild = vigild_path()
    if vigild is None:
        pytest.skip("set VIGIL_BUILD to a build directory holding apps/vigild")
    lab = lablib.Lab()
    try:
        lab.start()
        ha = HaLab(lab, vigild, webs=webs)
        try:
            yield ha
        finally:
            ha.stop()
    finally:
        lab.close()


def garps(packets: list[dict], address: str) -> list[dict]:
    """The gratuitous ARPs (sender and target protocol address both `address`)."""
    out = []
    for p in packets:
        arp = lablib.layer(p, "arp")
        if arp and arp.get("arp.src.proto_ipv4") == address and \
                arp.get("arp.dst.proto_ipv4") == address:
            out.append(p)
    return out


def vrrp_adverts(packets: list[dict], source: str) -> list[tuple[float, int]]:
    """(capture time, priority) of the VRRP adverts from `source`."""
    out = []
    for p in packets:
        ip = lablib.layer(p, "ip")
        vrrp = lablib.layer(p, "vrrp")
        if not ip or not vrrp or ip.get("ip.src") != source:
            continue
        frame = lablib.layer(p, "frame")
        out.append((float(frame["frame.time_epoch"]), int(vrrp["vrrp.prio"])))
    return out
