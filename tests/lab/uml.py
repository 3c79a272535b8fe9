"""User-Mode Linux for the lab: one kernel with IPVS, booted as an ordinary process.

The host kernel has no IPVS; Debian's ``user-mode-linux`` package is a Linux 6.1 kernel
that runs as a process and has IPVS, netns, veth, bridge and nftables as modules (see
DESIGN.md, "A kernel with IPVS"). ``boot()`` starts one such kernel with the host's ``/``
as its read-only root (hostfs) and a generated script as PID 1. The script mounts proc,
sysfs and fresh tmpfs on /run, /tmp and /var/tmp, mounts a host directory read-write at
``GUEST_RESULTS``, makes the UML modules loadable (``modprobe -d``, also for the modules
the kernel asks for itself), loads ``modules``, runs one driver program and writes its
exit status before ``halt -f``. The driver runs every case in sequence and writes each
case's results into the results directory, where the host reads them (uml_guest.py is the
drivers' side: namespaces, the switch, run_cases).

Every wait is bounded: the boot (the script's first mark), each case (no new file in the
results directory for ``case_timeout``) and the whole run. On a timeout the UML process
group is killed and the run says why, with the console (the kernel's and the driver's
output). If UML cannot start here, ``UmlRun.unusable`` says why, for a skip. The host
side's temporary directory goes away with ``UmlRun.close()``.

Usage::

    run = uml.boot([PYTHON, driver, "--results", uml.GUEST_RESULTS], modules=["ip_vs"])
    try:
        ... run.results_dir ... run.error ... run.console_tail() ...
    finally:
        run.close()
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

UML = "/usr/bin/linux.uml"
MODULES_ROOT = "/usr/lib/uml/modules"
GUEST_RESULTS = "/run/uml-results"
GUEST_MODULES = "/tmp/uml-modules"
SHIM_NAME = "vigil_uml_xstate.so"
BOOTED_MARK = "booted"
STATUS_FILE = "status"


def shim_path(build_dir: str) -> str:
    """The LD_PRELOAD shim built with vigil (tests/lab/uml_xstate.c) under ``build_dir``."""
    return os.path.join(build_dir, "tests", SHIM_NAME)


def uml_unusable(build_dir: str) -> str:
    """Returns why UML cannot run here ("" when everything it needs is installed)."""
    if os.geteuid() != 0:
        return "the UML lab needs root (network namespaces inside UML, hostfs)"
    if not os.access(UML, os.X_OK):
        return f"no {UML}: install the user-mode-linux package (scripts/install-deps.sh)"
    if not os.path.isdir(MODULES_ROOT) or not os.listdir(MODULES_ROOT):
        return f"no UML modules under {MODULES_ROOT} (user-mode-linux package)"
    for tool in ("/usr/sbin/modprobe", "/usr/sbin/ipvsadm"):
        if not os.access(tool, os.X_OK):
            return f"no {tool}: install kmod and ipvsadm (scripts/install-deps.sh)"
    if not os.path.exists(shim_path(build_dir)):
        return f"no {shim_path(build_dir)}: build vigil's tests (target vigil_uml_xstate)"
    return ""


def _init_script(host_results: str, modules: list[str], driver: list[str]) -> str:
    """PID 1 of the guest: see the module docstring."""
    mods = " ".join(shlex.quote(m) for m in modules)
    return f"""#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for d in /run /tmp /var/tmp; do mount -t tmpfs tmpfs "$d"; done
mkdir -p {GUEST_RESULTS}
mount -t hostfs none {GUEST_RESULTS} -o {shlex.quote(host_results)}
echo "$(uname -r)" > {GUEST_RESULTS}/{BOOTED_MARK}
v=$(uname -r)
mkdir -p {GUEST_MODULES}/lib/modules/"$v"
mount --bind {MODULES_ROOT}/"$v" {GUEST_MODULES}/lib/modules/"$v"
# The kernel's own module requests (a scheduler, a protocol) go through the same tree.
printf '#!/bin/sh\\nexec /usr/sbin/modprobe -d {GUEST_MODULES} "$@"\\n' > /tmp/uml-modprobe
chmod 755 /tmp/uml-modprobe
echo /tmp/uml-modprobe > /proc/sys/kernel/modprobe
for m in {mods}; do
  modprobe -d {GUEST_MODULES} "$m" || echo "uml: modprobe $m failed"
