"""use_ipvlan (and vrf) cases for the UML lab, and the driver that runs them in the guest.

The host kernel has neither ipvlan nor vrf; the UML kernel (uml.py) has both as modules.
test_vrrp_ipvlan_uml.py boots one UML kernel with this file as its driver:

    python3 ipvlan_uml_cases.py --results DIR --vigild PATH

The guest's network: a switch namespace with a bridge; nodes a, b (the routers) and c (an
observer), each with eth0 on the bridge (10.98.0.N/24, MAC 02:00:00:00:00:0N). Node a
also has two veth pairs (e2/e2p, e3/e3p: 10.97.2.1/24, 10.97.3.1/24) as parents of the
ipvlans of other modes: an ipvlan's mode flags belong to its parent (every ipvlan of one
parent shares them), so each mode gets its own parent.

Nodes a and b also have e1 (10.96.0.N/24, MAC 02:00:00:00:01:0N) in VRF blue (table 10),
on a second bridge; their main table has no route to 10.96.0.0/24. They also have e4
(10.95.0.N/24) on a third bridge, in no VRF until case vrf_late puts it in VRF green.

Cases (each writes DIR/<case>.json; the host makes the assertions):
  link       vigild, then keepalived 2.2.7, with three instances using use_ipvlan (named,
             bridge by default; unnamed, private, so named by vmac_prefix vx; named,
             vepa): once every VIP is up (on
             the parent: keepalived leaves them there), each ipvlan's ``ip -j -d link`` /
             ``ip -j addr`` and disable_ipv6, every interface's IPv4 addresses, the
             adverts c sees, and the links left after SIGTERM.
  failover   vigild on a (priority 150) and b (100) with use_ipvlan on eth0: where the VIP
             is (eth0), where the ipvlans are, the adverts c sees (source MAC and address,
             priority) and the MAC c reaches the VIP at, before and after a's vigild stops.
  vrf        vigild on a (150) and b (100): a unicast instance without an interface in VRF
             blue (``vrf blue``), and on a an instance with use_ipvlan on e1: where the
             VIP is, the adverts b hears on e1, a's ipvlan (in blue with its parent), the
             VIP after a stops; keepalived 2.2.7 with the ipvlan instance alone (it cannot
             run an instance without an interface: see case_vrf).
  vrf_late   vigild on a (150) and b (100): a unicast instance on e4's addresses with
             ``vrf green``, started before green exists; then green is created (table 20)
             and e4 enslaved to it, so the main table loses the route to the peer: where
             the VIP is and the adverts b hears on e4 afterwards.
  vmac_vrf   vigild, then keepalived 2.2.7, on a with a use_vmac instance on a new veth e5
             (peer e5p) in no VRF; once the VIP is on the VMAC, VRF red is made and e5
             enslaved to it, later freed again: the VMAC's ``ip -j -d link`` state after
             each move (it follows its parent into red and out again), the VIP back on it
             in red, the adverts seen on e5p then, and the links left after SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

from uml_guest import build_switch, chosen, in_netns, ip_batch, parse_args, run, run_cases

MODULES = ["veth", "bridge", "ipvlan", "vrf"]
WORK = "/tmp/ipvlan-uml"
NODES = {"a": 1, "b": 2, "c": 3}
VIP = "10.98.0.100"
VRRP_PROTO = 112


def vrf_addr(node: str) -> str:
    return f"10.96.0.{NODES[node]}"


def late_addr(node: str) -> str:
    return f"10.95.0.{NODES[node]}"


def mac(node: str) -> str:
    return f"02:00:00:00:00:{NODES[node]:02x}"


def addr(node: str) -> str:
    return f"10.98.0.{NODES[node]}"


# Case link: (instance, parent, VRID, use_ipvlan arguments, the ipvlan's name, VIP).
LINK_INSTANCES = [
    ("VI_1", "eth0", 51, "ipv51 10.98.0.11/24", "ipv51", "10.98.0.101/24"),
    ("VI_2", "e2", 52, "10.97.2.12/24 private", "vx.52", "10.97.2.102/24"),
    ("VI_3", "e3", 53, "vepa ipv53 10.97.3.13/24", "ipv53", "10.97.3.103/24"),
]


def instance(name: str, parent: str, vrid: int, ipvlan: str, vip: str, priority: int = 150,
             state: str = "MASTER") -> str:
    return textwrap.dedent(f"""\
        vrrp_instance {name} {{
            state {state}
            interface {parent}
            virtual_router_id {vrid}
            priority {priority}
            advert_int 1
            use_ipvlan {ipvlan}
            virtual_ipaddress {{
                {vip}
            }}
        }}
        """)


def build_network() -> None:
    build_switch(NODES, [(bridge, f"{port}{NODES[n]}", n, dev)
                         for bridge, port, dev in (("br1", "q", "e1"), ("br2", "s", "e4"))
                         for n in ("a", "b")])
    for n in NODES:
        lines = ["link set lo up", f"link set eth0 address {mac(n)}",
                 f"addr add {addr(n)}/24 dev eth0", "link set eth0 up"]
        if n in ("a", "b"):
            # The VRF case's network: e1 in VRF blue (table 10), on bridge br1.
            lines += ["link add blue type vrf table 10", "link set blue up",
                      f"link set e1 address 02:00:00:00:01:0{NODES[n]}", "link set e1 master blue",
                      f"addr add {vrf_addr(n)}/24 dev e1", "link set e1 up",
                      f"link set e4 address 02:00:00:00:04:0{NODES[n]}",
                      f"addr add {late_addr(n)}/24 dev e4", "link set e4 up"]
        if n == "a":
            for i in (2, 3):
                lines += [f"link add e{i} type veth peer name e{i}p",
                          f"link set e{i} address 02:00:00:00:0{i}:01",
                          f"addr add 10.97.{i}.1/24 dev e{i}",
                          f"link set e{i} up", f"link set e{i}p up"]
        ip_batch(n, lines)


def ip_json(ns: str, *args: str) -> list:
    return json.loads(run(ns, ["ip", "-j", *args]) or "[]")


LINK_KEYS = ("ifname", "link", "address", "flags", "mtu", "master", "linkinfo")


def link_state(ns: str, dev: str) -> dict | None:
    """The ipvlan ``dev`` as ``ip -j -d link`` shows it (the fields that matter) and its
    addresses (``ip -j addr``), or None when it does not exist."""
    links = [x for x in ip_json(ns, "-d", "link", "show") if x["ifname"] == dev]
    if not links:
        return None
    link = {k: links[0].get(k) for k in LINK_KEYS}
    info = link["linkinfo"] or {}
    link["linkinfo"] = {"info_kind": info.get("info_kind"), "info_data": info.get("info_data")}
    addrs = ip_json(ns, "addr", "show", "dev", dev)
    link["addresses"] = sorted((a["family"], a["local"], a["prefixlen"], a.get("scope"))
                               for x in addrs for a in x.get("addr_info", []))
    with in_netns(ns), open(f"/proc/sys/net/ipv6/conf/{dev}/disable_ipv6") as f:
        link["disable_ipv6"] = f.read().strip()
    return link


def has_address(ns: str, dev: str, address: str) -> bool:
    try:
        addrs = ip_json(ns, "addr", "show", "dev", dev)
    except RuntimeError:  # no such device
        return False
    return any(a["local"] == address for x in addrs for a in x.get("addr_info", []))


def wait_until(what, timeout: float, message: str = "") -> bool:
    """Polls ``what`` until true, for at most ``timeout`` seconds; raises RuntimeError with
    ``message`` at the timeout, or returns False there when there is no message."""
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            if message:
                raise RuntimeError(f"timed out after {timeout}s: {message}")
            return False
        time.sleep(0.2)
    return True


def addresses(ns: str) -> dict[str, list]:
    """Every interface's IPv4 addresses in ``ns``: {name: [address/len, ...]}."""
    return {x["ifname"]: sorted(f"{a['local']}/{a['prefixlen']}" for a in x.get("addr_info", []))
            for x in ip_json(ns, "-4", "addr", "show")}


