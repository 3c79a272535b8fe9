"""Network-namespace lab for vigil's integration tests.

A Lab builds a small isolated network: one "switch" namespace holding a Linux bridge and
one namespace per node, each connected to the bridge by a veth pair created directly
between the two lab namespaces (or, off the bridge, behind another node on a veth pair of
its own: Lab.add_behind). Nothing is connected to the host's own namespace and only
lab addresses are used (10.99.0.0/16 and fd00:99::/64), so no traffic can leave the lab.

Every namespace name starts with a prefix unique to the lab (``vl<pid>x<n>-``). Cleanup
kills every spawned process (and anything else still running in the lab's namespaces)
and deletes every namespace; it runs from ``Lab.close()``/``__exit__``, from pytest's
fixture finalizer and, as a last resort, from an ``atexit`` hook and SIGTERM.

Usage::

    with Lab() as lab:
        a = lab.add_node("a")
        b = lab.add_node("b")
        a.run(f"ping -c1 -W2 {b.ipv4}")
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import re
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

IPV4_NET = "10.99.0.0/16"
IPV6_NET = "fd00:99::/64"
IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"
NFT = "/usr/sbin/nft" if os.path.exists("/usr/sbin/nft") else "nft"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
TSHARK = "/usr/bin/tshark" if os.path.exists("/usr/bin/tshark") else "tshark"

# Namespace names made by this module: vl<pid>x<n>-<role>.
_NAME_RE = re.compile(r"^vl(\d+)x(\d+)-")
_counter = itertools.count(1)
_live_labs: "set[Lab]" = set()
_live_lock = threading.Lock()


class LabError(RuntimeError):
    """A lab command failed."""


class WaitTimeout(AssertionError):
    """wait_until() gave up."""


def file_lines(path: str) -> list[str]:
    """The lines of file ``path``; none while it does not exist."""
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def stop_daemon(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """Sends SIGTERM to ``proc`` if it still runs and waits for it, bounded (a fixture's
    teardown; the lab kills what is left anyway)."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass


def wait_until(pred: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1,
               message: str = "") -> Any:
    """Calls pred() until it returns a truthy value and returns that value.

    Bounded in time (``timeout`` seconds) and therefore in count; raises WaitTimeout with
    ``message`` and the last value (or exception) seen when the time is up.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = pred()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - report the last failure on timeout
            last = exc
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout}s waiting for "
                              f"{message or getattr(pred, '__name__', 'condition')}; "
                              f"last value: {last!r}")
        time.sleep(interval)


def _run(argv: Sequence[str], timeout: float, check: bool = True,
         input_text: str | None = None) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                              input=input_text)
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout}s: {shlex.join(argv)}") from exc
    if check and proc.returncode != 0:
        raise LabError(f"command failed ({proc.returncode}): {shlex.join(argv)}\n"
                       f"stdout: {proc.stdout.strip()}\nstderr: {proc.stderr.strip()}")
    return proc


def netns_usable() -> tuple[bool, str]:
    """Returns (True, "") if this process can create network namespaces, else (False, why)."""
    if os.geteuid() != 0:
        return False, "lab tests need root (network namespaces, veth, bridges)"
    probe = f"vl{os.getpid()}x0-probe"
    try:
        _run([IP, "netns", "add", probe], timeout=10)
    except (LabError, FileNotFoundError) as exc:
        return False, f"'ip netns add' is unusable here: {exc}"
    try:
        _run([IP, "netns", "del", probe], timeout=10, check=False)
    except LabError:
        pass
    return True, ""


def list_namespaces() -> list[str]:
    """Returns the names of every named network namespace (``ip netns list``)."""
    out = _run([IP, "netns", "list"], timeout=10).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


class StopWhenStarted:
    """SIGSTOPs the process whose pid ``pid_file`` comes to hold, as soon as it does (polled
    every 5 ms, ``timeout`` seconds at most), from a thread: the caller may block meanwhile
    (starting the daemon that writes the file). ``wait()`` returns that pid (0: none came)."""

    def __init__(self, pid_file: str, timeout: float = 20):
        self.pid = 0
        self._thread = threading.Thread(target=self._run, args=(pid_file, timeout), daemon=True)
        self._thread.start()

    def _run(self, pid_file: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(pid_file) as f:
                    pid = int(f.read().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid:
                os.kill(pid, signal.SIGSTOP)
                self.pid = pid
                return
            time.sleep(0.005)

    def wait(self, timeout: float = 25) -> int:
        self._thread.join(timeout)
        return self.pid


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_table() -> list[tuple[int, str, int, int]]:
    """Returns (pid, state, ppid, pgrp) of every process visible in /proc (state as in
    /proc/PID/stat: "R", "S", "Z", ...); processes that end while it reads are left out."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out.append((int(entry), fields[0], int(fields[1]), int(fields[2])))
    return out


