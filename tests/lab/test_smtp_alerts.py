"""SMTP alerts (notification_email, smtp_server, smtp_alert) against keepalived 2.2.7.

A sink (smtp_sink.py) listens on node "mail"; the daemon runs on node "a" with one sync
group of two instances that go BACKUP at start and MASTER three adverts later. Each daemon
in turn: the mails the sink received (the commands of each connection, and the message but
its Date header) are the same. keepalived's checker cannot run here (no IPVS in the lab's
kernel), so a real server going DOWN and UP is checked against the bytes of keepalived's
source, with vigild alone. With an smtp_server that
never answers, or refuses, the instances still become MASTER, and the failure is logged once.
"""

from __future__ import annotations

import json
import os
import re
import signal

import pytest

import lab as lablib
from vrrp_lab import KEEPALIVED, PYTHON, require_keepalived

SINK = os.path.join(os.path.dirname(__file__), "smtp_sink.py")
VIP1 = "10.99.0.101"
VIP2 = "10.99.0.102"


def config(server: str, timeout: int = 5, group: bool = True, names=("VI_1", "VI_2"),
           extra: str = "", track: str = "") -> str:
    """``track``: a file VI_1 and VI_2 track with weight 0 (non-zero: FAULT)."""
    track_block = "    track_file {\n        FAULTY\n    }\n" if track else ""
    instances = ""
    for name, vrid, vip in (("VI_1", 51, VIP1), ("VI_2", 52, VIP2)):
        if name not in names:
            continue
        instances += f"""vrrp_instance {name} {{
    state BACKUP
    interface eth0
    virtual_router_id {vrid}
    priority 100
    advert_int 1
{track_block}    virtual_ipaddress {{
        {vip}/16
    }}
}}
"""
    return f"""global_defs {{
    router_id LB_A
    notification_email {{
        ops@example.com
        oncall@example.com
    }}
    notification_email_from lb@example.com
    smtp_server {server}
    smtp_helo_name lb-a.example.com
    smtp_connect_timeout {timeout}
    smtp_alert
{extra}}}
{SYNC_GROUP if group else ""}{TRACK_FILE.format(track) if track else ""}{instances}"""


TRACK_FILE = """vrrp_track_file FAULTY {{
    file {}
    weight 0
}}
"""
SYNC_GROUP = """vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
}
"""


def start(lab: lablib.Lab, node: lablib.Node, binary: str, conf: str, tag: str):
    base = os.path.join(lab.workdir, tag)
    with open(f"{base}.conf", "w") as f:
        f.write(conf)
    argv = [binary, "-n", "-l", "-D", "-P", "-f", f"{base}.conf", "-p", f"{base}.pid",
            "-r", f"{base}-vrrp.pid", "-c", f"{base}-check.pid"]
    return node.spawn(argv, log_name=f"{tag}.log")


def stop(*procs) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def both_daemons(lab: lablib.Lab, vigild: str):
    """Nodes "a" and "mail", and the daemons to run in turn: keepalived, then vigild."""
    require_keepalived()
    return lab.add_node("a"), lab.add_node("mail"), (("keepalived", KEEPALIVED),
                                                     ("vigild", vigild))


def start_sink(lab: lablib.Lab, mail: lablib.Node, name: str):
    """Starts a sink on ``mail``; returns the file it writes and its process."""
    out = os.path.join(lab.workdir, f"{name}-mails.jsonl")
    sink = mail.spawn([PYTHON, SINK, mail.ipv4, "25", out], log_name=f"{name}-sink.log")
    lablib.wait_until(lambda: mail.run(["ss", "-Htln", "sport = :25"]).stdout.strip(),
                      timeout=10, message="the sink listens")
    return out, sink


