#!/usr/bin/env python3
"""Benchmark: health-checker CPU cost and probe punctuality, vigil beside haproxy.

One lab namespace holds the "real servers": bench_tcp_sink (bench/tcp_sink.cc) accepting on
port 9000 of every address, the servers being 127.1.x.y (all of 127/8 reaches lo; connection
tracking is switched off on lo). vigild -C checks --servers of them (default 10,000; 100 per
virtual server, load balanced through nftables) with TCP_CHECK at delay_loop 1. After
--warmup seconds, over a --window of 20 s:

  CPU      utime+stime of vigild's checker process (/proc/PID/stat), as % of one core and
           per 1,000 probes (probes = connections the sink accepted in the window);
  lateness for every two consecutive probes of one server, (interval - delay_loop): how much
           later than its schedule a probe started (p50/p99/max), seen from the accepts.

Reference: haproxy (Debian's 2.6, one thread) with the same servers, `check inter 1s`.
Target for vigil: < 15 % of one core and p99 lateness < 10 ms.
"""
import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
import benchlib as bl  # noqa: E402


def haproxy_conf(count: int, per_vs: int) -> str:
    # haproxy sizes its descriptor limit from maxconn plus one per check; keep it under the
    # hard limit (20,000 here) while checks never need maxconn.
    out = ["global", "    nbthread 1", "    maxconn 2000",
           "defaults", "    mode tcp", "    timeout connect 3s", "    timeout client 30s",
           "    timeout server 30s",
           # haproxy refuses to start without a listener; nothing connects to this one.
           "frontend idle", "    bind 127.0.0.2:8999", "    default_backend b0"]
    for v in range((count + per_vs - 1) // per_vs):
        out.append(f"backend b{v}")
        for n in range(v * per_vs, min(count, (v + 1) * per_vs)):
            out.append(f"    server s{n} {bl.real_address(n)}:{bl.SINK_PORT} check inter 1s")
    return "\n".join(out) + "\n"


def vigil_conf(work: str, count: int, per_vs: int) -> str:
    return ("global_defs {\n    router_id bench\n"
            f"    vigil_control_socket {work}/vigil.ctl\n"
            "    vigil_lb_backend nftables\n}\n" + bl.virtual_servers_text(count, per_vs))


def measure(kind: str, count: int, per_vs: int, warmup: float, window: float) -> dict:
    with bl.lablib.Lab() as lab:
        node = lab.add_node("lb")
        bl.untrack_loopback(node)
        sink, out = bl.start_sink(node)
        if kind == "vigil":
            daemon = bl.Daemon(node, "vigil", vigil_conf(lab.workdir, count, per_vs), "vigil",
                               extra_args=["-C"])
            daemon.start()
            main_pid = daemon.proc.pid
            bl.lablib.wait_until(
                lambda: node.run([bl.NFT, "list", "table", "inet", "vigil"], check=False,
                                 timeout=60).returncode == 0 or not daemon.alive(),
                timeout=120, interval=0.5, message="vigild to program nftables")
            if not daemon.alive():
                raise bl.lablib.LabError(f"vigild exited:\n{daemon.log()[-3000:]}")
            started = time.monotonic()
            # The checker engine is vigild's child process.
            kids = bl.lablib.wait_until(lambda: bl.children_of(main_pid), timeout=10)
            pids = {"vigild checker": kids[0], "vigild supervisor": main_pid}
        else:
            conf = os.path.join(lab.workdir, "haproxy.cfg")
            with open(conf, "w") as f:
                f.write(haproxy_conf(count, per_vs))
            proc = node.spawn([bl.HAPROXY, "-db", "-f", conf], log_name="haproxy.log")
            started = time.monotonic()
            time.sleep(1)
            if proc.poll() is not None:
                with open(proc.log_path) as f:
                    raise bl.lablib.LabError(f"haproxy exited:\n{f.read()[-3000:]}")
            pids = {"haproxy": proc.pid}
        time.sleep(max(0.0, started + warmup - time.monotonic()))
        cpu_a = {k: bl.proc_cpu_seconds(p) for k, p in pids.items()}
        main_pid_a = bl.proc_cpu_split(pids["vigild checker" if kind == "vigil" else "haproxy"])
        t_a = time.monotonic()
        time.sleep(window)
        cpu_b = {k: bl.proc_cpu_seconds(p) for k, p in pids.items()}
        main_pid_b = bl.proc_cpu_split(pids["vigild checker" if kind == "vigil" else "haproxy"])
        t_b = time.monotonic()
        records = bl.stop_sink(sink, out)
    probes, gaps = bl.probe_intervals(records, t_a, t_b)
    span = t_b - t_a
    cpu = {k: cpu_b[k] - cpu_a[k] for k in pids}
    main_key = "vigild checker" if kind == "vigil" else "haproxy"
    late = [g - 1.0 for g in gaps]
    return {"kind": kind, "span": span, "probes": probes, "cpu": cpu,
            "core_pct": 100 * cpu[main_key] / span,
            # On loopback the kernel runs both ends of every handshake in the checker's
            # context, so user space is shown apart.
            "user_pct": 100 * (main_pid_b[0] - main_pid_a[0]) / span,
            "ms_per_1000": 1000 * cpu[main_key] / (probes / 1000) if probes else float("nan"),
            "late": late, "servers_seen": len({a for t, a in records if t_a <= t < t_b})}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", type=int, default=10000)
    ap.add_argument("--per-vs", type=int, default=100)
    ap.add_argument("--warmup", type=float, default=8)
    ap.add_argument("--window", type=float, default=20)
    ap.add_argument("--only", choices=["vigil", "haproxy"])
    args = ap.parse_args()
    if not bl.need_root():
        return 0
    for b in ("tcp_sink",):
        if not bl.have(bl.bench_binary(b)):
            print(f"skipped: {bl.bench_binary(b)} is not built")
            return 0
    kinds = [args.only] if args.only else ["vigil", "haproxy"]
    if "haproxy" in kinds and not bl.have(bl.HAPROXY):
        kinds.remove("haproxy")
    res = {}
    for kind in kinds:
        res[kind] = measure(kind, args.servers, args.per_vs, args.warmup, args.window)
        r = res[kind]
        print(f"  {kind}: {r['probes']} probes in {r['span']:.1f} s "
              f"({r['probes'] / r['span']:.0f}/s, {r['servers_seen']} servers), CPU " +
              ", ".join(f"{k} {v:.2f} s" for k, v in r["cpu"].items()), flush=True)

    def get(kind, f):
        return f(res[kind]) if kind in res else "not run"

    print()
    print(f"{args.servers} TCP_CHECK real servers, delay_loop / inter 1 s, window "
          f"{args.window:g} s after {args.warmup:g} s warm-up")
    rows = [
        ["probes per second", get("vigil", lambda r: f"{r['probes'] / r['span']:.0f}"),
         get("haproxy", lambda r: f"{r['probes'] / r['span']:.0f}"), f"{args.servers}"],
        ["checker CPU, % of one core", get("vigil", lambda r: f"{r['core_pct']:.1f}"),
         get("haproxy", lambda r: f"{r['core_pct']:.1f}"), "< 15"],
        ["  of which user space, %", get("vigil", lambda r: f"{r['user_pct']:.1f}"),
         get("haproxy", lambda r: f"{r['user_pct']:.1f}"), ""],
        ["CPU per 1,000 probes (ms)", get("vigil", lambda r: f"{r['ms_per_1000']:.1f}"),
         get("haproxy", lambda r: f"{r['ms_per_1000']:.1f}"), ""],
        ["supervisor CPU, % of one core",
         get("vigil", lambda r: f"{100 * r['cpu']['vigild supervisor'] / r['span']:.2f}"),
         "", ""],
    ]
    for name, q in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
        rows.append([f"probe lateness {name} (ms)",
                     get("vigil", lambda r: bl.fmt_ms(bl.quantile(r["late"], q), 2)),
                     get("haproxy", lambda r: bl.fmt_ms(bl.quantile(r["late"], q), 2)),
                     "< 10" if name == "p99" else ""])
    bl.print_table(["metric", "vigil", "haproxy 2.6", "target"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