def sweep_stale_namespaces() -> list[str]:
    """Deletes lab namespaces left by lab processes that no longer exist. Returns them."""
    removed = []
    for name in list_namespaces():
        m = _NAME_RE.match(name)
        if not m or int(m.group(1)) == os.getpid() or _pid_alive(int(m.group(1))):
            continue
        _kill_namespace_pids(name)
        _run([IP, "netns", "del", name], timeout=10, check=False)
        removed.append(name)
    return removed


def _kill_namespace_pids(ns: str) -> None:
    proc = _run([IP, "netns", "pids", ns], timeout=10, check=False)
    for word in proc.stdout.split():
        try:
            os.kill(int(word), signal.SIGKILL)
        except (ValueError, ProcessLookupError, PermissionError):
            pass


def _cleanup_all_labs() -> None:
    with _live_lock:
        labs = list(_live_labs)
    for lab in labs:
        lab.close()


atexit.register(_cleanup_all_labs)


def _on_sigterm(signum, frame):  # noqa: ARG001 - signal handler signature
    _cleanup_all_labs()
    raise SystemExit(128 + signum)


@dataclass
class Capture:
    """A running tshark capture; ``packets()`` waits for it to end and decodes it."""

    ns: "Namespace"
    iface: str
    process: subprocess.Popen
    pcap: str
    stderr_path: str
    duration: float

    def packets(self, timeout: float | None = None) -> list[dict]:
        """Waits (bounded) for the capture to end and returns ``tshark -T json`` output."""
        limit = timeout if timeout is not None else self.duration + 15
        try:
            self.process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise LabError(f"tshark on {self.ns.name}/{self.iface} did not stop in {limit}s")
        if not os.path.exists(self.pcap):
            raise LabError(f"tshark wrote no file: {self._stderr()}")
        out = _run([TSHARK, "-r", self.pcap, "-T", "json"], timeout=60).stdout
        return json.loads(out) if out.strip() else []

    def stop(self) -> None:
        """Ends the capture early (the file stays readable with packets())."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def _stderr(self) -> str:
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def layer(packet: dict, name: str) -> dict | None:
    """Returns the decoded ``name`` layer ("ip", "icmp", "vrrp", ...) of a tshark JSON packet."""
    return packet.get("_source", {}).get("layers", {}).get(name)


class Namespace:
    """A lab network namespace: run commands, spawn processes, read state, capture."""

    def __init__(self, lab: "Lab", name: str):
        self.lab = lab
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def exec_argv(self, argv: Sequence[str]) -> list[str]:
        return [IP, "netns", "exec", self.name, *argv]

    def run(self, cmd: str | Sequence[str], timeout: float = 10.0, check: bool = True,
            input_text: str | None = None) -> subprocess.CompletedProcess:
        """Runs ``cmd`` (a shell string or an argv list) in the namespace, bounded by timeout."""
        argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        return _run(self.exec_argv(argv), timeout=timeout, check=check, input_text=input_text)

    def spawn(self, cmd: str | Sequence[str], log_name: str | None = None,
              env: dict | None = None) -> subprocess.Popen:
        """Starts ``cmd`` in the namespace in its own process group; output goes to a log file
        (``proc.log_path``). The process is killed at lab cleanup."""
        argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        n = next(_counter)
        log_path = os.path.join(self.lab.workdir, log_name or f"{self.name}-{n}.log")
        log = open(log_path, "wb")  # noqa: SIM115 - owned by the process record
        try:
            proc = subprocess.Popen(self.exec_argv(argv), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    env=env)
        finally:
            log.close()
        proc.log_path = log_path  # type: ignore[attr-defined]
        self.lab._register(proc)
        return proc

    def ip_json(self, *args: str) -> Any:
        """Returns ``ip -j ARGS`` parsed, e.g. ``ip_json("addr", "show", "dev", "eth0")``."""
        words = args[0].split() if len(args) == 1 else list(args)
        return json.loads(self.run([IP, "-j", *words]).stdout or "[]")

    def link_set(self, dev: str, up: bool) -> None:
        """Sets interface ``dev`` up or down."""
        self.run([IP, "link", "set", "dev", dev, "up" if up else "down"])

    def addresses(self, dev: str, family: str | None = None) -> list[str]:
        """Returns the addresses on ``dev`` ("inet", "inet6" or both) without prefix length."""
        out = []
        for link in self.ip_json("addr", "show", "dev", dev):
            for a in link.get("addr_info", []):
                if family is None or a.get("family") == family:
                    out.append(a["local"])
        return out

    def sysctl(self, key: str, value: str | int) -> None:
        self.run(["sysctl", "-q", "-w", f"{key}={value}"])

    def start_capture(self, iface: str, duration: float = 5.0, bpf: str | None = None,
                      count: int | None = None, ready_timeout: float = 10.0) -> Capture:
        """Starts tshark on ``iface`` for at most ``duration`` seconds (or ``count`` packets)
        and returns once it is capturing."""
        n = next(_counter)
        pcap = os.path.join(self.lab.workdir, f"{self.name}-{iface}-{n}.pcapng")
        err_path = pcap + ".stderr"
        argv = [TSHARK, "-n", "-q", "-i", iface, "-a", f"duration:{max(1, int(duration))}",
                "-w", pcap]
        if count is not None:
            argv += ["-c", str(count)]
        if bpf:
            argv += ["-f", bpf]
        err = open(err_path, "wb")  # noqa: SIM115
        try:
            proc = subprocess.Popen(self.exec_argv(argv), stdout=subprocess.DEVNULL, stderr=err,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            err.close()
        self.lab._register(proc)
        cap = Capture(self, iface, proc, pcap, err_path, duration)

        announced_at: list[float] = []

        def started() -> bool:
            if proc.poll() is not None:
                raise LabError(f"tshark exited early: {cap._stderr()}")
            text = cap._stderr()
            # "Capturing on" comes before dumpcap has its socket; "Capture started." after.
            if "Capture started" in text:
                return True
            if "Capturing on" in text:
                announced_at.append(time.monotonic())
                return time.monotonic() - announced_at[0] > 1.0  # older tshark: no 2nd line
            return False

        wait_until(started, timeout=ready_timeout, interval=0.05,
                   message=f"tshark to start on {self.name}/{iface}")
        return cap

    def capture(self, iface: str, duration: float = 5.0, bpf: str | None = None,
                count: int | None = None) -> list[dict]:
        """Captures on ``iface`` for ``duration`` seconds and returns the decoded packets."""
        return self.start_capture(iface, duration, bpf, count).packets()


class Node(Namespace):
    """A lab host: one interface (``ifname``) on the bridge, with ``ipv4``/``ipv6``."""

    def __init__(self, lab: "Lab", name: str, short: str, index: int, ifname: str,
                 ipv4: str, ipv6: str, prefix4: int, prefix6: int, switch_port: str):
        super().__init__(lab, name)
        self.short = short
        self.index = index
        self.ifname = ifname
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.prefix4 = prefix4
        self.prefix6 = prefix6
        self.switch_port = switch_port

    def mac(self, dev: str | None = None) -> str:
        return self.ip_json("link", "show", "dev", dev or self.ifname)[0]["address"]

    def spawn_vigild(self, vigild: str, conf_text: str) -> subprocess.Popen:
        """Writes ``conf_text`` to <workdir>/<short>.conf and starts ``vigild`` on this node in
        the foreground with its pid files beside it; it logs to <short>.log."""
        base = os.path.join(self.lab.workdir, self.short)
        with open(f"{base}.conf", "w") as f:
            f.write(conf_text)
        return self.spawn([vigild, "-n", "-l", "-f", f"{base}.conf", "-p", f"{base}.pid",
                           "-r", f"{base}r.pid", "-c", f"{base}c.pid", "-b", f"{base}b.pid"],
                          log_name=f"{self.short}.log")

    def ping(self, address: str, count: int = 1, timeout: float = 5.0) -> bool:
        """Returns True iff ``address`` answers every one of ``count`` ICMP echoes (v4 or v6),
        each within ``timeout`` seconds. Uses this module's own pinger: the test machines
        have no ping binary."""
        proc = self.run([PYTHON, os.path.abspath(__file__), "ping", address, str(count),
                         str(timeout)], timeout=timeout * count + 10, check=False)
        return proc.returncode == 0


class Lab:
    """A switch namespace with a bridge plus per-node namespaces; see the module docstring."""

    BRIDGE = "br0"

    def __init__(self, prefix: str | None = None, keep_workdir: bool = False):
        self.prefix = prefix or f"vl{os.getpid()}x{next(_counter)}-"
        self.namespaces: list[str] = []
        self.nodes: dict[str, Node] = {}
        self.switch: Namespace | None = None
        self._procs: list[subprocess.Popen] = []
        self._closed = False
        self._keep_workdir = keep_workdir
        self.workdir = tempfile.mkdtemp(prefix=f"{self.prefix}")
        self._nft_table = False
        with _live_lock:
            _live_labs.add(self)
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None) and \
                threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _on_sigterm)

    # -- construction -------------------------------------------------------------------

    def __enter__(self) -> "Lab":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _add_namespace(self, role: str) -> str:
        name = f"{self.prefix}{role}"
        _run([IP, "netns", "add", name], timeout=10)
        self.namespaces.append(name)
        return name

    def start(self) -> None:
        """Creates the switch namespace and its bridge (idempotent)."""
        if self.switch is not None:
            return
        name = self._add_namespace("sw")
        self.switch = Namespace(self, name)
        self.switch.run([IP, "link", "set", "lo", "up"])
        # No STP, no forwarding delay, no multicast snooping: every frame floods at once.
        self.switch.run([IP, "link", "add", self.BRIDGE, "type", "bridge", "stp_state", "0",
                         "forward_delay", "0", "mcast_snooping", "0"])
        self.switch.sysctl(f"net.ipv6.conf.{self.BRIDGE}.disable_ipv6", 1)
        self.switch.link_set(self.BRIDGE, True)

    def add_node(self, short: str, ipv4: str | None = None, ipv6: str | None = None,
                 ifname: str = "eth0") -> Node:
        """Creates namespace ``<prefix><short>`` with ``ifname`` plugged into the bridge.

        Addresses default to 10.99.0.<n>/16 and fd00:99::<n>/64 (n = 1, 2, ...). IPv6 DAD is
        disabled in the node so addresses are usable at once.
        """
        self.start()
        assert self.switch is not None
        if short in self.nodes:
            raise LabError(f"node {short} exists")
        if len(short) > 12 or not re.fullmatch(r"[a-z0-9]+", short):
            raise LabError(f"node name {short!r}: use up to 12 of [a-z0-9]")
        index = len(self.nodes) + 1
        ipv4 = ipv4 or f"10.99.0.{index}/16"
        ipv6 = ipv6 or f"fd00:99::{index}/64"
        addr4, _, p4 = ipv4.partition("/")
        addr6, _, p6 = ipv6.partition("/")
        name = self._add_namespace(short)
        port = f"p{index}"
        node = Node(self, name, short, index, ifname, addr4, addr6, int(p4 or 32),
                    int(p6 or 128), port)
        self.nodes[short] = node

        for key in ("all", "default"):
            node.sysctl(f"net.ipv6.conf.{key}.accept_dad", 0)
            node.sysctl(f"net.ipv6.conf.{key}.dad_transmits", 0)
        node.link_set("lo", True)
        # Create the pair inside the switch namespace and move one end straight to the node:
        # no interface ever exists in the host namespace.
        self.switch.run([IP, "link", "add", port, "type", "veth", "peer", "name", ifname,
                         "netns", name])
        self.switch.run([IP, "link", "set", port, "master", self.BRIDGE])
        self.switch.link_set(port, True)
        node.run([IP, "addr", "add", ipv4 if "/" in ipv4 else f"{ipv4}/32", "dev", ifname])
        node.run([IP, "-6", "addr", "add", ipv6 if "/" in ipv6 else f"{ipv6}/128", "dev",
                  ifname, "nodad"])
        node.link_set(ifname, True)
        return node

    def add_behind(self, router: Node, short: str, subnet: str, addresses: int = 1) -> Node:
        """Creates node ``short`` off the bridge, on a link of its own to ``router``: the
        IPv4 /24 ``subnet`` ("10.99.1"), ``router`` at .254 on ``to<short>`` (forwarding on),
        the node at .1 (and .2 .. .``addresses`` beside it) on eth0 with its default route
        via the router. Returns the node (``ipv4`` .1, no IPv6, no switch port)."""
        self.start()
        if short in self.nodes:
            raise LabError(f"node {short} exists")
        if len(short) > 10 or not re.fullmatch(r"[a-z0-9]+", short):
            raise LabError(f"node name {short!r}: use up to 10 of [a-z0-9]")
        name = self._add_namespace(short)
        node = Node(self, name, short, len(self.nodes) + 1, "eth0", f"{subnet}.1", "", 24, 0,
                    "")
        self.nodes[short] = node
        node.link_set("lo", True)
        port = f"to{short}"
        router.run([IP, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
                    name])
        router.run([IP, "addr", "add", f"{subnet}.254/24", "dev", port])
        router.link_set(port, True)
        router.sysctl("net.ipv4.ip_forward", 1)
        for i in range(1, addresses + 1):
            node.run([IP, "addr", "add", f"{subnet}.{i}/24", "dev", "eth0"])
        node.link_set("eth0", True)
        node.run([IP, "route", "add", "default", "via", f"{subnet}.254"])
        return node

    # -- traffic control ----------------------------------------------------------------

    def drop_vrrp_percent(self, percent: int) -> None:
        """Drops ``percent`` % of VRRP (IP protocol 112, v4 and v6) crossing the bridge,
        chosen at random per packet; 0 removes the rule."""
        if not 0 <= percent <= 100:
            raise ValueError("percent must be within 0..100")
        self.start()
        assert self.switch is not None
        if self._nft_table:
            self.switch.run([NFT, "delete", "table", "bridge", "vigil_lab"])
            self._nft_table = False
        if percent == 0:
            return
        # numgen yields 0..99; "< 100" is out of its range, so 100 % is a plain drop.
        chance = "" if percent == 100 else f"numgen random mod 100 < {percent} "
        rules = (
            "table bridge vigil_lab {\n"
            "  chain forward {\n"
            "    type filter hook forward priority 0; policy accept;\n"
            f"    ether type ip ip protocol 112 {chance}counter drop\n"
            f"    ether type ip6 ip6 nexthdr 112 {chance}counter drop\n"
            "  }\n"
            "}\n")
        self.switch.run([NFT, "-f", "-"], input_text=rules)
        self._nft_table = True

    def vrrp_drop_counters(self) -> list[int]:
        """Returns the packet counts of the drop rules (v4, v6); [] when none is set."""
        if not self._nft_table or self.switch is None:
            return []
        data = json.loads(self.switch.run([NFT, "-j", "list", "table", "bridge",
                                           "vigil_lab"]).stdout)
        counts = []
        for item in data.get("nftables", []):
            for expr in item.get("rule", {}).get("expr", []):
                if "counter" in expr:
                    counts.append(expr["counter"]["packets"])
        return counts

    # -- process bookkeeping and cleanup ------------------------------------------------

    def _register(self, proc: subprocess.Popen) -> None:
        self._procs.append(proc)

    def node(self, short: str) -> Node:
        return self.nodes[short]

    def close(self) -> None:
        """Kills every spawned process and deletes every namespace. Safe to call twice;
        never raises (a failure to clean is reported on stderr)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._kill_processes()
        finally:
            for ns in reversed(self.namespaces):
                try:
                    _kill_namespace_pids(ns)
                    _run([IP, "netns", "del", ns], timeout=10, check=False)
                except Exception as exc:  # noqa: BLE001 - keep deleting the rest
                    print(f"lab: could not delete namespace {ns}: {exc}", flush=True)
            with _live_lock:
                _live_labs.discard(self)
            if not self._keep_workdir:
                subprocess.run(["rm", "-rf", "--", self.workdir], check=False)

    def _kill_processes(self) -> None:
        live = [p for p in self._procs if p.poll() is None]
        for p in live:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + 3.0
        for p in live:
            try:
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for p in live:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass


