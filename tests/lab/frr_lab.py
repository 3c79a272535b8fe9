"""FRR daemons (zebra + bfdd, FRR 8.4 from Debian's frr package) inside a lab node.

Each Frr keeps its files (configurations, pid files, the zebra API socket, the vty
sockets, bfdd's control socket) in a directory of the lab's work directory owned by the
``frr`` user, which FRR's daemons run as; nothing of the host's /etc/frr or /run/frr is
used. The daemons run in the foreground as lab processes, so the lab kills them at cleanup.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import signal
import subprocess
import time

import lab as lablib

FRR_DIR = "/usr/lib/frr"
VTYSH = "/usr/bin/vtysh"


def frr_missing() -> str:
    """Returns why FRR cannot run here ("" when it can)."""
    for path in (f"{FRR_DIR}/zebra", f"{FRR_DIR}/bfdd", VTYSH):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install frr)"
    try:
        pwd.getpwnam("frr")
        grp.getgrnam("frrvty")
    except KeyError:
        return "the frr user or the frrvty group is missing"
    return ""


class Frr:
    """zebra and bfdd (and bgpd, start_bgpd) on ``node``."""

    def __init__(self, node: lablib.Node, log_level: str = "info"):
        self.node = node
        self.log_level = log_level
        self.dir = os.path.join(node.lab.workdir, f"frr-{node.short}")
        os.makedirs(self.dir, exist_ok=True)
        # FRR runs as frr: every directory above its own must let it through.
        os.chmod(node.lab.workdir, 0o711)
        frr = pwd.getpwnam("frr")
        os.chown(self.dir, frr.pw_uid, frr.pw_gid)
        os.chmod(self.dir, 0o755)
        self.zebra: subprocess.Popen | None = None
        self.bfdd: subprocess.Popen | None = None
        self.bgpd: subprocess.Popen | None = None

    def _file(self, name: str, text: str) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        frr = pwd.getpwnam("frr")
        os.chown(path, frr.pw_uid, frr.pw_gid)
        return path

    def _common(self, daemon: str) -> list[str]:
        return ["-z", f"{self.dir}/zserv.api", "--vty_socket", self.dir,
                "-i", f"{self.dir}/{daemon}.pid", "--log", "stdout", "--log-level", self.log_level]

    def start(self, bfd_conf: str | None, zebra_conf: str = "!\n") -> None:
        """Starts zebra with ``zebra_conf``, then bfdd with ``bfd_conf`` (frr.conf text: a
        ``bfd`` block; None: no bfdd)."""
        zconf = self._file("zebra.conf", zebra_conf)
        self.zebra = self.node.spawn([f"{FRR_DIR}/zebra", "-f", zconf, *self._common("zebra")],
                                     log_name=f"{self.node.short}-zebra.log")
        lablib.wait_until(lambda: os.path.exists(f"{self.dir}/zserv.api"), timeout=15,
                          message="zebra's API socket")
        if bfd_conf is not None:
            self.start_bfdd(bfd_conf)

    def start_bfdd(self, bfd_conf: str | None = None) -> None:
        if bfd_conf is not None:
            self._file("bfdd.conf", bfd_conf)
        vty = f"{self.dir}/bfdd.vty"
        if os.path.exists(vty):
            os.unlink(vty)
        self.bfdd = self.node.spawn([f"{FRR_DIR}/bfdd", "-f", f"{self.dir}/bfdd.conf",
                                     "--bfdctl", f"{self.dir}/bfdd.sock", *self._common("bfdd")],
                                    log_name=f"{self.node.short}-bfdd-{time.monotonic_ns()}.log")
        lablib.wait_until(lambda: os.path.exists(vty), timeout=15, message="bfdd's vty socket")

    def start_bgpd(self, bgp_conf: str) -> None:
        """Starts bgpd (port 179) with ``bgp_conf`` (frr.conf text: a ``router bgp`` block);
        zebra must run."""
        self._file("bgpd.conf", bgp_conf)
        vty = f"{self.dir}/bgpd.vty"
        self.bgpd = self.node.spawn([f"{FRR_DIR}/bgpd", "-f", f"{self.dir}/bgpd.conf", "-p", "179",
                                     *self._common("bgpd")],
                                    log_name=f"{self.node.short}-bgpd.log")
        lablib.wait_until(lambda: os.path.exists(vty), timeout=15, message="bgpd's vty socket")

    def kill_all(self) -> None:
        """SIGKILLs every daemon (a machine that dies)."""
        for proc in (self.bgpd, self.bfdd, self.zebra):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def vtysh_json(self, command: str, daemon: str) -> dict | list:
        """Returns the JSON answer of ``daemon`` to ``command`` ({} when none)."""
        out = self.node.run([VTYSH, "--vty_socket", self.dir, "-d", daemon, "-c", command],
                            timeout=15, check=False).stdout
        try:
            return json.loads(out)
        except ValueError:
            return {}

    def configure(self, daemon: str, *lines: str) -> None:
        """Applies configuration ``lines`` (as typed after ``configure terminal``) to the
        running ``daemon``."""
        argv = [VTYSH, "--vty_socket", self.dir, "-d", daemon, "-c", "configure terminal"]
        for line in lines:
            argv += ["-c", line]
        self.node.run(argv, timeout=15)

    def kill_bfdd(self) -> None:
        """SIGKILLs bfdd: its sessions go silent without a word."""
        assert self.bfdd is not None
        os.killpg(self.bfdd.pid, signal.SIGKILL)
        self.bfdd.wait(timeout=10)

    def vtysh(self, command: str) -> str:
        return self.node.run([VTYSH, "--vty_socket", self.dir, "-d", "bfdd", "-c", command],
                             timeout=15, check=False).stdout

    def bfd_peers(self) -> list[dict]:
        try:
            return json.loads(self.vtysh("show bfd peers json"))
        except ValueError:
            return []

    def wait_bfd_up(self, peers: list[str], timeout: float = 30) -> None:
        """Waits until bfdd's sessions that are Up are exactly those with ``peers``."""
        def up() -> list[str]:
            return sorted(p["peer"] for p in self.bfd_peers() if p.get("status") == "up")
        lablib.wait_until(lambda: up() == sorted(peers), timeout=timeout,
                          message=f"BFD up with {sorted(peers)} (now {up()})")

    def peer(self, address: str) -> dict:
        for p in self.bfd_peers():
            if p.get("peer") == address:
                return p
        return {}

    def log(self) -> str:
        if self.bfdd is None:
            return ""
        with open(self.bfdd.log_path, encoding="utf-8", errors="replace") as f:  # type: ignore[attr-defined]
            return f.read()