def mails(path: str) -> list[dict]:
    """The messages received: each connection's commands and message, the Date dropped."""
    out = []
    for line in lablib.file_lines(path):
        r = json.loads(line)
        if r["data"] is None:
            continue  # keepalived's "Stopping" connection: its process exits first
        out.append({"commands": r["commands"],
                    "data": re.sub(r"^Date: [^\r]*\r\n", "", r["data"])})
    return out


def subjects(received: list[dict]) -> list[str]:
    return [re.search(r"Subject: ([^\r]*)", m["data"]).group(1) for m in received]


def masters(node: lablib.Node) -> bool:
    have = node.addresses("eth0", "inet")
    return VIP1 in have and VIP2 in have


def run_daemon(lab, a, mail, binary: str, tag: str) -> list[dict]:
    out, sink = start_sink(lab, mail, f"{tag}")
    proc = start(lab, a, binary, config(f"{mail.ipv4} 25"), tag)
    lablib.wait_until(lambda: masters(a), timeout=20, message=f"{tag}: both VIPs")
    # BACKUP and MASTER of each instance and of the group.
    lablib.wait_until(lambda: len(mails(out)) >= 6, timeout=20,
                      message=f"{tag}: six mails, got {subjects(mails(out))}")
    stop(proc, sink)
    return mails(out)


def test_vrrp_mails_are_keepaliveds(lab, vigild):
    require_keepalived()
    a = lab.add_node("a")
    mail = lab.add_node("mail")
    got = {tag: run_daemon(lab, a, mail, binary, tag)
           for tag, binary in (("keepalived", KEEPALIVED), ("vigild", vigild))}
    assert sorted(subjects(got["keepalived"])) == [
        "[LB_A] VRRP Group G1 - Entering BACKUP state",
        "[LB_A] VRRP Group G1 - Entering MASTER state",
        "[LB_A] VRRP Instance VI_1 - Entering BACKUP state",
        "[LB_A] VRRP Instance VI_1 - Entering MASTER state",
        "[LB_A] VRRP Instance VI_2 - Entering BACKUP state",
        "[LB_A] VRRP Instance VI_2 - Entering MASTER state",
    ]
    key = lambda m: m["data"]  # noqa: E731
    assert sorted(got["vigild"], key=key) == sorted(got["keepalived"], key=key)
    first = sorted(got["vigild"], key=key)[2]
    assert first == {
        "commands": ["HELO lb-a.example.com", "MAIL FROM:<lb@example.com>",
                     "RCPT TO:<ops@example.com>", "RCPT TO:<oncall@example.com>", "DATA",
                     "QUIT"],
        "data": "From: lb@example.com\r\n"
                "Subject: [LB_A] VRRP Instance VI_1 - Entering BACKUP state\r\n"
                "X-Mailer: Keepalived\r\n"
                "To: ops@example.com, oncall@example.com\r\n\r\n"
                "=> VRRP Instance is no longer owning VRRP VIPs <=\r\n\r\n.\r\n",
    }


def test_an_unreachable_smtp_server_delays_nothing_and_is_logged_once(lab, vigild):
    a = lab.add_node("a")
    # Nobody has 10.99.0.250: each connection waits out smtp_connect_timeout (30 s).
    proc = start(lab, a, vigild, config("10.99.0.250 25", timeout=30), "silent")
    lablib.wait_until(lambda: masters(a), timeout=15, message="both VIPs while mail hangs")
    stop(proc)

    # A server that refuses: six mails fail, one line says so.
    mail = lab.add_node("mail")
    proc = start(lab, a, vigild, config(f"{mail.ipv4} 25"), "refused")
    lablib.wait_until(lambda: masters(a), timeout=15, message="both VIPs")
    log = lambda: lablib.file_lines(proc.log_path)  # noqa: E731
    lablib.wait_until(lambda: any("SMTP alerts: cannot send to [" in l for l in log()),
                      timeout=10, message="the failure logged")
    stop(proc)
    failures = [l for l in log() if "SMTP alerts: cannot send" in l]
    assert len(failures) == 1, "\n".join(failures)
    assert failures[0].endswith(f"SMTP alerts: cannot send to [{mail.ipv4}]:25: connect: "
                                "Connection refused (logged once until one gets through)")


