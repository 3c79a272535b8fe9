"""Lab test: vrrp_track_process with weight 0 puts the instance in FAULT while the tracked
process is not running, and a weighted tracker moves the priority; the changes are heard
through the kernel's process events (the proc connector), not by reading /proc each second."""

from __future__ import annotations

import json
import os
import shutil

import lab as lablib

CONF = """global_defs {{
  vigil_control_socket {w}/r1.ctl
}}
vrrp_track_process needed {{
  process {proc}
  weight 0
}}
vrrp_track_process bonus {{
  process {proc}
  param_match initial
  quorum 2
  weight 20
}}
vrrp_instance VI_1 {{
  interface eth0
  virtual_router_id 71
  priority 100
  advert_int 1
  virtual_ipaddress {{
    10.99.0.100/16
  }}
  track_process {{
    needed
    bonus
  }}
}}
"""


def instance(node, vigilctl, w):
    out = node.run([vigilctl, "-s", f"{w}/r1.ctl", "--json", "instances"], check=False).stdout
    try:
        i = json.loads(out)["instances"][0]
        return i["state"], i["effective_priority"]
    except (ValueError, KeyError, IndexError):
        return None


def test_track_process_faults_and_weights(lab, vigild):
    vigilctl = os.path.join(os.path.dirname(vigild), "vigilctl")
    w = lab.workdir
    # A uniquely named copy of sleep: /proc is shared with the host, so the name must be ours.
    proc = f"vgltrk{os.getpid() % 100000}"
    binary = os.path.join(w, proc)
    shutil.copy("/bin/sleep", binary)
    r1 = lab.add_node("r1")
    daemon = r1.spawn_vigild(vigild, CONF.format(w=w, proc=proc))
    lablib.wait_until(lambda: instance(r1, vigilctl, w) == ("FAULT", 100), timeout=10)

    first = r1.spawn([binary, "300"])
    lablib.wait_until(lambda: (instance(r1, vigilctl, w) or ("", 0))[0] in ("BACKUP", "MASTER"),
                      timeout=10)
    assert instance(r1, vigilctl, w)[1] == 100  # quorum 2 for the bonus not met yet

    second = r1.spawn([binary, "300"])
    lablib.wait_until(lambda: (instance(r1, vigilctl, w) or ("", 0))[1] == 120, timeout=10)

    second.kill()
    first.kill()
    lablib.wait_until(lambda: instance(r1, vigilctl, w) == ("FAULT", 100), timeout=10)
    assert "10.99.0.100" not in r1.addresses("eth0")

    # Every change came from the kernel's process events (the engine sits in a network
    # namespace: it opened the connector in the initial one), none from reading /proc.
    log = open(daemon.log_path, encoding="utf-8", errors="replace").read()
    assert "vrrp_track_process: following processes through the kernel's proc connector" in log, log
    for line in ("vrrp_track_process needed is running (proc connector)",
                 "vrrp_track_process bonus is running (proc connector)",
                 "vrrp_track_process bonus is not running (proc connector)",
                 "vrrp_track_process needed is not running (proc connector)"):
        assert line in log, log
    assert "(poll)" not in log and "reading /proc every second" not in log
