"""Shared helpers for the benchmarks in bench/: paths, daemons in lab namespaces, statistics
and the figure tables. Never asserts on time: benchmarks print, they do not judge.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "lab"))

import lab as lablib  # noqa: E402  (path set above)

IP = lablib.IP
NFT = lablib.NFT
PYTHON = lablib.PYTHON
KEEPALIVED = "/usr/sbin/keepalived"
HAPROXY = "/usr/sbin/haproxy"


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

    def __init__(self, node, kind: str, conf_text: str, tag: str, extra_args=()):
        self.node = node
        self.kind = kind  # "vigil" or "keepalived"
        self.tag = tag
        self.work = node.lab.workdir
        self.conf = os.path.join(self.work, f"{tag}.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.extra_args = list(extra_args)
        self.proc = None

    def pid_files(self) -> list[str]:
        return [os.path.join(self.work, f"{self.tag}.{s}.pid") for s in ("main", "vrrp", "check")]

    def argv(self) -> list[str]:
        main, vrrp, check = self.pid_files()
        if self.kind == "vigil":
            exe = vigild_path()
        else:
            exe = KEEPALIVED
        return [exe, "-n", "-l", "-f", self.conf, "-p", main, "-r", vrrp, "-c", check,
                *self.extra_args]

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


# -- health-check load: many real servers on lo, one sink -----------------------------------

SINK_PORT = 9000


def real_address(n: int) -> str:
    """The n-th real server's address: 127.1.0.0 onwards (every 127/8 address reaches lo)."""
    return f"127.{1 + n // 65536}.{n // 256 % 256}.{n % 256}"


def untrack_loopback(node) -> None:
    """Keeps connection tracking off lo in `node` (nftables NAT would otherwise track every
    probe connection and fill the conntrack table at thousands of connections a second)."""
    node.run([NFT, "-f", "-"], input_text=(
        "table inet bench_raw {\n"
        "  chain pre { type filter hook prerouting priority raw; iif lo notrack; }\n"
        "  chain out { type filter hook output priority raw; oif lo notrack; }\n"
        "}\n"))
    node.sysctl("net.ipv4.ip_local_port_range", "10000 65000")
    node.sysctl("net.ipv4.tcp_tw_reuse", 1)
    node.sysctl("net.core.somaxconn", 65535)
    node.sysctl("net.ipv4.tcp_max_syn_backlog", 65535)


def start_sink(node, duration: float | None = None, tag: str = "sink"):
    """Starts bench_tcp_sink on SINK_PORT in `node`; returns (process, output path)."""
    work = node.lab.workdir
    out = os.path.join(work, f"{tag}.accepts")
    ready = os.path.join(work, f"{tag}.ready")
    argv = [bench_binary("tcp_sink"), "--port", str(SINK_PORT), "--out", out, "--ready", ready]
    if duration:
        argv += ["--duration", str(duration)]
    proc = node.spawn(argv, log_name=f"{tag}.log")
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
                         connect_timeout: int = 3) -> str:
    """keepalived.conf virtual_server blocks with `count` TCP_CHECK real servers in total
    (per_vs per virtual server) on the sink's port."""
    out = []
    for v in range((count + per_vs - 1) // per_vs):
        out += [f"virtual_server 10.200.{v // 256}.{v % 256} 80 {{",
                f"    delay_loop {delay_loop:g}", "    lb_algo rr", "    lb_kind NAT",
                "    protocol TCP"]
        for n in range(v * per_vs, min(count, (v + 1) * per_vs)):
            out += [f"    real_server {real_address(n)} {SINK_PORT} {{",
                    "        TCP_CHECK {", f"            connect_timeout {connect_timeout}",
                    "        }", "    }"]
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
