"""net_namespace: vigild runs inside the named network namespace, as keepalived does.

vigild is started in one lab namespace (``host``) with ``net_namespace`` naming another
(``target``, whose only link is ``lan7``); the supervisor, its engines and the VIP all live
in ``target``. Nothing runs in, or looks at, the machine's own namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import textwrap

import pytest

import lab as lablib

VIP = "10.99.0.100"


def config(namespace: str | None, interface: str = "lan7") -> str:
    top = f"net_namespace {namespace}\n" if namespace else ""
    return top + textwrap.dedent(f"""\
        vrrp_instance VI_1 {{
            state MASTER
            interface {interface}
            virtual_router_id 51
            version 3
            priority 150
            advert_int 0.1
            virtual_ipaddress {{
                {VIP}/16
            }}
        }}
        """)


def write(lab: lablib.Lab, name: str, text: str) -> str:
    path = os.path.join(lab.workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def netns_inode(path: str) -> int:
    return os.stat(path).st_ino


@pytest.fixture
def pair(lab):
    host = lab.add_node("host")
    target = lab.add_node("target", ifname="lan7")
    run_dir = f"/run/vigild/{target.name}"
    yield host, target, run_dir
    # The default pid files and control socket live there; the lab owns the name.
    shutil.rmtree(run_dir, ignore_errors=True)


def test_vigild_runs_in_the_named_namespace(lab, vigild, pair):
    host, target, run_dir = pair
    conf = write(lab, "netns.conf", config(target.name))
    # Default pid files and control socket: keepalived's /run/keepalived/NS, vigil's name.
    proc = host.spawn([vigild, "-n", "-l", "-D", "-f", conf], log_name="netns.log")
    ctl = f"{run_dir}/vigild.ctl"

    def log() -> str:
        with open(proc.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    lablib.wait_until(lambda: proc.poll() is not None or VIP in target.addresses("lan7"),
                      timeout=10, message="the VIP in the target namespace")
    assert proc.poll() is None, log()
    assert target.addresses("lan7", "inet") == [target.ipv4, VIP]
    assert host.addresses("eth0", "inet") == [host.ipv4]
    assert "running in network namespace " + target.name in log()

    # Supervisor and VRRP engine are in the target namespace.
    with open(f"{run_dir}/vigild.pid") as f:
        supervisor = int(f.read())
    with open(f"{run_dir}/vigild_vrrp.pid") as f:
        engine = int(f.read())
    want = netns_inode(f"/run/netns/{target.name}")
    assert [netns_inode(f"/proc/{p}/ns/net") for p in (supervisor, engine)] == [want, want]

    vigilctl = os.path.join(os.path.dirname(vigild), "vigilctl")
    ask = [vigilctl, "-s", ctl, "--json"]
    status = json.loads(host.run(ask + ["instances"]).stdout)
    assert [(i["name"], i["state"]) for i in status["instances"]] == [("VI_1", "MASTER")]

    # The namespace cannot change at a reload (keepalived refuses it too).
    write(lab, "netns.conf", config(host.name, interface="eth0"))
    reply = json.loads(host.run(ask + ["reload"], check=False).stdout)
    assert reply["ok"] is False
    assert reply["error"] == "net_namespace cannot change at a reload; restart vigild"
    assert target.addresses("lan7", "inet") == [target.ipv4, VIP]

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0, log()
    assert target.addresses("lan7", "inet") == [target.ipv4]
    assert not os.path.exists(f"{run_dir}/vigild.pid")


def test_config_test_checks_interfaces_in_the_namespace(lab, vigild, pair):
    host, target, _ = pair
    inside = write(lab, "inside.conf", config(target.name))
    outside = write(lab, "outside.conf", config(None))
    missing = write(lab, "missing.conf", config(target.name + "x"))

    def check(*args: str) -> tuple[int, str]:
        p = host.run([vigild, "-t", *args], check=False)
        return p.returncode, p.stderr

    # lan7 exists in the target only: -t looks where vigild would run.
    assert check("-f", inside) == (0, "")
    code, text = check("-f", outside)
    assert code == 5 and "interface 'lan7'" in text, text
    assert check("-s", target.name, "-f", outside) == (0, "")  # -s as keepalived's
    code, text = check("-f", missing)
    assert (code, text.splitlines()[0]) == (
        4, f"{missing}:1:1: error: cannot run in network namespace '{target.name}x': "
           f"network namespace '/run/netns/{target.name}x': No such file or directory")

    # Started with a namespace that does not exist, vigild does not run (status 1).
    p = host.run([vigild, "-n", "-l", "-f", missing, "-p", os.path.join(lab.workdir, "m.pid")],
                 check=False, timeout=10)
    assert p.returncode == 1
    assert f"cannot run in network namespace '{target.name}x'" in p.stdout + p.stderr