def test_an_instance_removed_by_a_reload_is_mailed_as_keepaliveds(lab, vigild):
    # keepalived 2.2.7 notifies a deleted instance as entering FAULT (DELETED only with
    # notify_deleted), and mails it so.
    a, mail, daemons = both_daemons(lab, vigild)
    got = {}
    for tag, binary in daemons:
        out, sink = start_sink(lab, mail, f"{tag}-reload")
        proc = start(lab, a, binary, config(f"{mail.ipv4} 25", group=False), f"{tag}-r")
        lablib.wait_until(lambda: masters(a), timeout=20, message=f"{tag}: both VIPs")
        lablib.wait_until(lambda: len(mails(out)) >= 4, timeout=20, message=f"{tag}: 4 mails")
        with open(os.path.join(lab.workdir, f"{tag}-r.conf"), "w") as f:
            f.write(config(f"{mail.ipv4} 25", group=False, names=("VI_1",)))
        proc.send_signal(signal.SIGHUP)
        lablib.wait_until(lambda: len(mails(out)) >= 5, timeout=20,
                          message=f"{tag}: the removal's mail")
        stop(proc, sink)
        got[tag] = mails(out)
    assert subjects(got["keepalived"])[4:] == [
        "[LB_A] VRRP Instance VI_2 - Entering FAULT state"]
    assert got["vigild"][4:] == got["keepalived"][4:]


@pytest.mark.parametrize("no_email_faults", [True, False])
def test_faults_are_mailed_but_under_no_email_faults_as_keepalived(lab, vigild, no_email_faults):
    # A tracked file with weight 0 makes VI_1 FAULT (not mailed under no_email_faults), then
    # BACKUP and MASTER again (mailed, the last state mailed being MASTER or FAULT).
    a, mail, daemons = both_daemons(lab, vigild)
    got = {}
    for tag, binary in daemons:
        out, sink = start_sink(lab, mail, f"{tag}-fault")
        fault_file = os.path.join(lab.workdir, f"{tag}-faulty")
        with open(fault_file, "w") as f:
            f.write("0\n")
        conf = config(f"{mail.ipv4} 25", group=False, names=("VI_1",),
                      extra="    no_email_faults\n" if no_email_faults else "",
                      track=fault_file)
        proc = start(lab, a, binary, conf, f"{tag}-f")
        has_vip = lambda: VIP1 in a.addresses("eth0", "inet")  # noqa: E731
        lablib.wait_until(has_vip, timeout=20, message=f"{tag}: MASTER")
        lablib.wait_until(lambda: len(mails(out)) >= 2, timeout=20, message=f"{tag}: 2 mails")
        with open(fault_file, "w") as f:
            f.write("1\n")
        lablib.wait_until(lambda: not has_vip(), timeout=20, message=f"{tag}: FAULT")
        with open(fault_file, "w") as f:
            f.write("0\n")
        lablib.wait_until(has_vip, timeout=20, message=f"{tag}: MASTER again")
        lablib.wait_until(lambda: len(mails(out)) >= (4 if no_email_faults else 5), timeout=20,
                          message=f"{tag}: all mails")
        stop(proc, sink)
        got[tag] = mails(out)
    states = ["BACKUP", "MASTER"] + ([] if no_email_faults else ["FAULT"]) + ["BACKUP", "MASTER"]
    assert subjects(got["keepalived"]) == [
        f"[LB_A] VRRP Instance VI_1 - Entering {s} state" for s in states]
    assert got["vigild"] == got["keepalived"]


