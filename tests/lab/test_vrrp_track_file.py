"""Lab test: vrrp_track_file through inotify. The file's directory is watched, so a file
written in place, renamed over, or deleted changes the instance's priority as soon as the
kernel reports it (keepalived's rules: the number times the weight; a deleted file is 0),
never by reading the file on a clock: each change in the log names its inotify event."""

from __future__ import annotations

import os
import signal

import pytest

import lab as lablib
from test_vrrp_track_process import instance as priority
from vrrp_lab import Spec, VrrpLab

CONF = """global_defs {{
  vigil_control_socket {w}/r1.ctl
}}
vrrp_track_file weightfile {{
  file {path}
}}
vrrp_track_file gone_dir {{
  file {w}/no-such-dir/x
}}
vrrp_instance VI_1 {{
  interface eth0
  virtual_router_id 72
  priority 100
  advert_int 1
  virtual_ipaddress {{
    10.99.0.100/16
  }}
  track_file {{
    weightfile weight 2
    gone_dir weight 0
  }}
}}
"""


def test_track_file_follows_inotify(lab, vigild):
    vigilctl = os.path.join(os.path.dirname(vigild), "vigilctl")
    w = lab.workdir
    d = os.path.join(w, "track")
    os.mkdir(d)
    path = os.path.join(d, "weight")
    r1 = lab.add_node("r1")
    daemon = r1.spawn_vigild(vigild, CONF.format(w=w, path=path))

    def wait_priority(p):
        lablib.wait_until(lambda: (priority(r1, vigilctl, w) or ("", 0))[1] == p, timeout=10,
                          message=f"effective priority {p}")

    # No file yet: 0. The track file in a missing directory is dropped (keepalived drops
    # it too): its weight 0 would otherwise fault the instance.
    wait_priority(100)
    assert priority(r1, vigilctl, w)[0] in ("BACKUP", "MASTER")

    with open(path, "w") as f:  # created and written in place
        f.write("5\n")
    wait_priority(110)

    tmp = os.path.join(d, ".weight.tmp")
    with open(tmp, "w") as f:
        f.write("0x0a\n")  # keepalived reads it as C does: hex
    os.rename(tmp, path)  # replaced
    wait_priority(120)

    os.unlink(path)  # deleted: 0
    wait_priority(100)

    log = open(daemon.log_path, encoding="utf-8", errors="replace").read()
    for line in (f"track_file {path}: value 0 -> 5 (inotify IN_CLOSE_WRITE)",
                 f"track_file {path}: value 5 -> 10 (inotify IN_MOVED_TO)",
                 f"track_file {path}: value 10 -> 0 (inotify IN_DELETE)",
                 f"track_file {w}/no-such-dir/x: its directory {w}/no-such-dir does not exist; "
                 "not tracked"):
        assert line in log, log
    assert "(poll)" not in log and "read every second" not in log


def read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


@pytest.mark.parametrize("kind", ["vigil", "keepalived"])
def test_init_file_writes_the_file_at_start_and_creates_it_at_reload(lab, vigild, kind):
    """track_file init_file [VALUE] [overwrite] (keepalived 2.2.7): a missing file gets VALUE
    (default 0) at start and at a reload; an existing one is rewritten only with overwrite,
    and only at start. A VALUE outside -254..254 is reported and still written, one that is
    not an int reported and 0 written."""
    vl = VrrpLab(lab, vigild)
    r1 = vl.router("r1", kind)
    d = os.path.join(lab.workdir, "track")
    os.mkdir(d)
    path = {n: os.path.join(d, n) for n in ("made", "zero", "kept", "over", "big", "bad")}
    with open(path["kept"], "w") as f:
        f.write("1\n")
    with open(path["over"], "w") as f:
        f.write("1\n")
    inits = {"made": "init_file 5", "zero": "init_file", "kept": "init_file 7",
             "over": "init_file overwrite -3", "big": "init_file 300", "bad": "init_file 5 5x"}
    top = "".join(f"track_file {n} {{\n    file {path[n]}\n    {inits[n]}\n}}\n" for n in path)
    r1.start(Spec(version=3, interval=0.1), 100, top=top,
             extra="track_file {\n    made weight 2\n}")
    lablib.wait_until(lambda: read(path["zero"]) is not None, timeout=10, message="files written")
    assert {n: read(p) for n, p in path.items()} == {
        "made": "5\n", "zero": "0\n", "kept": "1\n", "over": "-3\n", "big": "300\n",
        "bad": "0\n"}
    if kind == "vigil":  # the engine reads the file written before it started
        lablib.wait_until(lambda: r1.instances()["VI_1"]["effective_priority"] == 110,
                          timeout=10, message="priority 110")

    os.unlink(path["zero"])
    with open(path["over"], "w") as f:
        f.write("4\n")
    r1.proc.send_signal(signal.SIGHUP)
    lablib.wait_until(lambda: read(path["zero"]) is not None, timeout=10, message="recreated")
    assert read(path["zero"]) == "0\n"
    assert read(path["over"]) == "4\n"  # not overwritten at a reload