def link_names(ns: str) -> list[str]:
    return sorted(x["ifname"] for x in ip_json(ns, "link", "show"))


class Daemon:
    """vigild or keepalived in node ``ns`` with configuration ``text``."""

    def __init__(self, kind: str, ns: str, text: str, vigild: str, tag: str):
        self.base = os.path.join(WORK, f"{tag}-{ns}-{kind}")
        conf = self.base + ".conf"
        if kind == "vigild":  # two vigilds in one guest: a control socket each
            text = f"global_defs {{\n    vigil_control_socket {self.base}.ctl\n}}\n" + text
        with open(conf, "w") as f:
            f.write(text)
        argv = [vigild if kind == "vigild" else "keepalived", "-n", "-l", "-D", "-P",
                "-f", conf, "-p", self.base + ".pid", "-r", self.base + "-vrrp.pid",
                "-c", self.base + "-check.pid"]
        log = open(self.base + ".log", "wb")  # noqa: SIM115 - kept by the child
        try:
            with in_netns(ns):
                self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
            return None

    def log(self) -> str:
        with open(self.base + ".log", encoding="utf-8", errors="replace") as f:
            return f.read()[-6000:]


def capture_adverts(ns: str, seconds: float, dev: str = "eth0") -> list[list]:
    """The VRRP adverts node ``ns`` receives on ``dev`` for ``seconds``: distinct
    [source MAC, source address, destination, VRID, priority, address count]."""
    with in_netns(ns):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    seen: list[list] = []
    try:
        s.bind((dev, 0))
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            s.settimeout(left)
            try:
                frame = s.recv(2048)
            except TimeoutError:
                break
            ip = frame[14:]
            if len(ip) < 28 or ip[9] != VRRP_PROTO:
                continue
            vrrp = ip[(ip[0] & 0x0F) * 4:]
            entry = [":".join(f"{b:02x}" for b in frame[6:12]), socket.inet_ntoa(ip[12:16]),
                     socket.inet_ntoa(ip[16:20]), vrrp[1], vrrp[2], vrrp[3]]
            if entry not in seen:
                seen.append(entry)
    finally:
        s.close()
    return seen


