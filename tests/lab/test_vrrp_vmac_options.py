"""use_vmac's options as keepalived reads them: the VMAC's MAC address (keepalived 2.2.7 and
upstream; five octets given, the VRID is the sixth) and its interface group (upstream:
`group GROUP`, a number or a name of iproute2's group file; without it the VMAC joins its
parent's group)."""

from __future__ import annotations

import os

import pytest

import lab as lablib
from vrrp_lab import IP, VrrpLab, gratuitous_arps, require_tshark

INSTANCE = """vrrp_instance VI_{vrid} {{
    state MASTER
    interface eth0
    virtual_router_id {vrid}
    priority 255
    advert_int 1
    garp_master_repeat 1
    garp_master_delay 0
    use_vmac {use_vmac}
    virtual_ipaddress {{
        10.99.0.{vip}/16
    }}
}}
"""


def _link(node, dev: str) -> dict:
    return node.ip_json("-d", "link", "show", "dev", dev)[0]


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_use_vmac_with_a_mac_address(lab, vigild, kind):
    require_tshark()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    cap = lab.switch.start_capture(lab.BRIDGE, duration=5, bpf="arp")
    # Five octets: the VRID (61 = 0x3d) is the sixth.
    r1.start(None, None, body=INSTANCE.format(vrid=61, use_vmac="vrrp.61 02:aa:bb:cc:dd",
                                              vip=100))
    lablib.wait_until(lambda: "10.99.0.100" in r1.addresses("vrrp.61"), timeout=5,
                      message="VIP on vrrp.61")
    link = _link(r1.node, "vrrp.61")
    mac = "02:aa:bb:cc:dd:3d"
    assert (link["address"], link["link"], link["linkinfo"]["info_kind"]) == (
        mac, "eth0", "macvlan"), r1.log()[-3000:]
    assert gratuitous_arps(cap) == [(mac, mac, "10.99.0.100")], r1.log()[-3000:]


def test_use_vmac_group_or_the_parents(lab, vigild):
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1")
    etc = os.path.join(lab.workdir, "iproute2")
    os.makedirs(etc)
    with open(os.path.join(etc, "group"), "w") as f:
        f.write("0 default\n7 web\n")
    r1.node.run([IP, "link", "set", "eth0", "group", "3"])
    body = (INSTANCE.format(vrid=61, use_vmac="vrrp.61 group web", vip=100) +
            INSTANCE.format(vrid=62, use_vmac="vrrp.62", vip=101) +
            INSTANCE.format(vrid=63, use_vmac="group 12 name vrrp.63", vip=102))
    r1.start(None, None, body=body, global_extra=f"iproute_etc_dir {etc}")
    lablib.wait_until(lambda: all(f"10.99.0.{v}" in r1.addresses(f"vrrp.{d}")
                                  for d, v in ((61, 100), (62, 101), (63, 102))),
                      timeout=5, message="every VIP on its VMAC")
    # ip names groups from the host's group file, where 7, 3 and 12 have no name.
    groups = {d: _link(r1.node, f"vrrp.{d}")["group"] for d in (61, 62, 63)}
    assert groups == {61: "7", 62: "3", 63: "12"}, r1.log()[-3000:]


ADDR_BODY = """vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 255
    advert_int 1
    use_vmac_addr
    virtual_ipaddress {
        10.99.0.100/16
        10.98.0.100/24 dev lan1
    }
    virtual_ipaddress_excluded {
        fd00:99::100/64
        fd00:98::100/64 dev lan1
    }
}
"""


def _add_lan1(node) -> None:
    """A second interface, lan1 (10.98.0.1/24), for VIPs with `dev lan1`."""
    node.run([IP, "link", "add", "lan1", "type", "veth", "peer", "name", "lan1p"])
    node.run([IP, "addr", "add", "10.98.0.1/24", "dev", "lan1"])
    node.link_set("lan1p", True)
    node.link_set("lan1", True)


