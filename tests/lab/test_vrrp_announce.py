"""What a new master tells the segment and the host: gratuitous ARP / unsolicited NA,
the VMAC, notify scripts and the notify FIFO."""

from __future__ import annotations

import os
import signal

import pytest

import lab as lablib
from vrrp_lab import (IP, Spec, VrrpLab, adverts, decode, require_tshark,
                      stop_after_next_advert)

V3 = Spec(version=3, interval=0.1)


@pytest.fixture
def vl(lab, vigild):
    require_tshark()
    return VrrpLab(lab, vigild)


def _pair(vl, spec, extra=""):
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    r2.start(spec, 200, extra=extra)
    r1.start(spec, 100, extra=extra)
    return r1, r2


@pytest.mark.parametrize("spec", [pytest.param(V3, id="ipv4-garp"),
                                  pytest.param(Spec(version=3, family="inet6"), id="ipv6-na")])
def test_takeover_announces_the_vips(vl, spec):
    r1, r2 = _pair(vl, spec)
    vl.wait_holder(r2, spec, timeout=5)
    bpf = "arp" if not spec.v6 else "icmp6 and ip6[40] == 136"
    cap = vl.capture(duration=3, bpf=bpf)
    r2.kill()
    vl.wait_holder(r1, spec, timeout=5, ignore=(r2,))
    stop_after_next_advert(cap, spec)
    packets = decode(cap)
    mac = r1.mac()
    vip = spec.vips()[0]
    if not spec.v6:
        garps = [lablib.layer(p, "arp") for p in packets]
        got = [(a["arp.opcode"], a["arp.src.hw_mac"], a["arp.src.proto_ipv4"],
                a["arp.dst.proto_ipv4"]) for a in garps]
        eth_dst = {lablib.layer(p, "eth")["eth.dst"] for p in packets}
        # garp_master_repeat 5: five ARP requests, sender = target = VIP, to broadcast.
        assert got == [("1", mac, vip, vip)] * 5
        assert eth_dst == {"ff:ff:ff:ff:ff:ff"}
    else:
        nas = []
        for p in packets:
            icmp = lablib.layer(p, "icmpv6")
            ip6 = lablib.layer(p, "ipv6")
            flags = icmp["icmpv6.nd.na.flag_tree"]
            opt = icmp["icmpv6.opt"]
            nas.append((icmp["icmpv6.nd.na.target_address"], flags["icmpv6.nd.na.flag.o"],
                        flags["icmpv6.nd.na.flag.s"], ip6["ipv6.dst"], ip6["ipv6.hlim"],
                        opt["icmpv6.opt.linkaddr"]))
        # Unsolicited, overriding, to all nodes, hop limit 255, with our link-layer address.
        assert nas == [(vip, "1", "0", "ff02::1", "255", mac)] * 5


def test_use_vmac_moves_the_vip_and_a_virtual_mac_between_routers(vl):
    vmac = "00:00:5e:00:01:33"  # VRID 51
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    r2.start(V3, 200, extra="use_vmac")
    vl.wait_holder(r2, V3, timeout=5, dev="vrrp.51")
    # Whatever the backup's VMAC sends teaches the switch that the virtual MAC lives on the
    # backup's port: it must stay silent (no IPv6 link-local, no MLD, no solicitations).
    # (An IGMP join of 224.0.0.18 may leave it once; keepalived's may too.)
    quiet = vl.lab.switch.start_capture(r1.node.switch_port, duration=2,
                                        bpf=f"inbound and ether src {vmac} and not igmp")
    r1.start(V3, 100, extra="use_vmac")
    # The backup hears the master through its own VMAC (a macvlan keeps multicast from
    # its own MAC to itself) and stays backup.
    lablib.wait_until(lambda: r1.instances()["VI_1"]["adverts_received"] >= 5, timeout=5,
                      message="r1 hears r2")
    assert (r1.state(), r2.state()) == ("BACKUP", "MASTER")
    vl.wait_holder(r2, V3, timeout=5, dev="vrrp.51")
    link = r2.node.ip_json("-d", "link", "show", "dev", "vrrp.51")[0]
    assert (link["address"], link["linkinfo"]["info_kind"], link["link"]) == (
        vmac, "macvlan", "eth0")
    assert r1.node.ip_json("link", "show", "dev", "vrrp.51")[0]["address"] == vmac
    assert r1.node.addresses("vrrp.51") == []
    assert quiet.packets() == []

    cap = vl.capture(duration=1, bpf="arp or ip proto 112")
    vl.client.run([IP, "neigh", "flush", "all"])
    assert vl.client.ping(V3.vips()[0], timeout=3)
    packets = decode(cap)
    replies = {(lablib.layer(p, "arp")["arp.src.hw_mac"]) for p in packets
               if lablib.layer(p, "arp") and lablib.layer(p, "arp")["arp.opcode"] == "2"
               and lablib.layer(p, "arp")["arp.src.proto_ipv4"] == V3.vips()[0]}
    assert replies == {vmac}
    seen = adverts(packets)
    assert seen and {(a["src"], a["eth_src"]) for a in seen} == {(r2.ipv4, vmac)}

    # A graceful stop removes the VIP and the VMAC it created; r1 takes both over.
    assert r2.term() == 0
    assert "vrrp.51" not in [x["ifname"] for x in r2.node.ip_json("link", "show")]
    vl.wait_holder(r1, V3, timeout=5, dev="vrrp.51")


