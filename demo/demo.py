"""vigil demo: a highly available load balancer in network namespaces.

    client (10.99.0.1) ──┐
    lb1    (10.99.0.2) ──┤  one bridge, 10.99.0.0/16; VIP 10.99.0.100/32 (VRRP VRID 51)
    lb2    (10.99.0.3) ──┤  keepalived's classic HAProxy pair, configuration as written:
    web1   (10.99.0.4) ──┤  lb1 state MASTER priority 101, lb2 state BACKUP priority 100,
    web2   (10.99.0.5) ──┘  vrrp_script check_haproxy { script "killall -0 haproxy"
                            interval 2 weight 2 }; each lb runs HAProxy on VIP:8000 and
                            vigild with virtual_server VIP:80 → web1:8080, web2:8080 (rr,
                            NAT, HTTP_GET checks) programmed into nftables.

Each load balancer runs in a PID namespace of its own, so its `killall` sees its own
HAProxy only. The demo kills HAProxy on the master (the VIP moves: 101 < 102), starts it
again (the VIP comes back: 103 > 102), then kills the whole master node.

Every step checks what it shows: who holds the VIP, each node's state and priority, and
that every request was answered, by both web servers, through the load balancer that holds
the VIP. A check that fails ends the demo with "demo check failed: ..." and exit status 1
(`make test` runs the demo: tests/lab/test_demo.py).

Everything it creates is removed when it ends, also on Ctrl-C (exit status 130). With
VIGIL_DEMO_KEEP=1 the directory of configurations and logs is kept (its path is printed).
"""
import json
import os
import signal
import sys
import textwrap
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lab"))
import lab as lablib  # noqa: E402
import seed_lab  # noqa: E402

BUILD = os.environ.get("VIGIL_BUILD", os.path.join(os.path.dirname(__file__), "..", "build", "release"))
VIGILD = os.path.abspath(os.path.join(BUILD, "apps", "vigild"))
VIGILCTL = os.path.abspath(os.path.join(BUILD, "apps", "vigilctl"))
PYTHON = "/usr/bin/python3"
VIP = "10.99.0.100"
HAPROXY_PORT = 8000
KEEP = os.environ.get("VIGIL_DEMO_KEEP", "") not in ("", "0")

GLOBAL = """\
global_defs {{
    router_id {name}
    vigil_control_socket {workdir}/{name}.ctl
    vigil_lb_backend nftables
}}

"""

VIRTUAL_SERVER = """
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

# Requests COUNT times http://VIP:PORT/ and prints one word per answer: the web server's
# name, with "@lb" when a load balancer's HAProxy says it carried the request.
CLIENT = textwrap.dedent("""\
    import http.client, sys
    out = []
    for _ in range(int(sys.argv[3])):
        try:
            c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=2)
            c.request("GET", "/")
            r = c.getresponse()
            word = r.read().decode().strip()
            via = r.getheader("X-Load-Balancer")
            out.append(f"{word}@{via}" if via else word)
            c.close()
        except OSError as e:
            out.append("error")
    print(" ".join(out))
    """)


class DemoCheckFailed(Exception):
    """A step did not show what the demo says it shows."""


def say(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def requests(client, count, port=80):
    words = client.run([PYTHON, "-c", CLIENT, VIP, str(port), str(count)],
                       timeout=60).stdout.split()
    tally = {w: words.count(w) for w in sorted(set(words))}
    what = "nftables virtual server" if port == 80 else "HAProxy"
    print(f"   {count} requests to http://{VIP}:{port}/ ({what}) answered by: " +
          ", ".join(f"{k} ×{v}" for k, v in tally.items()))
    return tally


def both_paths(client, via):
    """Sends requests through both paths and checks that each was answered, by both web
    servers in turn, HAProxy's on ``via`` (the load balancer holding the VIP)."""
    webs = ("web1", "web2")
    for port, want in ((80, webs), (HAPROXY_PORT, tuple(f"{w}@{via}" for w in webs))):
        tally = requests(client, 6, port)
        if sorted(tally) != sorted(want):
            raise DemoCheckFailed(f"requests to port {port} answered by {tally}, "
                                  f"expected only and all of {', '.join(want)}")


def wait_vip(lb, t0):
    """Waits (bounded) until ``lb`` holds the VIP; returns the seconds since ``t0``."""
    lablib.wait_until(lambda: VIP in lb.addresses("eth0"), timeout=20, interval=0.01,
                      message=f"{lb.short} to take the VIP")
    return time.monotonic() - t0


def vigilctl(node, *args):
    return node.run([VIGILCTL, "-s", f"{node.lab.workdir}/{node.short}.ctl", *args],
                    check=False).stdout


def priority_of(node):
    """(state, effective priority) of the node's instance, from vigilctl."""
    out = vigilctl(node, "--json", "instances")
    try:
        i = json.loads(out)["instances"][0]
        return i["state"], i["effective_priority"]
    except (ValueError, KeyError, IndexError):
        return "?", 0