def vigil_destinations(items: Iterable[dict]) -> dict[str, tuple[int, int]]:
    """{"addr:port": (weight, record rule handle)} of the real servers in vigil's nftables
    table, from `nft -j [-a] list` items: each record rule's comment ("vigil-dst ... W"),
    whose weight word is "-" when the first slot of the server in its service's slot map
    carries the weight in its own comment (lb/nft_render.h)."""
    out: dict[str, tuple[int, int]] = {}
    slots: dict[str, int] = {}
    for item in items:
        for kind, body in item.items():
            if kind == "rule":
                words = body.get("comment", "").split()
                if words and words[0] == "vigil-dst":
                    weight = -1 if words[-1] == "-" else int(words[-1])
                    out[f"{words[-3]}:{words[-2]}"] = (weight, body.get("handle", 0))
            elif kind == "map":
                for elem in body.get("elem", []):
                    if isinstance(elem, list) and isinstance(elem[0], dict):
                        words = elem[0].get("elem", {}).get("comment", "").split()
                        if words and words[0] == "vigil-dst":
                            slots[f"{words[-3]}:{words[-2]}"] = int(words[-1])
    return {k: (slots.get(k, w), h) for k, (w, h) in out.items()}


def dr_real_server(node: Node, vip: str, clients: str, via: str) -> None:
    """Makes ``node`` a direct-routing real server of ``vip`` (IPv4 or IPv6): the address on
    its loopback (IPv4: never answered for in ARP nor used as an ARP source, arp_ignore=1,
    arp_announce=2), and its answers to the ``clients`` prefix sent to ``via`` (straight
    back, not through a director)."""
    if ":" in vip:
        node.run([IP, "-6", "addr", "add", f"{vip}/128", "dev", "lo", "nodad"])
        node.run([IP, "-6", "route", "replace", clients, "via", via])
        return
    node.run([IP, "addr", "add", f"{vip}/32", "dev", "lo"])
    node.sysctl("net.ipv4.conf.all.arp_ignore", 1)
    node.sysctl("net.ipv4.conf.all.arp_announce", 2)
    node.run([IP, "route", "replace", clients, "via", via])