def _links(node) -> dict[str, int]:
    return {x["ifname"]: x["ifindex"] for x in node.ip_json("link", "show")}


def _reload(r, body: str) -> None:
    """Rewrites ``r``'s configuration with ``body`` and reloads it (bounded wait)."""
    done = r.log().count("reload complete")
    with open(r.conf, "w") as f:
        f.write(r.config(body))
    r.proc.send_signal(signal.SIGHUP)
    lablib.wait_until(lambda: r.log().count("reload complete") > done, timeout=10,
                      message=f"{r.name}: reload")


def test_a_vmac_is_deleted_only_by_the_daemon_that_created_it(vl):
    """use_vmac: the VMAC vigild created stays (same interface) through a reload that
    replaces its instance, and goes when a reload removes the instance; a VMAC that was there
    before vigild is used as it is and left in place at stop."""
    (r1,) = vl.routers_of(["vigil"])
    node = r1.node
    r1.start(V3, 100, extra="use_vmac")
    vl.wait_holder(r1, V3, timeout=5, dev="vrrp.51")
    created = _links(node)["vrrp.51"]

    _reload(r1, r1.instance(V3, 150, extra="use_vmac"))  # same router, new priority
    assert "VI_1: changed by reload; replacing it in state MASTER" in r1.log()
    assert r1.state() == "MASTER" and r1.instances()["VI_1"]["base_priority"] == 150
    assert _links(node).get("vrrp.51") == created and r1.holds_all(V3, "vrrp.51")

    other = Spec(version=3, interval=0.1, vrid=52)
    _reload(r1, r1.instance(other, 100, name="VI_2"))
    assert "VI_1: removed by reload" in r1.log()
    lablib.wait_until(lambda: "vrrp.51" not in _links(node), timeout=5,
                      message="the VMAC deleted with its instance")
    assert r1.term() == 0

    node.run([IP, "link", "add", "link", "eth0", "name", "vrrp.51", "type", "macvlan",
              "mode", "private"])
    found = _links(node)["vrrp.51"]
    r1.start(V3, 100, extra="use_vmac")
    vl.wait_holder(r1, V3, timeout=5, dev="vrrp.51")
    assert _links(node).get("vrrp.51") == found
    assert r1.term() == 0
    assert _links(node).get("vrrp.51") == found  # not ours: left in place
    assert not r1.vips(V3, "vrrp.51")


NOTIFY = """\
#!/bin/sh
echo "$*" >> "$(dirname "$0")/notify.log"
"""


def test_notify_scripts_and_fifo_follow_every_transition_in_order(vl):
    script = vl.file("notify.sh", NOTIFY, mode=0o755)
    fifo = os.path.join(vl.lab.workdir, "notify.fifo")
    os.mkfifo(fifo)
    (r1,) = vl.routers_of(["vigil"])
    reader = r1.node.spawn(f"exec cat {fifo} > {vl.lab.workdir}/fifo.log")
    extra = "\n".join([f'notify_{w} "{script} {w}"' for w in ("master", "backup", "fault",
                                                               "stop")] +
                      [f'notify "{script} generic"'])
    r1.start(V3, 200, extra=extra, global_extra=f"notify_fifo {fifo}")
    lablib.wait_until(lambda: r1.holds_all(V3), timeout=5, message="master")
    r1.node.link_set("eth0", False)
    lablib.wait_until(lambda: r1.state() == "FAULT", timeout=5, message="FAULT")
    r1.node.link_set("eth0", True)
    lablib.wait_until(lambda: r1.holds_all(V3), timeout=5, message="master again")
    assert r1.term() == 0

    def lines(name):
        try:
            with open(os.path.join(vl.lab.workdir, name)) as f:
                return f.read().splitlines()
        except OSError:
            return []

    states = ["BACKUP", "MASTER", "FAULT", "BACKUP", "MASTER", "STOP"]
    want = []
    for s in states:
        want += [s.lower(), f"generic INSTANCE VI_1 {s} 200"]
    lablib.wait_until(lambda: len(lines("notify.log")) >= len(want), timeout=5,
                      message="notify lines")
    assert lines("notify.log") == want
    os.killpg(reader.pid, signal.SIGTERM)
    reader.wait(timeout=5)
    assert lines("fifo.log") == [f'INSTANCE "VI_1" {s} 200' for s in states]
