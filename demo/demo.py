"""vigil demo: a highly available load balancer in network namespaces.

    client (10.99.0.1) ──┐
    lb1    (10.99.0.2) ──┤  one bridge, 10.99.0.0/16; VIP 10.99.0.100 (VRRP VRID 51)
    lb2    (10.99.0.3) ──┤  lb1 priority 150, lb2 priority 100; both run vigild with
    web1   (10.99.0.4) ──┤  virtual_server 10.99.0.100:80 → web1:8080, web2:8080 (rr, NAT,
    web2   (10.99.0.5) ──┘  HTTP_GET checks) programmed into nftables

Everything it creates is removed when it ends, also on Ctrl-C.
"""
import json
import os
import sys
import textwrap
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lab"))
import lab as lablib  # noqa: E402

BUILD = os.environ.get("VIGIL_BUILD", os.path.join(os.path.dirname(__file__), "..", "build", "release"))
VIGILD = os.path.abspath(os.path.join(BUILD, "apps", "vigild"))
VIGILCTL = os.path.abspath(os.path.join(BUILD, "apps", "vigilctl"))
PYTHON = "/usr/bin/python3"
VIP = "10.99.0.100"

CONF = """\
global_defs {{
    router_id {name}
    enable_script_security
    vigil_control_socket {workdir}/{name}.ctl
    vigil_lb_backend nftables
}}

vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {priority}
    advert_int 1
    virtual_ipaddress {{
        {vip}/16
    }}
}}

virtual_server {vip} 80 {{
    delay_loop 2
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.99.0.4 8080 {{
        HTTP_GET {{
            url {{
                path /
                status_code 200
            }}
            connect_timeout 1
        }}
    }}
    real_server 10.99.0.5 8080 {{
        HTTP_GET {{
            url {{
                path /
                status_code 200
            }}
            connect_timeout 1
        }}
    }}
}}
"""

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
    http.server.ThreadingHTTPServer(("0.0.0.0", 8080), H).serve_forever()
    """)

CLIENT = textwrap.dedent("""\
    import http.client, sys
    out = []
    for _ in range(int(sys.argv[2])):
        try:
            c = http.client.HTTPConnection(sys.argv[1], 80, timeout=2)
            c.request("GET", "/")
            out.append(c.getresponse().read().decode().strip())
            c.close()
        except OSError as e:
            out.append("error")
    print(" ".join(out))
    """)


def say(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def requests(client, count):
    words = client.run([PYTHON, "-c", CLIENT, VIP, str(count)], timeout=60).stdout.split()
    tally = {w: words.count(w) for w in sorted(set(words))}
    print(f"   {count} requests to http://{VIP}/ answered by: " +
          ", ".join(f"{k} ×{v}" for k, v in tally.items()))
    return tally


def vigilctl(node, *args):
    return node.run([VIGILCTL, "-s", f"{node.lab.workdir}/{node.short}.ctl", *args],
                    check=False).stdout


def state_of(node):
    out = vigilctl(node, "--json", "instances")
    try:
        return json.loads(out)["instances"][0]["state"]
    except (ValueError, KeyError, IndexError):
        return "?"


def main():
    for tool in (VIGILD, VIGILCTL):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} is missing: run `make build` first")
    with lablib.Lab() as lab:
        say("Building the lab: a bridge, a client, two load balancers, two web servers")
        client = lab.add_node("client")
        lbs = [lab.add_node("lb1"), lab.add_node("lb2")]
        webs = [lab.add_node("web1"), lab.add_node("web2")]
        for web in webs:
            # NAT: replies to the client go back through whichever load balancer holds the VIP.
            web.run(["ip", "route", "add", "10.99.0.1/32", "via", VIP])
            web.spawn([PYTHON, "-c", WEB, web.short], log_name=f"{web.short}.log")
        for lb in lbs:
            lb.sysctl("net.ipv4.ip_forward", 1)
        print(f"   lab workdir (configs, logs): {lab.workdir}")

        say("Starting vigild on lb1 (priority 150) and lb2 (priority 100)")
        for lb, prio in zip(lbs, (150, 100)):
            conf = os.path.join(lab.workdir, f"{lb.short}.conf")
            with open(conf, "w") as f:
                f.write(CONF.format(name=lb.short, priority=prio, vip=VIP, workdir=lab.workdir))
            w = lab.workdir
            lb.spawn([VIGILD, "-n", "-l", "-f", conf, "-p", f"{w}/{lb.short}.pid",
                      "-r", f"{w}/{lb.short}-vrrp.pid", "-c", f"{w}/{lb.short}-check.pid"],
                     log_name=f"{lb.short}-vigild.log")
        lablib.wait_until(lambda: state_of(lbs[0]) == "MASTER", timeout=15,
                          message="lb1 to become MASTER")
        lablib.wait_until(lambda: vigilctl(lbs[0], "servers").count(" UP ") >= 2, timeout=15,
                          message="both web servers to pass their checks")

        say("vigilctl status on lb1 (the master)")
        print(textwrap.indent(vigilctl(lbs[0], "status"), "   "))
        say("vigilctl instances on lb2 (the backup)")
        print(textwrap.indent(vigilctl(lbs[1], "instances"), "   "))

        say("The client sends requests through the VIP: round robin over both web servers")
        requests(client, 10)

        say("Killing the master: SIGKILL to every vigild process on lb1, and its link goes down")
        t0 = time.monotonic()
        lbs[0].run("pkill -KILL -f 'vigild -n -l -f .*/lb1.conf'", check=False)
        lbs[0].link_set("eth0", False)
        lablib.wait_until(lambda: VIP in lbs[1].addresses("eth0"), timeout=15,
                          interval=0.01, message="lb2 to take the VIP")
        took = time.monotonic() - t0
        print(f"   lb2 holds {VIP} {took:.2f} s after the kill "
              "(VRRP bound: 3 × advert_int + skew = 3.61 s)")
        say("vigilctl instances on lb2 (the new master)")
        print(textwrap.indent(vigilctl(lbs[1], "instances"), "   "))

        say("The client keeps going: the traffic now flows through lb2")
        requests(client, 10)
        say("Done: removing every namespace and process the demo created")
    print("   clean.")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: the lab was removed")
        sys.exit(130)
