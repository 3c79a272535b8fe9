"""The "seed" set-up shared by the lab test (test_seed_haproxy.py) and `make demo`: two load
balancers, each running HAProxy in front of the web servers and a VRRP daemon whose
vrrp_script checks HAProxy with `killall -0 haproxy`, as in keepalived's best-known example.

Each load balancer's daemon runs in its own PID namespace (with its own /proc), so `killall`
sees that node's HAProxy only; HAProxy is started in, and killed from, the same namespace
with nsenter.
"""

from __future__ import annotations

import os
import subprocess
import textwrap

import lab as lablib

HAPROXY = "/usr/sbin/haproxy"
UNSHARE = "/usr/bin/unshare"
NSENTER = "/usr/bin/nsenter"
KILLALL = "/usr/bin/killall"
CURL = "/usr/bin/curl"

# The command a daemon runs under to get a PID namespace of its own: it is the namespace's
# first process, and the namespace (HAProxy with it) ends when it does.
PIDNS_WRAPPER = (UNSHARE, "--pid", "--fork", "--mount-proc", "--kill-child", "--")

# keepalived's canonical HAProxy example, unchanged but for the addresses: no
# enable_script_security, a bare command name searched in PATH, weight 2 so that the
# master's 101 + 2 = 103 beats the backup's 100 + 2 = 102, and 101 loses to 102.
SEED_SCRIPT = """\
vrrp_script check_haproxy {
    script "killall -0 haproxy"
    interval 2
    weight 2
}
"""

SEED_INSTANCE = """\
vrrp_instance VI_1 {{
    state {state}
    interface eth0
    virtual_router_id {vrid}
    priority {priority}
    advert_int 1
    authentication {{
        auth_type PASS
        auth_pass 1111
    }}
    virtual_ipaddress {{
        {vip}/32
    }}
    track_script {{
        check_haproxy
    }}
}}
"""

HAPROXY_CFG = """\
global
    maxconn 256

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend www
    bind {vip}:{listen}
    http-response set-header X-Load-Balancer {name}
    default_backend webs

backend webs
    balance roundrobin
{servers}
"""

# A web server answering every GET with its own name (run with python3 -c WEB NAME PORT).
WEB = textwrap.dedent("""\
    import http.server, sys
    name = sys.argv[1].encode()
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(name) + 1))
            self.end_headers()
            self.wfile.write(name + b"\\n")
        def log_message(self, *a):
            pass
    http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[2])), H).serve_forever()
    """)


def seed_config(state: str, priority: int, vip: str, vrid: int = 51) -> str:
    """The vrrp_script and vrrp_instance of the seed example (no global_defs)."""
    return SEED_SCRIPT + "\n" + SEED_INSTANCE.format(state=state, priority=priority, vip=vip,
                                                     vrid=vrid)


def start_web(node: lablib.Node, port: int = 8080) -> subprocess.Popen:
    """Starts a web server on ``node`` that answers with the node's short name."""
    return node.spawn([lablib.PYTHON, "-c", WEB, node.short, str(port)],
                      log_name=f"{node.short}-web.log")


def pid1(wrapper_proc: subprocess.Popen, timeout: float = 10) -> int:
    """The host PID of the first process of the PID namespace made by PIDNS_WRAPPER
    (``wrapper_proc`` is the unshare process, possibly under `ip netns exec`)."""

    def find() -> int | None:
        # `ip netns exec` execs its command, so the spawned pid is unshare's; its only child
        # is the namespace's first process.
        return next((pid for pid, _, ppid, _ in lablib.process_table()
                     if ppid == wrapper_proc.pid), None)

    return lablib.wait_until(find, timeout=timeout, interval=0.02,
                             message=f"the PID namespace of process {wrapper_proc.pid}")


class HAProxy:
    """HAProxy on a load balancer, inside the PID namespace whose first process is ``pid1``."""

    def __init__(self, node: lablib.Node, pid1: int, vip: str, backends: list[lablib.Node],
                 port: int = 8080, listen: int = 80):
        self.node = node
        self.pid1 = pid1
        self.cfg = os.path.join(node.lab.workdir, f"{node.short}-haproxy.cfg")
        servers = "\n".join(f"    server {b.short} {b.ipv4}:{port} check inter 1s"
                            for b in backends)
        with open(self.cfg, "w") as f:
            f.write(HAPROXY_CFG.format(vip=vip, listen=listen, name=node.short,
                                       servers=servers))
        # HAProxy binds the VIP before this node holds it, as in the classic set-up.
        node.sysctl("net.ipv4.ip_nonlocal_bind", 1)
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    def nsenter(self, *argv: str) -> list[str]:
        return [NSENTER, "-t", str(self.pid1), "-p", "-m", "--", *argv]

    def start(self) -> None:
        """Starts HAProxy in the foreground (it stays a child of nsenter, which reaps it)."""
        self.runs += 1
        self.proc = self.node.spawn(self.nsenter(HAPROXY, "-db", "-f", self.cfg),
                                    log_name=f"{self.node.short}-haproxy-{self.runs}.log")
        lablib.wait_until(lambda: self.proc.poll() is not None or self.visible(), timeout=10,
                          message=f"haproxy on {self.node.short}")
        assert self.proc.poll() is None, f"haproxy exited: {self.log()}"

    def visible(self) -> bool:
        """True iff `killall -0 haproxy` succeeds in the namespace: what the script sees."""
        return self.node.run(self.nsenter(KILLALL, "-0", "haproxy"), check=False).returncode == 0

    def kill(self) -> None:
        """`killall haproxy` in the namespace, and waits (bounded) for HAProxy to be gone."""
        self.node.run(self.nsenter(KILLALL, "haproxy"))
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        if self.proc is None:
            return ""
        with open(self.proc.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


def get(client: lablib.Node, vip: str, timeout: float = 2,
        port: int = 80) -> tuple[str, str] | None:
    """One HTTP GET to the VIP from ``client``: (load balancer, web server) from the
    X-Load-Balancer header and the body, or None when the request failed."""
    proc = client.run([CURL, "-sS", "--max-time", str(timeout), "-D", "-",
                       f"http://{vip}:{port}/"],
                      timeout=timeout + 5, check=False)
    if proc.returncode != 0:
        return None
    head, _, body = proc.stdout.replace("\r\n", "\n").partition("\n\n")
    lb = ""
    for line in head.splitlines()[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == "x-load-balancer":
            lb = value.strip()
    return lb, body.strip()