done
cd /tmp
{shlex.join(driver)}
echo $? > {GUEST_RESULTS}/{STATUS_FILE}
sync
halt -f
"""


@dataclass
class UmlRun:
    """One UML run: where its results are, how it ended, its console."""

    workdir: str
    results_dir: str
    console_path: str
    status: int | None = None      # the driver's exit status (None: it never wrote one)
    error: str = ""                # why the run failed (a timeout, an early exit)
    unusable: str = ""             # why UML could not start here (skip)
    seconds: float = 0.0
    _closed: bool = field(default=False, repr=False)

    def console(self) -> str:
        try:
            with open(self.console_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def console_tail(self, lines: int = 150) -> str:
        return "\n".join(self.console().splitlines()[-lines:])

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            subprocess.run(["rm", "-rf", "--", self.workdir], check=False)


def _files(path: str) -> int:
    try:
        return len(os.listdir(path))
    except OSError:
        return 0


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILLs the UML process group (the kernel and its helper processes), bounded."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _group_alive(proc.pid):
        time.sleep(0.1)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def boot(driver: list[str], build_dir: str, modules: list[str] = (), mem: str = "768M",
         boot_timeout: float = 90.0, case_timeout: float = 90.0,
         total_timeout: float = 600.0) -> UmlRun:
    """Boots UML, runs ``driver`` (an argv valid inside the guest) as described in the
    module docstring and returns when the kernel has halted or been killed. Never raises
    for a failed run: see ``UmlRun.error`` / ``unusable``."""
    workdir = tempfile.mkdtemp(prefix="vigil-uml-")
    results = os.path.join(workdir, "results")
    os.mkdir(results)
    run = UmlRun(workdir, results, os.path.join(workdir, "console.log"))
    why = uml_unusable(build_dir)
    if why:
        run.unusable = why
        return run
    script = os.path.join(workdir, "init.sh")
    with open(script, "w") as f:
        f.write(_init_script(results, list(modules), driver))
    os.chmod(script, 0o755)
    # umid/uml_dir keep UML's control files in the work directory, not in ~/.uml.
    argv = [UML, f"mem={mem}", "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "ro",
            f"init={script}", "con0=null,fd:1", "con=null", "loglevel=1",
            f"umid=vigil{os.getpid()}", f"uml_dir={workdir}"]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR": "/dev/shm",
           "LD_PRELOAD": shim_path(build_dir)}
    started = time.monotonic()
    with open(run.console_path, "wb") as console:
        try:
            proc = subprocess.Popen(argv, stdout=console, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        except OSError as exc:
            run.unusable = f"cannot start {UML}: {exc}"
            return run
    booted_mark = os.path.join(results, BOOTED_MARK)
    seen = _files(results)
    last_progress = started
    try:
        while proc.poll() is None:
            now = time.monotonic()
            count = _files(results)
            if count != seen:
                seen, last_progress = count, now
            if not os.path.exists(booted_mark):
                if now - started > boot_timeout:
                    run.error = f"UML did not boot within {boot_timeout:.0f}s"
                    break
            elif now - last_progress > case_timeout:
                run.error = f"no case finished within {case_timeout:.0f}s"
                break
            if now - started > total_timeout:
                run.error = f"the UML run did not end within {total_timeout:.0f}s"
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            _kill_group(proc)
        elif _group_alive(proc.pid):
            _kill_group(proc)
    run.seconds = time.monotonic() - started
    if run.error:
        return run
    if not os.path.exists(booted_mark):
        run.unusable = (f"UML exited ({proc.returncode}) before its init script ran; "
                        f"console:\n{run.console_tail(20)}")
        return run
    try:
        with open(os.path.join(results, STATUS_FILE)) as f:
            run.status = int(f.read().strip())
    except (OSError, ValueError):
        run.error = f"UML ended ({proc.returncode}) without the driver's exit status"
        return run
    if run.status != 0:
        run.error = f"the driver inside UML exited with status {run.status}"
    return run


PYTHON = "/usr/bin/python3"


def boot_cases(vigild: str, cases_file: str, modules: list[str], case_timeout: float,
               total_timeout: float):
    """Boots one UML kernel that runs the case driver ``cases_file`` (``--results``,
    ``--vigild``) with the build of ``vigild``; yields the run and closes it (for a
    module-scoped pytest fixture)."""
    build = os.path.dirname(os.path.dirname(vigild))  # $VIGIL_BUILD/apps/vigild
    driver = [PYTHON, os.path.abspath(cases_file), "--results", GUEST_RESULTS,
              "--vigild", os.path.abspath(vigild)]
    run = boot(driver, os.path.abspath(build), modules=modules, boot_timeout=90,
               case_timeout=case_timeout, total_timeout=total_timeout)
    try:
        yield run
    finally:
        run.close()


def case_result(run: UmlRun, name: str, what: str = "case", logs=None,
                console_lines: int = 150) -> dict:
    """The result the driver wrote for case ``name``: skips the test if UML cannot run
    here, fails it (with ``logs(result)`` and the console's tail) if there is none or the
    case failed inside UML."""
    import pytest  # only the tests need it, not the drivers that import this module

    if run.unusable:
        pytest.skip(run.unusable)
    path = os.path.join(run.results_dir, f"{name}.json")
    if not os.path.exists(path):
        pytest.fail(f"no result for {what} {name}: {run.error or 'the driver wrote none'}\n"
                    f"UML console (last lines):\n{run.console_tail()}")
    with open(path) as f:
        result = json.load(f)
    if result["error"]:
        extra = f"{logs(result)}\n" if logs else ""
        pytest.fail(f"{what} {name} failed inside UML:\n{result['error']}\n{extra}"
                    f"UML console (last lines):\n{run.console_tail(console_lines)}")
    return result
