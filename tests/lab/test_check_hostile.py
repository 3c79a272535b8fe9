"""Lab tests of checks against hostile or unlucky real servers: every check ends within its
bound, reads a bounded amount, and leaves nothing running (sockets, scripts) behind.

The lab of test_lb_engine (client, lb with the VIP, real servers); the hostile server
(hostile_server.py) listens on HOSTILE_PORT of rs1 and checks reach it with connect_port.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import textwrap
import time

import pytest

import lab as lablib
from test_lb_engine import PYTHON, LbLab, real_server, virtual_server

HOSTILE_PORT = 9000
HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024
# A check's verdict is due within delay_loop 1 + its budget (3 x connect_timeout 1, 4 with
# TLS or SMTP) and no retry; plus slack for a loaded machine.
DOWN_BOUND = 1 + 4 + 4


@pytest.fixture
def one(lab, vigild):
    the = LbLab(lab, vigild, servers=1)
    yield the
    the.stop()


def start_hostile(the: LbLab, mode: str, *extra: str) -> str:
    """Starts hostile_server.py in `mode` on rs1; returns its stats file."""
    stats = os.path.join(the.work, f"hostile-{mode}.json")
    node = the.rs[0]
    node.spawn([PYTHON, os.path.join(HERE, "hostile_server.py"), mode, str(HOSTILE_PORT), stats,
                *extra], log_name=f"hostile-{mode}.log")
    lablib.wait_until(lambda: os.path.exists(stats), timeout=10, message="hostile server up")
    return stats


def read_stats(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def checker(kind: str, body: str = "", connect_timeout: int = 1) -> str:
    return (f"{kind} {{\n    connect_port {HOSTILE_PORT}\n    connect_timeout {connect_timeout}\n"
            f"    retry 0\n{textwrap.indent(body, '    ')}}}")


def url(digest: str | None = None) -> str:
    return "url {\n    path /\n" + (f"    digest {digest}\n" if digest else "") + "}\n"


def expect_down(the: LbLab, check: str) -> None:
    the.start_vigild(virtual_server(real_server(the.rs[0], check=check)))
    the.wait_destinations({}, timeout=DOWN_BOUND)


def test_drip_feeding_server_is_down_within_the_budget(one):
    stats = start_hostile(one, "drip")
    expect_down(one, checker("HTTP_GET", url("0" * 32)))
    assert "timeout: not done within 3 s (3 x connect_timeout)" in one.log()
    assert read_stats(stats)["accepted"] >= 1


def test_endless_header_list_is_down_within_the_budget(one):
    start_hostile(one, "endless-headers")
    expect_down(one, checker("HTTP_GET", url()))
    assert "timeout: not done within 3 s (3 x connect_timeout)" in one.log()


def test_endless_body_is_read_only_as_far_as_the_verdict_needs(one):
    stats = start_hostile(one, "endless-body")
    # Status only: the headers decide; the body is never read.
    one.start_vigild(virtual_server(real_server(one.rs[0], check=checker("HTTP_GET", url()))))
    lablib.wait_until(lambda: read_stats(stats)["accepted"] >= 3, timeout=10,
                      message="three status checks")
    s = read_stats(stats)
    assert one.destinations() == {one.dest(one.rs[0]): 1}
    # What the kernel's socket buffers took, not the 14 GB of an unbounded read.
    assert s["sent"] / s["accepted"] < 16 * MIB, s
    one.stop_vigild()


def test_endless_body_fails_a_digest_at_the_body_cap(one):
    stats = start_hostile(one, "endless-body")
    expect_down(one, checker("HTTP_GET", url("0" * 32)))
    assert "body longer than 4 MiB: no digest taken" in one.log()
    s = read_stats(stats)
    assert s["sent"] / s["accepted"] < 4 * MIB + 16 * MIB, s


def test_endless_smtp_greeting_is_down(one):
    stats = start_hostile(one, "endless-greeting")
    expect_down(one, checker("SMTP_CHECK"))
    assert "reply longer than 64 KiB" in one.log()
    s = read_stats(stats)
    assert s["sent"] / s["accepted"] < 16 * MIB, s


def test_tls_response_cut_short_by_a_reset_is_down(one):
    cert, key = (os.path.join(one.work, n) for n in ("tls.crt", "tls.key"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-days", "2", "-nodes", "-subj", "/CN=rs1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=30)
    start_hostile(one, "tls-reset", cert, key)
    # The digest of what arrived: only the reset says the body was cut short.
    expect_down(one, checker("SSL_GET", url(hashlib.md5(b"partial").hexdigest())))
    assert "read error: Connection reset by peer" in one.log()


def test_reloads_that_remove_a_server_close_its_checks(one):
    stats = start_hostile(one, "drip")
    rs2 = one.lab.add_node("rs2")
    rs2.run(["ip", "route", "add", f"{one.client.ipv4}/32", "via", one.lb.ipv4])
    one.start_server(rs2)
    # A budget of 15 s: only cancelling ends these checks within the test.
    hostile = real_server(one.rs[0], check=checker("HTTP_GET", url("0" * 32), connect_timeout=5))
    steady = real_server(rs2)
    with_rs1 = virtual_server(hostile + steady)
    without_rs1 = virtual_server(steady)
    one.start_vigild(with_rs1)
    head = open(one.conf).read().split("virtual_server")[0]
    for i in range(5):
        want = read_stats(stats)["accepted"] + 1
        lablib.wait_until(lambda: read_stats(stats)["accepted"] >= want, timeout=5,
                          message="a check of rs1 in flight")
        for body in (without_rs1, with_rs1 if i < 4 else without_rs1):
            with open(one.conf, "w") as f:
                f.write(head + body)
            one.daemon.send_signal(signal.SIGHUP)
            time.sleep(0.3)
    lablib.wait_until(lambda: read_stats(stats)["open"] == 0, timeout=2,
                      message=f"rs1's connections closed (now {read_stats(stats)})")
    assert read_stats(stats)["accepted"] >= 5


def live(pids: list[int]) -> list[int]:
    out = []
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                if f.read().split(") ")[-1].split()[0] != "Z":
                    out.append(p)
        except OSError:
            pass
    return out


def pids_in(path: str) -> list[int]:
    try:
        with open(path) as f:
            return [int(w) for w in f.read().split()]
    except OSError:
        return []


def start_misc(the: LbLab, name: str, last_line: str, timeout: int) -> str:
    """Starts vigild with a MISC_CHECK script that writes its pid, starts a background job
    and a `setsid` escapee (writing theirs), then runs `last_line`; returns the pid file."""
    pids = os.path.join(the.work, f"{name}.pids")
    script = os.path.join(the.work, f"{name}.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\necho $$ >> {pids}\nsleep 300 &\necho $! >> {pids}\n"
                f"setsid sleep 300 &\necho $! >> {pids}\n{last_line}\n")
    os.chmod(script, 0o755)
    misc = f'MISC_CHECK {{\n    misc_path "{script}"\n    misc_timeout {timeout}\n}}'
    the.start_vigild(virtual_server(real_server(the.rs[0], check=misc)))
    return pids


def test_misc_check_leaves_no_children_behind(one):
    pids = start_misc(one, "misc", "exit 0", timeout=5)
    lablib.wait_until(lambda: len(pids_in(pids)) >= 9, timeout=10, message="three runs")
    # Every run's background job and setsid escapee died with the run.
    lablib.wait_until(lambda: len(live(pids_in(pids))) <= 3, timeout=2,
                      message=f"children gone (alive: {live(pids_in(pids))})")
    assert one.destinations() == {one.dest(one.rs[0]): 1}


def test_hung_misc_check_and_its_children_die_with_vigild(one):
    pids = start_misc(one, "hung", "sleep 300", timeout=100)
    lablib.wait_until(lambda: len(pids_in(pids)) >= 3, timeout=10, message="the script running")
    assert len(live(pids_in(pids))) == 3
    assert one.stop_vigild() == 0
    lablib.wait_until(lambda: not live(pids_in(pids)), timeout=3,
                      message=f"the script and its children gone (alive: {live(pids_in(pids))})")


def test_half_open_tcp_check_resends_lost_syns(one):
    # Twenty services on rs1 (ports 9100-9119), each a real server with a half-open
    # TCP_CHECK. The switch drops the first copy of every SYN towards them (a set remembers
    # each SYN it has seen by source, ports and sequence number) and lets a copy sent again
    # through: a prober that does not resend never completes a check.
    ports = list(range(9100, 9120))
    one.rs[0].spawn([PYTHON, "-c", "import socket, time\n"
                     "ls = []\n"
                     f"for p in {ports}:\n"
                     "    s = socket.socket(); s.bind(('0.0.0.0', p)); s.listen(64); ls.append(s)\n"
                     "time.sleep(600)"], log_name="listeners.log")
    syn = f"ether type ip tcp dport {ports[0]}-{ports[-1]} tcp flags & (syn | ack) == syn"
    flow = "ip saddr . tcp sport . tcp dport . tcp sequence"
    one.lab.switch.run([lablib.NFT, "-f", "-"], input_text=(
        "table bridge vigil_synloss {\n"
        f"  set seen {{ typeof {flow}; flags dynamic, timeout; timeout 120s; }}\n"
        "  chain forward {\n"
        "    type filter hook forward priority 0; policy accept;\n"
        f"    {syn} {flow} @seen counter accept\n"
        f"    {syn} add @seen {{ {flow} }} counter drop\n"
        "  }\n"
        "}\n"))
    # connect_timeout 16: SYNs at 0, 1, 3, 7 and 15 s, so no check can fail while the test
    # waits; with the resend at 1 s every check succeeds, two of them per server within 10 s.
    check = "TCP_CHECK {\n    connect_timeout 16\n}"
    servers = "".join(
        f"    real_server {one.rs[0].ipv4} {p} {{\n        {check.replace(chr(10), chr(10) + '        ')}\n    }}\n"
        for p in ports)
    one.start_vigild(virtual_server(servers))
    vigilctl = os.path.join(os.path.dirname(one.vigild_path), "vigilctl")

    def rows():
        status = json.loads(one.lb.run([vigilctl, "-s", f"{one.work}/ctl", "--json", "servers"]).stdout)
        return status["virtual_servers"][0]["real_servers"]

    lablib.wait_until(lambda: all(r["checks_ok"] >= 2 for r in rows()), timeout=15,
                      message="two checks through a lost SYN on every server")
    assert all(r["up"] for r in rows()) and sum(r["checks_failed"] for r in rows()) == 0, rows()
    ruleset = json.loads(one.lab.switch.run([lablib.NFT, "-j", "list", "table", "bridge",
                                             "vigil_synloss"]).stdout)
    resent, dropped = [e["counter"]["packets"] for i in ruleset["nftables"]
                       for e in i.get("rule", {}).get("expr", []) if "counter" in e]
    assert dropped >= 40 and resent >= 40, (dropped, resent)  # every first SYN was lost
