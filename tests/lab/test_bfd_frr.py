"""Lab test: vigil's BFD engine against FRR 8.4's bfdd, single hop, both directions.

lb runs vigild with a bfd_instance towards rtr and a vrrp_instance that tracks it
(track_bfd, weight 0); rtr runs FRR's zebra and bfdd with the matching peer. Either side is
the active one (the other passive). The session comes Up on both, with each side's
discriminators and intervals as the other announced them; bfdd killed (SIGKILL: silence),
vigil's session goes Down at its detection time with diagnostic 1 and the instance goes
to FAULT, dropping its VIP; bfdd started again, the session and the instance come back.
Then vigil's BFD engine is killed: bfdd detects it (detection time expired) and vigil's
respawned engine brings the session Up again.
"""

from __future__ import annotations

import json
import os
import re
import signal

import pytest

import lab as lablib
from frr_lab import Frr, bfd_block, frr_missing, vigil_conf

# A BFD Down packet (version 1, detect mult 3, discriminator 0x12345678) sent with TTL 254.
SEND_TTL_254 = """import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 254)
s.sendto(struct.pack("!BBBBIIIII", 0x20, 0x40, 3, 24, 0x12345678, 0, 1000000, 1000000, 0),
         ("{lb}", 3784))
"""


class Vigil:
    def __init__(self, node, vigilctl, w):
        self.node, self.vigilctl, self.w = node, vigilctl, w

    def status(self) -> dict:
        out = self.node.run([self.vigilctl, "-s", f"{self.w}/lb.ctl", "--json", "status"],
                            check=False).stdout
        try:
            return json.loads(out)["status"]
        except (ValueError, KeyError):
            return {}

    def session(self) -> dict:
        for b in self.status().get("bfd_sessions", []):
            if b["name"] == "rtr":
                return b
        return {}

    def state(self) -> str:
        for i in self.status().get("instances", []):
            if i["name"] == "VI_1":
                return i["state"]
        return "?"


@pytest.mark.parametrize("vigil_passive", [False, True], ids=["vigil-active", "frr-active"])
def test_bfd_session_with_frr_bfdd(lab, vigild, vigil_passive):
    why = frr_missing()
    if why:
        pytest.skip(why)
    vigilctl = os.path.join(os.path.dirname(vigild), "vigilctl")
    w = lab.workdir
    lb = lab.add_node("lb")
    rtr = lab.add_node("rtr")
    frr = Frr(rtr)
    frr.start(bfd_block(lb.ipv4, rtr.ipv4, passive=not vigil_passive))
    daemon = lb.spawn_vigild(vigild, vigil_conf(f"{w}/lb.ctl", rtr.ipv4, lb.ipv4,
                                                passive=vigil_passive))
    v = Vigil(lb, vigilctl, w)

    def log() -> str:
        with open(daemon.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def both_up():
        s, p = v.session(), frr.peer(lb.ipv4)
        return s.get("state") == "Up" and p.get("status") == "up" and (s, p)

    s, p = lablib.wait_until(both_up, timeout=20, message="the session Up on both sides")
    # Each side knows the other by the discriminator the other chose.
    assert s["remote_discriminator"] == p["id"], (s, p)
    assert s["local_discriminator"] == p["remote-id"], (s, p)
    # The Poll Sequence after Up settles both on 100 ms: vigil detects bfdd's silence after
    # 3 x 100 ms, and bfdd announces vigil's intervals as configured.
    lablib.wait_until(lambda: v.session().get("detection_time_s") == pytest.approx(0.3),
                      timeout=10, message="vigil's detection time at 300 ms")
    lablib.wait_until(lambda: frr.peer(lb.ipv4).get("remote-transmit-interval") == 100,
                      timeout=10, message="bfdd sees vigil's 100 ms transmit interval")
    p = frr.peer(lb.ipv4)
    assert p["remote-receive-interval"] == 100 and p["remote-detect-multiplier"] == 3, p
    assert v.session()["tx_interval_s"] == pytest.approx(0.1)
    # track_bfd: the instance was in FAULT until the session came Up, then became MASTER.
    lablib.wait_until(lambda: v.state() == "MASTER", timeout=15, message="VI_1 MASTER")
    text = log()
    # (In the VRRP engine's own order: the BFD engine may see Up before VRRP starts.)
    assert text.index("-> FAULT") < text.index("BFD_Instance(rtr) is up for VRRP"), text
    assert "10.99.0.100" in lb.addresses("eth0")

    # GTSM: a Down packet from rtr's address that crossed a router (TTL 254) is dropped
    # before it reaches the session, which stays Up.
    rtr.run([lablib.PYTHON, "-c", SEND_TTL_254.format(lb=lb.ipv4)])
    lablib.wait_until(lambda: v.status().get("bfd_dropped") == {"bad_ttl": 1}, timeout=10,
                      message="the TTL-254 packet counted as bad_ttl")
    assert v.session()["state"] == "Up"

    # bfdd dies without a word: vigil detects it and VI_1 goes to FAULT.
    frr.kill_bfdd()
    lablib.wait_until(lambda: v.session().get("state") == "Down", timeout=10,
                      message="vigil's session Down after bfdd's death")
    assert v.session()["diag"] == "Control Detection Time Expired"
    lablib.wait_until(lambda: v.state() == "FAULT", timeout=10, message="VI_1 in FAULT")
    assert "10.99.0.100" not in lb.addresses("eth0")
    assert "BFD_Instance(rtr) Entering Down state (local diag - Control Detection Time " \
           "Expired)" in log()
    # The same story in vigilctl watch's events, in order.
    watched = lb.run(["timeout", "2", vigilctl, "-s", f"{w}/lb.ctl", "--json", "watch",
                      "--from", "0"], check=False, timeout=10).stdout
    bfd = [(e["from"], e["to"], e["diag"]) for e in map(json.loads, watched.splitlines())
           if e.get("type") == "bfd_transition" and e.get("session") == "rtr"]
    assert len(bfd) >= 2 and bfd[-2][0] in ("Down", "Init"), watched
    assert bfd[-2][1:] == ("Up", "No Diagnostic"), watched
    assert bfd[-1] == ("Up", "Down", "Control Detection Time Expired"), watched

    # bfdd again: Up, and VI_1 back to MASTER.
    frr.start_bfdd()
    lablib.wait_until(both_up, timeout=20, message="the session Up again")
    lablib.wait_until(lambda: v.state() == "MASTER", timeout=15, message="VI_1 MASTER again")
    assert v.session()["up_transitions"] == 2 and v.session()["down_transitions"] == 1

    # vigil's BFD engine dies: bfdd detects it; the engine respawned, the session returns.
    with open(f"{w}/lbb.pid") as f:
        engine = int(f.read().strip())
    os.kill(engine, signal.SIGKILL)
    lablib.wait_until(lambda: frr.peer(lb.ipv4).get("status") == "down", timeout=10,
                      message="bfdd's session down after vigil's BFD engine died")
    assert frr.peer(lb.ipv4)["diagnostic"] == "control detection time expired", frr.peer(lb.ipv4)
    lablib.wait_until(lambda: v.state() == "FAULT", timeout=10, message="VI_1 in FAULT")
    lablib.wait_until(both_up, timeout=30, message="the session Up with the respawned engine")
    lablib.wait_until(lambda: v.state() == "MASTER", timeout=15, message="VI_1 MASTER")
    assert re.search(r"engine bfd was killed by signal 9; respawning", log()), log()
    # The respawned engine (its counters start from zero) dropped nothing: every datagram
    # found its session and passed GTSM.
    assert v.status().get("bfd_dropped", {}) == {}, v.status()
