"""Lab test: route health injection into a kernel routing table (vigil_announce_table).

lb runs vigild (VRRP + checker, nftables backend) with two virtual servers: 10.99.0.100
behind rs1, and 10.99.0.101 behind rs2 tied to VI_1 (vigil_announce_with). vigild keeps in
table 100 a blackhole host route of protocol 86 for each address whose service is up (and,
for .101, while VI_1 is MASTER). Shown on the kernel's table itself: a crashed run's routes
are flushed at start (another protocol's route is kept), a service that loses quorum is
withdrawn and comes back, maintenance withdraws everything, SIGTERM leaves the table as
vigil found it but for its own routes.
"""

from __future__ import annotations

import json
import os
import signal
import textwrap

import lab as lablib

TABLE = 100
PORT = 8080
SERVER = "import http.server as h; h.ThreadingHTTPServer(('0.0.0.0', {port}), " \
         "h.SimpleHTTPRequestHandler).serve_forever()"


def table_routes(node) -> list[tuple[str, str, str]]:
    """Returns the routes of table 100 as (dst, type, protocol), sorted."""
    out = []
    for family in ("-4", "-6"):
        for r in node.ip_json(family, "route", "show", "table", str(TABLE)):
            out.append((r["dst"], r.get("type", "unicast"), str(r.get("protocol", ""))))
    return sorted(out)


def vigil_routes(node) -> list[str]:
    return [dst for dst, typ, proto in table_routes(node) if proto == "86" and typ == "blackhole"]


def conf(work: str) -> str:
    return textwrap.dedent(f"""\
        global_defs {{
            vigil_control_socket {work}/ctl
            vigil_lb_backend nftables
            vigil_announce_table {TABLE} vty_socket {work}/no-frr
        }}
        vrrp_instance VI_1 {{
            interface eth0
            virtual_router_id 51
            priority 100
            advert_int 1
            virtual_ipaddress {{
                10.99.0.200/16
            }}
        }}
        virtual_server 10.99.0.100 80 {{
            delay_loop 1
            lb_algo rr
            lb_kind NAT
            protocol TCP
            real_server 10.99.0.2 {PORT} {{
                TCP_CHECK {{
                    connect_timeout 1
                }}
            }}
        }}
        virtual_server 10.99.0.101 80 {{
            delay_loop 1
            lb_algo rr
            lb_kind NAT
            protocol TCP
            vigil_announce_with VI_1
            real_server 10.99.0.3 {PORT} {{
                TCP_CHECK {{
                    connect_timeout 1
                }}
            }}
        }}
        """)


def test_announce_table_follows_quorum_maintenance_and_stop(lab, vigild):
    vigilctl = os.path.join(os.path.dirname(vigild), "vigilctl")
    w = lab.workdir
    lb = lab.add_node("lb")
    rs1 = lab.add_node("rs1")
    rs2 = lab.add_node("rs2")
    servers = {}
    for node in (rs1, rs2):
        servers[node.short] = node.spawn([lablib.PYTHON, "-c", SERVER.format(port=PORT)],
                                         log_name=f"{node.short}-http.log")
    for node in (rs1, rs2):
        lablib.wait_until(lambda n=node: n.run(["ss", "-Htln", f"sport = :{PORT}"]).stdout.strip(),
                          timeout=10, message=f"http server on {node.short}")
    # What a crashed run left (vigil's protocol, flushed) and someone else's route (kept).
    lb.run([lablib.IP, "route", "add", "blackhole", "10.99.0.250/32", "table", str(TABLE),
            "proto", "86"])
    lb.run([lablib.IP, "-6", "route", "add", "blackhole", "fd00:99::250/128", "table",
            str(TABLE), "proto", "86"])
    lb.run([lablib.IP, "route", "add", "blackhole", "10.99.0.251/32", "table", str(TABLE),
            "proto", "static"])
    with open(f"{w}/lb.conf", "w") as f:
        f.write(conf(w))
    daemon = lb.spawn([vigild, "-n", "-l", "-D", "-f", f"{w}/lb.conf", "-p", f"{w}/lb.pid",
                       "-r", f"{w}/lbr.pid", "-c", f"{w}/lbc.pid", "-b", f"{w}/lbb.pid"],
                      log_name="lb.log")

    def log() -> str:
        with open(daemon.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def ctl(*args: str) -> tuple[int, str]:
        p = lb.run([vigilctl, "-s", f"{w}/ctl", *args], check=False, timeout=15)
        return p.returncode, p.stdout.strip()

    def status() -> dict:
        rc, out = ctl("--json", "status")
        try:
            return json.loads(out)["status"]
        except (ValueError, KeyError):
            return {}

    def wait_routes(want: list[str], message: str) -> None:
        lablib.wait_until(lambda: vigil_routes(lb) == want, timeout=20,
                          message=f"{message}: table {TABLE} {want} (now {table_routes(lb)})")

    # At start: the stale routes are gone, .100 is announced at once (its real server counts
    # as up until a check fails), .101 once VI_1 is MASTER.
    wait_routes(["10.99.0.100", "10.99.0.101"], "both services announced")
    assert table_routes(lb) == [("10.99.0.100", "blackhole", "86"),
                                ("10.99.0.101", "blackhole", "86"),
                                ("10.99.0.251", "blackhole", "static")]
    assert "vigil_announce_table 100: removed 2 routes a previous run left" in log(), log()
    s = status()
    # No FRR answers here (vtysh finds no daemon in vty_socket's directory): nothing of FRR is
    # shown, and that is not an error.
    assert s["announce"] == {"table": TABLE, "announced": ["10.99.0.100", "10.99.0.101"],
                             "held": {}, "error": "", "frr": False, "frr_peers": []}, \
        s.get("announce")

    # rs1 dies: 10.99.0.100 loses quorum and is withdrawn; .101 stays.
    os.killpg(servers["rs1"].pid, signal.SIGKILL)
    servers["rs1"].wait(timeout=5)
    wait_routes(["10.99.0.101"], "10.99.0.100 withdrawn")
    servers["rs1"] = rs1.spawn([lablib.PYTHON, "-c", SERVER.format(port=PORT)],
                               log_name="rs1-http2.log")
    wait_routes(["10.99.0.100", "10.99.0.101"], "10.99.0.100 announced again")

    # Maintenance: nothing announced (VI_1 steps down too), both held for it; then back.
    rc, out = ctl("maintenance", "on")
    assert rc == 0, out
    wait_routes([], "maintenance withdraws everything")
    lablib.wait_until(lambda: status().get("announce", {}).get("held") ==
                      {"10.99.0.100": "maintenance", "10.99.0.101": "maintenance"},
                      timeout=10, message="both held for maintenance")
    rc, out = ctl("maintenance", "off")
    assert rc == 0, out
    wait_routes(["10.99.0.100", "10.99.0.101"], "announced again after maintenance")

    # The events tell the story of 10.99.0.100.
    watched = lb.run(["timeout", "2", vigilctl, "-s", f"{w}/ctl", "--json", "watch", "--from",
                      "0"], check=False, timeout=10).stdout
    story = [(e["announced"], e["reason"]) for e in map(json.loads, watched.splitlines())
             if e.get("type") == "announce" and e.get("address") == "10.99.0.100"]
    assert story == [(True, "start"), (False, "quorum"), (True, "quorum"),
                     (False, "maintenance"), (True, "maintenance_off")], watched

    # SIGTERM: vigil's routes leave with it; the other route stays.
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=20) == 0
    assert table_routes(lb) == [("10.99.0.251", "blackhole", "static")]