def virtual_server_conf(vip: str, port: int, options: str, nodes: Iterable[Node],
                        rs_port: int | None = None, check_port: int | None = None) -> str:
    """keepalived.conf text: ``virtual_server vip port`` with delay_loop 1, then ``options``
    ("lb_algo mh; mh-port; lb_kind DR": one line each) and protocol TCP unless they name
    one, then each node's address (``ipv6`` for an IPv6 ``vip``, else ``ipv4``) as a
    real_server on ``rs_port`` (default ``port``) of weight 1 with a TCP_CHECK
    (connect_timeout 1, on ``check_port`` when given)."""
    lines = [o.strip() for o in options.split(";")]
    if not any(o.startswith("protocol ") for o in lines):
        lines.append("protocol TCP")
    check = f"            connect_port {check_port}\n" if check_port is not None else ""
    return (f"virtual_server {vip} {port} {{\n    delay_loop 1\n" +
            "".join(f"    {o}\n" for o in lines) +
            "".join(f"    real_server {n.ipv6 if ':' in vip else n.ipv4} {rs_port or port} {{\n"
                    "        weight 1\n"
                    f"        TCP_CHECK {{\n{check}            connect_timeout 1\n"
                    "        }\n    }\n" for n in nodes) + "}\n")


class Servers:
    """One server process per node: ``argv(node)`` started in the node, ready once something
    listens on TCP ``port`` there; ``stop`` SIGKILLs it."""

    def __init__(self, argv: Callable[[Node], list[str]], port: int, what: str = "server"):
        self.argv, self.port, self.what = argv, port, what
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, *nodes: Node) -> None:
        for node in nodes:
            self.procs[node.short] = node.spawn(
                self.argv(node), log_name=f"{node.short}-{self.what.replace(' ', '-')}-{next(_counter)}.log")
        for node in nodes:
            wait_until(lambda node=node: node.run(["ss", "-Htln", f"sport = :{self.port}"])
                       .stdout.strip(), timeout=10, message=f"{self.what} on {node.short}")

    def stop(self, node: Node) -> None:
        proc = self.procs.pop(node.short)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def lab_namespaces_alive(prefix: str) -> list[str]:
    """Returns the existing namespaces whose names start with ``prefix``."""
    return [n for n in list_namespaces() if n.startswith(prefix)]


