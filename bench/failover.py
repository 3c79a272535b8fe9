#!/usr/bin/env python3
"""Benchmark: VRRP failover time, vigil beside keepalived 2.2.7.

Lab: routers r1 (priority 150, the master) and r2 (priority 100) and a client c on one
bridge; VIP 10.99.0.100. The client broadcasts an ARP request for the VIP every 1 ms from a
packet socket (bench/lib/arp_probe.py) and notes the first ARP frame for the VIP sent by
r2's MAC (its reply to a request, or its gratuitous ARP). Measured: from the moment r1 is
stopped to that frame.

  SIGKILL: every process of r1's daemon is stopped, then killed (see benchlib.kill_namespace
           for why not simply killed in turn). r1's kernel keeps the VIP (and
           keeps answering for it); r2 must notice the silence: target Master_Down_Interval
           (3 x advert_int + Skew_Time) + 20 ms.
  SIGTERM: only the daemon's main process is signalled, as `systemctl stop` would; r1 sends
           a priority-0 advert and r2 takes over after Skew_Time: target Skew_Time + 20 ms.

Cases: VRRPv2 advert_int 1 and VRRPv3 advert_int 0.05, --runs of each (default 5), the same
with keepalived as both routers. Resolution: the prober's largest send gap (printed).
"""
import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
import benchlib as bl  # noqa: E402

VIP = "10.99.0.100"
PRIO_MASTER, PRIO_BACKUP = 150, 100
PROBE = str(Path(__file__).resolve().parent / "lib" / "arp_probe.py")


def conf(kind: str, work: str, tag: str, version: int, advert: float, priority: int) -> str:
    glob = f"    router_id {tag}\n"
    if kind == "vigil":
        glob += f"    vigil_control_socket {work}/{tag}.ctl\n"
    adv = f"{advert:g}"
    return (f"global_defs {{\n{glob}}}\n"
            "vrrp_instance VI_1 {\n"
            "    state BACKUP\n"
            "    interface eth0\n"
            "    virtual_router_id 51\n"
            f"    version {version}\n"
            f"    priority {priority}\n"
            f"    advert_int {adv}\n"
            "    virtual_ipaddress {\n"
            f"        {VIP}/16\n"
            "    }\n"
            "}\n")


def skew(advert: float) -> float:
    return (256 - PRIO_BACKUP) * advert / 256.0


def master_down(advert: float) -> float:
    return 3 * advert + skew(advert)


