"""vrrp_instance keywords that act on the kernel, each checked against Debian's keepalived
2.2.7 on the same lab: promote_secondaries, no_accept / accept, unicast_fault_no_peer; and
global_defs log_unknown_vrids and fifo_write_vrrp_states_on_reload."""

from __future__ import annotations

import grp
import json
import os
import pwd
import signal

import pytest

import lab as lablib
from vrrp_lab import IP, Spec, VrrpLab, adverts, decode, fifo_reader, require_keepalived

SPEC = Spec(version=3, interval=0.1)


def sysctl(node: lablib.Node, key: str) -> str:
    return node.run(["cat", f"/proc/sys/{key}"]).stdout.strip()


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_promote_secondaries_keeps_the_subnets_other_addresses(lab, vigild, kind):
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    key = "net/ipv4/conf/eth0/promote_secondaries"
    assert sysctl(r1.node, key) == "0"
    r1.start(SPEC, 255, extra="promote_secondaries", state="MASTER")
    lablib.wait_until(lambda: r1.holds_all(), timeout=10, message="r1 holds the VIP")
    assert sysctl(r1.node, key) == "1"
    # The VIP is the primary address of 10.99.0.0/16; another address of that subnet added
    # after it is secondary, and must outlive the VIP's removal.
    r1.node.run([IP, "addr", "add", "10.99.0.200/16", "dev", "eth0"])
    assert r1.term() == 0
    assert "10.99.0.100" not in r1.addresses()
    assert "10.99.0.200" in r1.addresses()
    assert sysctl(r1.node, key) == "0"  # put back as it was


def answers_ping(node: lablib.Node, address: str) -> bool:
    return node.ping(address, timeout=1.0)


def accept_set(node: lablib.Node, table: str = "vigil_vrrp") -> list[str] | None:
    """The IPv4 VIPs in vigil's accept-mode filter (None when its table does not exist)."""
    proc = node.run([lablib.NFT, "-j", "list", "set", "ip", table, "vips"],
                    check=False)
    if proc.returncode != 0:
        return None
    s = json.loads(proc.stdout)["nftables"][1]["set"]
    return sorted(s.get("elem", []))


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_no_accept_master_drops_packets_for_its_vips(lab, vigild, kind):
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    r2 = vl.router("r2", kind)
    r1.start(SPEC, 150, extra="no_accept")
    r2.start(SPEC, 100, extra="no_accept")
    lablib.wait_until(lambda: r1.holds_all(), timeout=10, message="r1 holds the VIP")
    vip = SPEC.vips()[0]
    assert not answers_ping(vl.client, vip)  # held, but not accepted (RFC 5798 6.4.3)
    assert answers_ping(vl.client, r1.ipv4)
    if kind == "vigil":
        assert accept_set(r1.node) == [vip]
        assert accept_set(r2.node) is None  # a backup holds nothing to filter
    r1.kill()
    r1.node.run([IP, "addr", "del", SPEC.vip_lines()[0], "dev", "eth0"], check=False)
    lablib.wait_until(lambda: r2.holds_all(), timeout=10, message="r2 takes the VIP")
    assert not answers_ping(vl.client, vip)
    if kind == "vigil":
        assert accept_set(r2.node) == [vip]
        assert r2.term() == 0
        assert accept_set(r2.node) is None  # the table goes with vigild