def neigh_of(ns: str, address: str) -> str | None:
    """Sends a datagram to ``address`` from ``ns`` (which resolves it, or uses what the
    neighbour table holds) and returns the MAC the table then has for it (bounded)."""
    with in_netns(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"who", (address, 9))
    finally:
        s.close()
    found: list = [None]

    def resolved() -> bool:
        entries = ip_json(ns, "neigh", "show", address)
        found[0] = entries[0].get("lladdr") if entries else None
        return found[0] is not None

    wait_until(resolved, 5)
    return found[0]


def case_link(vigild: str, out: dict) -> None:
    # vmac_prefix names the unnamed ipvlan (VI_2's) as it names a VMAC.
    text = "global_defs {\n    vmac_prefix vx\n}\n" + "".join(
        instance(n, p, vrid, arg, vip) for n, p, vrid, arg, _, vip in LINK_INSTANCES)
    for kind in ("vigild", "keepalived"):
        run_on_a(kind, text, vigild, "link", out.setdefault(kind, {}), link_steps)


def link_steps(r: dict) -> None:
    r["ready"] = wait_until(lambda: all(has_address("a", parent, vip.split("/")[0])
                                        for _, parent, *_, vip in LINK_INSTANCES), 20)
    r["links"] = {dev: link_state("a", dev) for *_, dev, _ in LINK_INSTANCES}
    r["addresses"] = addresses("a")
    r["adverts"] = capture_adverts("c", 2.5)


def run_on_a(kind: str, text: str, vigild: str, tag: str, r: dict, steps) -> None:
    """Runs daemon ``kind`` on a with ``text`` while ``steps(r)`` records into ``r``, then
    stops it: whether it was still running, its exit status and log, a's links before it
    started and after it stopped."""
    before = link_names("a")
    d = Daemon(kind, "a", text, vigild, tag)
    try:
        steps(r)
        r["running"] = d.proc.poll() is None
    finally:
        r["exit"] = d.stop()
        r["log"] = d.log()
    r["links_before"] = before
    r["links_after"] = link_names("a")


def case_failover(vigild: str, out: dict) -> None:
    out["steps"] = []
    daemons = {}
    for n, prio, state, ipv in (("a", 150, "MASTER", "10.98.0.21/24"),
                                ("b", 100, "BACKUP", "10.98.0.22/24")):
        text = instance("VI_1", "eth0", 61, f"ipv61 {ipv}", f"{VIP}/24", prio, state)
        daemons[n] = Daemon("vigild", n, text, vigild, "failover")

    def step(name: str, holder: str, others: list[str]) -> None:
        wait_until(lambda: has_address(holder, "eth0", VIP), 20, f"{name}: VIP on {holder}")
        out["steps"].append({
            "name": name,
            "vip_on": [n for n in ("a", "b") if has_address(n, "eth0", VIP)],
            "ipvlan_on": [n for n in ("a", "b") if "ipv61" in link_names(n)],
            "adverts": capture_adverts("c", 2.5),
            "vip_mac": neigh_of("c", VIP),
            "running": {n: d.proc.poll() is None for n, d in daemons.items() if n in others},
        })

    try:
        step("a master", "a", ["a", "b"])
        out["a_exit"] = daemons["a"].stop()
        step("a stopped", "b", ["b"])
    finally:
        for n, d in daemons.items():
            out.setdefault(f"{n}_exit", d.stop())
            out[f"{n}_log"] = d.log()
    out["links_after"] = {n: link_names(n) for n in ("a", "b")}


