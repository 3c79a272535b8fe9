"""Tests of the lab fixture itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import lab as lablib


def test_nodes_ping_each_other_over_ipv4_and_ipv6(lab):
    a = lab.add_node("a")
    b = lab.add_node("b")
    assert (a.ipv4, b.ipv4) == ("10.99.0.1", "10.99.0.2")
    assert (a.ipv6, b.ipv6) == ("fd00:99::1", "fd00:99::2")
    assert a.ping(b.ipv4)
    assert b.ping(a.ipv4)
    assert a.ping(b.ipv6)
    assert b.ping(a.ipv6)


def test_node_addresses_are_lab_only_and_not_tentative(lab):
    a = lab.add_node("a")
    info = a.ip_json("addr", "show", "dev", "eth0")[0]
    globals_ = [(x["family"], x["local"], x["prefixlen"]) for x in info["addr_info"]
                if x.get("scope") == "global"]
    assert sorted(globals_) == [("inet", "10.99.0.1", 16), ("inet6", "fd00:99::1", 64)]
    assert not any(x.get("tentative") for x in info["addr_info"])
    assert a.addresses("eth0", "inet") == ["10.99.0.1"]


def test_namespaces_have_no_route_outside_the_lab(lab):
    a = lab.add_node("a")
    routes = a.ip_json("route", "show")
    assert [r["dst"] for r in routes] == ["10.99.0.0/16"]
    assert not a.ping("192.0.2.1", timeout=1)


def test_link_set_down_breaks_connectivity_and_up_restores_it(lab):
    a = lab.add_node("a")
    b = lab.add_node("b")
    assert a.ping(b.ipv4)
    b.link_set("eth0", False)
    assert a.ip_json("link", "show", "dev", "eth0")[0]["operstate"] == "UP"
    assert b.ip_json("link", "show", "dev", "eth0")[0]["operstate"] == "DOWN"
    assert not a.ping(b.ipv4, timeout=1)
    b.link_set("eth0", True)
    lablib.wait_until(lambda: a.ping(b.ipv4, timeout=1), timeout=10, message="ping after up")


def test_capture_in_switch_sees_a_ping(lab):
    a = lab.add_node("a")
    b = lab.add_node("b")
    cap = lab.switch.start_capture(lab.BRIDGE, duration=10, bpf="icmp", count=2)
    assert a.ping(b.ipv4)
    packets = cap.packets()
    icmp = [lablib.layer(p, "icmp") for p in packets]
    assert [i["icmp.type"] for i in icmp] == ["8", "0"]
    ip = lablib.layer(packets[0], "ip")
    assert (ip["ip.src"], ip["ip.dst"]) == ("10.99.0.1", "10.99.0.2")


def test_capture_in_node_sees_icmpv6_echo(lab):
    a = lab.add_node("a")
    b = lab.add_node("b")
    cap = b.start_capture("eth0", duration=10, bpf="icmp6 and ip6[40] == 128", count=1)
    assert a.ping(b.ipv6)
    packets = cap.packets()
    assert len(packets) == 1
    assert lablib.layer(packets[0], "ipv6")["ipv6.src"] == "fd00:99::1"


def test_spawned_process_runs_in_the_node_and_is_killed_at_cleanup():
    ok, why = lablib.netns_usable()
    if not ok:
        pytest.skip(why)
    with lablib.Lab() as lab:
        a = lab.add_node("a")
        proc = a.spawn("ip -br addr show dev eth0; exec sleep 300")
        lablib.wait_until(lambda: "10.99.0.1/16" in open(proc.log_path).read(), timeout=5)
        prefix = lab.prefix
        assert proc.poll() is None
    assert proc.poll() is not None
    assert lablib.lab_namespaces_alive(prefix) == []


def test_cleanup_leaves_no_namespace_after_an_exception():
    ok, why = lablib.netns_usable()
    if not ok:
        pytest.skip(why)
    names = []
    with pytest.raises(RuntimeError, match="boom"):
        with lablib.Lab() as lab:
            lab.add_node("a")
            lab.add_node("b")
            names = list(lab.namespaces)
            assert lablib.all_present(names)
            raise RuntimeError("boom")
    assert len(names) == 3
    existing = set(lablib.list_namespaces())
    assert [n for n in names if n in existing] == []


@pytest.mark.parametrize("how", ["sigterm", "keyboardinterrupt"])
def test_cleanup_when_the_test_process_is_interrupted(tmp_path, how):
    ok, why = lablib.netns_usable()
    if not ok:
        pytest.skip(why)
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {os.path.dirname(lablib.__file__)!r})
        import lab as lablib
        lab = lablib.Lab()
        lab.add_node("a")
        lab.nodes["a"].spawn("exec sleep 300")
        open({str(ready)!r}, "w").write(lab.prefix)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        prefix = lablib.wait_until(lambda: ready.exists() and ready.read_text(), timeout=30,
                                   message="child lab to start")
        assert len(lablib.lab_namespaces_alive(prefix)) == 2
        child.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGINT)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert lablib.lab_namespaces_alive(prefix) == []


def test_drop_vrrp_percent_drops_protocol_112_only(lab):
    a = lab.add_node("a")
    b = lab.add_node("b")
    lab.drop_vrrp_percent(100)
    cap = b.start_capture("eth0", duration=3, bpf="ip proto 112")
    # A raw protocol-112 datagram to the VRRP group; with 100 % dropping none arrives.
    send = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112); "
            "s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255); "
            f"s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('{a.ipv4}')); "
            "[s.sendto(b'\\x21\\x01\\x64\\x00\\x01\\x01\\x00\\x00', ('224.0.0.18', 0)) "
            "for _ in range(5)]")
    a.run(["/usr/bin/python3", "-c", send])
    assert cap.packets() == []
    assert lab.vrrp_drop_counters() == [5, 0]
    assert a.ping(b.ipv4)  # other traffic is untouched

    lab.drop_vrrp_percent(0)
    cap = b.start_capture("eth0", duration=3, bpf="ip proto 112")
    a.run(["/usr/bin/python3", "-c", send])
    assert len(cap.packets()) == 5


def test_wait_until_is_bounded():
    start = time.monotonic()
    with pytest.raises(lablib.WaitTimeout, match="never"):
        lablib.wait_until(lambda: False, timeout=0.3, interval=0.05, message="never")
    assert time.monotonic() - start < 5
    assert lablib.wait_until(lambda: 42, timeout=1) == 42


def test_prefixes_are_unique_per_lab():
    first = f"vl{os.getpid()}x"
    p1 = lablib.Lab(prefix=None)
    p2 = lablib.Lab(prefix=None)
    try:
        assert p1.prefix != p2.prefix
        assert p1.prefix.startswith(first) and p1.prefix.endswith("-")
    finally:
        p1.close()
        p2.close()