def _vmacs(node) -> dict:
    """Every macvlan of `node`: name -> (parent, MAC, mode, IPv6 off, addresses)."""
    out = {}
    for link in node.ip_json("-d", "link", "show", "type", "macvlan"):
        name = link["ifname"]
        off = node.run(["cat", f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6"]).stdout.strip()
        addrs = sorted(a for a in node.addresses(name) if not a.startswith("fe80:"))
        out[name] = (link["link"], link["address"], link["linkinfo"]["info_data"]["mode"],
                     off, addrs)
    return out


def _start_for_vmacs(r1, body: str, want: dict, global_extra: str = "") -> None:
    """Starts `r1` on `body` and waits until its node's macvlans are `want` (_vmacs)."""
    r1.start(None, None, body=body, global_extra=global_extra)
    lablib.wait_until(lambda: _vmacs(r1.node) == want, timeout=10,
                      message=f"the VMACs: {_vmacs(r1.node)}\n{r1.log()[-3000:]}")


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_use_vmac_addr_gives_other_interfaces_and_families_their_own_vmac(lab, vigild, kind):
    """keepalived 2.2.7: a VIP on another interface, or of the other family on the
    instance's, goes on a VMAC of its own on that interface (one per interface and family,
    vrrp.61, then vrrp6.61 / vrrp1.61); the instance's own VIPs stay on eth0 (no use_vmac);
    SIGTERM removes the VMACs."""
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    node = r1.node
    _add_lan1(node)
    _start_for_vmacs(r1, ADDR_BODY, {
        "vrrp.61": ("lan1", "00:00:5e:00:01:3d", "private", "1", ["10.98.0.100"]),
        "vrrp6.61": ("eth0", "00:00:5e:00:02:3d", "private", "0", ["fd00:99::100"]),
        "vrrp1.61": ("lan1", "00:00:5e:00:02:3d", "private", "0", ["fd00:98::100"]),
    })
    assert "10.99.0.100" in r1.addresses("eth0")
    assert r1.term() == 0
    assert _vmacs(node) == {}, r1.log()[-3000:]


VIP_VMAC_BODY = """vrrp_instance VI_1 {{
    state {state}
    interface eth0
    virtual_router_id 61
    priority {priority}
    advert_int 1
    virtual_ipaddress {{
        10.99.0.100/16
        10.99.0.101/16 {flag}
        10.98.0.100/24 {dev} {flag}
        10.98.0.101/24 {dev}
    }}
    virtual_ipaddress_excluded {{
        fd00:99::100/64 {flag}
        fd00:99::101/64
    }}
}}
"""


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_use_vmac_on_a_vip_gives_it_a_vmac_of_its_own(lab, vigild, kind):
    """keepalived 2.2.7: `use_vmac` on a VIP's line puts that VIP on a VMAC of its own on its
    interface (one per interface and family, named as use_vmac_addr's: vrrp.61 on eth0,
    vrrp1.61 on lan1, vrrp6.61 for IPv6), made at start; the other VIPs stay on eth0 and
    lan1. At BACKUP the VMACs stay without their VIPs; SIGTERM removes them."""
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    r2 = vl.router("r2")
    node = r1.node
    _add_lan1(node)
    want = {
        "vrrp.61": ("eth0", "00:00:5e:00:01:3d", "private", "1", ["10.99.0.101"]),
        "vrrp1.61": ("lan1", "00:00:5e:00:01:3d", "private", "1", ["10.98.0.100"]),
        "vrrp6.61": ("eth0", "00:00:5e:00:02:3d", "private", "0", ["fd00:99::100"]),
    }
    _start_for_vmacs(r1, VIP_VMAC_BODY.format(state="MASTER", priority=100, dev="dev lan1",
                                              flag="use_vmac"), want)
    held = lambda dev: sorted(a for a in r1.addresses(dev) if a.startswith(("10.9", "fd00")))
    assert (held("eth0"), held("lan1")) == (
        ["10.99.0.1", "10.99.0.100", "fd00:99::1", "fd00:99::101"],
        ["10.98.0.1", "10.98.0.101"]), r1.log()[-3000:]
    # A higher priority takes over: r1's VMACs stay, without their VIPs.
    r2.start(None, None, body=VIP_VMAC_BODY.format(state="BACKUP", priority=200, dev="",
                                                   flag=""))
    backup = {name: (*v[:4], []) for name, v in want.items()}
    lablib.wait_until(lambda: _vmacs(node) == backup, timeout=10,
                      message=f"the VMACs at BACKUP: {_vmacs(node)}\n{vl.logs()}")
    assert (held("eth0"), held("lan1")) == (["10.99.0.1", "fd00:99::1"], ["10.98.0.1"]), \
        r1.log()[-3000:]
    assert r1.term() == 0
    assert _vmacs(node) == {}, r1.log()[-3000:]


SAME_VRID_BODY = "".join(f"""vrrp_instance VI_{n} {{
    state MASTER
    interface {dev}
    virtual_router_id 61
    priority 255
    advert_int 1
    use_vmac
    virtual_ipaddress {{
        {vip}
    }}
}}
""" for n, dev, vip in ((4, "eth0", "10.99.0.120/16"), (6, "eth0", "fd00:99::120/64"),
                        (7, "lan1", "10.98.0.120/24")))


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_unnamed_vmacs_of_one_vrid_get_names_of_their_own(lab, vigild, kind):
    """keepalived 2.2.7 names an unnamed VMAC vmac_prefix.VRID, or with a number after the
    prefix when an instance before it has that name (IPv6 tries 6 first): one VRID for
    IPv4 and IPv6 on eth0 and for IPv4 on lan1 gives vx.61, vx6.61 and vx1.61."""
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    _add_lan1(r1.node)
    _start_for_vmacs(r1, SAME_VRID_BODY, {
        "vx.61": ("eth0", "00:00:5e:00:01:3d", "private", "1", ["10.99.0.120"]),
        "vx6.61": ("eth0", "00:00:5e:00:02:3d", "private", "0", ["fd00:99::120"]),
        "vx1.61": ("lan1", "00:00:5e:00:01:3d", "private", "1", ["10.98.0.120"]),
    }, global_extra="vmac_prefix vx")
    assert r1.term() == 0
    assert _vmacs(r1.node) == {}, r1.log()[-3000:]


REFUSED_VMAC_BODY = """vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 255
    advert_int 1
    use_vmac
    virtual_ipaddress {
        10.99.0.100/16
    }
}
vrrp_instance VI_2 {
    state MASTER
    interface lan1
    virtual_router_id 62
    priority 255
    advert_int 1
    use_vmac
    virtual_ipaddress {
        10.98.0.100/24
    }
}
"""


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_a_vmac_the_kernel_refuses_faults_its_instance_alone(lab, vigild, kind):
    """lan1 carries a passthru macvlan, so the kernel refuses VI_2's VMAC (EINVAL).
    keepalived 2.2.7 logs "Unable to create VMAC interface vrrp.62", puts VI_2 in FAULT and
    runs VI_1 (master, on vrrp.61). vigild did the same to the whole VRRP engine: it would
    not start, vigild stopped, and VI_1's vrrp.61 was left behind. vigild now also tries
    VI_2's VMAC again at each interface change: once the passthru macvlan goes, VI_2 runs."""
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    node = r1.node
    _add_lan1(node)
    node.run([IP, "link", "add", "pt0", "link", "lan1", "type", "macvlan", "mode", "passthru"])
    node.link_set("pt0", True)
    pt0 = _vmacs(node)["pt0"]
    _start_for_vmacs(r1, REFUSED_VMAC_BODY, {
        "pt0": pt0,
        "vrrp.61": ("eth0", "00:00:5e:00:01:3d", "private", "1", ["10.99.0.100"]),
    })
    assert r1.running(), r1.log()[-3000:]
    if kind == "vigil":
        assert r1.state("VI_2") == "FAULT"
        assert "VI_2: VMAC vrrp.62: " in r1.log()
        node.run([IP, "link", "del", "pt0"])
        lablib.wait_until(lambda: "10.98.0.100" in r1.addresses("vrrp.62"), timeout=10,
                          message=f"VI_2 master on vrrp.62\n{r1.log()[-3000:]}")
    assert r1.term() == 0
    assert set(_vmacs(node)) <= {"pt0"}, r1.log()[-3000:]