def test_no_accept_filter_table_is_the_daemon_instances_own(lab, vigild):
    # Started with -i east, vigild filters in vigil_vrrp_east: a second vigild in the same
    # namespace (another -i) neither shares nor deletes it.
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1")
    r1.start(SPEC, 150, extra="no_accept", args=("-i", "east"))
    lablib.wait_until(lambda: r1.holds_all(), timeout=10, message="r1 holds the VIP")
    assert accept_set(r1.node, "vigil_vrrp_east") == SPEC.vips()
    assert accept_set(r1.node) is None
    assert r1.term() == 0
    assert accept_set(r1.node, "vigil_vrrp_east") is None


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_accept_master_answers_for_its_vips(lab, vigild, kind):
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    r1.start(SPEC, 150, extra="strict_mode\naccept")
    lablib.wait_until(lambda: r1.holds_all(), timeout=10, message="r1 holds the VIP")
    assert answers_ping(vl.client, SPEC.vips()[0])
    if kind == "vigil":
        assert accept_set(r1.node) is None


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_track_script_whose_file_is_missing_is_disabled_not_failed(lab, vigild, kind):
    # keepalived: "Disabling track script chk since not found/accessible" — a weight-0
    # script that cannot run would hold the instance in FAULT; disabled, it is ignored.
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    top = ('vrrp_script chk_gone {\n    script "/nonexistent/vigil/check.sh arg"\n'
           '    interval 1\n}\n')
    r1.start(SPEC, 150, extra="track_script {\n    chk_gone\n}", top=top,
             global_extra="script_user root")
    lablib.wait_until(lambda: r1.holds_all(), timeout=10, message="r1 holds the VIP")
    if kind == "vigil":
        assert "vrrp_script chk_gone: its program does not exist; disabled" in r1.log()
        assert r1.state() == "MASTER"


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_unicast_fault_no_peer_holds_the_instance_in_fault(lab, vigild, kind):
    """A unicast instance without peers falls back to multicast, unless it has
    unicast_fault_no_peer: then it stays in FAULT (keepalived 2.2.7 counts it a
    configuration fault) — no advert, no VIP, even as the would-be master."""
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    r1.start(SPEC, 200, extra=f"unicast_src_ip {r1.ipv4}\nunicast_fault_no_peer", state="MASTER")
    if kind == "vigil":
        lablib.wait_until(lambda: r1.state() == "FAULT", timeout=10, message="r1 in FAULT")
    cap = vl.capture(3.0)  # the master-down time of SPEC is well under a second
    assert adverts(decode(cap)) == []
    assert r1.vips() == []
    if kind == "vigil":
        assert r1.state() == "FAULT"
        assert "VI_1: unicast_fault_no_peer and no unicast_peer: in FAULT, not using multicast" \
            in r1.log()
        # The reason is in the instance's status too.
        status = r1.ctl_json("status")["status"]
        assert [(i["name"], i["state"], i["fault_reason"]) for i in status["instances"]] == \
            [("VI_1", "FAULT", "unicast_fault_no_peer and no unicast_peer")]
        text = r1.node.run([vl.vigilctl, "-s", r1.ctl, "status"], timeout=15).stdout
        assert "VI_1 in FAULT: unicast_fault_no_peer and no unicast_peer\n" in text, text


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_log_unknown_vrids_logs_each_advert_no_instance_takes(lab, vigild, kind):
    """global_defs log_unknown_vrids (keepalived 2.2.7's vrrp_scheduler logs "Unknown
    VRID(52) received on interface(eth0)"): r1, the master of VRID 51, logs each advert of
    VRID 52 that r2 sends on the same segment; r2, without the keyword, logs none of r1's."""
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    r2 = vl.router("r2")
    r1.start(SPEC, 100, state="MASTER", global_extra="log_unknown_vrids")
    r2.start(SPEC, None, body="""vrrp_instance VI_2 {
    state MASTER
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 0.1
    virtual_ipaddress {
        10.99.0.200/16
    }
}
""")
    want = (f"unknown VRID 52 received on eth0 from {r2.address(SPEC)}; ignored"
            if kind == "vigil" else "Unknown VRID(52) received on interface(eth0). ignoring...")
    lablib.wait_until(lambda: r1.log().count(want) >= 5, timeout=10,
                      message=f"r1 logs {want!r} for r2's adverts\n{vl.logs()}")
    assert "unknown VRID" not in r2.log(), r2.log()[-3000:]
    assert want.replace("52", "51") not in r1.log(), r1.log()[-3000:]  # its own adverts


