"""use_ipvlan in a kernel with ipvlan (User-Mode Linux), against keepalived 2.2.7.

One UML kernel is booted for the module (uml.py); inside it ipvlan_uml_cases.py runs every
case (its docstring describes the network). This module checks the results:
  - vigild creates each instance's ipvlan as configured (name, parent, mode l2 with the
    bridge/private/vepa flag, the parent's MAC, its address, no IPv6 for an IPv4
    instance) and sends the adverts from it (its address, the parent's MAC), the VIPs on
    the parent as keepalived puts them; keepalived 2.2.7 leaves exactly the same link and
    address state and sends the same adverts; SIGTERM removes the ipvlans (both daemons);
  - vrf: a unicast instance without an interface in a VRF sends and hears its adverts in
    it (the main table has no route to the peer) and fails over (keepalived 2.2.7 cannot
    run an instance without an interface at all, upstream can: no comparison), and an
    ipvlan made on a VRF's slave goes into the VRF, as keepalived 2.2.7 puts it;
  - vrf_late: the VRF of a unicast instance made (and its interface enslaved to it) after
    vigild started: the advert sockets follow it, the backup keeps hearing the master;
  - vmac_vrf: a VMAC vigild made follows its parent into a VRF made after start, and out
    of it again, as keepalived 2.2.7 moves its VMAC (same link state after each move);
  - two vigilds fail over over their ipvlans: the VIP, the adverts and the MAC the
    observer reaches the VIP at move to the backup when the master stops.
Skips with the reason where UML cannot start (not root, package missing, no build).
"""

from __future__ import annotations


import pytest

import ipvlan_uml_cases as cases
import uml



@pytest.fixture(scope="module")
def uml_run(vigild):
    yield from uml.boot_cases(vigild, cases.__file__, cases.MODULES, case_timeout=120,
                              total_timeout=420)


def _result(run: uml.UmlRun, name: str) -> dict:
    return uml.case_result(run, name)


def _logs(result: dict, *keys: str) -> str:
    return "\n".join(f"--- {k} (end):\n" + "\n".join(result[k].splitlines()[-30:]) for k in keys)


# The ipvlans of the link case as they must be: name -> (parent, its MAC, mode flag, the
# ipvlan's address).
EXPECTED = {
    "ipv51": ("eth0", cases.mac("a"), "bridge", "10.98.0.11"),
    "vx.52": ("e2", "02:00:00:00:02:01", "private", "10.97.2.12"),
    "ipv53": ("e3", "02:00:00:00:03:01", "vepa", "10.97.3.13"),
}
# Every interface's IPv4 addresses while the instances are masters: the VIPs stay on the
# parents (as keepalived 2.2.7 and upstream put them: only the adverts use the ipvlan).
ADDRESSES = {"lo": ["127.0.0.1/8"], "eth0": ["10.98.0.1/24", "10.98.0.101/24"],
             "e1": ["10.96.0.1/24"], "e4": ["10.95.0.1/24"], "e2": ["10.97.2.1/24", "10.97.2.102/24"],
             "e3": ["10.97.3.1/24", "10.97.3.103/24"], "ipv51": ["10.98.0.11/24"],
             "vx.52": ["10.97.2.12/24"], "ipv53": ["10.97.3.13/24"]}


def test_use_ipvlan_links_match_keepalived(uml_run):
    result = _result(uml_run, "link")
    vigil, keepalived = result["vigild"], result["keepalived"]
    logs = "vigild:\n" + vigil["log"][-3000:] + "\nkeepalived:\n" + keepalived["log"][-3000:]
    assert keepalived["ready"], logs
    assert vigil["ready"], f"vigild did not put every VIP up\n{logs}"
    assert vigil["running"], logs
    for name, (parent, mac, flag, own) in EXPECTED.items():
        link = vigil["links"][name]
        assert link is not None, f"no {name}\n{logs}"
        assert link["link"] == parent
        assert link["address"] == mac  # an ipvlan has its parent's MAC
        assert link["linkinfo"] == {"info_kind": "ipvlan",
                                    "info_data": {"mode": "l2", flag: True}}
        assert link["flags"] == ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"]
        assert link["master"] is None
        assert [tuple(a) for a in link["addresses"]] == [("inet", own, 24, "global")]
        assert link["disable_ipv6"] == "1"  # an IPv4 instance's ipvlan has no IPv6
    assert {k: v for k, v in vigil["addresses"].items() if v} == ADDRESSES, logs
    assert vigil["links"] == keepalived["links"], logs
    assert vigil["addresses"] == keepalived["addresses"], logs
    # The adverts leave from the ipvlan: its address, the parent's MAC.
    assert vigil["adverts"] == [[cases.mac("a"), "10.98.0.11", "224.0.0.18", 51, 150, 1]]
    assert vigil["adverts"] == keepalived["adverts"]
    assert vigil["exit"] == 0, logs
    for daemon in (vigil, keepalived):
        assert daemon["links_after"] == daemon["links_before"], logs
        assert not set(EXPECTED) & set(daemon["links_before"])