def main():
    for tool in (VIGILD, VIGILCTL, seed_lab.HAPROXY, seed_lab.KILLALL):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} is missing: run `make build` (and scripts/install-deps.sh) first")
    with lablib.Lab(keep_workdir=KEEP) as lab:
        say("Building the lab: a bridge, a client, two load balancers, two web servers")
        client = lab.add_node("client")
        lbs = [lab.add_node("lb1"), lab.add_node("lb2")]
        webs = [lab.add_node("web1"), lab.add_node("web2")]
        for web in webs:
            # NAT: replies to the client go back through whichever load balancer holds the VIP.
            web.run(["ip", "route", "add", "10.99.0.1/32", "via", VIP])
            seed_lab.start_web(web)
        for lb in lbs:
            lb.sysctl("net.ipv4.ip_forward", 1)
        print(f"   lab workdir (configs, logs): {lab.workdir}")

        say("Starting vigild and HAProxy on lb1 (MASTER, 101) and lb2 (BACKUP, 100), "
            "each in a PID namespace of its own")
        daemons, haproxies = {}, {}
        w = lab.workdir
        for lb, state, prio in zip(lbs, ("MASTER", "BACKUP"), (101, 100)):
            conf = os.path.join(w, f"{lb.short}.conf")
            with open(conf, "w") as f:
                f.write(GLOBAL.format(name=lb.short, workdir=w) +
                        seed_lab.seed_config(state, prio, VIP) +
                        VIRTUAL_SERVER.format(vip=VIP))
            daemons[lb.short] = lb.spawn(
                [*seed_lab.PIDNS_WRAPPER, VIGILD, "-n", "-l", "-f", conf,
                 "-p", f"{w}/{lb.short}.pid", "-r", f"{w}/{lb.short}-vrrp.pid",
                 "-c", f"{w}/{lb.short}-check.pid"], log_name=f"{lb.short}-vigild.log")
            haproxies[lb.short] = seed_lab.HAProxy(lb, seed_lab.pid1(daemons[lb.short]), VIP,
                                                   webs, listen=HAPROXY_PORT)
            haproxies[lb.short].start()
        print("   the configuration's tracking part, as keepalived's users write it:")
        print(textwrap.indent(seed_lab.SEED_SCRIPT, "      "))
        lablib.wait_until(lambda: priority_of(lbs[0]) == ("MASTER", 103), timeout=20,
                          message="lb1 to be MASTER with HAProxy alive (101 + 2)")
        lablib.wait_until(lambda: priority_of(lbs[1]) == ("BACKUP", 102), timeout=20,
                          message="lb2 to be BACKUP with HAProxy alive (100 + 2)")
        lablib.wait_until(lambda: vigilctl(lbs[0], "servers").count(" UP ") >= 2, timeout=15,
                          message="both web servers to pass their checks")

        say("vigilctl status on lb1 (the master)")
        print(textwrap.indent(vigilctl(lbs[0], "status"), "   "))
        say("vigilctl instances on lb2 (the backup)")
        print(textwrap.indent(vigilctl(lbs[1], "instances"), "   "))

        say("The client sends requests through the VIP: the kernel's virtual server (port 80, "
            "round robin) and HAProxy (port 8000)")
        both_paths(client, "lb1")

        say("Killing HAProxy on lb1: `killall haproxy` in lb1's PID namespace")
        t0 = time.monotonic()
        haproxies["lb1"].kill()
        took = wait_vip(lbs[1], t0)
        print(f"   lb2 holds {VIP} {took:.2f} s after the kill (check_haproxy fails within its "
              "2 s interval: lb1 101 < lb2 102; then lb2's Master_Down_Interval, 3.6 s)")
        lablib.wait_until(lambda: priority_of(lbs[0]) == ("BACKUP", 101), timeout=10,
                          message="lb1 to be BACKUP at 101")
        print(f"   lb1: {priority_of(lbs[0])}, lb2: {priority_of(lbs[1])}")
        both_paths(client, "lb2")

        say("Starting HAProxy on lb1 again")
        t0 = time.monotonic()
        haproxies["lb1"].start()
        took = wait_vip(lbs[0], t0)
        print(f"   lb1 holds {VIP} again {took:.2f} s later (103 > 102: lb1 preempts)")
        lablib.wait_until(lambda: priority_of(lbs[1]) == ("BACKUP", 102), timeout=10,
                          message="lb2 to be BACKUP again")
        print(f"   lb1: {priority_of(lbs[0])}, lb2: {priority_of(lbs[1])}")
        both_paths(client, "lb1")

        say("Killing the whole master: SIGKILL to lb1's vigild (HAProxy dies with its "
            "namespace), and its link goes down")
        t0 = time.monotonic()
        os.killpg(daemons["lb1"].pid, signal.SIGKILL)
        lbs[0].link_set("eth0", False)
        took = wait_vip(lbs[1], t0)
        print(f"   lb2 holds {VIP} {took:.2f} s after the kill "
              "(VRRP bound: 3 × advert_int + skew = 3.60 s)")
        say("vigilctl instances on lb2 (the new master)")
        print(textwrap.indent(vigilctl(lbs[1], "instances"), "   "))

        say("The client keeps going: the traffic now flows through lb2")
        both_paths(client, "lb2")
        if KEEP:
            say(f"Done: removing every namespace and process; configs and logs stay in {w}")
        else:
            say("Done: removing every namespace and process the demo created")
    print("   clean.")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: the lab was removed")
        sys.exit(130)
    except (DemoCheckFailed, lablib.WaitTimeout) as e:
        print(f"\ndemo check failed: {e} (the lab was removed)", flush=True)
        sys.exit(1)
