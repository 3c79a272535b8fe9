"""Lab test: lvs_netlink_cmd_rcv_bufs and lvs_netlink_monitor_rcv_bufs (with their _force)
size the checker engine's load-balancer netlink sockets, read back from the kernel with
`ss -m`: with the nftables backend, the batch (command) socket and the nftables event
monitor (the NETLINK_NETFILTER socket in group NFNLGRP_NFTABLES). keepalived's checker sizes
its rtnetlink sockets with them; vigil's checker has none (docs/compatibility.md: differs).
The kernel doubles what it grants; without _force it grants at most net.core.rmem_max. A
reload resizes the monitor, as keepalived's checker does; the command socket keeps its size.

Topology: one node "lb" running vigild with one virtual server (nftables backend).
"""

from __future__ import annotations

import json
import os
import re
import textwrap

import pytest

import lab as lablib
from test_fault_children import Children

SS = "/usr/bin/ss"
NETLINK_NETFILTER = 12
NFNLGRP_NFTABLES_MASK = 1 << (7 - 1)


def rmem_max() -> int:
    with open("/proc/sys/net/core/rmem_max") as f:
        return int(f.read())


def netfilter_sockets(pid: int) -> dict[int, bool]:
    """Process ``pid``'s NETLINK_NETFILTER sockets: port id -> whether it is in the nftables
    event group, from its descriptors' inodes and /proc/PID/net/netlink."""
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
    out = {}
    with open(f"/proc/{pid}/net/netlink") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if int(fields[1]) == NETLINK_NETFILTER and int(fields[9]) in inodes:
                out[int(fields[2]) & 0xFFFFFFFF] = bool(int(fields[3], 16) & NFNLGRP_NFTABLES_MASK)
    return out


def buffers(node: lablib.Node, pid: int) -> tuple[list[int], list[int]]:
    """The receive buffer sizes (ss's rb) of ``pid``'s NETLINK_NETFILTER sockets: (those
    outside the nftables event group, sorted; those in it)."""
    sockets = netfilter_sockets(pid)
    out = node.run([SS, "-f", "netlink", "-m", "-n"]).stdout
    sizes = {}  # ss lists a socket once per group it is in
    for line in out.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 3 or not fields[2].startswith(f"{NETLINK_NETFILTER}:"):
            continue
        port = int(fields[2].split(":")[1]) & 0xFFFFFFFF
        if port not in sockets:
            continue
        m = re.search(r"\brb(\d+)", line)
        if m:
            sizes[port] = int(m.group(1))
    plain = sorted(rb for port, rb in sizes.items() if not sockets[port])
    monitors = sorted(rb for port, rb in sizes.items() if sockets[port])
    return plain, monitors


def conf(c: Children, buffers_conf: str) -> str:
    return textwrap.dedent(f"""\
        global_defs {{
            router_id lb
            vigil_control_socket {c.work}/lb.ctl
            vigil_lb_backend nftables
        {textwrap.indent(buffers_conf, "    ")}
        }}
        virtual_server 10.99.0.100 80 {{
            delay_loop 1
            lb_algo rr
            lb_kind NAT
            protocol TCP
            real_server 10.99.0.7 80 {{
                weight 1
            }}
        }}
        """)


@pytest.fixture
def children(lab, vigild):
    if not os.path.exists(SS):
        pytest.skip("ss (iproute2) is missing")
    c = Children(lab, vigild)
    yield c
    if c.proc is not None and c.proc.poll() is None:
        c.proc.terminate()
        c.proc.wait(timeout=15)


def test_lb_netlink_buffers_are_set_as_configured_and_the_monitor_on_reload(children):
    c = children
    big = rmem_max() + 1000000  # more than SO_RCVBUF may grant
    c.start(conf(c, f"""\
        lvs_netlink_cmd_rcv_bufs 300000
        lvs_netlink_monitor_rcv_bufs {big}
        lvs_netlink_monitor_rcv_bufs_force
        """))
    pid = c.engine_pid("check")
    # The monitor opens once the first transaction has made vigil's table.
    c.wait(lambda: len(buffers(c.node, pid)[1]) == 1, 15, "the nftables event monitor")
    plain, monitors = buffers(c.node, pid)
    assert monitors == [2 * big], (plain, monitors)
    assert 2 * 300000 in plain, (plain, monitors)

    # Without _force the monitor is capped at rmem_max; the command socket keeps its size.
    with open(os.path.join(c.work, "lb.conf"), "w") as f:
        f.write(conf(c, f"""\
            lvs_netlink_cmd_rcv_bufs 400000
            lvs_netlink_monitor_rcv_bufs {big}
            """))
    reload = c.node.run([os.path.join(os.path.dirname(c.vigild), "vigilctl"), "-s", c.ctl,
                         "--json", "reload", "-t", "30000"], check=False, timeout=40)
    assert json.loads(reload.stdout)["ok"] is True, reload.stdout
    c.wait(lambda: buffers(c.node, pid)[1] == [2 * rmem_max()], 10,
           f"the monitor resized (have {buffers(c.node, pid)})")
    plain, _ = buffers(c.node, pid)
    assert 2 * 300000 in plain and 2 * 400000 not in plain, plain


def test_lb_netlink_buffers_default_to_vigils_4_mib(children):
    c = children
    c.start(conf(c, ""))
    pid = c.engine_pid("check")
    c.wait(lambda: len(buffers(c.node, pid)[1]) == 1, 15, "the nftables event monitor")
    plain, monitors = buffers(c.node, pid)
    assert monitors == [2 * 4 * 1024 * 1024], (plain, monitors)
    assert 2 * 4 * 1024 * 1024 in plain, (plain, monitors)
