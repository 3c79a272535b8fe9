"""Lab tests of the checker + load-balancer engine: vigild -C with the nftables backend.

Topology (one bridge, 10.99.0.0/16): client (.1), lb (.2, holds the VIP 10.99.0.100), real
servers rs1..rs3 (.3-.5) and, for quorum tests, a sorry server. Real servers route the
client's address through the load balancer so that NAT replies return through it.
"""

from __future__ import annotations

import json
import os
import signal
import textwrap
import time

import pytest

import lab as lablib

VIP = "10.99.0.100"
PORT = 8080
NFT = lablib.NFT
PYTHON = lablib.PYTHON

SERVER = textwrap.dedent("""\
    import http.server, sys
    name, port, status_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            code = 200
            if self.path == "/health":
                try:
                    with open(status_file) as f:
                        code = int(f.read().strip() or "200")
                except OSError:
                    pass
            body = name.encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
    """)

CLIENT = textwrap.dedent("""\
    import http.client, json, sys
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    out = []
    for _ in range(count):
        try:
            c = http.client.HTTPConnection(host, port, timeout=2)
            c.request("GET", "/")
            out.append(c.getresponse().read().decode())
            c.close()
        except Exception as e:
            out.append("ERR " + type(e).__name__)
    print(json.dumps(out))
    """)

NOTIFY = textwrap.dedent("""\
    #!/bin/sh
    echo "$*" >> "$(dirname "$0")/notify.log"
    """)


