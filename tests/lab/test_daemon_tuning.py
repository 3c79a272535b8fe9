"""Lab test of the engines' scheduling (global_defs vrrp_/checker_ priority, no_swap,
rt_priority, cpu_affinity, rlimit_rttime): each engine process runs as configured, applies
changed values on reload, and its scripts (vrrp_script, MISC_CHECK) run with the defaults:
SCHED_OTHER, nice 0, every CPU.

Topology: one node "lb" (10.99.0.1) running vigild with both engines.
"""

from __future__ import annotations

import json
import os
import textwrap

import pytest

import lab as lablib
from test_fault_children import Children

# Writes its own scheduling as JSON to OUT/<kind>.json.
PROBE = textwrap.dedent("""\
    #!/usr/bin/python3
    import json, os, sys
    OUT = {out!r}
    kind = sys.argv[1]
    report = {{"policy": os.sched_getscheduler(0), "nice": os.getpriority(os.PRIO_PROCESS, 0),
              "cpus": sorted(os.sched_getaffinity(0))}}
    tmp = os.path.join(OUT, kind + ".json.tmp")
    with open(tmp, "w") as f:
        json.dump(report, f)
    os.rename(tmp, os.path.join(OUT, kind + ".json"))
    """)


def proc_sched(pid: int) -> dict:
    """nice, rt_priority and policy (/proc/PID/stat), Cpus_allowed_list and VmLck
    (/proc/PID/status), the soft and hard "Max realtime timeout" (/proc/PID/limits)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    # fields[0] is stat's field 3 (state): field n is fields[n - 3].
    out = {"nice": int(fields[19 - 3]), "rt_priority": int(fields[40 - 3]),
           "policy": int(fields[41 - 3])}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == "Cpus_allowed_list":
                out["cpus"] = value.strip()
            elif key == "VmLck":
                out["vmlck_kb"] = int(value.split()[0])
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max realtime timeout"):
                out["rttime"] = line.split()[3:5]
    return out


def conf(c: Children, probe: str, tuning: str) -> str:
    return textwrap.dedent(f"""\
        global_defs {{
            router_id lb
            enable_script_security
            script_user root
            vigil_control_socket {c.work}/lb.ctl
            vigil_lb_backend nftables
        {textwrap.indent(tuning, "    ")}
        }}
        vrrp_script chk {{
            script "{probe} vrrp_script"
            interval 1
        }}
        vrrp_instance VI_1 {{
            interface eth0
            virtual_router_id 51
            track_script {{
                chk
            }}
        }}
        virtual_server 10.99.0.100 80 {{
            delay_loop 1
            lb_algo rr
            lb_kind NAT
            protocol TCP
            real_server 10.99.0.7 80 {{
                MISC_CHECK {{
                    misc_path "{probe} misc"
                }}
            }}
        }}
        """)


@pytest.fixture
def children(lab, vigild):
    c = Children(lab, vigild)
    yield c
    if c.proc is not None and c.proc.poll() is None:
        c.proc.terminate()
        c.proc.wait(timeout=15)


def test_engines_run_with_their_scheduling_and_scripts_with_the_defaults(children):
    c = children
    all_cpus = sorted(os.sched_getaffinity(0))
    if len(all_cpus) < 2:
        pytest.skip("needs two CPUs")
    probe = c.script("probe.py", PROBE.format(out=c.out))
    c.start(conf(c, probe, textwrap.dedent(f"""\
        vrrp_priority -5
        vrrp_no_swap
        vrrp_rt_priority 10
        vrrp_cpu_affinity {all_cpus[1]}
        checker_priority 7
        checker_no_swap
        checker_rt_priority 3
        checker_cpu_affinity {all_cpus[0]}
        checker_rlimit_rttime 50000
        """)))
    c.wait(lambda: {"vrrp_script", "misc"} <= set(c.reports()), 15, "both scripts' reports")
    vrrp = proc_sched(c.engine_pid("vrrp"))
    check = proc_sched(c.engine_pid("check"))
    assert vrrp["vmlck_kb"] > 0 and check["vmlck_kb"] > 0, (vrrp, check)
    del vrrp["vmlck_kb"], check["vmlck_kb"]
    # As keepalived: no nice value with a real-time priority; RLIMIT_RTTIME soft at half.
    assert vrrp == {"nice": 0, "rt_priority": 10, "policy": os.SCHED_RR,
                    "cpus": str(all_cpus[1]), "rttime": ["5000", "10000"]}
    assert check == {"nice": 0, "rt_priority": 3, "policy": os.SCHED_RR,
                     "cpus": str(all_cpus[0]), "rttime": ["25000", "50000"]}
    want = {"policy": os.SCHED_OTHER, "nice": 0, "cpus": all_cpus}
    reports = c.reports()
    assert reports["vrrp_script"] == want
    assert reports["misc"] == want
    assert "vrrp: scheduling: nice 0, SCHED_RR 10 (rttime 10000us), memory locked, cpus " \
        f"{all_cpus[1]}" in c.log()

    # A reload applies changed values: back to the defaults but for the nice value.
    with open(os.path.join(c.work, "lb.conf"), "w") as f:
        f.write(conf(c, probe, "vrrp_priority 4\n"))
    vrrp_pid, check_pid = c.engine_pid("vrrp"), c.engine_pid("check")
    reload = c.node.run([os.path.join(os.path.dirname(c.vigild), "vigilctl"), "-s", c.ctl,
                         "--json", "reload", "-t", "30000"], check=False, timeout=40)
    assert json.loads(reload.stdout)["ok"] is True, reload.stdout
    cpus = cpu_list(all_cpus)
    c.wait(lambda: proc_sched(vrrp_pid)["nice"] == 4 and proc_sched(check_pid)["nice"] == 0,
           10, "the reloaded scheduling")
    for pid, nice in ((vrrp_pid, 4), (check_pid, 0)):
        s = proc_sched(pid)
        assert (s["nice"], s["rt_priority"], s["policy"], s["cpus"], s["vmlck_kb"]) == \
            (nice, 0, os.SCHED_OTHER, cpus, 0), s


def cpu_list(cpus: list[int]) -> str:
    """`cpus` as /proc/PID/status's Cpus_allowed_list writes it (ranges)."""
    out, start = [], cpus[0]
    for prev, cur in zip(cpus, cpus[1:] + [None]):
        if cur != prev + 1 if cur is not None else True:
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = cur
    return ",".join(out)
