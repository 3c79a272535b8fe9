"""Lab test: vrrp_rx_bufs_policy, vrrp_rx_bufs_multiplier and kernel_rx_buf_size size the
VRRP advert receive socket as in keepalived — the sum, over the instances on the socket, of
each one's kernel_rx_buf_size, else the policy's BYTES, or the multiplier times the
interface's MTU or the advert's length, asked with SO_RCVBUF (the kernel doubles it) — read
back with getsockopt on copies of the descriptors for vigild's VRRP engine and for keepalived 2.2.7's VRRP process under
the same configuration.

With the MTU policy the socket is sized again when the MTU changes, as keepalived does.

Topology: one node per daemon; two IPv4 instances (VRIDs 51 and 52) on eth0 (MTU 1500),
whose adverts one multicast socket receives.
"""

from __future__ import annotations

import ctypes
import os
import socket

import pytest

import lab as lablib
from vrrp_lab import Spec, VrrpLab

IPPROTO_VRRP = 112
SYS_PIDFD_GETFD = 438  # the same number on every architecture
LIBC = ctypes.CDLL(None, use_errno=True)


@pytest.fixture
def vl(lab, vigild):
    return VrrpLab(lab, vigild)


def vrrp_raw_buffers(node: lablib.Node, pid: int) -> list[int]:
    """The receive buffer sizes (SO_RCVBUF, as the kernel doubled it) of process ``pid``'s
    raw VRRP sockets, read on copies of its descriptors (pidfd_getfd; `ss -m` has nothing
    for raw sockets without the raw_diag module)."""
    del node  # the descriptors are read from here, whatever their namespace
    sizes = []
    pidfd = os.pidfd_open(pid)
    try:
        for name in os.listdir(f"/proc/{pid}/fd"):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                    continue
            except OSError:
                continue
            fd = LIBC.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                continue
            with socket.socket(fileno=fd) as s:
                if (s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_RAW and
                        s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) == IPPROTO_VRRP):
                    sizes.append(s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
    finally:
        os.close(pidfd)
    return sorted(sizes)


def instances(r, b_extra: str = "") -> str:
    """VI_A and VI_B, each with a VIP of its own, on eth0."""
    body = ""
    for i, (name, extra) in enumerate((("VI_A", ""), ("VI_B", b_extra))):
        spec = Spec(version=2, interval=1, vrid=51 + i)
        body += r.instance(spec, 100, extra=extra, name=name).replace(
            spec.vip_lines()[0], f"10.99.5.{1 + i}/32")
    return body


CASES = {
    # MTU: 4 x 1500 for VI_A, VI_B's own 10000.
    "mtu": ("vrrp_rx_bufs_policy MTU\nvrrp_rx_bufs_multiplier 4", "kernel_rx_buf_size 10000",
            4 * 1500 + 10000),
    # ADVERT: 50 x (IPv4 header 20 + VRRP 8 + one address 4 + v2 authentication 8), twice.
    "advert": ("vrrp_rx_bufs_policy advert\nvrrp_rx_bufs_multiplier 50", "",
               2 * 50 * (20 + 8 + 4 + 8)),
    # BYTES for VI_A, VI_B's own.
    "size": ("vrrp_rx_bufs_policy 50000", "kernel_rx_buf_size 7000", 50000 + 7000),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_vrrp_receive_socket_is_sized_as_keepalived_sizes_it(vl, kind, case):
    global_extra, b_extra, asked = CASES[case]
    (r,) = vl.routers_of([kind])
    r.start(Spec(version=2, interval=1), 100, global_extra=global_extra,
            body=instances(r, b_extra=b_extra))
    pid_file = os.path.join(vl.lab.workdir, f"{r.name}-vrrp.pid")
    lablib.wait_until(lambda: os.path.exists(pid_file), timeout=10,
                      message=f"{r.name}: VRRP engine pid file")
    with open(pid_file) as f:
        pid = int(f.read().strip())
    want = 2 * asked
    lablib.wait_until(lambda: want in vrrp_raw_buffers(r.node, pid), timeout=10,
                      message=f"{kind}: a VRRP socket with rb{want} "
                              f"(have {vrrp_raw_buffers(r.node, pid)})")
    if case != "mtu":
        return
    # The socket follows an MTU change.
    r.node.run(["ip", "link", "set", "eth0", "mtu", "1400"])
    want = 2 * (4 * 1400 + 10000)
    lablib.wait_until(lambda: want in vrrp_raw_buffers(r.node, pid), timeout=10,
                      message=f"{kind}: a VRRP socket with rb{want} after the MTU change "
                              f"(have {vrrp_raw_buffers(r.node, pid)})")


def test_vrrp_receive_socket_keeps_the_kernel_default_without_the_keywords(vl):
    (r,) = vl.routers_of(["vigil"])
    r.start(Spec(version=2, interval=1), 100, body=instances(r))
    pid_file = os.path.join(vl.lab.workdir, f"{r.name}-vrrp.pid")
    lablib.wait_until(lambda: os.path.exists(pid_file), timeout=10,
                      message=f"{r.name}: VRRP engine pid file")
    with open(pid_file) as f:
        pid = int(f.read().strip())
    with open("/proc/sys/net/core/rmem_default") as f:
        default = int(f.read())
    lablib.wait_until(lambda: vrrp_raw_buffers(r.node, pid) != [], timeout=10,
                      message="the VRRP sockets")
    assert set(vrrp_raw_buffers(r.node, pid)) == {default}