class LbLab:
    """The lab with its nodes, servers and one vigild."""

    def __init__(self, lab, vigild_path: str, servers: int = 3, sorry: bool = False):
        self.lab = lab
        self.vigild_path = vigild_path
        self.work = lab.workdir
        self.client = lab.add_node("client")
        self.lb = lab.add_node("lb")
        self.rs = [lab.add_node(f"rs{i + 1}") for i in range(servers)]
        self.sorry = lab.add_node("sorry") if sorry else None
        self.procs: dict[str, object] = {}
        self.daemon = None
        for name, text in (("server.py", SERVER), ("client.py", CLIENT), ("notify.sh", NOTIFY)):
            path = os.path.join(self.work, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)
        self.lb.run([lablib.IP, "addr", "add", f"{VIP}/32", "dev", "eth0"])
        self.lb.sysctl("net.ipv4.ip_forward", 1)
        for key in ("all", "default", "eth0"):
            self.lb.sysctl(f"net.ipv4.conf.{key}.send_redirects", 0)
        for node in self.rs + ([self.sorry] if self.sorry else []):
            node.run([lablib.IP, "route", "add", f"{self.client.ipv4}/32", "via", self.lb.ipv4])
            node.sysctl("net.ipv4.conf.all.accept_redirects", 0)
            node.sysctl("net.ipv4.conf.eth0.accept_redirects", 0)
            self.start_server(node)

    # -- servers ------------------------------------------------------------------------

    def status_file(self, node) -> str:
        return os.path.join(self.work, f"{node.short}.status")

    def start_server(self, node) -> None:
        proc = node.spawn([PYTHON, os.path.join(self.work, "server.py"), node.short, str(PORT),
                           self.status_file(node)], log_name=f"{node.short}-http.log")
        self.procs[node.short] = proc
        lablib.wait_until(lambda: node.run(["ss", "-Htln", f"sport = :{PORT}"]).stdout.strip(),
                          timeout=10, message=f"http server on {node.short}")

    def stop_server(self, node) -> None:
        proc = self.procs.pop(node.short)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)

    def set_status(self, node, code: int) -> None:
        with open(self.status_file(node), "w") as f:
            f.write(f"{code}\n")

    # -- vigild -------------------------------------------------------------------------

    def start_vigild(self, body: str, global_extra: str = "") -> None:
        conf = os.path.join(self.work, "vigil.conf")
        with open(conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                global_defs {{
                    vigil_control_socket {self.work}/ctl
                    vigil_lb_backend nftables
                {textwrap.indent(global_extra, '    ')}
                }}
                """) + body)
        self.conf = conf
        self.daemon = self.lb.spawn(
            [self.vigild_path, "-n", "-l", "-D", "-C", "-f", conf, "-p",
             os.path.join(self.work, "vigild.pid"), "-c", os.path.join(self.work, "check.pid")],
            log_name="vigild.log")
        lablib.wait_until(lambda: self.nft_table() is not None or self.daemon.poll() is not None,
                          timeout=15, message="vigild to program nftables")
        assert self.daemon.poll() is None, f"vigild exited: {self.log()}"

    def log(self) -> str:
        with open(self.daemon.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop_vigild(self) -> int:
        self.daemon.send_signal(signal.SIGTERM)
        return self.daemon.wait(timeout=15)

    def stop(self) -> None:
        lablib.stop_daemon(self.daemon)

    # -- observation --------------------------------------------------------------------

    def nft_table(self):
        """Returns `nft -j list ruleset` items of table inet vigil, or None if absent."""
        data = json.loads(self.lb.run([NFT, "-j", "list", "ruleset"]).stdout or "{}")
        items = [i for i in data.get("nftables", [])
                 if any(k in i and i[k].get("table") == "vigil" and i[k].get("family") == "inet"
                        for k in ("table", "chain", "rule", "map", "set"))]
        return items or None

    def destinations(self) -> dict[str, int]:
        """Returns {"addr:port": weight} of the real servers in table inet vigil."""
        return {k: w for k, (w, _) in lablib.vigil_destinations(self.nft_table() or []).items()}

    def wait_destinations(self, want: dict[str, int], timeout: float) -> None:
        lablib.wait_until(lambda: self.destinations() == want, timeout=timeout,
                          message=f"destinations {want} (now {self.destinations()})")

    def requests(self, count: int) -> list[str]:
        out = self.client.run([PYTHON, os.path.join(self.work, "client.py"), VIP, "80",
                               str(count)], timeout=count * 3 + 10).stdout
        return json.loads(out)

    def notify_lines(self) -> list[str]:
        try:
            with open(os.path.join(self.work, "notify.log")) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def dest(self, node) -> str:
        return f"{node.ipv4}:{PORT}"


def real_server(node, weight: int = 1, check: str | None = None, extra: str = "") -> str:
    check = check if check is not None else "TCP_CHECK {\n        connect_timeout 1\n    }"
    return textwrap.indent(textwrap.dedent(f"""\
        real_server {node.ipv4} {PORT} {{
            weight {weight}
        """) + textwrap.indent(extra + check, "    ") + "\n}\n", "    ")


def virtual_server(servers: str, algo: str = "rr", extra: str = "") -> str:
    return (f"virtual_server {VIP} 80 {{\n    delay_loop 1\n    lb_algo {algo}\n"
            f"    lb_kind NAT\n    protocol TCP\n{textwrap.indent(extra, '    ')}\n"
            f"{servers}}}\n")


@pytest.fixture
def lblab(lab, vigild):
    the = LbLab(lab, vigild)
    yield the
    the.stop()


# Bound for a server's removal: delay_loop 1 + connect_timeout 1 + retry 1 x
# delay_before_retry 1, plus slack for scheduling.
REMOVAL_BOUND = 1 + 1 + 1 + 4


def test_lb_rr_spreads_requests_evenly(lblab):
    lblab.start_vigild(virtual_server("".join(real_server(n) for n in lblab.rs)))
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs}, timeout=10)
    got = lblab.requests(30)
    assert {name: got.count(name) for name in set(got)} == {"rs1": 10, "rs2": 10, "rs3": 10}


def test_lb_wrr_follows_weights(lblab):
    servers = "".join(real_server(n, weight=w) for n, w in zip(lblab.rs, (3, 2, 1)))
    lblab.start_vigild(virtual_server(servers, algo="wrr"))
    lblab.wait_destinations({lblab.dest(lblab.rs[0]): 3, lblab.dest(lblab.rs[1]): 2,
                             lblab.dest(lblab.rs[2]): 1}, timeout=10)
    got = lblab.requests(60)
    assert {name: got.count(name) for name in set(got)} == {"rs1": 30, "rs2": 20, "rs3": 10}


def test_lb_stopped_server_is_removed_and_comes_back(lblab):
    lblab.start_vigild(virtual_server("".join(real_server(n) for n in lblab.rs)))
    everyone = {lblab.dest(n): 1 for n in lblab.rs}
    lblab.wait_destinations(everyone, timeout=10)
    rs2 = lblab.rs[1]
    lblab.stop_server(rs2)
    t0 = time.monotonic()
    lblab.wait_destinations({lblab.dest(lblab.rs[0]): 1, lblab.dest(lblab.rs[2]): 1},
                            timeout=REMOVAL_BOUND)
    assert time.monotonic() - t0 <= REMOVAL_BOUND
    got = lblab.requests(10)
    assert sorted(set(got)) == ["rs1", "rs3"]
    lblab.start_server(rs2)
    lblab.wait_destinations(everyone, timeout=REMOVAL_BOUND)
    got = lblab.requests(9)
    assert sorted(set(got)) == ["rs1", "rs2", "rs3"]


def test_lb_http_status_check_fails_and_recovers(lblab):
    check = textwrap.dedent("""\
        HTTP_GET {
            url {
                path /health
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }""")
    lblab.start_vigild(virtual_server("".join(real_server(n, check=check) for n in lblab.rs)))
    everyone = {lblab.dest(n): 1 for n in lblab.rs}
    lblab.wait_destinations(everyone, timeout=10)
    lblab.set_status(lblab.rs[0], 503)
    lblab.wait_destinations({lblab.dest(lblab.rs[1]): 1, lblab.dest(lblab.rs[2]): 1},
                            timeout=REMOVAL_BOUND)
    lblab.set_status(lblab.rs[0], 200)
    lblab.wait_destinations(everyone, timeout=REMOVAL_BOUND)


def test_lb_misc_check_timeout_removes_the_server(lblab):
    flag = os.path.join(lblab.work, "slow")
    script = os.path.join(lblab.work, "misc.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\nif [ -e {flag} ]; then sleep 10; fi\nexit 0\n")
    os.chmod(script, 0o755)
    misc = textwrap.dedent(f"""\
        MISC_CHECK {{
            misc_path "{script}"
            misc_timeout 1
        }}""")
    servers = real_server(lblab.rs[0], check=misc) + "".join(real_server(n) for n in lblab.rs[1:])
    lblab.start_vigild(virtual_server(servers))
    everyone = {lblab.dest(n): 1 for n in lblab.rs}
    lblab.wait_destinations(everyone, timeout=10)
    open(flag, "w").close()
    # MISC_CHECK: retry 0, so one timed-out run (1 s) after at most delay_loop removes it.
    lblab.wait_destinations({lblab.dest(lblab.rs[1]): 1, lblab.dest(lblab.rs[2]): 1},
                            timeout=REMOVAL_BOUND)
    os.unlink(flag)
    lblab.wait_destinations(everyone, timeout=REMOVAL_BOUND)


@pytest.fixture
def sorrylab(lab, vigild):
    the = LbLab(lab, vigild, servers=2, sorry=True)
    yield the
    the.stop()


def test_lb_quorum_lost_uses_the_sorry_server_and_regained(sorrylab):
    lab = sorrylab
    notify = os.path.join(lab.work, "notify.sh")
    extra = textwrap.dedent(f"""\
        quorum 2
        sorry_server {lab.sorry.ipv4} {PORT}
        quorum_up "{notify} quorum up"
        quorum_down "{notify} quorum down"
        """)
    lab.start_vigild(virtual_server("".join(real_server(n) for n in lab.rs), extra=extra))
    pool = {lab.dest(n): 1 for n in lab.rs}
    lab.wait_destinations(pool, timeout=10)
    lablib.wait_until(lambda: lab.notify_lines() == ["quorum up"], timeout=5,
                      message="quorum_up at start")
    lab.stop_server(lab.rs[0])
    lab.wait_destinations({lab.dest(lab.sorry): 1}, timeout=REMOVAL_BOUND)
    assert set(lab.requests(4)) == {"sorry"}
    lablib.wait_until(lambda: lab.notify_lines() == ["quorum up", "quorum down"], timeout=5,
                      message="quorum_down")
    lab.start_server(lab.rs[0])
    lab.wait_destinations(pool, timeout=REMOVAL_BOUND)
    assert set(lab.requests(4)) == {"rs1", "rs2"}
    lablib.wait_until(lambda: lab.notify_lines() == ["quorum up", "quorum down", "quorum up"],
                      timeout=5, message="quorum_up again")


def test_lb_notify_scripts_and_fifo_lines(lblab):
    notify = os.path.join(lblab.work, "notify.sh")
    fifo = os.path.join(lblab.work, "lvs.fifo")
    servers = "".join(
        real_server(n, extra=f'notify_up "{notify} up {n.short}"\n'
                             f'notify_down "{notify} down {n.short}"\n')
        for n in lblab.rs)
    lblab.start_vigild(virtual_server(servers), global_extra=f"lvs_notify_fifo {fifo}")
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs}, timeout=10)
    rs3 = lblab.rs[2]
    lblab.stop_server(rs3)
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs[:2]}, timeout=REMOVAL_BOUND)
    lblab.start_server(rs3)
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs}, timeout=REMOVAL_BOUND)
    lablib.wait_until(lambda: lblab.notify_lines() == ["down rs3", "up rs3"], timeout=5,
                      message="notify scripts in order")
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        text = os.read(fd, 4096).decode()
    finally:
        os.close(fd)
    vs = f"[{VIP}]:tcp:80"
    rs = f"[{rs3.ipv4}]:tcp:{PORT}"
    assert text.splitlines() == [f"VS {vs} UP", f"RS {rs} {vs} DOWN", f"RS {rs} {vs} UP"]


def test_lb_sigterm_leaves_nothing_of_vigil(lblab):
    lblab.start_vigild(virtual_server("".join(real_server(n) for n in lblab.rs)))
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs}, timeout=10)
    assert lblab.stop_vigild() == 0
    assert lblab.nft_table() is None
    assert "vigil" not in lblab.lb.run([NFT, "list", "tables"]).stdout


def test_lb_reload_keeps_unchanged_servers(lblab):
    servers = "".join(real_server(n) for n in lblab.rs)
    lblab.start_vigild(virtual_server(servers))
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs}, timeout=10)
    with open(lblab.conf) as f:
        text = f.read()
    # Drop rs3 and change rs1's weight; rs2 stays as it was.
    text = text.replace(real_server(lblab.rs[2]), "")
    text = text.replace(real_server(lblab.rs[0]), real_server(lblab.rs[0], weight=2))
    with open(lblab.conf, "w") as f:
        f.write(text)
    lblab.daemon.send_signal(signal.SIGHUP)
    lblab.wait_destinations({lblab.dest(lblab.rs[0]): 2, lblab.dest(lblab.rs[1]): 1},
                            timeout=10)


def tcp_counters(node) -> dict[str, int]:
    """Returns the node's Tcp: and TcpExt: counters (its own network namespace's)."""
    out = {}
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        lines = node.run(["cat", path]).stdout.splitlines()
        for names, values in zip(lines[::2], lines[1::2]):
            prefix = names.split(":")[0]
            if prefix in ("Tcp", "TcpExt"):
                for k, v in zip(names.split()[1:], values.split()[1:]):
                    out[f"{prefix}{k}"] = int(v)
    return out


def test_lb_tcp_check_is_half_open(lblab):
    # SYN, SYN-ACK, reset: the servers' applications never see a connection, yet every
    # probe reaches them.
    before = [tcp_counters(n) for n in lblab.rs]
    lblab.start_vigild(virtual_server("".join(real_server(n) for n in lblab.rs)))
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs}, timeout=10)
    lablib.wait_until(lambda: all(tcp_counters(n)["TcpExtEmbryonicRsts"] - b["TcpExtEmbryonicRsts"] >= 3
                                  for n, b in zip(lblab.rs, before)),
                      timeout=10, message="three reset handshakes on every server")
    after = [tcp_counters(n) for n in lblab.rs]
    assert [a["TcpPassiveOpens"] - b["TcpPassiveOpens"] for a, b in zip(after, before)] == [0, 0, 0]
    assert "failed" not in lblab.log()


def test_lb_tcp_check_over_ipv6(lblab):
    rs1 = lblab.rs[0]
    listener = rs1.spawn([PYTHON, "-c", "import socket, time\n"
                          "s = socket.socket(socket.AF_INET6)\n"
                          "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                          "s.bind(('::', 9090)); s.listen(16); time.sleep(600)"],
                         log_name="listener6.log")
    try:
        lablib.wait_until(lambda: rs1.run(["ss", "-Htln", "sport = :9090"]).stdout.strip(),
                          timeout=10, message="IPv6 listener")
        lblab.start_vigild(textwrap.dedent(f"""\
            virtual_server fd00:99::100 80 {{
                delay_loop 1
                lb_algo rr
                lb_kind NAT
                protocol TCP
                real_server {rs1.ipv6} 9090 {{
                    TCP_CHECK {{
                        connect_timeout 1
                    }}
                }}
                real_server {lblab.rs[1].ipv6} 9090 {{
                    TCP_CHECK {{
                        connect_timeout 1
                    }}
                }}
            }}
            """))
        # rs2 has no listener on 9090: refused at once and left out of the pool.
        lablib.wait_until(lambda: f"connection to [{lblab.rs[1].ipv6}]:9090 failed: "
                                  "Connection refused" in lblab.log(),
                          timeout=10, message="rs2 refused")
        lablib.wait_until(lambda: len(lblab.destinations()) == 1, timeout=10,
                          message=f"one IPv6 destination (now {lblab.destinations()})")
        assert tcp_counters(rs1)["TcpPassiveOpens"] == 0
    finally:
        os.killpg(listener.pid, signal.SIGKILL)
        listener.wait(timeout=5)


def test_lb_tcp_check_reports_an_unreachable_host_before_the_timeout(lblab):
    # Nobody answers ARP for 10.99.0.77: the kernel reports the neighbour failure as an ICMP
    # host unreachable after ~3 s, well before connect_timeout 20.
    lblab.start_vigild(virtual_server(
        real_server(lblab.rs[0]) +
        "    real_server 10.99.0.77 8080 {\n        TCP_CHECK {\n"
        "            connect_timeout 20\n        }\n    }\n"))
    t0 = time.monotonic()
    lablib.wait_until(lambda: "connection to 10.99.0.77:8080 failed: No route to host" in lblab.log(),
                      timeout=15, message="No route to host for 10.99.0.77")
    assert time.monotonic() - t0 < 15
    assert lblab.destinations() == {lblab.dest(lblab.rs[0]): 1}


def test_lb_omega_runs_down_notifiers_at_sigterm(lblab):
    notify = os.path.join(lblab.work, "notify.sh")
    servers = "".join(real_server(n, extra=f'notify_down "{notify} down {n.short}"\n')
                      for n in lblab.rs[:2])
    servers += real_server(lblab.rs[2])  # no notify_down: nothing to run for it
    lblab.start_vigild(virtual_server(servers, extra=f'omega\nquorum_down "{notify} quorum_down"'))
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs}, timeout=10)
    assert lblab.notify_lines() == []
    assert lblab.stop_vigild() == 0
    # Each server's script runs in its own queue: compare as a set, and nothing else ran.
    assert sorted(lblab.notify_lines()) == ["down rs1", "down rs2", "quorum_down"]
    assert lblab.nft_table() is None


def test_lb_repeated_virtual_server_runs_as_one_service(lblab):
    """Two blocks of one service (keepalived 2.2.7 runs them: one IPVS service with the first
    block's settings and the real servers of both; a real server in both stays as the first
    has it). vigild used to refuse such a configuration in its checker engine."""
    rs1, rs2, rs3 = lblab.rs
    first = virtual_server(real_server(rs1, weight=1) + real_server(rs2, weight=1))
    second = virtual_server(real_server(rs2, weight=5) + real_server(rs3, weight=2),
                            algo="wrr")
    lblab.start_vigild(first + second)
    lblab.wait_destinations({lblab.dest(rs1): 1, lblab.dest(rs2): 1, lblab.dest(rs3): 2},
                            timeout=10)
    assert lblab.daemon.poll() is None, lblab.log()
    # The first block's scheduler (rr): each server in turn, whatever its weight.
    got = lblab.requests(30)
    assert {name: got.count(name) for name in set(got)} == {"rs1": 10, "rs2": 10, "rs3": 10}
    # Its checkers act on the real server the second block brought.
    lblab.stop_server(rs3)
    lblab.wait_destinations({lblab.dest(rs1): 1, lblab.dest(rs2): 1}, timeout=REMOVAL_BOUND)