def test_failover_between_two_vigilds_over_use_ipvlan(uml_run):
    result = _result(uml_run, "failover")
    logs = _logs(result, "a_log", "b_log")
    first, second = result["steps"]
    assert first["vip_on"] == ["a"], logs
    assert first["ipvlan_on"] == ["a", "b"]
    assert first["adverts"] == [[cases.mac("a"), "10.98.0.21", "224.0.0.18", 61, 150, 1]], logs
    assert first["vip_mac"] == cases.mac("a")
    assert first["running"] == {"a": True, "b": True}
    assert result["a_exit"] == 0, logs
    assert second["vip_on"] == ["b"], logs
    assert second["ipvlan_on"] == ["b"], logs  # a's went with its vigild
    assert second["adverts"] == [[cases.mac("b"), "10.98.0.22", "224.0.0.18", 61, 100, 1]], logs
    assert second["vip_mac"] == cases.mac("b"), logs
    assert result["b_exit"] == 0, logs
    assert "ipv61" not in result["links_after"]["a"] + result["links_after"]["b"]


def test_vrf_binds_unicast_adverts_to_the_vrf(uml_run):
    result = _result(uml_run, "vrf")
    r, keepalived = result["vigild"], result["keepalived"]
    logs = _logs(r, "a_log", "b_log")
    assert r["a_ready"], logs
    # b hears a through the VRF (else it would be master too: its main table has no route).
    assert r["vip_on"] == ["a"], logs
    assert r["adverts_at_b"] == [["02:00:00:00:01:01", "10.96.0.1", "10.96.0.2", 71, 150, 1]], logs
    assert r["a_exit"] == 0, logs
    assert r["b_took_over"] and r["vip_on_after"] == ["b"], logs
    assert r["b_running"] and r["b_exit"] == 0, logs
    # An ipvlan on a VRF's slave goes into the VRF, as keepalived 2.2.7 puts it.
    link = r["ipvlan"]
    assert link["master"] == "blue", logs
    assert link["link"] == "e1"
    assert link["linkinfo"] == {"info_kind": "ipvlan", "info_data": {"mode": "l2", "bridge": True}}
    assert keepalived["ready"], keepalived["log"]
    assert link == keepalived["ipvlan"], keepalived["log"]
    for d in (r, keepalived):
        assert "ipv81" not in d["links_after"]


def test_vrf_made_after_start_gets_the_advert_sockets(uml_run):
    r = _result(uml_run, "vrf_late")
    logs = _logs(r, "a_log", "b_log")
    assert r["a_ready"] and r["vip_on_before"] == ["a"], logs
    # The main table has no route to the peers any more: only green can carry the adverts.
    assert all("10.95.0.0/24" not in routes for routes in r["routes_main"].values()), r
    assert r["vip_on"] == ["a"], logs
    assert r["adverts_at_b"] == [["02:00:00:00:04:01", "10.95.0.1", "10.95.0.2", 91, 150, 1]], logs
    assert r["running"] == {"a": True, "b": True}, logs
    assert r["a_exit"] == 0 and r["b_exit"] == 0, logs


VMAC_VIP = cases.VMAC_VIP


def test_a_vmac_follows_its_parent_into_a_vrf_and_out(uml_run):
    result = _result(uml_run, "vmac_vrf")
    vigil, keepalived = result["vigild"], result["keepalived"]
    logs = "vigild:\n" + vigil["log"][-3000:] + "\nkeepalived:\n" + keepalived["log"][-3000:]
    for d in (keepalived, vigil):
        assert d["ready"], logs
        assert d["vmac_before"]["master"] is None, logs
        assert d["moved_in"] and d["vmac_in_red"]["master"] == "red", logs
        assert d["vmac_in_red"]["link"] == "e5", logs
        assert d["vip_in_red"], logs
        assert d["moved_out"] and d["vmac_after"]["master"] is None, logs
        assert d["exit"] == 0, logs
        assert "vrrp.95" not in d["links_after"], logs
    # The adverts still leave through the VMAC while it is in red.
    advert = ["00:00:5e:00:01:5f", "10.94.0.1", "224.0.0.18", 95, 150, 1]
    assert vigil["adverts_in_red"] == [advert], logs
    assert vigil["adverts_in_red"] == keepalived["adverts_in_red"], logs
    # No IPv6 on the VMAC of an IPv4 instance without IPv6 excluded VIPs (keepalived 2.2.7).
    assert vigil["vmac_before"]["disable_ipv6"] == "1", logs
    for key in ("vmac_before", "vmac_in_red", "vmac_after"):
        assert vigil[key] == keepalived[key], (key, logs)
    assert vigil["vmac_in_red"]["addresses"] == [["inet", VMAC_VIP, 24, "global"]], logs
    assert vigil["running"], logs