def all_present(names: Iterable[str]) -> bool:
    existing = set(list_namespaces())
    return all(n in existing for n in names)


# -- a minimal pinger, run inside a namespace as "python3 lab.py ping ADDR COUNT TIMEOUT" ----

def _icmp_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ping(address: str, count: int, timeout: float) -> bool:
    import select
    import socket
    import struct

    v6 = ":" in address
    family = socket.AF_INET6 if v6 else socket.AF_INET
    proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
    request_type, reply_type = (128, 129) if v6 else (8, 0)
    ident = os.getpid() & 0xFFFF
    with socket.socket(family, socket.SOCK_RAW, proto) as s:
        for seq in range(1, count + 1):
            payload = b"vigil-lab-ping"
            header = struct.pack("!BBHHH", request_type, 0, 0, ident, seq)
            if not v6:  # the kernel fills in the ICMPv6 checksum itself
                header = struct.pack("!BBHHH", request_type, 0,
                                     _icmp_checksum(header + payload), ident, seq)
            s.sendto(header + payload, (address, 0))
            deadline = time.monotonic() + timeout
            answered = False
            while not answered:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([s], [], [], left)[0]:
                    return False
                data, source = s.recvfrom(65535)
                if not v6:
                    data = data[(data[0] & 0x0F) * 4:]  # IPv4 raw sockets include the header
                if len(data) < 8 or source[0] != address:
                    continue
                rtype, _, _, rid, rseq = struct.unpack("!BBHHH", data[:8])
                answered = rtype == reply_type and rid == ident and rseq == seq
    return True


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 5 and sys.argv[1] == "ping":
        sys.exit(0 if _ping(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])) else 1)
    print("usage: lab.py ping ADDRESS COUNT TIMEOUT", file=sys.stderr)
    sys.exit(2)
