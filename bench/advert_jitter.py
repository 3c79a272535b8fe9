#!/usr/bin/env python3
"""Benchmark: how regularly the master sends its VRRP adverts, vigil beside keepalived.

One router r1 runs two VRRP instances as master: VI_2 (VRRPv2, advert_int 1, VRID 51) and
VI_3 (VRRPv3, advert_int 0.05, VRID 52). tshark on the switch's bridge records every advert
(frame.time_epoch) for --duration seconds (default 30); for each instance the figures are
|interval - advert_int| between consecutive adverts: p50 / p99 / max.

  idle:   the daemon runs only the VRRP instances;
  checks: the same daemon also health-checks --servers (default 2,000) TCP_CHECK real servers
          at delay_loop 1 against local listeners in r1's namespace (bench_tcp_sink), i.e.
          its checker process is busy on the same 2-core machine.

Reference: keepalived 2.2.7 with the same VRRP instances. This kernel has no IPVS, and
keepalived's checker process exits (FATAL) when it cannot program its virtual servers, so in
its 'checks' case the same 2,000 checks are run by a `vigild -C` beside it in r1's namespace:
the machine carries the same probe load, in another process, as it does for vigil (whose
checker is a separate process too).
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
import benchlib as bl  # noqa: E402

INSTANCES = ((2, 1.0, 51), (3, 0.05, 52))


def conf(kind: str, work: str, servers: int, vrrp: bool = True, tag: str = "r1") -> str:
    g = f"    router_id {tag}\n"
    if kind == "vigil":
        g += f"    vigil_control_socket {work}/{tag}.ctl\n    vigil_lb_backend nftables\n"
    text = f"global_defs {{\n{g}}}\n"
    if not vrrp:
        return text + bl.virtual_servers_text(servers)
    for version, advert, vrid in INSTANCES:
        text += (f"vrrp_instance VI_{version} {{\n"
                 "    state MASTER\n"
                 "    interface eth0\n"
                 f"    virtual_router_id {vrid}\n"
                 f"    version {version}\n"
                 "    priority 150\n"
                 f"    advert_int {advert:g}\n"
                 "    virtual_ipaddress {\n"
                 f"        10.99.1.{vrid}/16\n"
                 "    }\n"
                 "}\n")
    if servers:
        text += bl.virtual_servers_text(servers)
    return text


def run_case(kind: str, servers: int, duration: float) -> dict:
    with bl.lablib.Lab() as lab:
        r1 = lab.add_node("r1")
        sink = None
        if servers:
            bl.untrack_loopback(r1)
            sink, sink_out = bl.start_sink(r1)
        if kind == "keepalived" and servers:
            checker = bl.Daemon(r1, "vigil", conf("vigil", lab.workdir, servers, vrrp=False,
                                                  tag="chk"), "chk", extra_args=["-C"])
            checker.start()
            servers_here = 0
        else:
            servers_here = servers
        daemon = bl.Daemon(r1, kind, conf(kind, lab.workdir, servers_here), "r1")
        daemon.start()
        vips = [f"10.99.1.{vrid}" for _, _, vrid in INSTANCES]
        bl.lablib.wait_until(lambda: all(v in r1.addresses("eth0") for v in vips)
                             or not daemon.alive(), timeout=30, interval=0.1,
                             message="r1 master of both instances")
        if not daemon.alive():
            raise bl.lablib.LabError(f"{kind} exited:\n{daemon.log()[-3000:]}")
        if kind == "keepalived" and servers and not checker.alive():
            raise bl.lablib.LabError(f"vigild -C exited:\n{checker.log()[-3000:]}")
        time.sleep(5 if servers else 1)  # let the checker reach its rhythm
        assert lab.switch is not None
        t_a = time.monotonic()
        cap = lab.switch.start_capture(lab.BRIDGE, duration=duration, bpf="ip proto 112")
        try:
            cap.process.wait(timeout=duration + 20)
        except subprocess.TimeoutExpired:
            cap.stop()
        t_b = time.monotonic()
        alive = daemon.alive()
        probes = None
        if sink is not None:
            records = bl.stop_sink(sink, sink_out)
            probes = bl.probe_intervals(records, t_a, t_b)[0] / (t_b - t_a)
        out = subprocess.run([bl.lablib.TSHARK, "-r", cap.pcap, "-T", "fields", "-e",
                              "frame.time_epoch", "-e", "vrrp.virt_rtr_id", "-E",
                              "separator=,"], capture_output=True, text=True, timeout=120,
                             check=True).stdout
    times: dict[int, list[float]] = {}
    for line in out.splitlines():
        t, _, vrid = line.partition(",")
        if vrid.strip():
            times.setdefault(int(vrid), []).append(float(t))
    res = {"probes": probes, "alive": alive}
    for version, advert, vrid in INSTANCES:
        ts = sorted(times.get(vrid, []))
        dev = [abs((b - a) - advert) for a, b in zip(ts, ts[1:])]
        res[version] = dev
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--only", choices=["vigil", "keepalived"])
    args = ap.parse_args()
    if not bl.need_root():
        return 0
    kinds = [args.only] if args.only else ["vigil", "keepalived"]
    if "keepalived" in kinds and not bl.have(bl.KEEPALIVED):
        kinds.remove("keepalived")
    if not bl.have(bl.bench_binary("tcp_sink")):
        print(f"skipped: {bl.bench_binary('tcp_sink')} is not built")
        return 0
    res = {}
    for kind in kinds:
        for load, servers in (("idle", 0), ("checks", args.servers)):
            r = run_case(kind, servers, args.duration)
            res[(kind, load)] = r
            print(f"  {kind} {load}: adverts v2 {len(r[2]) + 1}, v3 {len(r[3]) + 1}"
                  + (f", checker probes/s {r['probes']:.0f}" if r["probes"] is not None else "")
                  + ("" if r["alive"] else " (the daemon exited!)"), flush=True)
    print()
    print(f"advert interval error |interval - advert_int| in ms, p50 / p99 / max, over "
          f"{args.duration:g} s; 'checks' = {args.servers} TCP_CHECKs at delay_loop 1 in the "
          f"same daemon")

    def cell(kind, load, version) -> str:
        r = res.get((kind, load))
        if r is None:
            return "not run"
        d = r[version]
        if not d:
            return "no adverts"
        return (f"{bl.fmt_ms(bl.quantile(d, 0.5), 2)} / {bl.fmt_ms(bl.quantile(d, 0.99), 2)} / "
                f"{bl.fmt_ms(max(d), 2)}")

    rows = []
    for version, advert, _ in INSTANCES:
        for load in ("idle", "checks"):
            rows.append([f"v{version} advert_int {advert:g}, {load}",
                         cell("vigil", load, version), cell("keepalived", load, version), ""])
    rows.append(["checker probes/s during 'checks'",
                 *[(f"{res[(k, 'checks')]['probes']:.0f}" if (k, "checks") in res else "not run")
                   for k in ("vigil", "keepalived")], f"{args.servers}"])
    bl.print_table(["metric", "vigil", "keepalived 2.2.7", "target"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