class Pair:
    """Two routers and a client in one lab, running `kind` (vigil or keepalived)."""

    def __init__(self, lab, kind: str, version: int, advert: float):
        self.lab, self.kind, self.version, self.advert = lab, kind, version, advert
        self.r1 = lab.add_node("r1")
        self.r2 = lab.add_node("r2")
        self.c = lab.add_node("c")
        self.r1_mac = self.r1.mac()
        self.r2_mac = self.r2.mac()
        work = lab.workdir
        self.d1 = bl.Daemon(self.r1, kind, conf(kind, work, "r1", version, advert, PRIO_MASTER),
                            "r1")
        self.d2 = bl.Daemon(self.r2, kind, conf(kind, work, "r2", version, advert, PRIO_BACKUP),
                            "r2")
        self.d1.start()
        bl.lablib.wait_until(lambda: VIP in self.r1.addresses("eth0"),
                             timeout=master_down(advert) + 10, interval=0.05,
                             message=f"r1 ({kind}) to become master")
        self.d2.start()
        self.steady()

    def steady(self) -> None:
        """Waits until r1 is master and r2 backup, then lets r2 hear a few adverts."""
        bl.lablib.wait_until(
            lambda: VIP in self.r1.addresses("eth0") and VIP not in self.r2.addresses("eth0"),
            timeout=2 * master_down(self.advert) + 15, interval=0.05,
            message="r1 master and r2 backup")
        time.sleep(max(1.0, 3 * self.advert))
        if not (self.d1.alive() and self.d2.alive()):
            raise bl.lablib.LabError(f"a daemon exited:\n{self.d1.log()}\n{self.d2.log()}")

    def one_run(self, sig: int) -> dict:
        timeout = master_down(self.advert) + 5
        cmd = [bl.PYTHON, PROBE, "eth0", VIP, self.r2_mac, self.r1_mac, "0.001", str(timeout)]
        if bl.have("/usr/bin/chrt"):  # a real-time prober keeps its 1 ms rhythm under load
            cmd = ["/usr/bin/chrt", "-f", "10"] + cmd
        argv = self.c.exec_argv(cmd)
        probe = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                 text=True, start_new_session=True)
        self.lab._register(probe)
        try:
            if not select.select([probe.stdout], [], [], 10)[0] or \
                    probe.stdout.readline().strip() != "ready":
                raise bl.lablib.LabError("arp prober did not start")
            # Let it reach its 1 ms rhythm and hear at least one of r1's adverts.
            time.sleep(self.advert + 0.2)
            if sig == signal.SIGKILL:
                t_stop = bl.kill_namespace(self.r1, signal.SIGKILL,
                                           bl.namespace_pids(self.r1))
            else:
                t_stop = time.monotonic()
                os.kill(self.d1.proc.pid, signal.SIGTERM)
            out, _ = probe.communicate(timeout=timeout + 10)
        finally:
            if probe.poll() is None:
                probe.kill()
                probe.wait(timeout=5)
        data = json.loads(out.strip().splitlines()[-1])
        self.d1.wait_exit(10)
        res = data["result"]
        since_advert = None
        if res and res["last_advert"] is not None and res["last_advert_priority"] != 0:
            since_advert = res["t"] - res["last_advert"]
        return {"delay": (res["t"] - t_stop) if res else None, "since_advert": since_advert,
                "adverts": data["master_adverts"],
                "kind": res["kind"] if res else None, "gap": data["max_send_gap"]}

    def restore(self) -> None:
        # After SIGKILL r1's kernel still holds the VIP; a restarted daemon starts clean.
        self.r1.run([bl.IP, "addr", "del", f"{VIP}/16", "dev", "eth0"], check=False)
        self.d1.start()
        self.steady()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", choices=["vigil", "keepalived"], default=None)
    args = ap.parse_args()
    if not bl.need_root():
        return 0
    kinds = ["vigil", "keepalived"]
    if args.only:
        kinds = [args.only]
    if "keepalived" in kinds and not bl.have(bl.KEEPALIVED):
        kinds.remove("keepalived")
    cases = [(2, 1.0), (3, 0.05)]
    results: dict = {}
    gaps = []
    for kind in kinds:
        for version, advert in cases:
            with bl.lablib.Lab() as lab:
                pair = Pair(lab, kind, version, advert)
                for sig in (signal.SIGKILL, signal.SIGTERM):
                    got = []
                    for i in range(args.runs):
                        r = pair.one_run(sig)
                        gaps.append(r["gap"])
                        got.append(r)
                        print(f"  {kind} v{version} advert {advert:g} "
                              f"{signal.Signals(sig).name} run {i + 1}: "
                              f"{bl.fmt_ms(r['delay'])} ms after the signal, "
                              f"{bl.fmt_ms(r['since_advert'])} ms after r1's last advert "
                              f"({r['kind']}; r1 adverts heard: {r['adverts']})", flush=True)
                        pair.restore()
                    results[(kind, version, sig)] = got
    print()
    print(f"failover (ms, min/median/max of {args.runs} runs): r1 stopped -> first ARP for the "
          f"VIP from r2.\nprober resolution: largest gap between two ARP requests "
          f"{bl.fmt_ms(max(gaps) if gaps else None, 2)} ms")

    def cell(vals) -> str:
        if vals is None:
            return "not run"
        ok = [v for v in vals if v is not None]
        text = (f"{bl.fmt_ms(min(ok))}/{bl.fmt_ms(bl.median(ok))}/{bl.fmt_ms(max(ok))}"
                if ok else "none")
        if len(ok) < len(vals):
            text += f" ({len(vals) - len(ok)} n/a)"
        return text

    rows = []
    for version, advert in cases:
        label = f"v{version} advert_int {advert:g}"
        mdi, sk = master_down(advert) + 0.020, skew(advert) + 0.020
        for metric, sig, key, target in (
                ("SIGKILL, from the kill", signal.SIGKILL, "delay",
                 f"< {bl.fmt_ms(mdi)} (Master_Down+20ms)"),
                ("SIGKILL, from r1's last advert", signal.SIGKILL, "since_advert",
                 f"{bl.fmt_ms(mdi - 0.020)}..{bl.fmt_ms(mdi)}"),
                ("SIGTERM (priority 0)", signal.SIGTERM, "delay",
                 f"< {bl.fmt_ms(sk)} (Skew+20ms)")):
            cells = []
            for kind in ("vigil", "keepalived"):
                runs = results.get((kind, version, sig))
                cells.append(cell(None if runs is None else [r[key] for r in runs]))
            rows.append([f"{label} {metric}", cells[0], cells[1], target])
    bl.print_table(["metric", "vigil", "keepalived 2.2.7", "target"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
