"""Malformed and hostile adverts, crafted with scapy on a third node: each one is dropped,
counted under its reason in `vigilctl --json stats`, and changes nothing. A last, valid
advert with the same (higher) priority does take the master down, which shows that the
crafted ones would have mattered had they been accepted."""

from __future__ import annotations

import json
import textwrap

import pytest

import lab as lablib
from vrrp_lab import PYTHON, Spec, VrrpLab, require_scapy

# Runs on the attacker node: builds each VRRP message by hand (one defect each) and sends
# it `repeat` times to 224.0.0.18 through scapy.
CRAFT = textwrap.dedent("""\
    import json, struct, sys
    from scapy.all import Ether, IP, Raw, conf, get_if_hwaddr, sendp
    conf.verb = 0
    cases, src, vip, repeat = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

    def csum(data):
        if len(data) % 2:
            data += b"\\0"
        s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF

    def ip4(a):
        return bytes(int(x) for x in a.split("."))

    def message(c):
        version, vrid, prio = c.get("version"), c.get("vrid", 51), c.get("prio", 250)
        if version == 2:
            auth = c.get("pass", "").encode().ljust(8, b"\\0")[:8]
            body = struct.pack("!BBBBBBH", 0x21, vrid, prio, 1, c.get("auth_type", 0),
                               c.get("interval", 1), 0) + ip4(vip) + auth
            sum_ = csum(body)
        else:
            body = struct.pack("!BBBBHH", (version << 4) | 1, vrid, prio, 1,
                               c.get("interval", 10), 0) + ip4(vip)
            pseudo = ip4(src) + ip4("224.0.0.18") + struct.pack("!BBH", 0, 112, len(body))
            sum_ = csum(pseudo + body)
        if c.get("bad_checksum"):
            sum_ ^= 0x5A5A
        body = body[:6] + struct.pack("!H", sum_) + body[8:]
        return body[:c["truncate"]] if "truncate" in c else body

    frames = []
    for c in cases:
        pkt = (Ether(src=get_if_hwaddr("eth0"), dst="01:00:5e:00:00:12") /
               IP(src=src, dst="224.0.0.18", ttl=c.get("ttl", 255), proto=112, tos=0xC0) /
               Raw(message(c)))
        frames += [pkt] * repeat
    sendp(frames, iface="eth0")
    """)

REPEAT = 3

V2_PASS = Spec(version=2, interval=1.0, auth="s3cret")
V3 = Spec(version=3, interval=0.1)

# (case id, packet description, reason counted; None: ignored without a count)
COMMON = [
    ("wrong-ttl", {"ttl": 64}, "bad_ttl"),
    ("bad-checksum", {"bad_checksum": True}, "bad_checksum"),
    ("wrong-vrid", {"vrid": 52}, None),
    ("truncated", {"truncate": 6}, "too_short"),
]
V2_CASES = COMMON + [
    ("wrong-version", {"version": 3}, "bad_version"),
    ("wrong-password", {"auth_type": 1, "pass": "guess"}, "auth_failure"),
    ("no-auth", {"auth_type": 0}, "auth_type_mismatch"),
    ("wrong-interval", {"auth_type": 1, "pass": "s3cret", "interval": 3}, "interval_mismatch"),
]
V3_CASES = COMMON + [
    ("wrong-version", {"version": 2, "auth_type": 0}, "bad_version"),
    # Max Adver Int 0: obeyed, the backup would take over at once and flap on each advert.
    ("zero-interval", {"interval": 0}, "zero_interval"),
]
VALID = {2: {"auth_type": 1, "pass": "s3cret"}, 3: {}}


@pytest.fixture
def vl(lab, vigild):
    require_scapy()
    return VrrpLab(lab, vigild)


@pytest.mark.parametrize("spec,cases", [pytest.param(V2_PASS, V2_CASES, id="v2-pass"),
                                        pytest.param(V3, V3_CASES, id="v3")])
def test_hostile_adverts_are_dropped_counted_and_change_nothing(vl, spec, cases):
    r1, r2 = vl.routers_of(["vigil", "vigil"])
    attacker = vl.lab.add_node("x")
    vl.file("craft.py", CRAFT)
    craft = f"{vl.lab.workdir}/craft.py"

    def send(packets):
        attacker.run([PYTHON, craft, json.dumps(packets), attacker.ipv4, spec.vips()[0],
                      str(REPEAT)], timeout=60)

    r2.start(spec, 200)
    r1.start(spec, 100)
    vl.wait_holder(r2, spec, timeout=spec.master_down(200) + 5)
    lablib.wait_until(lambda: r1.state() == "BACKUP", timeout=5, message="r1 BACKUP")
    before = {r.name: r.instances()["VI_1"]["adverts_received"] for r in (r1, r2)}

    send([{"version": spec.version, **VALID[spec.version], **c} for _, c, _ in cases])
    want = {}
    for _, _, reason in cases:
        if reason:
            want[reason] = want.get(reason, 0) + REPEAT
    for r in (r1, r2):
        try:
            lablib.wait_until(lambda r=r: r.stats()["rejected"] == want, timeout=5)
        except lablib.WaitTimeout:
            assert r.stats()["rejected"] == want, r.name
    # Logged once per reason: the copies that follow within 10 s are only counted.
    for r in (r1, r2):
        log = r.log()
        for reason in want:
            line = (f"VI_1: dropped an advert from {attacker.ipv4}: {reason} "
                    "(logged at most every 10 s)")
            assert log.count(line) == 1, (r.name, reason)
    assert (r1.state(), r2.state()) == ("BACKUP", "MASTER")
    vl.assert_sole_holder(r2, spec)
    # No crafted advert was taken for a real one (r1 still hears r2 only).
    assert r1.instances()["VI_1"]["master_address"] == r2.ipv4
    assert r2.instances()["VI_1"]["adverts_received"] == before["r2"]

    # The control: the same priority-250 advert, well formed, is obeyed.
    send([{"version": spec.version, **VALID[spec.version]}])
    lablib.wait_until(lambda: r2.instances()["VI_1"]["adverts_received"] > before["r2"],
                      timeout=5, message="r2 accepts the valid advert")
    assert r2.stats()["transitions"] >= 3  # INIT->BACKUP->MASTER->BACKUP
