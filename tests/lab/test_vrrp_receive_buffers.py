"""Lab test: the VRRP engine's netlink receive buffers (vrrp_netlink_cmd_rcv_bufs,
vrrp_netlink_monitor_rcv_bufs and their _force) are what the configuration asks, read back
from the kernel with `ss -m` for vigild's VRRP engine and for keepalived 2.2.7's VRRP
process under the same configuration. The kernel doubles what it grants; without _force it
grants at most net.core.rmem_max."""

from __future__ import annotations

import os
import re

import pytest

import lab as lablib
from vrrp_lab import Spec, VrrpLab

SPEC = Spec(version=2, interval=1)
SS = "/usr/bin/ss"


@pytest.fixture
def vl(lab, vigild):
    return VrrpLab(lab, vigild)


def rmem_max() -> int:
    with open("/proc/sys/net/core/rmem_max") as f:
        return int(f.read())


def rtnl_ports(pid: int) -> set[int]:
    """The port ids of process ``pid``'s NETLINK_ROUTE sockets: its descriptors' socket
    inodes looked up in /proc/PID/net/netlink (its network namespace's table)."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            link = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", link)
        if m:
            inodes.add(int(m.group(1)))
    ports = set()
    with open(f"/proc/{pid}/net/netlink") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == "0" and int(fields[9]) in inodes:
                ports.add(int(fields[2]) & 0xFFFFFFFF)
    return ports


def rtnl_buffers(node: lablib.Node, pid: int) -> list[int]:
    """The distinct receive buffer sizes (rb) of process ``pid``'s NETLINK_ROUTE sockets, from
    ``ss -f netlink -m -n`` in its namespace."""
    ports = rtnl_ports(pid)
    out = node.run([SS, "-f", "netlink", "-m", "-n"]).stdout
    sizes = []
    for line in out.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 3 or not fields[2].startswith("0:"):
            continue
        if int(fields[2].split(":")[1]) & 0xFFFFFFFF not in ports:
            continue
        m = re.search(r"\brb(\d+)", line)
        if m:
            sizes.append(int(m.group(1)))
    return sorted(set(sizes))


def vrrp_pid(r) -> int:
    with open(os.path.join(r.vl.lab.workdir, f"{r.name}-vrrp.pid")) as f:
        return int(f.read().strip())


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_vrrp_netlink_buffers_are_set_as_configured(vl, kind):
    if not os.path.exists(SS):
        pytest.skip("ss (iproute2) is missing")
    big = rmem_max() + 1000000  # more than SO_RCVBUF may grant
    forced, plain = vl.routers_of([kind, kind])
    forced.start(SPEC, 100, global_extra=f"""
        vrrp_netlink_cmd_rcv_bufs 300000
        vrrp_netlink_monitor_rcv_bufs {big}
        vrrp_netlink_monitor_rcv_bufs_force
    """)
    # Without _force the same size is capped at rmem_max.
    plain.start(SPEC, 90, global_extra=f"""
        vrrp_netlink_cmd_rcv_bufs 300000
        vrrp_netlink_monitor_rcv_bufs {big}
    """)
    for r, monitor in ((forced, 2 * big), (plain, 2 * rmem_max())):
        pid_file = os.path.join(vl.lab.workdir, f"{r.name}-vrrp.pid")
        lablib.wait_until(lambda: os.path.exists(pid_file), timeout=10,
                          message=f"{r.name}: VRRP engine pid file")
        pid = vrrp_pid(r)
        want = [600000, monitor]
        lablib.wait_until(lambda: rtnl_buffers(r.node, pid) == want, timeout=10,
                          message=f"{r.name} {kind}: rtnl buffers {want} "
                                  f"(have {rtnl_buffers(r.node, pid)})")
