"""auth_hmac: two vigils sharing a key (read from a 0600 key file) elect one master; a
third vigil with another key is ignored and counted (auth_bad_hmac); an advert of the
master captured off the wire verifies with Python's own HMAC-SHA256 over keepalived's
input, and replayed by scapy it is refused (auth_replay), later as stale (auth_stale).
vigild -t grades a key file others can read as keepalived does (exit 6)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

import lab as lablib
from vrrp_lab import PYTHON, Spec, VrrpLab, require_scapy

KEY = "0123456789abcdef0123456789abcdef"
OTHER_KEY = "fedcba9876543210fedcba9876543210"
WINDOW = 2
SPEC = Spec(version=3, interval=0.1)

# Runs on the attacker node: sniffs one advert from `src`, checks its trailer against
# `key` with an HMAC computed here, then sends the same IP packet `repeat` times.
REPLAY = textwrap.dedent("""\
    import hashlib, hmac, json, struct, sys, time
    from scapy.all import Ether, IP, Raw, conf, get_if_hwaddr, sendp, sniff
    conf.verb = 0
    src, key, repeat, delay = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3]), float(sys.argv[4])
    pkts = sniff(iface="eth0", count=1, timeout=5,
                 lfilter=lambda p: IP in p and p[IP].proto == 112 and p[IP].src == src)
    raw = bytes(pkts[0][IP])
    ihl = (raw[0] & 15) * 4
    payload = raw[ihl:]
    message, trailer = payload[:-28], payload[-28:]
    pseudo = bytes([4, message[0] >> 4, message[1], 0]) + bytes(int(x) for x in src.split(".")) + bytes(12)
    zeroed = message[:6] + bytes(2) + message[8:]
    mac = hmac.new(key, pseudo + zeroed + trailer[:12] + bytes(16), hashlib.sha256).digest()[:16]
    seconds = struct.unpack("!I", trailer[4:8])[0]
    print(json.dumps({"total_length": struct.unpack("!H", raw[2:4])[0], "message": len(message),
                      "type": trailer[0], "key_id": trailer[1], "verifies": mac == trailer[12:],
                      "skew": time.time() - seconds}), flush=True)
    time.sleep(delay)
    frame = Ether(src=get_if_hwaddr("eth0"), dst="01:00:5e:00:00:12") / IP(raw)
    sendp([frame] * repeat, iface="eth0")
    """)


@pytest.fixture
def vl(lab, vigild):
    require_scapy()
    return VrrpLab(lab, vigild)


def auth_hmac(key_line: str) -> str:
    return textwrap.dedent(f"""\
        auth_hmac {{
            key 1 {key_line}
            active_key 1
            time_window {WINDOW}
        }}""")


def rejected(r) -> dict:
    return r.stats()["rejected"]


def test_shared_key_elects_one_master_and_others_are_refused(vl):
    r1, r2, r3 = vl.routers_of(["vigil", "vigil", "vigil"])
    attacker = vl.lab.add_node("x")
    key_file = vl.file("vrrp.key", KEY + "\n", mode=0o600)
    vl.file("replay.py", REPLAY)
    replay = f"{vl.lab.workdir}/replay.py"

    r2.start(SPEC, 200, extra=auth_hmac(f"file:{key_file}"))
    r1.start(SPEC, 100, extra=auth_hmac(f"file:{key_file}"))
    vl.wait_holder(r2, SPEC, timeout=SPEC.master_down(200) + 5)
    lablib.wait_until(lambda: r1.state() == "BACKUP", timeout=5, message="r1 BACKUP")
    vl.assert_sole_holder(r2, SPEC)
    assert r1.instances()["VI_1"]["master_address"] == r2.ipv4
    assert (rejected(r1), rejected(r2)) == ({}, {})

    # A third router with another key and a higher priority: its adverts are refused.
    r3.start(SPEC, 250, extra=auth_hmac(OTHER_KEY))
    lablib.wait_until(lambda: rejected(r1).get("auth_bad_hmac", 0) >= 10, timeout=5,
                      message="r1 counts r3's adverts")
    assert set(rejected(r1)) == {"auth_bad_hmac"}
    assert set(rejected(r2)) == {"auth_bad_hmac"}
    # r3 hears no valid advert either: it is master on its own; r1 and r2 are unmoved.
    lablib.wait_until(lambda: r3.state() == "MASTER", timeout=5, message="r3 MASTER alone")
    assert (r1.state(), r2.state()) == ("BACKUP", "MASTER")
    assert r1.instances()["VI_1"]["master_address"] == r2.ipv4
    assert set(rejected(r3)) == {"auth_bad_hmac"}
    assert r3.term() == 0

    # r2's advert off the wire, checked by an independent HMAC, replayed at once.
    out = attacker.run([PYTHON, replay, r2.ipv4, KEY, "3", "0"], timeout=30).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["total_length"] == 20 + 12 + 28  # IPv4 + VRRPv3 with one VIP + trailer
    assert (seen["message"], seen["type"], seen["key_id"], seen["verifies"]) == (12, 1, 1, True)
    assert abs(seen["skew"]) < 2
    lablib.wait_until(lambda: rejected(r1).get("auth_replay", 0) == 3, timeout=5,
                      message="r1 counts the replays")
    # Replayed after the window: refused before its HMAC is even computed.
    attacker.run([PYTHON, replay, r2.ipv4, KEY, "2", str(WINDOW + 1.5)], timeout=30)
    lablib.wait_until(lambda: rejected(r1).get("auth_stale", 0) == 2, timeout=5,
                      message="r1 counts the stale adverts")
    assert rejected(r1)["auth_replay"] == 3
    assert (r1.state(), r2.state()) == ("BACKUP", "MASTER")
    vl.assert_sole_holder(r2, SPEC)


def test_config_check_grades_the_key_file(lab, vigild):
    node = lab.add_node("c")  # has eth0, as the configuration names
    key = os.path.join(lab.workdir, "check.key")
    conf = os.path.join(lab.workdir, "check.conf")
    with open(conf, "w") as f:
        f.write(textwrap.dedent(f"""\
            vrrp_instance VI_1 {{
                interface eth0
                virtual_router_id 51
                virtual_ipaddress {{
                    10.99.0.100/16
                }}
                auth_hmac {{
                    key 1 file:{key}
                    active_key 1
                }}
            }}
            """))

    def check(mode: int | None) -> subprocess.CompletedProcess:
        if mode is None:
            os.unlink(key)
        else:
            with open(key, "w") as f:
                f.write(KEY + "\n")
            os.chmod(key, mode)
        return node.run([vigild, "-t", "-f", conf], timeout=30, check=False)

    r = check(0o600)
    assert (r.returncode, r.stderr) == (0, "")
    r = check(0o640)
    assert r.returncode == 6, r.stderr
    assert (f"{conf}:8:15: warning: vrrp_instance VI_1: auth_hmac key 1: file '{key}' is "
            "readable by group or others") in r.stderr
    r = check(None)
    assert r.returncode == 5, r.stderr
    assert (f"{conf}:8:15: error: vrrp_instance VI_1: auth_hmac key 1: file '{key}' cannot "
            "be opened; key ignored") in r.stderr
    assert (f"{conf}:7:5: error: vrrp_instance VI_1: auth_hmac active_key 1 is not defined; "
            "auth_hmac disabled") in r.stderr
