"""Shared helpers for the VRRP lab tests: routers running vigild or keepalived on one
bridge, a client, configuration text, state observation and VRRP captures.

Addresses: routers and other nodes get 10.99.0.<n>/16 and fd00:99::<n>/64 from the lab
(n = order of creation); the virtual addresses are 10.99.0.100+ and fd00:99::100+.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import textwrap
import time
from dataclasses import dataclass, replace

import pytest

import lab as lablib

KEEPALIVED = shutil.which("keepalived") or "/usr/sbin/keepalived"
IP = lablib.IP
PYTHON = lablib.PYTHON
TSHARK = lablib.TSHARK
VRRP_BPF = "ip proto 112 or ip6 proto 112"


def require_tshark() -> None:
    if not os.access(TSHARK, os.X_OK):
        pytest.skip("tshark is not installed")


def require_keepalived() -> None:
    if not os.access(KEEPALIVED, os.X_OK):
        pytest.skip("keepalived is not installed")


def require_scapy() -> None:
    proc = subprocess.run([PYTHON, "-c", "import scapy.all"], capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"scapy is not importable by {PYTHON}")


@dataclass(frozen=True)
class Spec:
    """One VRRP instance as every router of a test configures it."""

    version: int = 3
    family: str = "inet"  # "inet" or "inet6"
    interval: float = 0.1
    unicast: bool = False
    auth: str | None = None  # auth_type PASS password (v2 only)
    vrid: int = 51
    vip_count: int = 1

    @property
    def v6(self) -> bool:
        return self.family == "inet6"

    def vips(self) -> list[str]:
        """The virtual addresses, without prefix length."""
        if self.v6:
            return [f"fd00:99::{100 + i:x}" for i in range(self.vip_count)]
        return [f"10.99.0.{100 + i}" for i in range(self.vip_count)]

    def vip_lines(self) -> list[str]:
        return [f"{a}/{64 if self.v6 else 16}" for a in self.vips()]

    def master_down(self, priority: int) -> float:
        """Master_Down_Interval in seconds for a backup of ``priority``."""
        skew = (256 - priority) / 256 * (self.interval if self.version == 3 else 1)
        return 3 * self.interval + skew

    def id(self) -> str:
        parts = [f"v{self.version}", "ipv6" if self.v6 else "ipv4",
                 "unicast" if self.unicast else "multicast"]
        if self.auth:
            parts.append("pass")
        return "-".join(parts)


def matrix(versions=(2, 3), families=("inet", "inet6"), casts=(False, True),
           auths=(None,), **kw) -> list:
    """pytest.param(Spec) for every combination, with readable ids. v2 uses advert_int 1."""
    out = []
    for v in versions:
        for f in families:
            for u in casts:
                for a in auths:
                    if a and v == 3:
                        continue  # VRRPv3 has no authentication
                    s = Spec(version=v, family=f, unicast=u, auth=a,
                             interval=1.0 if v == 2 else kw.get("v3_interval", 0.1))
                    out.append(pytest.param(s, id=s.id()))
    return out


class Router:
    """A lab node running one VRRP daemon (vigild or keepalived)."""

    def __init__(self, vl: "VrrpLab", node: lablib.Node, kind: str):
        self.vl = vl
        self.node = node
        self.kind = kind
        self.name = node.short
        self.proc: subprocess.Popen | None = None
        self.spec: Spec | None = None
        self.runs = 0
        w = vl.lab.workdir
        self.conf = os.path.join(w, f"{self.name}.conf")
        self.ctl = os.path.join(w, f"{self.name}.ctl")

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name}>"

    @property
    def ipv4(self) -> str:
        return self.node.ipv4

    @property
    def ipv6(self) -> str:
        return self.node.ipv6

    def mac(self, dev: str = "eth0") -> str:
        return self.node.mac(dev)

    def address(self, spec: Spec) -> str:
        return self.ipv6 if spec.v6 else self.ipv4

    # -- configuration -----------------------------------------------------------------

    def instance(self, spec: Spec, priority: int | None, peers: list["Router"] = (),
                 extra: str = "", name: str = "VI_1", state: str = "BACKUP") -> str:
        """Returns the vrrp_instance block for ``spec``."""
        lines = [f"state {state}", "interface eth0", f"virtual_router_id {spec.vrid}",
                 f"version {spec.version}", f"advert_int {spec.interval:g}"]
        if priority is not None:
            lines.append(f"priority {priority}")
        if spec.auth:
            lines += ["authentication {", "    auth_type PASS", f"    auth_pass {spec.auth}", "}"]
        if spec.unicast:
            lines.append(f"unicast_src_ip {self.address(spec)}")
            lines += ["unicast_peer {"] + [f"    {p.address(spec)}" for p in peers] + ["}"]
        lines += ["virtual_ipaddress {"] + [f"    {v}" for v in spec.vip_lines()] + ["}"]
        lines += textwrap.dedent(extra).strip().splitlines()
        return (f"vrrp_instance {name} {{\n" + textwrap.indent("\n".join(lines), "    ") +
                "\n}\n")

    def config(self, body: str, global_extra: str = "") -> str:
        g = textwrap.dedent(global_extra).strip().splitlines()
        if self.kind == "vigil":
            g.insert(0, f"vigil_control_socket {self.ctl}")
        return ("global_defs {\n" + textwrap.indent("\n".join(g), "    ") + "\n}\n" + body)

    # -- process control ---------------------------------------------------------------

    def start(self, spec: Spec, priority: int | None, peers: list["Router"] | None = None,
              extra: str = "", state: str = "BACKUP", global_extra: str = "",
              top: str = "", body: str | None = None,
              wrapper: tuple[str, ...] = (), args: tuple[str, ...] = ()) -> "Router":
        """Writes the configuration and starts the daemon (not waiting for any state).

        ``peers`` defaults to every other router of the lab (for unicast); ``top`` is text
        placed before the instance (vrrp_script blocks, ...); ``body`` replaces the instance;
        ``wrapper`` is a command the daemon runs under (e.g. ``unshare --pid ...``);
        ``args`` are more command-line options for the daemon.
        """
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if peers is None:
            peers = [r for r in self.vl.routers.values() if r is not self]
        self.spec = spec
        if body is None:
            body = self.instance(spec, priority, peers, extra, state=state)
        with open(self.conf, "w") as f:
            f.write(self.config(top + body, global_extra))
        self.runs += 1
        w = self.vl.lab.workdir
        pid = os.path.join(w, f"{self.name}")
        argv = list(wrapper)
        if self.kind == "vigil":
            argv.append(self.vl.vigild)
        else:
            argv.append(KEEPALIVED)
        argv += ["-n", "-l", "-D", "-f", self.conf, "-p", pid + ".pid", "-r", pid + "-vrrp.pid",
                 "-c", pid + "-check.pid", *args]
        self.proc = self.node.spawn(argv, log_name=f"{self.name}-{self.kind}-{self.runs}.log")
        if self.kind == "vigil":
            lablib.wait_until(lambda: self.proc.poll() is not None or os.path.exists(self.ctl),
                              timeout=10, message=f"{self.name}: control socket")
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.log()}"
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILLs the daemon and every process of its group (supervisor, engines, scripts)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        lablib.wait_until(lambda: not self._group_alive(), timeout=10,
                          message=f"{self.name}: all processes gone")

    def term(self, timeout: float = 15) -> int:
        """SIGTERMs the daemon and waits (bounded) for it to exit; returns its status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def _group_alive(self) -> bool:
        """True while a process of the daemon's group is still running. Zombies do not
        count: killed children may wait a while for a reaper that is not theirs."""
        return any(pgrp == self.proc.pid and state not in ("Z", "X")
                   for _, state, _, pgrp in lablib.process_table())

    def log(self) -> str:
        if self.proc is None:
            return ""
        with open(self.proc.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    # -- observation -------------------------------------------------------------------

    def addresses(self, dev: str = "eth0") -> list[str]:
        try:
            return self.node.addresses(dev)
        except lablib.LabError:
            return []  # e.g. a VMAC that does not exist (yet)

    def vips(self, spec: Spec | None = None, dev: str = "eth0") -> list[str]:
        """The VIPs of ``spec`` present on ``dev`` (kernel state, ``ip -j addr``)."""
        spec = spec or self.spec
        have = set(self.addresses(dev))
        return [v for v in spec.vips() if v in have]

    def holds_all(self, spec: Spec | None = None, dev: str = "eth0") -> bool:
        spec = spec or self.spec
        return self.vips(spec, dev) == spec.vips()

    def ctl_json(self, command: str = "instances") -> dict:
        assert self.kind == "vigil"
        out = self.node.run([self.vl.vigilctl, "-s", self.ctl, "--json", command],
                            timeout=15).stdout
        return json.loads(out)

    def instances(self) -> dict[str, dict]:
        return {i["name"]: i for i in self.ctl_json("instances")["instances"]}

    def state(self, name: str = "VI_1") -> str:
        """The instance's state: from vigilctl for vigild, from the VIPs for keepalived."""
        if self.kind == "vigil":
            return self.instances()[name]["state"]
        return "MASTER" if self.holds_all() else "BACKUP"

    def stats(self, name: str = "VI_1") -> dict:
        for i in self.ctl_json("stats")["stats"]["instances"]:
            if i["instance"] == name:
                return i
        raise KeyError(name)


class VrrpLab:
    """Routers (vigild / keepalived), a client and helpers over one lab."""

    def __init__(self, lab: lablib.Lab, vigild: str | None):
        self.lab = lab
        self.vigild = vigild
        self.vigilctl = os.path.join(os.path.dirname(vigild), "vigilctl") if vigild else None
        self.routers: dict[str, Router] = {}
        self._client: lablib.Node | None = None

    def router(self, name: str, kind: str = "vigil") -> Router:
        if kind == "keepalived":
            require_keepalived()
        r = Router(self, self.lab.add_node(name), kind)
        self.routers[name] = r
        return r

    def routers_of(self, kinds: list[str]) -> list[Router]:
        return [self.router(f"r{i + 1}", k) for i, k in enumerate(kinds)]

    @property
    def client(self) -> lablib.Node:
        if self._client is None:
            self._client = self.lab.add_node("client")
        return self._client

    def file(self, name: str, text: str, mode: int = 0o644) -> str:
        path = os.path.join(self.lab.workdir, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        os.chmod(path, mode)
        return path

    def logs(self) -> str:
        return "\n".join(f"==== {r.name} ({r.kind})\n{r.log()[-4000:]}"
                         for r in self.routers.values())

    # -- waiting and asserting ---------------------------------------------------------

    def wait_holder(self, holder: Router, spec: Spec | None = None, timeout: float = 10,
                    dev: str = "eth0", ignore: tuple = ()) -> None:
        """Waits until ``holder`` holds every VIP (on ``dev``) and every other router none
        (on eth0 or ``dev``), routers in ``ignore`` (e.g. SIGKILLed ones, which keep theirs)
        aside."""
        spec = spec or holder.spec

        def ok():
            if not holder.holds_all(spec, dev):
                return False
            return all(not r.vips(spec) and not r.vips(spec, dev) for r in self.routers.values()
                       if r is not holder and r not in ignore)

        try:
            lablib.wait_until(ok, timeout=timeout, interval=0.05,
                              message=f"{holder.name} to hold {spec.vips()} alone")
        except lablib.WaitTimeout as e:
            state = {r.name: r.addresses() for r in self.routers.values()}
            raise AssertionError(f"{e}\naddresses: {state}\n{self.logs()}") from None

    def wait_states(self, want: dict["Router", str], timeout: float = 3) -> None:
        """Waits until every router in ``want`` reports its state (vigilctl's view trails
        the kernel by up to one report gap of the engine)."""
        lablib.wait_until(lambda: {r.name: r.state() for r in want} ==
                          {r.name: s for r, s in want.items()}, timeout=timeout,
                          message=f"states {({r.name: s for r, s in want.items()})}")

    def assert_sole_holder(self, holder: Router, spec: Spec | None = None) -> None:
        spec = spec or holder.spec
        got = {r.name: r.vips(spec) for r in self.routers.values()}
        want = {r.name: (spec.vips() if r is holder else []) for r in self.routers.values()}
        assert got == want, self.logs()

    def neighbour_mac(self, address: str) -> str | None:
        """The client's neighbour-table MAC for ``address`` (None if no entry)."""
        entries = self.client.ip_json("neigh", "show", "to", address, "dev", "eth0")
        for e in entries:
            if e.get("dst") == address and "lladdr" in e:
                return e["lladdr"]
        return None

    def assert_client_reaches(self, holder: Router, spec: Spec, mac: str | None = None) -> None:
        """The client pings every VIP and its neighbour entry names ``holder``'s MAC."""
        mac = mac or holder.mac()
        for vip in spec.vips():
            self.client.run([IP, "neigh", "flush", "to", vip, "dev", "eth0"], check=False)
            assert self.client.ping(vip, timeout=3), f"no answer from {vip}\n{self.logs()}"
            assert self.neighbour_mac(vip) == mac, (vip, self.neighbour_mac(vip), mac)

    def capture(self, duration: float, bpf: str = VRRP_BPF, count: int | None = None):
        """Starts a capture of the whole segment (the switch's bridge)."""
        require_tshark()
        return self.lab.switch.start_capture(self.lab.BRIDGE, duration=duration, bpf=bpf,
                                             count=count)


@contextlib.contextmanager
def fifo_reader(router: Router, name: str = "notify.fifo"):
    """Makes FIFO ``name`` in the lab's directory, read in ``router``'s namespace by a process
    that holds it open read-write (so that a daemon's reopening at a reload is no end of
    file) and copies its lines to a file. Yields (the FIFO's path, a function returning the
    lines read so far); the reader is stopped on leaving."""
    w = router.vl.lab.workdir
    fifo = os.path.join(w, name)
    log = os.path.join(w, name + ".log")
    os.mkfifo(fifo)
    reader = router.node.spawn(f"exec 3<>{fifo}; exec cat <&3 > {log}")
    try:
        yield fifo, lambda: lablib.file_lines(log)
    finally:
        os.killpg(reader.pid, signal.SIGTERM)
        reader.wait(timeout=5)


def decode(capture: lablib.Capture, timeout: float | None = None,
           extra: list[str] = ()) -> list[dict]:
    """Waits for ``capture`` to end and returns its packets as tshark JSON, with expert
    info (``-V`` fields such as ``_ws.expert`` and ``_ws.malformed`` appear as layers)."""
    limit = timeout if timeout is not None else capture.duration + 15
    try:
        capture.process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        capture.process.kill()
        raise
    out = subprocess.run([TSHARK, "-r", capture.pcap, "-T", "json", *extra],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return json.loads(out) if out.strip() else []


def gratuitous_arps(capture: lablib.Capture) -> list[tuple[str, str, str]]:
    """The gratuitous ARPs (sender = target) of ``capture``, in order: (Ethernet source,
    sender MAC, address)."""
    out = []
    for p in capture.packets():
        arp = lablib.layer(p, "arp")
        if arp and arp["arp.src.proto_ipv4"] == arp["arp.dst.proto_ipv4"]:
            out.append((lablib.layer(p, "eth")["eth.src"], arp["arp.src.hw_mac"],
                        arp["arp.src.proto_ipv4"]))
    return out


def adverts(packets: list[dict]) -> list[dict]:
    """The VRRP packets of a capture as flat dicts: src, dst, ttl, time, version, vrid,
    prio, count, checksum_status, malformed, expert (list of expert messages), layer."""
    out = []
    for p in packets:
        v = lablib.layer(p, "vrrp")
        if v is None:
            continue
        ip = lablib.layer(p, "ip") or {}
        ip6 = lablib.layer(p, "ipv6") or {}
        layers = p["_source"]["layers"]
        out.append({
            "src": ip.get("ip.src") or ip6.get("ipv6.src"),
            "dst": ip.get("ip.dst") or ip6.get("ipv6.dst"),
            "ttl": int(ip.get("ip.ttl") or ip6.get("ipv6.hlim") or 0),
            "time": float(lablib.layer(p, "frame")["frame.time_epoch"]),
            "eth_src": (lablib.layer(p, "eth") or {}).get("eth.src"),
            "version": int(_find(v, "vrrp.version")),
            "vrid": int(_find(v, "vrrp.virt_rtr_id")),
            "prio": int(_find(v, "vrrp.prio")),
            "checksum_status": _find(v, "vrrp.checksum.status"),
            "malformed": "_ws.malformed" in layers or "_ws.malformed" in json.dumps(v),
            "expert": _experts(p),
            "layer": v,
        })
    return out


def _find(tree, key):
    """Depth-first search of a tshark JSON tree for ``key``."""
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        for val in tree.values():
            got = _find(val, key)
            if got is not None:
                return got
    elif isinstance(tree, list):
        for val in tree:
            got = _find(val, key)
            if got is not None:
                return got
    return None


def _experts(packet: dict) -> list[str]:
    text = []

    def walk(t):
        if isinstance(t, dict):
            for k, val in t.items():
                if k == "_ws.expert.message":
                    text.append(val)
                walk(val)
        elif isinstance(t, list):
            for val in t:
                walk(val)

    walk(packet)
    return text


def stop_after_next_advert(capture: lablib.Capture, spec: Spec) -> None:
    """Ends ``capture`` once the adverts sent so far (and the next one) have reached the
    file: the capture library hands packets over in blocks, so stopping at once can lose
    the last ones."""
    time.sleep(max(0.6, spec.interval * 1.3))
    capture.stop()


def variant(spec: Spec, **kw) -> Spec:
    return replace(spec, **kw)
