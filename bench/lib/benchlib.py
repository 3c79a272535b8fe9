"""Shared helpers for the benchmarks in bench/: paths, daemons in lab namespaces, statistics
and the figure tables. Never asserts on time: benchmarks print, they do not judge.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "lab"))

import lab as lablib  # noqa: E402  (path set above)

IP = lablib.IP
NFT = lablib.NFT
PYTHON = lablib.PYTHON
KEEPALIVED = "/usr/sbin/keepalived"
HAPROXY = "/usr/sbin/haproxy"
TASKSET = "/usr/bin/taskset" if os.path.exists("/usr/bin/taskset") else "taskset"
CHRT = "/usr/bin/chrt" if os.path.exists("/usr/bin/chrt") else "chrt"


def build_dir() -> Path:
    return Path(os.environ.get("VIGIL_BUILD", ROOT / "build" / "release"))


def vigild_path() -> str:
    return str(build_dir() / "apps" / "vigild")


def bench_binary(name: str) -> str:
    """Returns the path of bench/<name>.cc's executable (bench_<name>) in the build dir."""
    return str(build_dir() / "bench" / f"bench_{name}")


def need_root() -> bool:
    ok, why = lablib.netns_usable()
    if not ok:
        print(f"skipped: {why}")
    return ok


def have(path: str) -> bool:
    return os.path.exists(path) and os.access(path, os.X_OK)


# -- daemons ------------------------------------------------------------------------------

