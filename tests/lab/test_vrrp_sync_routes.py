"""Lab tests: vrrp_sync_group members move together; virtual_routes and static routes follow
the state; everything is removed on SIGTERM."""

from __future__ import annotations

import json
import os
import signal

import lab as lablib

CONF = """global_defs {{
  vigil_control_socket {w}/{n}.ctl
  enable_script_security
  script_user root
}}
static_routes {{
  10.60.{idx}.0/24 dev eth0
}}
vrrp_script chk {{
  script "/bin/sh -c 'test ! -e {w}/{n}.fail'"
  interval 1
}}
vrrp_sync_group G {{
  group {{
    VI_1
    VI_2
  }}
}}
vrrp_instance VI_1 {{
  interface eth0
  virtual_router_id 51
  priority {p}
  advert_int 1
  virtual_ipaddress {{
    10.99.0.100/16
  }}
  virtual_routes {{
    10.50.0.0/16 via 10.99.0.254
  }}
}}
vrrp_instance VI_2 {{
  interface eth0
  virtual_router_id 52
  priority {p}
  advert_int 1
  virtual_ipaddress {{
    10.99.0.101/16
  }}
  track_script {{
    chk
  }}
}}
"""


def states(node, vigilctl, w):
    out = node.run([vigilctl, "-s", f"{w}/{node.short}.ctl", "--json", "instances"],
                   check=False).stdout
    try:
        return {i["name"]: i["state"] for i in json.loads(out)["instances"]}
    except (ValueError, KeyError):
        return {}


def route(node, prefix):
    return [r.get("gateway") or r.get("dev") for r in node.ip_json("route", "show", prefix)]


def test_sync_group_moves_together_with_routes(lab, vigild):
    vigilctl = os.path.join(os.path.dirname(vigild), "vigilctl")
    w = lab.workdir
    routers = {}
    for idx, (name, prio) in enumerate((("r1", 150), ("r2", 100)), start=1):
        node = lab.add_node(name)
        proc = node.spawn_vigild(vigild, CONF.format(n=name, p=prio, w=w, idx=idx))
        routers[name] = (node, proc)
    r1, r2 = routers["r1"][0], routers["r2"][0]
    both = lambda s: {"VI_1": s, "VI_2": s}  # noqa: E731

    lablib.wait_until(lambda: states(r1, vigilctl, w) == both("MASTER"), timeout=15)
    assert states(r2, vigilctl, w) == both("BACKUP")
    assert route(r1, "10.50.0.0/16") == ["10.99.0.254"]
    assert route(r2, "10.50.0.0/16") == []
    assert route(r1, "10.60.1.0/24") == ["eth0"]  # static route: set at start on every router
    assert route(r2, "10.60.2.0/24") == ["eth0"]

    # VI_2's script fails on r1: the whole group goes to FAULT there and r2 takes both.
    open(f"{w}/r1.fail", "w").close()
    lablib.wait_until(lambda: states(r1, vigilctl, w) == both("FAULT"), timeout=10)
    lablib.wait_until(lambda: states(r2, vigilctl, w) == both("MASTER"), timeout=10)
    assert "10.99.0.100" not in r1.addresses("eth0")
    assert route(r1, "10.50.0.0/16") == []
    assert route(r2, "10.50.0.0/16") == ["10.99.0.254"]
    assert {"10.99.0.100", "10.99.0.101"} <= set(r2.addresses("eth0"))

    # Recovery: r1 (higher priority) preempts both back.
    os.unlink(f"{w}/r1.fail")
    lablib.wait_until(lambda: states(r1, vigilctl, w) == both("MASTER"), timeout=15)
    lablib.wait_until(lambda: states(r2, vigilctl, w) == both("BACKUP"), timeout=10)

    # SIGTERM leaves nothing of vigil's behind: VIPs, virtual and static routes.
    proc = routers["r1"][1]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert not {"10.99.0.100", "10.99.0.101"} & set(r1.addresses("eth0"))
    assert route(r1, "10.50.0.0/16") == []
    assert route(r1, "10.60.1.0/24") == []
