"""VRRP runs in its own process: a hung notify script, a hung track script and over a
thousand TCP checks in the same daemon never delay its adverts beyond jitter.

lb1 runs vigild alone: VI_1 (advert_int 1) with a track script that hangs until its
timeout and a notify_master script that never ends, and a virtual server with 1,100 real
servers (600 ports on web1 that refuse connections, 500 addresses that do not answer, so
every check fails or times out each second). The adverts on the bridge are captured for
about ten seconds; every interval between two of them must be within 50 ms of 1 s.
"""

from __future__ import annotations

import os
import textwrap

import lab as lablib
from daemon_lab import VIP, Setup, vrrp_adverts

import pytest


@pytest.fixture
def busy(lab, vigild):
    from daemon_lab import HaLab
    ha = HaLab(lab, vigild, webs=1)
    yield ha
    ha.stop()


def test_adverts_keep_their_interval_under_hung_scripts_and_many_checks(busy):
    ha = busy
    d = ha.daemons[0]
    hang = os.path.join(ha.work, "hang.sh")
    with open(hang, "w") as f:
        f.write("#!/bin/sh\nexec sleep 1000\n")
    os.chmod(hang, 0o755)
    web1 = ha.web["web1"].ipv4
    servers = "".join(
        f"    real_server {web1} {20000 + i} {{\n        TCP_CHECK {{\n"
        f"            connect_timeout 1\n        }}\n    }}\n" for i in range(600))
    servers += "".join(
        f"    real_server 10.99.{1 + i // 250}.{1 + i % 250} 80 {{\n        TCP_CHECK {{\n"
        f"            connect_timeout 1\n        }}\n    }}\n" for i in range(500))
    extra = textwrap.dedent(f"""\
        vrrp_script hung {{
            script "{hang}"
            interval 1
            timeout 3
            weight -10
        }}
        """)
    setup = Setup(servers={"web1": 1}, algo="rr")
    text = d.render(setup)
    text = text.replace("vrrp_instance VI_1 {",
                        extra + "vrrp_instance VI_1 {\n    track_script {\n        hung\n    }\n"
                        f"    notify_master \"{hang}\"\n    notify_backup \"{hang}\"")
    text = text.replace("    real_server ", servers + "    real_server ", 1)
    d.write(text)
    d.start()
    lablib.wait_until(lambda: d.state() == "MASTER" and d.vips() == [VIP], timeout=20,
                      message="lb1 master")
    # The checks are running: most real servers have failed at least once.
    lablib.wait_until(lambda: sum(r["checks_failed"] > 0 for v in d.status()["virtual_servers"]
                                  for r in v["real_servers"]) >= 1000,
                      timeout=20, message="a thousand failing checks")
    cap = ha.lab.switch.start_capture("br0", duration=11, bpf="ip proto 112")
    packets = cap.packets()
    times = [t for t, prio in vrrp_adverts(packets, d.node.ipv4)]
    assert len(times) >= 9, f"only {len(times)} adverts in 11 s"
    intervals = [b - a for a, b in zip(times, times[1:])]
    late = [round(i, 3) for i in intervals if abs(i - 1.0) > 0.05]
    assert late == [], f"advert intervals off by more than 50 ms: {late} of {intervals}"
    # The hung scripts are really hanging, and the checks really ran meanwhile.
    assert ha.lbs[0].run(["pgrep", "-f", "sleep 1000"], check=False).stdout.strip()
    s = d.status()
    assert len(s["virtual_servers"][0]["real_servers"]) == 1101
    assert s["instances"][0]["effective_priority"] == 140  # the track script failed
    assert d.proc.poll() is None