FIFO_BODY = """vrrp_sync_group G1 {
    group {
        VI_G
    }
}
""" + "".join(f"""vrrp_instance {name} {{
    state {state}
    interface {dev}
    virtual_router_id {vrid}
    priority {priority}
    advert_int 1
    virtual_ipaddress {{
        {vip}
    }}
}}
""" for name, state, dev, vrid, priority, vip in (
    ("VI_M", "MASTER", "eth0", 71, 255, "10.99.0.171/16"),
    ("VI_G", "MASTER", "eth0", 72, 255, "10.99.0.172/16"),
    ("VI_F", "BACKUP", "lan1", 73, 100, "10.98.0.173/24")))


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_fifo_write_vrrp_states_on_reload_writes_the_states_kept(lab, vigild, kind):
    """global_defs fifo_write_vrrp_states_on_reload: at a reload that changes nothing, the
    notify FIFO gets the line of the sync group still MASTER and of the instance still in
    FAULT (its interface lan1 is down), none for the MASTER instances — as keepalived 2.2.7's
    vrrp_init_state writes them."""
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    r1.node.run([IP, "link", "add", "lan1", "type", "veth", "peer", "name", "lan1p"])  # down
    with fifo_reader(r1) as (fifo, lines):
        r1.start(None, None, body=FIFO_BODY,
                 global_extra=f"notify_fifo {fifo}\nfifo_write_vrrp_states_on_reload")
        started = {'INSTANCE "VI_M" MASTER 255', 'INSTANCE "VI_G" MASTER 255',
                   'INSTANCE "VI_F" FAULT 100'}
        lablib.wait_until(lambda: started <= set(lines()), timeout=10,
                          message=f"the states at start: {lines()}\n{r1.log()[-3000:]}")
        before = len(lines())
        done = r1.log().count("eload")
        r1.proc.send_signal(signal.SIGHUP)
        lablib.wait_until(lambda: len(lines()) >= before + 2, timeout=10,
                          message=f"the lines of the reload: {lines()}\n{r1.log()[-3000:]}")
        assert r1.log().count("eload") > done
        assert r1.term() == 0
        after = lines()[before:]
        assert after[:2] == ['GROUP "G1" MASTER 0', 'INSTANCE "VI_F" FAULT 100'], after
        assert [line for line in after[2:] if " STOP " not in line] == [], after


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_notify_fifos_vrrp_creates_belong_to_the_user_named(lab, vigild, kind):
    """notify_fifo / vrrp_notify_fifo PATH [USER [GROUP]]: a FIFO the daemon creates belongs
    to USER and GROUP (default: the user's own group), as keepalived 2.2.7's fifo_open
    chowns it; naming no user, to the default script user (script_user)."""
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    w = lab.workdir
    r1.start(SPEC, 100, global_extra=f"script_user daemon\n"
                                     f"notify_fifo {w}/all.fifo nobody daemon\n"
                                     f"vrrp_notify_fifo {w}/vrrp.fifo nobody")
    paths = [f"{w}/all.fifo", f"{w}/vrrp.fifo"]
    lablib.wait_until(lambda: all(os.path.exists(p) for p in paths), timeout=10,
                      message="the FIFOs are made")
    owners = [(os.stat(p).st_uid, os.stat(p).st_gid) for p in paths]
    nobody = pwd.getpwnam("nobody")
    assert owners == [(nobody.pw_uid, grp.getgrnam("daemon").gr_gid),
                      (nobody.pw_uid, nobody.pw_gid)]
    assert r1.term() == 0
    r1.start(SPEC, 100, global_extra=f"script_user daemon\nvrrp_notify_fifo {w}/dflt.fifo")
    lablib.wait_until(lambda: os.path.exists(f"{w}/dflt.fifo"), timeout=10,
                      message="the FIFO is made")
    daemon = pwd.getpwnam("daemon")
    assert (os.stat(f"{w}/dflt.fifo").st_uid, os.stat(f"{w}/dflt.fifo").st_gid) == \
        (daemon.pw_uid, daemon.pw_gid)


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_notify_fifos_vrrp_creates_have_mode_0644_less_the_umask(lab, vigild, kind):
    """keepalived 2.2.7's fifo_open makes a notify FIFO with mode 0644 less the umask: 0600
    under its default umask 0177, 0644 under `umask 022`."""
    if kind == "keepalived":
        require_keepalived()
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    w = lab.workdir
    modes = {}
    for umask, name in (("", "dflt"), ("umask 022", "u022")):
        paths = [f"{w}/{name}-all.fifo", f"{w}/{name}-vrrp.fifo"]
        r1.start(SPEC, 100, global_extra=f"{umask}\nnotify_fifo {paths[0]}\n"
                                         f"vrrp_notify_fifo {paths[1]}")
        lablib.wait_until(lambda: all(os.path.exists(p) for p in paths), timeout=10,
                          message="the FIFOs are made")
        modes[name] = [oct(os.stat(p).st_mode & 0o7777) for p in paths]
        assert r1.term() == 0
    assert modes == {"dflt": ["0o600", "0o600"], "u022": ["0o644", "0o644"]}