VRF_VIP = "10.96.0.100"


def vrf_config(node: str, peer: str, priority: int, state: str) -> str:
    """The VRF case's configuration for ``node``: a unicast instance without an interface
    in VRF blue (its VIP on e1, blue's slave) and, on a, an instance with use_ipvlan on e1
    (the ipvlan goes into blue with its parent)."""
    text = textwrap.dedent(f"""\
        vrrp_instance VI_V {{
            state {state}
            virtual_router_id 71
            priority {priority}
            advert_int 1
            vrf blue
            unicast_src_ip {vrf_addr(node)}
            unicast_peer {{
                {vrf_addr(peer)}
            }}
            virtual_ipaddress {{
                {VRF_VIP}/24 dev e1
            }}
        }}
        """)
    if node == "a":
        text += instance("VI_I", "e1", 81, "ipv81 10.96.0.21/24", "10.96.0.181/24")
    return text


def case_vrf(vigild: str, out: dict) -> None:
    """vigild on a (150, MASTER) and b (100, BACKUP) with vrf_config: where the VIP is, the
    adverts b hears on e1 and a's ipvlan; then a stops. keepalived 2.2.7 refuses every
    instance without an interface ("Unknown interface!": upstream fixed it in 75f30737,
    after 2.2.7), so it runs VI_I alone on a, for the ipvlan's state."""
    r: dict = out.setdefault("vigild", {})
    daemons = {n: Daemon("vigild", n, vrf_config(n, p, prio, state), vigild, "vrf")
               for n, p, prio, state in (("a", "b", 150, "MASTER"), ("b", "a", 100, "BACKUP"))}
    try:
        r["a_ready"] = wait_until(lambda: has_address("a", "e1", VRF_VIP) and
                                  has_address("a", "ipv81", "10.96.0.21"), 20)
        # b's master-down timer (3 x 1 s + skew) runs out unless it hears a.
        time.sleep(4.5)
        r["vip_on"] = [n for n in ("a", "b") if has_address(n, "e1", VRF_VIP)]
        r["adverts_at_b"] = [x for x in capture_adverts("b", 2.5, "e1") if x[3] == 71]
        r["ipvlan"] = link_state("a", "ipv81")
        r["a_exit"] = daemons["a"].stop()
        r["b_took_over"] = wait_until(lambda: has_address("b", "e1", VRF_VIP), 20)
        r["vip_on_after"] = [n for n in ("a", "b") if has_address(n, "e1", VRF_VIP)]
        r["b_running"] = daemons["b"].proc.poll() is None
    finally:
        for n, d in daemons.items():
            r.setdefault(f"{n}_exit", d.stop())
            r[f"{n}_log"] = d.log()
    r["links_after"] = link_names("a")
    k: dict = out.setdefault("keepalived", {})
    d = Daemon("keepalived", "a", instance("VI_I", "e1", 81, "ipv81 10.96.0.21/24",
                                           "10.96.0.181/24"), vigild, "vrf")
    try:
        k["ready"] = wait_until(lambda: has_address("a", "ipv81", "10.96.0.21"), 20)
        k["ipvlan"] = link_state("a", "ipv81")
    finally:
        k["exit"] = d.stop()
        k["log"] = d.log()
    k["links_after"] = link_names("a")


LATE_VIP = "10.95.0.100"