VIGIL_CONF = """global_defs {{
  vigil_control_socket {ctl}
}}
bfd_instance rtr {{
  neighbor_ip {rtr}
  source_ip {lb}
  min_rx {ms}
  min_tx {ms}
  multiplier {mult}
{passive}}}
vrrp_instance VI_1 {{
  interface eth0
  virtual_router_id 81
  priority 100
  advert_int 1
  virtual_ipaddress {{
    10.99.0.100/16
  }}
  track_bfd {{
    rtr
  }}
}}
"""


def vigil_conf(ctl: str, rtr: str, lb: str, interval_ms: int = 100, multiplier: int = 3,
               passive: bool = False) -> str:
    """vigild's side: bfd_instance rtr towards `rtr` from `lb`, and VI_1 (VIP 10.99.0.100)
    tracking it with weight 0."""
    return VIGIL_CONF.format(ctl=ctl, rtr=rtr, lb=lb, ms=interval_ms, mult=multiplier,
                             passive="  passive\n" if passive else "")


def bfd_block(peer: str, local: str, interval_ms: int = 100, multiplier: int = 3,
              passive: bool = False) -> str:
    """frr.conf's bfd block with one single-hop peer."""
    return (f"bfd\n peer {peer} local-address {local}\n"
            f"  receive-interval {interval_ms}\n  transmit-interval {interval_ms}\n"
            f"  detect-multiplier {multiplier}\n" + ("  passive-mode\n" if passive else "") +
            " !\n!\n")
