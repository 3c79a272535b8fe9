"""`vigilctl watch`: the ordered event stream of a running vigild (lb1 of the load-balancer
lab, VRRP instance VI_1 and one virtual server over web1..web3).

A watcher sees, in the order they happened, an operation, a real server's health change,
a reload and VRRP transitions, each exactly once; a second watcher that reconnects with
--from gets exactly the events it missed; a stopped watcher whose socket is full holds up
neither VRRP nor the other watchers, and gets everything once it runs again; a watcher
resuming across a restart of vigild (which numbers from 1 again) is told so.
"""

from __future__ import annotations

import datetime
import json
import os
import signal

import lab as lablib
from daemon_lab import NFT, VIP

VS = f"{VIP}:80/tcp"
# VI_1 on lb1 alone: advert_int 1, priority 150 — Master_Down_Interval 3 + 106/256 s.
MASTER_DOWN = 3 + (256 - 150) / 256


class Watcher:
    """`vigilctl watch --json [--from SEQ]` running on lb1, its output in a file."""

    def __init__(self, d, name: str, *args: str):
        self.proc = d.node.spawn([d.ha.vigilctl, "-s", d.ctl, "watch", "--json", *args],
                                 log_name=f"watch-{name}.log")

    def lines(self) -> list[dict]:
        with open(self.proc.log_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        # Whole lines only: the last one may be half written.
        return [json.loads(ln) for ln in text.split("\n")[:-1] if ln.startswith("{")]

    def events(self) -> list[dict]:
        return [e for e in self.lines() if "seq" in e]

    def wait_for(self, pred, message: str, timeout: float = 15) -> dict:
        found: list[dict] = []

        def seen():
            found[:] = [e for e in self.events() if pred(e)]
            return bool(found)

        lablib.wait_until(seen, timeout=timeout, interval=0.1,
                          message=f"{message} in {self.events()}")
        return found[0]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def essence(e: dict) -> tuple:
    """What a test asserts of an event: its type and fields, without its number, run and
    time."""
    return tuple((k, v) for k, v in e.items() if k not in ("seq", "run", "time", "summary"))


def transition(frm: str, to: str, reason: str) -> tuple:
    return (("type", "vrrp_transition"), ("instance", "VI_1"), ("from", frm), ("to", to),
            ("reason", reason), ("priority", 150))


def operation(what: str) -> tuple:
    return (("type", "operation"), ("operation", what))


def result(what: str, message: str, ok: bool = True) -> tuple:
    return (("type", "operation_result"), ("operation", what), ("ok", ok), ("message", message))


def seconds(a: dict, b: dict) -> float:
    """Seconds from event ``a`` to event ``b`` by their time stamps."""
    def at(e):
        return datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
    return at(b) - at(a)


def consecutive(events: list[dict]) -> bool:
    return [e["seq"] for e in events] == list(range(events[0]["seq"], events[0]["seq"] + len(events)))


def test_watch_streams_every_event_in_order_and_resumes_from_a_number(lb_lab):
    ha = lb_lab
    d = ha.start_lb1()
    web1, web2 = ha.dest("web1"), ha.dest("web2")
    everything = Watcher(d, "all", "--from", "0")
    first = Watcher(d, "first")
    blocked = False
    try:
        # From 0: vigild's start, both engines', VI_1 from INIT through BACKUP to MASTER.
        everything.wait_for(lambda e: e["type"] == "vrrp_transition" and e["to"] == "MASTER",
                                    "VI_1 MASTER")
        events = everything.events()
        assert events[0]["seq"] == 1 and events[0]["type"] == "vigild_started"
        assert consecutive(events)
        assert sorted((e["engine"], e["pid"]) for e in events if e["type"] == "engine_started") == \
            sorted([("vrrp", d.engine_pid("vrrp")), ("check", d.engine_pid("check"))])
        assert [essence(e) for e in events if e["type"] == "vrrp_transition"] == [
            transition("INIT", "BACKUP", "startup"), transition("BACKUP", "MASTER", "master_down")]

        # An operation: asked, then done, one after the other.
        what = f"weight {VS} {web1} 5"
        assert d.ctl_run("weight", VS, web1, "5").returncode == 0
        done = first.wait_for(lambda e: e["type"] == "operation_result", "the weight's result")
        assert [essence(e) for e in first.events()] == [
            operation(what), result(what, f"{web1} of {VS} weight set to 5")]
        last_seen = done["seq"]
        first.stop()

        # A real server fails its check: TCP to web2's port is refused.
        reject(ha.web["web2"], True)
        blocked = True
        everything.wait_for(lambda e: e["type"] == "real_server", "web2 DOWN")
        # A reload, then maintenance (VI_1 steps down at once) and back (VI_1 takes over
        # when its down timer ends).
        assert d.reload()["ok"] is True
        assert d.ctl_run("maintenance", "on").returncode == 0
        assert d.ctl_run("maintenance", "off").returncode == 0
        back = everything.wait_for(lambda e: e["type"] == "vrrp_transition" and
                                   e["reason"] == "master_down" and e["seq"] > last_seen,
                                   "VI_1 MASTER again", timeout=MASTER_DOWN + 10)
        later = [e for e in everything.events() if last_seen < e["seq"] <= back["seq"]]
        assert consecutive(later)
        on = "maintenance on: 1 master(s) stepped down with a priority-0 advert; no instance becomes master"
        off = "maintenance off: 1 instance(s) back in the election"
        assert [essence(e) for e in later] == [
            (("type", "real_server"), ("virtual_server", VS), ("real_server", web2),
             ("health", "DOWN"), ("reason", "check")),
            (("type", "reload_started"), ("reload", 1)),
            (("type", "reload_applied"), ("reload", 1)),
            operation("maintenance on"),
            transition("MASTER", "BACKUP", "maintenance"),
            result("maintenance on", on),
            operation("maintenance off"),
            result("maintenance off", off),
            transition("BACKUP", "MASTER", "master_down"),
        ]
        # Stamped as received: VI_1 went MASTER when its down timer ended after "off".
        assert MASTER_DOWN - 0.2 < seconds(later[-2], later[-1]) < MASTER_DOWN + 1

        # The watcher that left comes back from the number after the last it saw: exactly
        # the events it missed, the same lines the other watcher got.
        again = Watcher(d, "again", "--from", str(last_seen + 1))
        again.wait_for(lambda e: e["seq"] == back["seq"], "the events missed")
        assert again.events() == [e for e in everything.events() if e["seq"] > last_seen]
        again.stop()
        # One from a number not given yet is refused, and says why.
        p = d.ctl_run("watch", "--from", str(back["seq"] + 1000))
        assert p.returncode == 1
        assert p.stderr == (f"error: no event {back['seq'] + 1000} yet: the last is "
                            f"{everything.events()[-1]['seq']} (a number from an earlier run "
                            f"of vigild?); watch from 0 for every event kept\n")
    finally:
        if blocked:
            reject(ha.web["web2"], False)
        for w in (everything, first):
            w.stop()


def test_a_stopped_watcher_holds_up_neither_vrrp_nor_other_watchers(lb_lab):
    ha = lb_lab
    d = ha.start_lb1()
    stalled = Watcher(d, "stalled", "--from", "0")
    live = Watcher(d, "live")
    try:
        stalled.wait_for(lambda e: e["type"] == "vrrp_transition" and e["to"] == "MASTER",
                         "VI_1 MASTER")
        os.killpg(stalled.proc.pid, signal.SIGSTOP)
        # About 1 MB of events it does not read: refused failovers of an instance with a
        # 40 kB name (the request and its answer name it). Its socket fills up.
        name = "X" * 40000
        for _ in range(12):
            p = d.ctl_run("failover", name)
            assert (p.returncode, p.stderr) == (1, f"error: no vrrp_instance {name}\n")
        # The other watcher got them all meanwhile.
        def refused():
            return [e for e in live.events() if e["type"] == "operation_result"]
        lablib.wait_until(lambda: len(refused()) == 12, timeout=10,
                          message="the other watcher's 12 results")
        assert not any(e["ok"] for e in refused())
        # VRRP goes on as ever: down at once, MASTER again when the down timer ends.
        assert d.ctl_run("maintenance", "on").returncode == 0
        assert d.state() == "BACKUP"
        assert d.ctl_run("maintenance", "off").returncode == 0
        back = live.wait_for(lambda e: e["type"] == "vrrp_transition" and e["to"] == "MASTER",
                             "VI_1 MASTER again", timeout=MASTER_DOWN + 10)
        [off] = [e for e in live.events() if e["type"] == "operation_result" and
                 e["operation"] == "maintenance off"]
        assert seconds(off, back) < MASTER_DOWN + 1
        assert d.state() == "MASTER"
        # Running again, the stopped watcher gets every event, in order, none twice.
        os.killpg(stalled.proc.pid, signal.SIGCONT)
        last = live.events()[-1]["seq"]
        stalled.wait_for(lambda e: e["seq"] == last, "the stalled watcher catching up")
        got = stalled.events()
        assert got[0]["seq"] == 1 and consecutive(got)
        assert [e for e in got if e["seq"] >= live.events()[0]["seq"]] == live.events()
        # Both watch still, and show so in the status and the metrics.
        status = d.status()
        control = {x["name"]: x for x in status["listeners"]}["control"]
        assert (control["watching"], control["timed_out"]) == (2, 0)
        assert status["events"] == last
        metrics = d.metrics()
        assert 'vigil_listener_watchers{listener="control"} 2\n' in metrics
        assert f"vigil_events_total {last}\n" in metrics
    finally:
        if stalled.proc.poll() is None:
            os.killpg(stalled.proc.pid, signal.SIGCONT)
        stalled.stop()
        live.stop()


def reject(node, on: bool) -> None:
    """Makes ``node`` refuse TCP to its web port (its check fails), or stops that."""
    if on:
        node.run([NFT, "add table inet watch_test; add chain inet watch_test in "
                       "{ type filter hook input priority 0; }; add rule inet watch_test "
                       "in tcp dport 8080 reject with tcp reset"])
    else:
        node.run([NFT, "delete table inet watch_test"], check=False)


def test_engine_exits_quorum_and_vigilds_stop_are_events(lb_lab):
    ha = lb_lab
    d = ha.start_lb1()
    web1, web2 = ha.dest("web1"), ha.dest("web2")
    w = Watcher(d, "all", "--from", "0")

    def since(seq: int) -> list[tuple]:
        return [essence(e) for e in w.events() if e["seq"] > seq]

    def rs(web: str, health: str) -> tuple:
        return (("type", "real_server"), ("virtual_server", VS), ("real_server", web),
                ("health", health), ("reason", "check"))

    def quorum(state: str, live: int, reason: str = "check") -> tuple:
        return (("type", "quorum"), ("virtual_server", VS), ("quorum", state),
                ("live_weight", live), ("threshold", 1), ("reason", reason))

    try:
        w.wait_for(lambda e: e["type"] == "vrrp_transition" and e["to"] == "MASTER", "VI_1 MASTER")
        # The checker engine is killed: its exit, its new start, its first state.
        mark = w.events()[-1]["seq"]
        old = d.engine_pid("check")
        os.kill(old, signal.SIGKILL)
        w.wait_for(lambda e: e["type"] == "quorum" and e["seq"] > mark, "the new engine's quorum")
        new = d.engine_pid("check")
        assert new != old
        assert since(mark) == [
            (("type", "engine_exited"), ("engine", "check"), ("pid", old),
             ("how", "was killed by signal 9")),
            (("type", "engine_started"), ("engine", "check"), ("pid", new)),
            quorum("up", 2, "start")]

        # Both real servers fail: the quorum goes after the second; web1 back brings it back.
        mark = w.events()[-1]["seq"]
        reject(ha.web["web1"], True)
        reject(ha.web["web2"], True)
        w.wait_for(lambda e: e["type"] == "quorum" and e["seq"] > mark, "quorum down")
        got = since(mark)
        assert sorted(got[:2]) == sorted([rs(web1, "DOWN"), rs(web2, "DOWN")])
        assert got[2:] == [quorum("down", 0)]
        mark = w.events()[-1]["seq"]
        reject(ha.web["web1"], False)
        w.wait_for(lambda e: e["type"] == "quorum" and e["seq"] > mark, "quorum up")
        assert since(mark) == [rs(web1, "UP"), quorum("up", 1)]
        mark = w.events()[-1]["seq"]
        reject(ha.web["web2"], False)
        w.wait_for(lambda e: e["type"] == "real_server" and e["seq"] > mark, "web2 UP")
        assert since(mark) == [rs(web2, "UP")]

        # vigild stops: its watchers get its last events, the engines' included, then EOF.
        mark = w.events()[-1]["seq"]
        vrrp = d.engine_pid("vrrp")
        assert d.stop() == 0
        assert w.proc.wait(timeout=10) == 1
        with open(w.proc.log_path) as f:
            assert f.read().endswith("\nvigilctl: vigild closed the watch\n")
        got = since(mark)
        stop = (("type", "vrrp_transition"), ("instance", "VI_1"), ("from", "MASTER"),
                ("to", "STOP"), ("reason", "shutdown"), ("priority", 150))
        vrrp_exit = (("type", "engine_exited"), ("engine", "vrrp"), ("pid", vrrp),
                     ("how", "exited with 0"))
        assert got[0] == (("type", "vigild_stopping"),)
        assert sorted(got[1:]) == sorted([
            stop, vrrp_exit,
            (("type", "engine_exited"), ("engine", "check"), ("pid", new), ("how", "exited with 0"))])
        assert got.index(stop) < got.index(vrrp_exit), "an engine's last events before its exit"
        assert consecutive(w.events())

        # vigild starts again and numbers from 1: a watcher resuming with the old run's
        # number and run is told of the restart and gets the new run from its first event.
        old_run = w.events()[0]["run"]
        assert len(old_run) == 16 and {e["run"] for e in w.events()} == {old_run}
        resume_at = w.events()[-1]["seq"] + 1
        d.start()
        resumed = Watcher(d, "resumed", "--from", str(resume_at), "--run", old_run)
        resumed.wait_for(lambda e: e["type"] == "engine_started", "the new run's engines")
        notice = resumed.lines()[0]
        new_run = resumed.events()[0]["run"]
        assert new_run != old_run
        assert notice == {
            "type": "restarted", "previous_run": old_run, "from": resume_at, "run": new_run,
            "message": f"vigild has restarted since run {old_run}: its events from {resume_at} "
                       f"on are gone; run {new_run}'s follow from its first one kept"}
        assert resumed.events()[0]["seq"] == 1
        assert resumed.events()[0]["type"] == "vigild_started"
        assert consecutive(resumed.events())
        # With the new run's own name the number is taken as it is.
        later = Watcher(d, "same-run", "--from", "2", "--run", new_run)
        later.wait_for(lambda e: e["seq"] >= 2, "the new run from 2")
        assert later.lines()[0]["seq"] == 2
        later.stop()
        resumed.stop()
    finally:
        for web in ("web1", "web2"):
            reject(ha.web[web], False)
        w.stop()
