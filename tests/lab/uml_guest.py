"""The guest side of the UML lab: what every case driver (ipvs_uml_cases.py,
ipvlan_uml_cases.py, syncd_uml_cases.py) does inside the UML kernel.

- Namespaces from one process: ``in_netns`` (setns for this thread: sockets and processes
  made in the block live there), ``run`` (a bounded command in a namespace), ``ip_batch``
  (one ``ip`` process for many commands), ``sysctl`` (written from this process). Every
  exec is slow in UML: do in-process what can be.
- The switch: ``build_switch`` makes namespace "sw" with bridge br0 and one namespace per
  node plugged into it as eth0; ``plug`` adds one more later.
- The cases: ``parse_args`` reads the driver's command line (--results, --vigild, --only),
  ``run_cases`` runs the chosen cases in order and writes each one's result for the host
  (uml.case_result reads them).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager, nullcontext

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextmanager
def in_netns(ns_name: str):
    """Runs the block with this thread in namespace ``ns_name`` (sockets made there stay
    there, processes started there run there), then returns the thread to its own."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns_name}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(home)
        os.close(target)


def run(ns: str | None, argv: list[str], input_text: str | None = None,
        timeout: float = 60.0) -> str:
    """Runs argv in namespace ``ns`` (None: the guest's own), bounded; returns stdout."""
    with in_netns(ns) if ns else nullcontext():
        proc = subprocess.run(argv, input=input_text, capture_output=True, text=True,
                              timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{ns}: {argv} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def ip_batch(ns: str | None, lines: list[str]) -> None:
    """Runs ``ip`` commands in namespace ``ns``, one process for all (a batch has one
    address family: the lines that start with "-6 " run in a second, IPv6 batch)."""
    for family, mine in (([], [x for x in lines if not x.startswith("-6 ")]),
                         (["-6"], [x[3:] for x in lines if x.startswith("-6 ")])):
        if mine:
            run(None, ["ip", *family, *(["-n", ns] if ns else []), "-batch", "-"],
                "\n".join(mine) + "\n")


def sysctl(ns: str, values: dict[str, object]) -> None:
    """Writes sysctls of namespace ``ns`` from this process (/proc/sys follows the thread)."""
    with in_netns(ns):
        for key, value in values.items():
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(f"{value}\n")


# ======================================================================================
# The switch.

SWITCH = "sw"
BRIDGE = "br0"
_BRIDGE_TYPE = "type bridge stp_state 0 forward_delay 0 mcast_snooping 0"


def _plug_lines(bridge: str, port: str, node: str, dev: str) -> list[str]:
    """``ip`` commands (in the switch) for a veth pair: ``port`` on ``bridge``, up, and
    ``dev`` in namespace ``node``."""
    return [f"link add {port} type veth peer name {dev} netns {node}",
            f"link set {port} master {bridge}", f"link set {port} up"]


def build_switch(nodes: Mapping[str, int], more_ports: Iterable[tuple[str, str, str, str]] = (),
                 no_dad: bool = True) -> None:
    """Makes namespace ``SWITCH`` with bridge ``BRIDGE`` (no STP, no forwarding delay, no
    multicast snooping; no IPv6 on its ports) and a namespace for each node of ``nodes``
    ({name: N}) whose eth0 is plugged into the bridge through port pN. ``more_ports``:
    more (bridge, port, node, device) pairs, on further bridges made for them. ``no_dad``:
    the nodes' IPv6 addresses skip duplicate address detection (usable at once)."""
    ip_batch(None, [f"netns add {n}" for n in (SWITCH, *nodes)])
    if no_dad:
        for n in nodes:
            sysctl(n, {f"net.ipv6.conf.{k}.{v}": 0 for k in ("all", "default")
                       for v in ("accept_dad", "dad_transmits")})
    ports = [(BRIDGE, f"p{i}", n, "eth0") for n, i in nodes.items()] + list(more_ports)
    bridges = list(dict.fromkeys([BRIDGE, *(p[0] for p in ports)]))
    lines = [f"link add {b} {_BRIDGE_TYPE}" for b in bridges]
    for port in ports:
        lines += _plug_lines(*port)
    lines += [f"link set {b} up" for b in bridges]
    sysctl(SWITCH, {"net.ipv6.conf.default.disable_ipv6": 1})
    ip_batch(SWITCH, lines)


def plug(node: str, port: str, dev: str = "eth0", bridge: str = BRIDGE) -> None:
    """Makes namespace ``node`` with ``dev`` plugged into ``bridge`` of the switch through
    ``port`` (a new name for each plug: a node that comes back gets a fresh namespace)."""
    ip_batch(None, [f"netns add {node}"])
    ip_batch(SWITCH, _plug_lines(bridge, port, node, dev))


# ======================================================================================
# The cases.

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The driver's command line: --results DIR --vigild PATH [--only NAME ...]."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--vigild", required=True)
    parser.add_argument("--only", nargs="*")
    return parser.parse_args(argv)


def chosen(names: Iterable[str], only: list[str] | None,
           default: Iterable[str] | None = None) -> list[str]:
    """The names of ``names`` to run, in their order: those ``only`` lists, else those of
    ``default``, else all."""
    pick = only or default
    return [n for n in names if pick is None or n in pick]


def write_result(results: str, name: str, result: dict) -> None:
    """Writes ``result`` to results/<name>.json through a temporary file renamed into place,
    so that the host never reads half of one."""
    tmp = os.path.join(results, f".{name}.tmp")
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
    os.rename(tmp, os.path.join(results, f"{name}.json"))


Case = Callable[[str, dict], object]


def run_cases(cases: Mapping[str, Case], args: argparse.Namespace,
              split: Callable[[dict], Mapping[str, dict]] | None = None) -> None:
    """Runs each case of ``cases`` ({name: fn(vigild, result)}) in order and writes its
    result. A case fills the dict ``result`` ({"name": name, "error": ""}) as it goes:
    what it filled before an exception stays, with the traceback as "error"; "seconds"
    says how long it ran. The result goes to args.results/<name>.json, or, when ``split``
    is given, each of ``split(result)`` ({name: result}) to its own file: a case that
    stands for several (a run of IPVS cases sharing one daemon start)."""
    for name, fn in cases.items():
        t0 = time.monotonic()
        result: dict = {"name": name, "error": ""}
        try:
            fn(args.vigild, result)
        except Exception:  # noqa: BLE001 - recorded for the host to report
            result["error"] = traceback.format_exc()
        result["seconds"] = round(time.monotonic() - t0, 2)
        print(f"driver: {name} {result['seconds']}s", flush=True)
        for out_name, out in (split(result) if split else {name: result}).items():
            write_result(args.results, out_name, out)