def test_the_defaults_from_the_host_name_are_keepaliveds(lab, vigild):
    # No router_id, smtp_helo_name or notification_email_from: keepalived 2.2.7 takes the
    # host's canonical name (getaddrinfo of uname's node name; "[unknown]" when it does not
    # resolve, and then neither HELO's nor the sender's default).
    a, mail, daemons = both_daemons(lab, vigild)
    got = {}
    for tag, binary in daemons:
        out, sink = start_sink(lab, mail, f"{tag}-default")
        conf = config(f"{mail.ipv4} 25", group=False, names=("VI_1",))
        conf = "".join(l for l in conf.splitlines(keepends=True)
                       if not l.strip().startswith(("router_id", "smtp_helo_name",
                                                    "notification_email_from")))
        proc = start(lab, a, binary, conf, f"{tag}-d")
        lablib.wait_until(lambda: len(mails(out)) >= 2, timeout=20, message=f"{tag}: 2 mails")
        stop(proc, sink)
        got[tag] = mails(out)
    assert got["vigild"] == got["keepalived"]


def checker_globals(server: str) -> str:
    """The global_defs of the checker's tests: mail to ops@example.com through ``server``."""
    return f"""global_defs {{
    router_id LB_A
    notification_email {{
        ops@example.com
    }}
    notification_email_from lb@example.com
    smtp_server {server}
    smtp_helo_name lb-a.example.com
    vigil_lb_backend nftables
}}
"""


def checker_config(server: str, web: lablib.Node, real_server: bool = True) -> str:
    # No smtp_alert anywhere: a real server mails by default (keepalived's), its virtual
    # server does not.
    return checker_globals(server) + f"""virtual_server 10.99.0.100 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
{RS.format(web.ipv4, 8080) if real_server else ""}{RS.format(web.ipv4, 8081)}}}
"""


RS = """    real_server {} {} {{
        TCP_CHECK {{
            connect_timeout 1
        }}
    }}
"""


def test_a_real_server_going_down_up_and_removed_is_mailed_as_keepalived_words_it(lab, vigild):
    # keepalived's checker cannot run in this kernel (no IPVS): the expected bytes are those
    # of keepalived 2.2.7's check_tcp.c and smtp.c.
    a = lab.add_node("a")
    mail = lab.add_node("mail")
    web = lab.add_node("web")
    out = os.path.join(lab.workdir, "checker-mails.jsonl")
    mail.spawn([PYTHON, SINK, mail.ipv4, "25", out], log_name="checker-sink.log")
    server = web.spawn([PYTHON, "-m", "http.server", "-b", web.ipv4, "8080"], log_name="web.log")
    # A second real server, always up (a virtual server without one is an error in vigil).
    web.spawn([PYTHON, "-m", "http.server", "-b", web.ipv4, "8081"], log_name="web8081.log")
    lablib.wait_until(lambda: mail.run(["ss", "-Htln", "sport = :25"]).stdout.strip() and
                      web.run(["ss", "-Htln", "sport = :8080"]).stdout.strip() and
                      web.run(["ss", "-Htln", "sport = :8081"]).stdout.strip(),
                      timeout=10, message="the sink and the web server listen")
    base = os.path.join(lab.workdir, "checker")
    with open(f"{base}.conf", "w") as f:
        f.write(checker_config(f"{mail.ipv4} 25", web))
    proc = a.spawn([vigild, "-n", "-l", "-D", "-C", "-f", f"{base}.conf", "-p", f"{base}.pid",
                    "-r", f"{base}-vrrp.pid", "-c", f"{base}-check.pid"], log_name="checker.log")
    log = lambda: lablib.file_lines(proc.log_path)  # noqa: E731
    lablib.wait_until(lambda: any("checker engine started" in l for l in log()), timeout=15,
                      message="the checker engine")
    assert mails(out) == []  # starting UP mails nothing
    server.terminate()
    server.wait(timeout=5)
    lablib.wait_until(lambda: len(mails(out)) >= 1, timeout=20, message="the DOWN mail")
    web.spawn([PYTHON, "-m", "http.server", "-b", web.ipv4, "8080"], log_name="web2.log")
    lablib.wait_until(lambda: len(mails(out)) >= 2, timeout=20, message="the UP mail")
    # A reload removes the real server, alive: keepalived's ipwrapper.c mails "Removing".
    with open(f"{base}.conf", "w") as f:
        f.write(checker_config(f"{mail.ipv4} 25", web, real_server=False))
    proc.send_signal(signal.SIGHUP)
    lablib.wait_until(lambda: len(mails(out)) >= 3, timeout=20, message="the removal's mail")
    stop(proc)
    envelope = ["HELO lb-a.example.com", "MAIL FROM:<lb@example.com>",
                "RCPT TO:<ops@example.com>", "DATA", "QUIT"]
    rs = f"[{web.ipv4}]:tcp:8080 of virtual server [10.99.0.100]:tcp:80"
    assert mails(out) == [
        {"commands": envelope,
         "data": "From: lb@example.com\r\n"
                 f"Subject: [LB_A] Realserver {rs} - DOWN\r\n"
                 "X-Mailer: Keepalived\r\nTo: ops@example.com\r\n\r\n"
                 "=> TCP CHECK failed on service <=\r\n\r\n.\r\n"},
        {"commands": envelope,
         "data": "From: lb@example.com\r\n"
                 f"Subject: [LB_A] Realserver {rs} - UP\r\n"
                 "X-Mailer: Keepalived\r\nTo: ops@example.com\r\n\r\n"
                 "=> TCP CHECK succeed on service <=\r\n\r\n.\r\n"},
        {"commands": envelope,
         "data": "From: lb@example.com\r\n"
                 f"Subject: [LB_A] Realserver {rs} - DOWN\r\n"
                 "X-Mailer: Keepalived\r\nTo: ops@example.com\r\n\r\n"
                 "=> Removing <=\r\n\r\n.\r\n"},
    ]