def case_vrf_late(vigild: str, out: dict) -> None:
    """vigild on a (150, MASTER) and b (100, BACKUP), each with a unicast instance without
    an interface in VRF green, which does not exist yet (dynamic_interfaces); once a holds
    the VIP, green is made on both nodes and e4 enslaved to it: vigild must bind the advert
    sockets to green, or a's adverts find no route (the main table lost e4's subnet) and b
    takes the VIP as well."""
    r = out
    daemons = {}
    for n, p, prio, state in (("a", "b", 150, "MASTER"), ("b", "a", 100, "BACKUP")):
        text = textwrap.dedent(f"""\
            global_defs {{
                dynamic_interfaces
            }}
            vrrp_instance VI_L {{
                state {state}
                virtual_router_id 91
                priority {prio}
                advert_int 1
                vrf green
                unicast_src_ip {late_addr(n)}
                unicast_peer {{
                    {late_addr(p)}
                }}
                virtual_ipaddress {{
                    {LATE_VIP}/24 dev e4
                }}
            }}
            """)
        daemons[n] = Daemon("vigild", n, text, vigild, "vrflate")
    try:
        r["a_ready"] = wait_until(lambda: has_address("a", "e4", LATE_VIP), 20)
        time.sleep(4.5)
        r["vip_on_before"] = [n for n in ("a", "b") if has_address(n, "e4", LATE_VIP)]
        for n in ("a", "b"):
            ip_batch(n, ["link add green type vrf table 20", "link set green up",
                         "link set e4 master green"])
        r["routes_main"] = {n: run(n, ["ip", "-4", "route", "show", "table", "main"])
                            for n in ("a", "b")}
        # b's master-down timer (3 x 1 s + skew) runs out unless it hears a through green.
        time.sleep(5)
        r["vip_on"] = [n for n in ("a", "b") if has_address(n, "e4", LATE_VIP)]
        r["adverts_at_b"] = [x for x in capture_adverts("b", 2.5, "e4") if x[3] == 91]
        r["running"] = {n: d.proc.poll() is None for n, d in daemons.items()}
    finally:
        for n, d in daemons.items():
            r[f"{n}_exit"] = d.stop()
            r[f"{n}_log"] = d.log()


VMAC_VIP = "10.94.0.100"


def case_vmac_vrf(vigild: str, out: dict) -> None:
    """Each daemon in turn on a, MASTER of VI_V (use_vmac on e5, which is in no VRF); once
    the VIP is on vrrp.95, red is made and e5 enslaved to it, then freed: keepalived moves
    the VMAC it made into its parent's VRF and out again (update_vmac_vrfs)."""
    text = textwrap.dedent(f"""\
        vrrp_instance VI_V {{
            state MASTER
            interface e5
            virtual_router_id 95
            priority 150
            advert_int 1
            use_vmac
            virtual_ipaddress {{
                {VMAC_VIP}/24
            }}
        }}
        """)
    for kind in ("vigild", "keepalived"):
        ip_batch("a", ["link add e5 type veth peer name e5p", "link set e5 address 02:00:00:00:05:01",
                       "addr add 10.94.0.1/24 dev e5", "link set e5 up", "link set e5p up"])
        try:
            run_on_a(kind, text, vigild, "vmacvrf", out.setdefault(kind, {}), vmac_vrf_steps)
        finally:
            ip_batch("a", ["link del e5", "link del red"])


def vmac_master(name: str):
    """The master of a's interface ``name`` (None: none), or "gone" when it does not exist."""
    link = link_state("a", name)
    return link["master"] if link else "gone"


def vmac_vrf_steps(r: dict) -> None:
    r["ready"] = wait_until(lambda: has_address("a", "vrrp.95", VMAC_VIP), 20)
    r["vmac_before"] = link_state("a", "vrrp.95")
    ip_batch("a", ["link add red type vrf table 30", "link set red up", "link set e5 master red"])
    r["moved_in"] = wait_until(lambda: vmac_master("vrrp.95") == "red", 10)
    # Enslaving e5 cycles it (and the VMAC): FAULT, BACKUP, then MASTER again after the
    # master-down timer (3 x 1 s + skew).
    r["vip_in_red"] = wait_until(lambda: has_address("a", "vrrp.95", VMAC_VIP), 10)
    r["vmac_in_red"] = link_state("a", "vrrp.95")
    r["adverts_in_red"] = capture_adverts("a", 2.5, "e5p")
    ip_batch("a", ["link set e5 nomaster"])
    r["moved_out"] = wait_until(lambda: vmac_master("vrrp.95") is None, 10)
    r["vmac_after"] = link_state("a", "vrrp.95")


CASES = {"link": case_link, "failover": case_failover, "vrf": case_vrf, "vrf_late": case_vrf_late,
         "vmac_vrf": case_vmac_vrf}


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    os.makedirs(WORK, exist_ok=True)
    build_network()
    print(f"driver: network ready in {time.monotonic() - started:.1f}s", flush=True)
    run_cases({n: CASES[n] for n in chosen(CASES, args.only)}, args)
    print(f"driver: done in {time.monotonic() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