class Daemon:
    """vigild or keepalived running in one lab namespace, with its own pid files and control
    socket under the lab's work directory (never the host's /run defaults)."""

    def __init__(self, node, kind: str, conf_text: str, tag: str, extra_args=(),
                 cpu: int | None = None):
        self.node = node
        self.kind = kind  # "vigil" or "keepalived"
        self.tag = tag
        self.work = node.lab.workdir
        self.conf = os.path.join(self.work, f"{tag}.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.extra_args = list(extra_args)
        self.cpu = cpu  # pin the daemon (and so every process it forks) to this CPU
        self.proc = None

    def pid_files(self) -> list[str]:
        return [os.path.join(self.work, f"{self.tag}.{s}.pid") for s in ("main", "vrrp", "check")]

    def argv(self) -> list[str]:
        main, vrrp, check = self.pid_files()
        if self.kind == "vigil":
            exe = vigild_path()
        else:
            exe = KEEPALIVED
        return pinned([exe, "-n", "-l", "-f", self.conf, "-p", main, "-r", vrrp, "-c", check,
                       *self.extra_args], self.cpu)

    def start(self) -> None:
        for p in self.pid_files():
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        self.proc = self.node.spawn(self.argv(), log_name=f"{self.tag}.log")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            with open(self.proc.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def wait_exit(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_namespace(self.node, signal.SIGKILL)
            self.proc.wait(timeout=5)


def pinned(argv: list[str], cpu: int | None) -> list[str]:
    """Returns `argv` run on CPU `cpu` only (taskset, which execs it: the pid stays the
    program's, and its children inherit the affinity); `argv` itself for None."""
    return list(argv) if cpu is None else [TASKSET, "-c", str(cpu), *argv]


def namespace_pids(ns) -> list[int]:
    """Returns the processes in namespace `ns` (asked from the host's namespace)."""
    out = subprocess.run([IP, "netns", "pids", ns.name], capture_output=True, text=True,
                         timeout=10).stdout
    return [int(w) for w in out.split() if w.isdigit()]


def kill_namespace(ns, sig: int, pids: list[int] | None = None) -> float:
    """Sends `sig` to every process in namespace `ns` (or `pids`); returns the monotonic time
    taken just before the first signal.

    For SIGKILL every process is stopped (SIGSTOP) first and killed only then: killing a
    daemon's parent before its children lets the children's PR_SET_PDEATHSIG SIGTERM (vigild
    and keepalived both set it) reach a child that is still running if this process is
    preempted between two kill() calls; that child would then shut down gracefully (a VRRP
    priority-0 advert), which is not what a crash of the whole daemon looks like."""
    pids = namespace_pids(ns) if pids is None else pids
    t = time.monotonic()
    steps = [signal.SIGSTOP, signal.SIGKILL] if sig == signal.SIGKILL else [sig]
    for s in steps:
        for p in pids:
            try:
                os.kill(p, s)
            except ProcessLookupError:
                pass
    return t


def proc_cpu_split(pid: int) -> tuple[float, float]:
    """Returns (utime, stime) of process `pid` in seconds (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    tck = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tck, int(fields[12]) / tck  # fields 14 and 15


def proc_cpu_seconds(pid: int) -> float:
    """Returns utime+stime of process `pid` in seconds (from /proc/PID/stat)."""
    user, system = proc_cpu_split(pid)
    return user + system


def cpu_softirq_seconds(cpu: int) -> float:
    """Returns the time CPU `cpu` has spent in softirq since boot, in seconds (the softirq
    column of its line in /proc/stat, USER_HZ ticks)."""
    with open("/proc/stat") as f:
        for line in f:
            fields = line.split()
            if fields[0] == f"cpu{cpu}":
                return int(fields[7]) / os.sysconf("SC_CLK_TCK")
    raise LookupError(f"no cpu{cpu} in /proc/stat")


def softirq_counts(name: str) -> list[int]:
    """Returns the per-CPU counts of softirq `name` ("NET_RX", ...) from /proc/softirqs."""
    with open("/proc/softirqs") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key.strip() == name:
                return [int(w) for w in rest.split()]
    raise LookupError(f"no {name} in /proc/softirqs")


def children_of(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                text = f.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(d))
    return out


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = children_of(p)
        out += kids
        todo += kids
    return out


def proc_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


# -- statistics and tables -----------------------------------------------------------------

def quantile(values, q: float) -> float:
    """Returns the q-quantile (0..1) by nearest rank; nan for no values."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(q * len(v) + 0.5)) - 1))
    return v[k]


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_ms(x: float | None, digits: int = 1) -> str:
    if x is None or x != x:
        return "n/a"
    return f"{x * 1000:.{digits}f}"


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    sys.stdout.flush()


# -- health-check load: many real servers, one sink -----------------------------------------
#
# Two set-ups. "loopback": the servers are 127.1.x.y in the checker's own namespace (every
# 127/8 address reaches lo). "link": the servers are LINK_SERVERS onwards in a namespace of
# their own, made local there by an AnyIP route and reached from the checker's namespace
# over a veth pair (link_real_servers). The virtual servers are 10.200.x.y in both.

SINK_PORT = 9000
LOOPBACK_SERVERS = "127.1.0.0"
LINK_SERVERS = "10.201.0.0"
LINK_SERVERS_NET = "10.201.0.0/16"  # the AnyIP range: room for 65,536 servers
LINK_DEV = "link0"  # the veth end in each of the two namespaces
LINK_LB_ADDRESS = "10.98.0.1"
LINK_RS_ADDRESS = "10.98.0.2"


def real_address(n: int, base: str = LOOPBACK_SERVERS) -> str:
    """The n-th real server's address: `base` + n (127.1.0.0 onwards by default)."""
    return str(ipaddress.IPv4Address(base) + n)


def tune_tcp(node) -> None:
    """Widens the local port range and the listen/SYN backlogs in `node` for thousands of
    connections a second."""
    node.sysctl("net.ipv4.ip_local_port_range", "10000 65000")
    node.sysctl("net.ipv4.tcp_tw_reuse", 1)
    node.sysctl("net.core.somaxconn", 65535)
    node.sysctl("net.ipv4.tcp_max_syn_backlog", 65535)


def untrack(node, devs=("lo",)) -> None:
    """Keeps connection tracking off `devs` in `node` (nftables NAT would otherwise track
    every probe connection and fill the conntrack table at thousands of connections a
    second)."""
    pre = "".join(f" iif {d} notrack;" for d in devs)
    out = "".join(f" oif {d} notrack;" for d in devs)
    node.run([NFT, "-f", "-"], input_text=(
        "table inet bench_raw {\n"
        f"  chain pre {{ type filter hook prerouting priority raw;{pre} }}\n"
        f"  chain out {{ type filter hook output priority raw;{out} }}\n"
        "}\n"))


def untrack_loopback(node) -> None:
    """Keeps connection tracking off lo in `node` and tunes its TCP (tune_tcp)."""
    untrack(node, ["lo"])
    tune_tcp(node)


def steer_receive(node, dev: str, cpu: int) -> None:
    """Sends the receive processing of every rx queue of `dev` in `node` to CPU `cpu` (RPS),
    as a NIC's interrupt would run it away from the process that sent the traffic. Written
    from inside the namespace: `ip netns exec` mounts that namespace's /sys."""
    node.run(["/bin/sh", "-c", f"for q in /sys/class/net/{dev}/queues/rx-*; do "
              f"echo {1 << cpu:x} > $q/rps_cpus || exit 1; done"])


@dataclass
class ServerLink:
    """The "link" set-up: the checker's node `lb`, the real servers' node `rs`, each with
    its end of the veth pair named LINK_DEV."""
    lb: lablib.Node
    rs: lablib.Node
    dev: str = LINK_DEV


def link_real_servers(lab, rx_cpu: int | None) -> ServerLink:
    """Adds nodes "lb" and "rs" to `lab`, joined by a veth pair of their own (LINK_DEV in
    each; their bridge ports stay idle): every address of LINK_SERVERS_NET is local in rs
    (an AnyIP route on lo, so the sink on 0.0.0.0 answers them all) and routed there from
    lb. Connection tracking is off on the pair and on lo in both, both have tune_tcp, and
    with `rx_cpu` the receive side of both ends is steered to that CPU (steer_receive)."""
    lb = lab.add_node("lb")
    rs = lab.add_node("rs")
    # As add_node does: made inside one lab namespace, the peer moved straight into the
    # other, so no interface ever exists in the host's namespace.
    lb.run([IP, "link", "add", LINK_DEV, "type", "veth", "peer", "name", LINK_DEV,
            "netns", rs.name])
    for node, addr in ((lb, LINK_LB_ADDRESS), (rs, LINK_RS_ADDRESS)):
        node.run([IP, "addr", "add", f"{addr}/30", "dev", LINK_DEV])
        node.link_set(LINK_DEV, True)
        untrack(node, ["lo", LINK_DEV])
        tune_tcp(node)
        if rx_cpu is not None:
            steer_receive(node, LINK_DEV, rx_cpu)
    rs.run([IP, "route", "add", "local", LINK_SERVERS_NET, "dev", "lo"])
    lb.run([IP, "route", "add", LINK_SERVERS_NET, "via", LINK_RS_ADDRESS, "dev", LINK_DEV])
    if not lb.ping(real_address(0, LINK_SERVERS), timeout=5):
        raise lablib.LabError(f"lb cannot reach {real_address(0, LINK_SERVERS)} over the link")
    return ServerLink(lb, rs)


def keep_ticking(node, cpu: int):
    """Keeps CPU `cpu` from going idle with a spinner at SCHED_IDLE (any other task
    preempts it) started in `node`; returns its process (the lab ends it).

    With tick-based CPU accounting (no CONFIG_IRQ_TIME_ACCOUNTING) /proc/stat's softirq
    column counts the ticks that find a CPU in softirq. An idle CPU stops its tick (NOHZ),
    so softirq work it runs when woken from idle (an RPS IPI's) is barely counted: 0.6 %
    of a core where it is 10.5 % with the tick kept running."""
    return node.spawn(pinned([CHRT, "--idle", "0", "/bin/sh", "-c", "while :; do :; done"],
                             cpu), log_name=f"spin{cpu}.log")


def start_sink(node, duration: float | None = None, tag: str = "sink", ifname: str = "lo",
               cpu: int | None = None, http_delay_ms: float | None = None,
               prefix: list[str] | None = None):
    """Starts bench_tcp_sink on SINK_PORT in `node`, capturing the SYNs that arrive on
    `ifname`, pinned to CPU `cpu` if given, answering HTTP after `http_delay_ms` if given,
    run through `prefix` (e.g. prlimit) if given; returns (process, output path)."""
    work = node.lab.workdir
    out = os.path.join(work, f"{tag}.accepts")
    ready = os.path.join(work, f"{tag}.ready")
    argv = [bench_binary("tcp_sink"), "--port", str(SINK_PORT), "--out", out, "--ready", ready]
    if ifname != "lo":
        argv += ["--ifname", ifname]
    if duration:
        argv += ["--duration", str(duration)]
    if http_delay_ms is not None:
        argv += ["--http-delay-ms", f"{http_delay_ms:g}"]
    proc = node.spawn(list(prefix or []) + pinned(argv, cpu), log_name=f"{tag}.log")
    lablib.wait_until(lambda: os.path.exists(ready) or proc.poll() is not None, timeout=10,
                      interval=0.05, message="tcp sink to listen")
    if proc.poll() is not None:
        raise lablib.LabError(f"bench_tcp_sink exited {proc.returncode}")
    return proc, out


def stop_sink(proc, out: str) -> list[tuple[float, str]]:
    """Stops the sink and returns its (monotonic seconds, local address) accept records."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)
    records = []
    with open(out) as f:
        for line in f:
            ns, addr = line.split()
            records.append((int(ns) / 1e9, addr))
    return records


def virtual_servers_text(count: int, per_vs: int = 100, delay_loop: float = 1,
                         connect_timeout: int = 3, base: str = LOOPBACK_SERVERS,
                         checker: str = "TCP_CHECK") -> str:
    """keepalived.conf virtual_server blocks with `count` real servers in total (per_vs per
    virtual server; real_address(n, base)) on the sink's port, each checked by `checker`:
    TCP_CHECK, or HTTP_GET of / expecting 200."""
    url = (["            url {", "                path /", "                status_code 200",
            "            }"] if checker == "HTTP_GET" else [])
    out = []
    for v in range((count + per_vs - 1) // per_vs):
        out += [f"virtual_server 10.200.{v // 256}.{v % 256} 80 {{",
                f"    delay_loop {delay_loop:g}", "    lb_algo rr", "    lb_kind NAT",
                "    protocol TCP"]
        for n in range(v * per_vs, min(count, (v + 1) * per_vs)):
            out += [f"    real_server {real_address(n, base)} {SINK_PORT} {{",
                    f"        {checker} {{", *url,
                    f"            connect_timeout {connect_timeout}", "        }", "    }"]
        out.append("}")
    return "\n".join(out) + "\n"


def probe_intervals(records, start: float, end: float) -> tuple[int, list[float]]:
    """Returns (probes accepted within [start, end), the intervals between consecutive
    probes of the same server where both fall in the window)."""
    last: dict[str, float] = {}
    count = 0
    gaps = []
    for t, addr in sorted(records):
        if t < start or t >= end:
            continue
        count += 1
        if addr in last:
            gaps.append(t - last[addr])
        last[addr] = t
    return count, gaps
