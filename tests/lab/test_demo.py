"""`make demo` in `make test`: demo/demo.py runs as a user runs it, and its own checks decide.

The demo (keepalived's HAProxy pair beside an nftables virtual server, see demo/demo.py)
checks every step it shows: who holds the VIP, each node's state and priority, and that
each request is answered by both web servers through the load balancer holding the VIP; a
failed check ends it with "demo check failed: ..." and exit status 1. These tests run it
whole (about 16 s on an idle machine) and assert its exit status, the steps it printed, in
order, and what each step showed; and that it removes everything it made, also when it is
interrupted half-way (Ctrl-C).

Whatever happens, the test removes what the demo left: the demo's namespaces are named
after its pid (lab.py's ``vl<pid>x<n>-``), its work directory is printed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading

import pytest

import lab as lablib
import seed_lab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "demo", "demo.py")
# The demo's whole run, bounded generously for a loaded machine (idle: ~16 s).
RUN_TIMEOUT = 240
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")

STEPS = [
    "== Building the lab: a bridge, a client, two load balancers, two web servers",
    "== Starting vigild and HAProxy on lb1 (MASTER, 101) and lb2 (BACKUP, 100), each in a PID "
    "namespace of its own",
    "== vigilctl status on lb1 (the master)",
    "== vigilctl instances on lb2 (the backup)",
    "== The client sends requests through the VIP: the kernel's virtual server (port 80, round "
    "robin) and HAProxy (port 8000)",
    "== Killing HAProxy on lb1: `killall haproxy` in lb1's PID namespace",
    "== Starting HAProxy on lb1 again",
    "== Killing the whole master: SIGKILL to lb1's vigild (HAProxy dies with its namespace), "
    "and its link goes down",
    "== vigilctl instances on lb2 (the new master)",
    "== The client keeps going: the traffic now flows through lb2",
    "== Done: removing every namespace and process the demo created",
]


def _traffic(via: str) -> list[str]:
    return [
        "   6 requests to http://10.99.0.100:80/ (nftables virtual server) answered by: "
        "web1 ×3, web2 ×3",
        "   6 requests to http://10.99.0.100:8000/ (HAProxy) answered by: "
        f"web1@{via} ×3, web2@{via} ×3",
    ]


# What the demo shows between its steps, in order: the requests through each load balancer
# in turn and the states and effective priorities after each HAProxy event.
SHOWN = [
    *_traffic("lb1"),
    "   lb1: ('BACKUP', 101), lb2: ('MASTER', 102)",
    *_traffic("lb2"),
    "   lb1: ('MASTER', 103), lb2: ('BACKUP', 102)",
    *_traffic("lb1"),
    *_traffic("lb2"),
]


class DemoRun:
    """demo/demo.py running in a session of its own, its output collected line by line."""

    def __init__(self, build: str):
        if not all(os.access(t, os.X_OK) for t in (seed_lab.HAPROXY, seed_lab.KILLALL)):
            pytest.skip(f"the demo needs {seed_lab.HAPROXY} and {seed_lab.KILLALL}")
        ok, why = lablib.netns_usable()
        if not ok:
            pytest.skip(why)
        env = dict(os.environ, VIGIL_BUILD=build)
        env.pop("VIGIL_DEMO_KEEP", None)
        self.proc = subprocess.Popen([lablib.PYTHON, DEMO], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env,
                                     start_new_session=True)
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(ANSI_RE.sub("", raw.rstrip("\n")))
                self._cond.notify_all()

    def wait_line(self, line: str, timeout: float) -> None:
        """Waits (bounded) until the demo has printed ``line``."""
        with self._cond:
            if not self._cond.wait_for(lambda: line in self.lines or self.proc.poll() is not None,
                                       timeout=timeout) or line not in self.lines:
                raise AssertionError(f"the demo did not print {line!r}:\n" + self.output())

    def wait(self, timeout: float) -> int:
        """Waits for the demo to end; past ``timeout`` interrupts it as Ctrl-C does."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.interrupt()
            raise AssertionError(f"the demo ran over {timeout} s:\n" + self.output())

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the demo, then (bounded) SIGKILL to its whole session."""
        try:
            self.proc.send_signal(signal.SIGINT)
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(timeout=10)

    def output(self) -> str:
        self._reader.join(timeout=10)
        return "\n".join(self.lines)

    def workdir(self) -> str | None:
        for line in self.lines:
            if line.startswith("   lab workdir (configs, logs): "):
                return line.split(": ", 1)[1]
        return None

    def leftovers(self) -> list[str]:
        """The demo's namespaces that still exist."""
        return lablib.lab_namespaces_alive(f"vl{self.proc.pid}x")

    def remove_leftovers(self) -> None:
        """Removes whatever the demo left (it ended, or is killed here first)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # Its pid is gone: lab.py's sweep removes its namespaces and what runs in them.
        lablib.sweep_stale_namespaces()
        if (w := self.workdir()) and os.path.basename(w).startswith(f"vl{self.proc.pid}x"):
            shutil.rmtree(w, ignore_errors=True)


@pytest.fixture
def demo(vigild):
    runs: list[DemoRun] = []

    def start() -> DemoRun:
        run = DemoRun(os.path.dirname(os.path.dirname(vigild)))
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.remove_leftovers()


def _in_order(lines: list[str], wanted: list[str]) -> list[str]:
    """The lines of ``lines`` that are in ``wanted``, in the order printed."""
    return [line for line in lines if line in wanted]


def test_the_demo_passes_its_checks_and_removes_everything(demo):
    run = demo()
    rc = run.wait(RUN_TIMEOUT)
    out = run.output()
    assert rc == 0, out
    assert "demo check failed" not in out
    assert [line for line in run.lines if line.startswith("== ")] == STEPS, out
    assert _in_order(run.lines, SHOWN) == SHOWN, out
    # The failovers it times: HAProxy killed, HAProxy back, the whole node killed.
    assert len([line for line in run.lines if re.fullmatch(
        r"   lb[12] holds 10\.99\.0\.100 (again )?\d+\.\d\d s (after the kill|later) .*",
        line)]) == 3, out
    assert run.lines[-1] == "   clean.", out
    assert run.leftovers() == []
    assert run.workdir() and not os.path.exists(run.workdir())


def test_the_demo_interrupted_half_way_removes_everything(demo):
    run = demo()
    run.wait_line("== Killing HAProxy on lb1: `killall haproxy` in lb1's PID namespace",
                  timeout=RUN_TIMEOUT)
    assert run.leftovers(), "the demo's namespaces exist while it runs"
    rc = run.interrupt()
    out = run.output()
    assert rc == 130, out
    assert run.lines[-1] == "interrupted: the lab was removed", out
    assert run.leftovers() == []
    assert run.workdir() and not os.path.exists(run.workdir())
