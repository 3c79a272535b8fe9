"""Interfaces that come, go and come back, and notifications that are lost: a VRRP instance
follows its interface by name (a new ifindex means new sockets), an instance whose interface
does not exist yet waits for it in FAULT (dynamic_interfaces) while the others run, and a
netlink receive-buffer overrun is recovered by re-reading everything (the lost link-down is
not lost). Each router here is alone: an instance on a veth whose peer end sits in the same
namespace hears nobody and becomes master."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

import lab as lablib
from vrrp_lab import IP, KEEPALIVED, VRRP_BPF, Spec, VrrpLab, adverts, require_tshark

SPEC = Spec(version=3, interval=0.1)
VIP9 = "10.77.0.100"
VIP0 = "10.99.200.1"


@pytest.fixture
def vl(lab, vigild):
    return VrrpLab(lab, vigild)


def instance(name: str, dev: str, vrid: int, vip: str, prefix: int = 24) -> str:
    return (f"vrrp_instance {name} {{\n    state BACKUP\n    interface {dev}\n"
            f"    virtual_router_id {vrid}\n    version 3\n    advert_int 0.1\n"
            f"    priority 100\n    virtual_ipaddress {{\n        {vip}/{prefix}\n    }}\n}}\n")


def make_link(node: lablib.Node, name: str = "vlan9", address: str = "10.77.0.1/24") -> int:
    """Creates veth ``name`` (its peer ``<name>p`` in the same node), addressed and up;
    returns its ifindex."""
    node.run([IP, "link", "add", name, "type", "veth", "peer", "name", name + "p"])
    node.run([IP, "addr", "add", address, "dev", name])
    node.link_set(name + "p", True)
    node.link_set(name, True)
    return ifindex(node, name)


def ifindex(node: lablib.Node, name: str) -> int:
    return node.ip_json("link", "show", "dev", name)[0]["ifindex"]


def engine_pid(r) -> int:
    with open(os.path.join(r.vl.lab.workdir, f"{r.name}-vrrp.pid")) as f:
        return int(f.read().strip())


def wait_state(r, name: str, state: str, timeout: float = 5) -> None:
    lablib.wait_until(lambda: r.state(name) == state, timeout=timeout,
                      message=f"{r.name} {name} {state}")


def test_deleted_and_recreated_interface_is_followed_by_name(vl):
    (r1,) = vl.routers_of(["vigil"])
    node = r1.node
    old = make_link(node)
    r1.start(SPEC, 100, body=instance("VI_1", "vlan9", 51, VIP9))
    wait_state(r1, "VI_1", "MASTER")
    assert VIP9 in r1.addresses("vlan9")

    node.run([IP, "link", "del", "vlan9"])
    wait_state(r1, "VI_1", "FAULT")

    new = make_link(node)
    assert new != old
    # Back without a restart: bound to the new interface, master again, VIP on it.
    lablib.wait_until(lambda: r1.state() == "MASTER" and VIP9 in r1.addresses("vlan9"),
                      timeout=5, message="VI_1 MASTER on the re-created vlan9")
    sent = r1.instances()["VI_1"]["adverts_sent"]
    lablib.wait_until(lambda: r1.instances()["VI_1"]["adverts_sent"] >= sent + 3, timeout=3,
                      message="adverts leave the new vlan9")
    log = r1.log()
    assert "VI_1: interface vlan9 was deleted; its sockets are closed" in log
    assert f"VI_1: bound to interface vlan9 (index {new}, adverts from 10.77.0.1)" in log


def test_recreated_while_the_engine_slept_is_a_rebind(vl):
    """The delete and the add both arrive at once (the engine was stopped in between): the
    new index under the same name is enough to rebind."""
    (r1,) = vl.routers_of(["vigil"])
    node = r1.node
    old = make_link(node)
    r1.start(SPEC, 100, body=instance("VI_1", "vlan9", 51, VIP9))
    wait_state(r1, "VI_1", "MASTER")
    pid = engine_pid(r1)
    os.kill(pid, signal.SIGSTOP)
    try:
        node.run([IP, "link", "del", "vlan9"])
        new = make_link(node)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert new != old
    lablib.wait_until(lambda: r1.state() == "MASTER" and VIP9 in r1.addresses("vlan9"),
                      timeout=5, message="VI_1 MASTER with its VIP on the new vlan9")
    assert f"VI_1: bound to interface vlan9 (index {new}" in r1.log()


def test_late_interface_waits_in_fault_with_dynamic_interfaces(vl):
    (r1,) = vl.routers_of(["vigil"])
    node = r1.node
    body = instance("VI_1", "eth0", 51, VIP0, 16) + instance("VI_2", "vlan9", 52, VIP9)
    r1.start(SPEC, 100, body=body, global_extra="dynamic_interfaces")
    wait_state(r1, "VI_1", "MASTER")
    assert r1.state("VI_2") == "FAULT"
    assert r1.instances()["VI_2"]["transitions"] == 1  # INIT -> FAULT, never BACKUP
    assert ("VI_2: interface vlan9 does not exist yet; waiting for it in FAULT "
            "(dynamic_interfaces)") in r1.log()

    # The same on a respawn: the new engine runs VI_1 and waits for vlan9 again.
    pid = engine_pid(r1)
    os.kill(pid, signal.SIGKILL)
    lablib.wait_until(lambda: engine_pid(r1) != pid and r1.state("VI_1") == "MASTER",
                      timeout=8, message="respawned engine, VI_1 MASTER")
    assert r1.state("VI_2") == "FAULT"
    assert r1.running()

    make_link(node)
    wait_state(r1, "VI_2", "MASTER")
    assert VIP9 in r1.addresses("vlan9")
    assert r1.state("VI_1") == "MASTER"


def test_missing_interface_without_dynamic_interfaces_is_refused_like_keepalived(vl):
    (r1,) = vl.routers_of(["vigil"])
    body = instance("VI_1", "eth0", 51, VIP0, 16) + instance("VI_2", "vlan9", 52, VIP9)
    conf = vl.file("late.conf", "global_defs {\n    router_id r1\n}\n" + body)
    t = r1.node.run([vl.vigild, "-t", "-f", conf], check=False)
    assert t.returncode == 5  # keepalived -t's status for a configuration error
    assert ("error: interface 'vlan9' does not exist (the VRRP engine cannot start without "
            "it; global_defs dynamic_interfaces makes its instance wait in FAULT)") in t.stderr
    if os.path.exists(KEEPALIVED):
        # The oracle: keepalived 2.2.7 fails the same test ("Non-existent interface").
        k = r1.node.run([KEEPALIVED, "-t", "-f", conf], check=False)
        assert k.returncode == t.returncode and "Non-existent interface" in k.stdout + k.stderr
    proc = r1.node.spawn([vl.vigild, "-n", "-l", "-f", conf, "-p", conf + ".pid",
                          "-r", conf + "-vrrp.pid", "-c", conf + "-check.pid"],
                         log_name="late-vigild.log")
    try:
        assert proc.wait(timeout=10) != 0
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    with open(proc.log_path, encoding="utf-8", errors="replace") as f:
        assert "the configuration cannot run; not starting" in f.read()


def test_lost_link_down_after_a_netlink_overrun_is_rederived(vl):
    """SIGSTOP the engine, overflow its netlink monitor (address churn on another veth),
    take the instance's link down, SIGCONT: the overrun makes it re-read the links, and the
    down it never heard of puts the instance in FAULT."""
    (r1,) = vl.routers_of(["vigil"])
    node = r1.node
    make_link(node)
    make_link(node, "flood0", "10.78.0.1/24")
    # A small monitor buffer (keepalived's keyword; the kernel doubles it) keeps the flood
    # short: 2,000 notifications of about 700 bytes each overflow it several times.
    r1.start(SPEC, 100, body=instance("VI_1", "vlan9", 51, VIP9),
             global_extra="vrrp_netlink_monitor_rcv_bufs 65536")
    wait_state(r1, "VI_1", "MASTER")

    n = 1000
    lines = [f"addr add 10.80.{i // 256}.{i % 256}/32 dev flood0" for i in range(n)]
    lines += [f"addr del 10.80.{i // 256}.{i % 256}/32 dev flood0" for i in range(n)]
    pid = engine_pid(r1)
    os.kill(pid, signal.SIGSTOP)
    try:
        node.run([IP, "-batch", "-"], input_text="\n".join(lines) + "\n", timeout=30)
        node.link_set("vlan9", False)
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_state(r1, "VI_1", "FAULT")
    assert VIP9 not in r1.addresses("vlan9")
    assert "netlink monitor: notifications lost (receive buffer overrun)" in r1.log()

    # And the way back is heard as usual.
    node.link_set("vlan9", True)
    wait_state(r1, "VI_1", "MASTER")
    assert VIP9 in r1.addresses("vlan9")


def master_address(r, name: str = "VI_1") -> str | None:
    return r.instances()[name].get("master_address")


def test_lost_primary_address_moves_to_another_then_faults_like_keepalived(vl):
    """keepalived 2.2.7 (run in a namespace the same way): when the address its adverts come
    from leaves the interface, another address of the interface takes over and the master
    stays; when the last one goes, the instance enters FAULT (a master sends priority 0
    first); an address added brings it back through BACKUP."""
    (r1,) = vl.routers_of(["vigil"])
    node = r1.node
    make_link(node)  # 10.77.0.1/24
    node.run([IP, "addr", "add", "10.78.0.1/24", "dev", "vlan9"])
    r1.start(SPEC, 100, body=instance("VI_1", "vlan9", 51, VIP9, 32))
    wait_state(r1, "VI_1", "MASTER")
    assert master_address(r1) == "10.77.0.1"

    node.run([IP, "addr", "del", "10.77.0.1/24", "dev", "vlan9"])
    lablib.wait_until(lambda: master_address(r1) == "10.78.0.1", timeout=5,
                      message="adverts from 10.78.0.1")
    assert r1.state() == "MASTER" and r1.stats()["priority_zero_sent"] == 0
    assert ("VI_1: address 10.77.0.1 left interface vlan9; adverts now come from 10.78.0.1"
            in r1.log())

    node.run([IP, "addr", "del", "10.78.0.1/24", "dev", "vlan9"])
    wait_state(r1, "VI_1", "FAULT")
    assert VIP9 not in r1.addresses("vlan9")
    assert r1.stats()["priority_zero_sent"] == 1
    log = r1.log()
    assert ("VI_1: interface vlan9 lost 10.78.0.1, its last IPv4 address; FAULT until one is "
            "added") in log
    assert ("VI_1: interface vlan9 cannot be used: interface vlan9 has no inet address to send "
            "adverts from") in log

    node.run([IP, "addr", "add", "10.79.0.1/24", "dev", "vlan9"])
    wait_state(r1, "VI_1", "MASTER")
    assert master_address(r1) == "10.79.0.1" and VIP9 in r1.addresses("vlan9")
    assert "VI_1: bound to interface vlan9 (index" in r1.log()


def _adverts_on(node, count: int, duration: float = 3) -> list[tuple[str, int]]:
    """(source, priority) of up to ``count`` VRRP adverts leaving vlan9, heard on its peer
    end within ``duration`` seconds."""
    cap = node.start_capture("vlan9p", duration=duration, bpf=VRRP_BPF, count=count)
    return [(a["src"], a["prio"]) for a in adverts(cap.packets())]


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_address_loss_is_handled_as_keepalived_handles_it(vl, kind):
    """The same steps against vigild and against keepalived 2.2.7 (the oracle), observed from
    outside: the adverts on the wire and the VIP in the kernel. Losing the address adverts
    come from moves them to the interface's other address, the master staying; losing the
    last one removes the VIP after priority-0 adverts from the lost address, and nothing is
    sent until an address is added, which brings the VIP back with adverts from it."""
    require_tshark()
    (r1,) = vl.routers_of([kind])
    node = r1.node
    make_link(node)  # 10.77.0.1/24
    node.run([IP, "addr", "add", "10.78.0.1/24", "dev", "vlan9"])
    r1.start(SPEC, 100, body=instance("VI_1", "vlan9", 51, VIP9, 32))

    def holds() -> bool:
        return VIP9 in node.addresses("vlan9")

    lablib.wait_until(holds, timeout=5, message=f"{kind} holds the VIP")
    assert set(_adverts_on(node, 3)) == {("10.77.0.1", 100)}

    node.run([IP, "addr", "del", "10.77.0.1/24", "dev", "vlan9"])
    lablib.wait_until(lambda: _adverts_on(node, 1, 1) == [("10.78.0.1", 100)], timeout=5,
                      message="adverts from 10.78.0.1")
    assert holds()

    cap = node.start_capture("vlan9p", duration=2, bpf=VRRP_BPF)
    node.run([IP, "addr", "del", "10.78.0.1/24", "dev", "vlan9"])
    lablib.wait_until(lambda: not holds(), timeout=5, message="the VIP removed")
    sent = [(a["src"], a["prio"]) for a in adverts(cap.packets())]
    # keepalived sends its priority 0 twice here, vigild once: either tells the backups.
    zero = sent.index(("10.78.0.1", 0))
    assert set(sent[zero:]) == {("10.78.0.1", 0)}, sent
    assert _adverts_on(node, 1, 1) == []

    node.run([IP, "addr", "add", "10.79.0.1/24", "dev", "vlan9"])
    lablib.wait_until(holds, timeout=5, message="the VIP back")
    assert set(_adverts_on(node, 3)) == {("10.79.0.1", 100)}


def test_lost_ipv6_link_local_faults_until_one_returns(vl):
    (r1,) = vl.routers_of(["vigil"])
    node = r1.node
    make_link(node)
    vip = "fd00:77::100"
    body = (f"vrrp_instance VI_1 {{\n    state BACKUP\n    interface vlan9\n"
            f"    virtual_router_id 51\n    version 3\n    advert_int 0.1\n    priority 100\n"
            f"    virtual_ipaddress {{\n        {vip}/128\n    }}\n}}\n")
    lablib.wait_until(lambda: any(a.startswith("fe80:") for a in node.addresses("vlan9", "inet6")),
                      timeout=5, message="vlan9's link-local address")
    r1.start(SPEC, 100, body=body)
    wait_state(r1, "VI_1", "MASTER")
    ll = master_address(r1)
    assert ll.startswith("fe80:")

    node.run([IP, "-6", "addr", "flush", "dev", "vlan9", "scope", "link"])
    wait_state(r1, "VI_1", "FAULT")
    assert vip not in r1.addresses("vlan9")
    assert r1.stats()["priority_zero_sent"] == 1
    assert (f"VI_1: interface vlan9 lost {ll}, its last IPv6 link-local address; FAULT until "
            "one is added") in r1.log()

    node.run([IP, "addr", "add", "fe80::99/64", "dev", "vlan9"])
    wait_state(r1, "VI_1", "MASTER")
    assert master_address(r1) == "fe80::99"


def test_no_address_at_start_waits_in_fault_like_keepalived(vl):
    """keepalived starts an instance whose interface has no address to send adverts from in
    FAULT and brings it up once one is added; the daemon and its other instances run."""
    (r1,) = vl.routers_of(["vigil"])
    node = r1.node
    make_link(node)
    node.run([IP, "addr", "flush", "dev", "vlan9"])
    body = instance("VI_1", "eth0", 51, VIP0, 16) + instance("VI_2", "vlan9", 52, VIP9, 32)
    r1.start(SPEC, 100, body=body)
    wait_state(r1, "VI_1", "MASTER")
    assert r1.running()
    assert r1.state("VI_2") == "FAULT"
    assert r1.instances()["VI_2"]["transitions"] == 1  # INIT -> FAULT, never BACKUP
    assert ("VI_2: interface vlan9 has no inet address to send adverts from; FAULT until one "
            "is added") in r1.log()
    assert VIP9 not in r1.addresses("vlan9")

    node.run([IP, "addr", "add", "10.77.0.1/24", "dev", "vlan9"])
    wait_state(r1, "VI_2", "MASTER")
    assert master_address(r1, "VI_2") == "10.77.0.1" and VIP9 in r1.addresses("vlan9")
    assert r1.state("VI_1") == "MASTER"


def source_instance(name: str, vrid: int, vip: str, track: bool) -> str:
    return (f"vrrp_instance {name} {{\n    state BACKUP\n    interface vlan9\n"
            f"    virtual_router_id {vrid}\n    version 3\n    advert_int 0.1\n"
            f"    priority 100\n    mcast_src_ip 10.78.0.1\n"
            + ("    track_src_ip\n" if track else "")
            + f"    virtual_ipaddress {{\n        {vip}/32\n    }}\n}}\n")


def test_track_src_ip_faults_while_the_configured_source_is_missing(vl):
    """track_src_ip (a flag, as in keepalived): FAULT while the mcast_src_ip is not on the
    interface — at start, and when it is deleted (a master says priority 0 first) — and
    back when it is added. Without the flag the configured source is not tracked."""
    (r1,) = vl.routers_of(["vigil"])
    node = r1.node
    make_link(node)  # 10.77.0.1/24, not the configured source
    vip2 = "10.77.0.101"
    body = source_instance("VI_1", 51, VIP9, True) + source_instance("VI_2", 52, vip2, False)
    conf = vl.file("track_src.conf", "global_defs {\n    router_id r1\n}\n" + body)
    t = node.run([vl.vigild, "-t", "-f", conf], check=False)
    assert t.returncode == 0, t.stderr
    r1.start(SPEC, 100, body=body)
    wait_state(r1, "VI_2", "MASTER")
    assert r1.state("VI_1") == "FAULT"
    assert ("VI_1: source address 10.78.0.1 (track_src_ip) is not on interface vlan9; FAULT "
            "until it is added") in r1.log()

    node.run([IP, "addr", "add", "10.78.0.1/24", "dev", "vlan9"])
    wait_state(r1, "VI_1", "MASTER")
    assert master_address(r1) == "10.78.0.1" and VIP9 in r1.addresses("vlan9")

    node.run([IP, "addr", "del", "10.78.0.1/24", "dev", "vlan9"])
    wait_state(r1, "VI_1", "FAULT")
    assert VIP9 not in r1.addresses("vlan9")
    assert r1.stats("VI_1")["priority_zero_sent"] == 1
    assert ("VI_1: interface vlan9 lost 10.78.0.1, the source address it tracks "
            "(track_src_ip); FAULT until it is added again") in r1.log()
    assert r1.state("VI_2") == "MASTER" and vip2 in r1.addresses("vlan9")

    node.run([IP, "addr", "add", "10.78.0.1/24", "dev", "vlan9"])
    wait_state(r1, "VI_1", "MASTER")


def _src_body(unicast: bool) -> str:
    src = ("unicast_src_ip 10.78.0.1\n    unicast_peer {\n        10.77.0.2\n    }" if unicast
           else "mcast_src_ip 10.78.0.1")
    return (f"vrrp_instance VI_1 {{\n    state BACKUP\n    interface vlan9\n"
            f"    virtual_router_id 51\n    version 3\n    advert_int 0.1\n    priority 100\n"
            f"    {src}\n    virtual_ipaddress {{\n        {VIP9}/32\n    }}\n}}\n")


def _src_link(node) -> None:
    """vlan9 (10.77.0.1/24) with a static neighbour 10.77.0.2 (vlan9p's MAC), so that unicast
    adverts to it leave vlan9 and are heard on vlan9p."""
    make_link(node)
    node.run([IP, "neigh", "add", "10.77.0.2", "lladdr", node.mac("vlan9p"), "dev", "vlan9"])


def _src_adverts(node, count: int = 5) -> set[tuple[str, str, int]]:
    cap = node.start_capture("vlan9p", duration=2, bpf=VRRP_BPF, count=count)
    return {(a["src"], a["dst"], a["prio"]) for a in adverts(cap.packets())}


@pytest.mark.parametrize("unicast", [False, True], ids=["mcast_src_ip", "unicast_src_ip"])
@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_configured_source_removed_keeps_sending_from_it_like_keepalived(vl, kind, unicast):
    """An instance with mcast_src_ip / unicast_src_ip (no track_src_ip) whose address leaves
    the interface: keepalived 2.2.7 keeps advertising from the configured address and stays
    master, even with no IPv4 address left on the interface (no FAULT: the configured source
    is not the interface's address); vigild the same."""
    require_tshark()
    (r1,) = vl.routers_of([kind])
    node = r1.node
    _src_link(node)
    node.run([IP, "addr", "add", "10.78.0.1/24", "dev", "vlan9"])
    r1.start(SPEC, 100, body=_src_body(unicast))
    lablib.wait_until(lambda: VIP9 in node.addresses("vlan9"), timeout=5,
                      message=f"{kind} holds the VIP")
    want = {("10.78.0.1", "10.77.0.2" if unicast else "224.0.0.18", 100)}
    assert _src_adverts(node) == want

    node.run([IP, "addr", "del", "10.78.0.1/24", "dev", "vlan9"])
    assert _src_adverts(node) == want
    node.run([IP, "addr", "del", "10.77.0.1/24", "dev", "vlan9"])  # no IPv4 left
    assert _src_adverts(node) == want
    assert VIP9 in node.addresses("vlan9")
    if kind == "vigil":
        assert r1.state() == "MASTER" and r1.stats()["priority_zero_sent"] == 0

    node.run([IP, "addr", "add", "10.78.0.1/24", "dev", "vlan9"])
    assert _src_adverts(node) == want and VIP9 in node.addresses("vlan9")


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_unicast_src_ip_absent_at_start_runs_as_current_keepalived(vl, kind):
    """A unicast_src_ip not (yet) on the interface at start: keepalived 2.3.3 and later bind
    it with IP_FREEBIND and run, advertising from it, as mcast_src_ip always did; vigild does
    the same. keepalived 2.2.7 (the one installed) cannot bind it and stays in FAULT for
    good, even once the address is added (a defect upstream has fixed)."""
    require_tshark()
    (r1,) = vl.routers_of([kind])
    node = r1.node
    _src_link(node)
    r1.start(SPEC, 100, body=_src_body(True))
    if kind == "keepalived":
        lablib.wait_until(lambda: "(src address not configured)" in r1.log(), timeout=5,
                          message="keepalived 2.2.7 in FAULT")
        node.run([IP, "addr", "add", "10.78.0.1/24", "dev", "vlan9"])
        assert _src_adverts(node, 1) == set() and VIP9 not in node.addresses("vlan9")
        return
    wait_state(r1, "VI_1", "MASTER")
    assert VIP9 in node.addresses("vlan9")
    assert _src_adverts(node) == {("10.78.0.1", "10.77.0.2", 100)}
    node.run([IP, "addr", "add", "10.78.0.1/24", "dev", "vlan9"])
    assert _src_adverts(node) == {("10.78.0.1", "10.77.0.2", 100)}
    assert r1.state() == "MASTER"