def removal_config(server: str, web: lablib.Node, scripts: str, with_vs: bool = True,
                   with_other: bool = True) -> str:
    vs = f"""virtual_server 10.99.0.100 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    smtp_alert
    quorum_down "{scripts}/note.sh quorum_down"
    real_server {web.ipv4} 8080 {{
        SMTP_CHECK {{
            connect_timeout 1
            connect_port 2525
        }}
    }}
    real_server {web.ipv4} 8081 {{
        MISC_CHECK {{
            misc_path "/bin/sleep 5"
            misc_timeout 1
        }}
    }}
    real_server {web.ipv4} 8082 {{
        notify_down "{scripts}/note.sh notify_down 8082"
        MISC_CHECK {{
            misc_path /bin/true
        }}
    }}
}}
"""
    # Another virtual server stays, silent (or none: the checker engine stops after the reload).
    stays = f"""virtual_server 10.99.0.101 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server {web.ipv4} 8083 {{
        smtp_alert off
        MISC_CHECK {{
            misc_path /bin/true
        }}
    }}
}}
"""
    return checker_globals(server) + (vs if with_vs else "") + (stays if with_other else "")


@pytest.mark.parametrize("other", [True, False], ids=["another_stays", "the_last_goes"])
def test_checker_failures_and_a_removed_virtual_server_are_mailed_as_keepalived(lab, vigild,
                                                                                other):
    # keepalived's checker cannot run in this kernel (no IPVS): the expected bytes are those
    # of keepalived 2.2.7's check_smtp.c (smtp_final: the failed step at the checked
    # address), check_misc.c ("timed out"; the first result of a MISC_CHECK is mailed even
    # when it changes nothing) and ipwrapper.c (clear_service_vs: each live real server's
    # notify_down and "=> Removing <=", then the quorum lost with it). The same when the
    # virtual server removed is the last: keepalived's checker process keeps running through
    # that reload; vigild's checker engine takes the reload, then stops.
    a = lab.add_node("a")
    mail = lab.add_node("mail")
    web = lab.add_node("web")  # nothing listens there: the SMTP_CHECK is refused
    out, sink = start_sink(lab, mail, "removal")
    scripts = os.path.join(lab.workdir, "removal-scripts")
    os.makedirs(scripts, exist_ok=True)
    notes = os.path.join(scripts, "notes")
    with open(os.path.join(scripts, "note.sh"), "w") as f:
        f.write(f'#!/bin/sh\necho "$*" >> {notes}\n')
    os.chmod(os.path.join(scripts, "note.sh"), 0o755)
    base = os.path.join(lab.workdir, "removal")
    with open(f"{base}.conf", "w") as f:
        f.write(removal_config(f"{mail.ipv4} 25", web, scripts, with_other=other))
    proc = a.spawn([vigild, "-n", "-l", "-D", "-C", "-f", f"{base}.conf", "-p", f"{base}.pid",
                    "-r", f"{base}-vrrp.pid", "-c", f"{base}-check.pid"], log_name="removal.log")
    lablib.wait_until(lambda: len(mails(out)) >= 4, timeout=20, message="the start's mails")
    # A reload removes the virtual server, its quorum up (8082 is alive).
    with open(f"{base}.conf", "w") as f:
        f.write(removal_config(f"{mail.ipv4} 25", web, scripts, with_vs=False, with_other=other))
    proc.send_signal(signal.SIGHUP)
    lablib.wait_until(lambda: len(mails(out)) >= 6, timeout=20, message="the removal's mails")
    lablib.wait_until(lambda: len(lablib.file_lines(notes)) >= 2, timeout=10,
                      message="the removal's scripts")
    if not other:
        lablib.wait_until(lambda: any(l.endswith("engine check exited with 0 (no longer configured)")
                                      for l in lablib.file_lines(proc.log_path)),
                          timeout=10, message="the checker engine stopped after the reload")
    stop(proc, sink)
    vs = "[10.99.0.100]:tcp:80"
    rs = lambda port: f"[{web.ipv4}]:tcp:{port} of virtual server {vs}"  # noqa: E731
    message = lambda subject, body: (  # noqa: E731
        "From: lb@example.com\r\n"
        f"Subject: [LB_A] {subject}\r\n"
        "X-Mailer: Keepalived\r\nTo: ops@example.com\r\n\r\n"
        f"{body}\r\n\r\n.\r\n")
    got = [m["data"] for m in mails(out)]
    assert sorted(got[:4]) == sorted([
        message(f"Virtualserver {vs} - UP", "=> Starting with quorum up 1+0=1 <= 3 <="),
        message(f"Realserver {rs(8080)} - DOWN",
                f"=> CHECK failed on service : Could not connect to server [{web.ipv4}]:2525 <="),
        message(f"Realserver {rs(8081)} - DOWN", "=> MISC CHECK timed out on service <="),
        message(f"Realserver {rs(8082)} - UP", "=> MISC CHECK succeeded on service <="),
    ])
    assert got[4:] == [
        message(f"Realserver {rs(8082)} - DOWN", "=> Removing <="),
        message(f"Virtualserver {vs} - DOWN", "=> Lost quorum 1+0=1 <= 0 <="),
    ]
    # check_misc.c's log lines.
    log = lablib.file_lines(proc.log_path)
    for line in (f"Misc check for [[{web.ipv4}]:tcp:8081 VS {vs}] by [/bin/sleep] timed out "
                 "with retry disabled.",
                 f"Misc check for [[{web.ipv4}]:tcp:8082 VS {vs}] by [/bin/true] succeeded."):
        assert any(l.endswith(line) for l in log), line
    # The two scripts run side by side (as keepalived's notify_exec runs them).
    assert sorted(lablib.file_lines(notes)) == ["notify_down 8082", "quorum_down"]
