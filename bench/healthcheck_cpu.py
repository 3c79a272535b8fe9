#!/usr/bin/env python3
"""Benchmark: health-checker CPU cost and probe punctuality, vigil beside haproxy.

vigild -C checks --servers "real servers" (default 10,000; 100 per virtual server, load
balanced through nftables) with TCP_CHECK at delay_loop 1. bench_tcp_sink (bench/tcp_sink.cc)
plays every server: it accepts on port 9000 of every address and timestamps each SYN with a
packet socket. Two set-ups (--setup, default both), each measured for each checker:

  loopback  one lab namespace; the servers are 127.1.x.y (all of 127/8 reaches lo;
            connection tracking is switched off on lo). On lo the kernel runs the receive
            side of every packet inside the sender's system call, so the checker is billed
            for its own work plus the receive work of both ends, the servers' half of every
            handshake included.
  link      the checker in namespace "lb", the sink in namespace "rs", joined by a veth
            pair; the servers are 10.201.x.y, local in rs through an AnyIP route and routed
            there from lb (connection tracking off on the pair in both). The checker (and
            every process it forks) is pinned to CPU 0, the sink to CPU 1, and the receive
            processing of both veth ends is steered to CPU 1 (RPS), as a NIC's interrupt on
            another core would run it: the checker is billed for its own system calls
            (sending included) and user space, and CPU 1's softirq time shows the receive
            work of both ends. A spinner at SCHED_IDLE keeps CPU 1 from idling, so that its
            tick goes on sampling that time (tick-based accounting misses softirq work that
            an idle CPU runs with its tick stopped).

After --warmup seconds, over a --window of 20 s:

  CPU      utime+stime of vigild's checker process (/proc/PID/stat), as % of one core and
           per 1,000 probes (probes = SYNs the sink saw in the window);
  softirq  (link) CPU 1's softirq time (/proc/stat), as % of one core: the receive work
           the checker is no longer billed for (and anything else CPU 1 received meanwhile);
  lateness for every two consecutive probes of one server, (interval - delay_loop): how much
           later than its schedule a probe started (p50/p99/max), seen from the SYNs;
  stalls   the probes more than 100 ms late, by the tenth of a second of the window they
           were sent in: a stall of the checker's loop shows as one burst. With
           --audit-log vigild runs with -D and its audits of the kernel table are printed
           beside them (their time and CPU cost), to tell whether a stall was an audit.

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


# The link set-up's CPUs: the checker on one, the sink and all receive processing on the
# other.
CHECKER_CPU = 0
RX_CPU = 1

SETUP_TITLES = {
    "loopback": "Set-up loopback: servers 127.1.x.y on lo in the checker's namespace. "
                "Billed to the checker: its own work plus the kernel's receive work for both "
                "ends of every probe (lo runs it inside the sender's system calls).",
    "link": f"Set-up link: servers 10.201.x.y in namespace rs behind a veth pair; checker "
            f"pinned to CPU {CHECKER_CPU}, sink to CPU {RX_CPU}, receive steered (RPS) to "
            f"CPU {RX_CPU}. Billed to the checker: its user space and its own system calls "
            f"(sending included); the receive work of both ends is in the core {RX_CPU} "
            f"softirq row.",
}


def haproxy_conf(count: int, per_vs: int, base: str) -> str:
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
            out.append(f"    server s{n} {bl.real_address(n, base)}:{bl.SINK_PORT} check "
                       "inter 1s")
    return "\n".join(out) + "\n"


def vigil_conf(work: str, count: int, per_vs: int, base: str) -> str:
    return ("global_defs {\n    router_id bench\n"
            f"    vigil_control_socket {work}/vigil.ctl\n"
            "    vigil_lb_backend nftables\n}\n" +
            bl.virtual_servers_text(count, per_vs, base=base))


def cpus_allowed(pid: int) -> str:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Cpus_allowed_list:"):
                return line.split(":", 1)[1].strip()
    return "?"


def stalls(records, start: float, end: float) -> list[tuple[float, int]]:
    """Returns [(second of the window, probes)] of the probes more than 100 ms late, by the
    tenth of a second they were sent in: a stall of the checker's loop is one burst."""
    last: dict[str, float] = {}
    out: dict[float, int] = {}
    for t, addr in sorted(records):
        if start <= t < end and addr in last and t - last[addr] > 1.1:
            k = round(t - start, 1)
            out[k] = out.get(k, 0) + 1
        last[addr] = t
    return sorted(out.items())


def measure(kind: str, setup: str, count: int, per_vs: int, warmup: float,
            window: float, audit_log: bool = False) -> dict:
    with bl.lablib.Lab() as lab:
        if setup == "loopback":
            node = lab.add_node("lb")
            bl.untrack_loopback(node)
            sink, out = bl.start_sink(node)
            cpu, base = None, bl.LOOPBACK_SERVERS
        else:
            link = bl.link_real_servers(lab, rx_cpu=RX_CPU)
            node = link.lb
            sink, out = bl.start_sink(link.rs, ifname=link.dev, cpu=RX_CPU)
            bl.keep_ticking(link.rs, RX_CPU)
            cpu, base = CHECKER_CPU, bl.LINK_SERVERS
        if kind == "vigil":
            daemon = bl.Daemon(node, "vigil", vigil_conf(lab.workdir, count, per_vs, base),
                               "vigil",
                               extra_args=["-C", "-D"] if audit_log else ["-C"], cpu=cpu)
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
                f.write(haproxy_conf(count, per_vs, base))
            proc = node.spawn(bl.pinned([bl.HAPROXY, "-db", "-f", conf], cpu),
                              log_name="haproxy.log")
            started = time.monotonic()
            time.sleep(1)
            if proc.poll() is not None:
                with open(proc.log_path) as f:
                    raise bl.lablib.LabError(f"haproxy exited:\n{f.read()[-3000:]}")
            pids = {"haproxy": proc.pid}
        main_key = "vigild checker" if kind == "vigil" else "haproxy"
        time.sleep(max(0.0, started + warmup - time.monotonic()))
        cpu_a = {k: bl.proc_cpu_seconds(p) for k, p in pids.items()}
        main_pid_a = bl.proc_cpu_split(pids[main_key])
        soft_a, net_rx_a = bl.cpu_softirq_seconds(RX_CPU), bl.softirq_counts("NET_RX")
        t_a = time.monotonic()
        time.sleep(window)
        cpu_b = {k: bl.proc_cpu_seconds(p) for k, p in pids.items()}
        main_pid_b = bl.proc_cpu_split(pids[main_key])
        soft_b, net_rx_b = bl.cpu_softirq_seconds(RX_CPU), bl.softirq_counts("NET_RX")
        t_b = time.monotonic()
        affinity = cpus_allowed(pids[main_key])
        records = bl.stop_sink(sink, out)
        # The window's start in the log's clock, and the checker's audits (debug lines).
        window_wall = time.time() - (time.monotonic() - t_a)
        audits = [ln for ln in daemon.log().splitlines() if "audit" in ln] \
            if kind == "vigil" and audit_log else []
        with open(sink.log_path, errors="replace") as f:
            sink_log = f.read().strip()
    probes, gaps = bl.probe_intervals(records, t_a, t_b)
    span = t_b - t_a
    cpu = {k: cpu_b[k] - cpu_a[k] for k in pids}
    late = [g - 1.0 for g in gaps]
    return {"kind": kind, "setup": setup, "span": span, "probes": probes, "cpu": cpu,
            "core_pct": 100 * cpu[main_key] / span,
            # On loopback the kernel runs both ends of every handshake in the checker's
            # context, so user space is shown apart.
            "user_pct": 100 * (main_pid_b[0] - main_pid_a[0]) / span,
            "ms_per_1000": 1000 * cpu[main_key] / (probes / 1000) if probes else float("nan"),
            "rx_softirq_pct": 100 * (soft_b - soft_a) / span,
            "net_rx_per_s": [(b - a) / span for a, b in zip(net_rx_a, net_rx_b)],
            "affinity": affinity, "sink_log": sink_log,
            "late": late, "stalls": stalls(records, t_a, t_b), "audits": audits,
            "window_wall": window_wall, "servers_seen": len({a for t, a in records if t_a <= t < t_b})}


def print_table(setup: str, res: dict, args) -> None:
    def get(kind, f):
        return f(res[kind]) if kind in res else "not run"

    print()
    print(SETUP_TITLES[setup])
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
    if setup == "link":
        rows.append([f"receive softirq on core {RX_CPU}, % of a core",
                     get("vigil", lambda r: f"{r['rx_softirq_pct']:.1f}"),
                     get("haproxy", lambda r: f"{r['rx_softirq_pct']:.1f}"), ""])
    for name, q in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
        rows.append([f"probe lateness {name} (ms)",
                     get("vigil", lambda r: bl.fmt_ms(bl.quantile(r["late"], q), 2)),
                     get("haproxy", lambda r: bl.fmt_ms(bl.quantile(r["late"], q), 2)),
                     "< 10" if name == "p99" else ""])
    bl.print_table(["metric", "vigil", "haproxy 2.6", "target"], rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", type=int, default=10000)
    ap.add_argument("--per-vs", type=int, default=100)
    ap.add_argument("--warmup", type=float, default=8)
    ap.add_argument("--window", type=float, default=20)
    ap.add_argument("--only", choices=["vigil", "haproxy"])
    ap.add_argument("--audit-log", action="store_true",
                    help="run vigild with -D and print when it audited the kernel table")
    ap.add_argument("--setup", choices=["loopback", "link", "both"], default="both",
                    help="where the real servers are (default: both, one table each)")
    args = ap.parse_args()
    if args.servers > 65536 and args.setup != "loopback":
        ap.error(f"the link set-up has room for 65,536 servers ({bl.LINK_SERVERS_NET})")
    if not bl.need_root():
        return 0
    for b in ("tcp_sink",):
        if not bl.have(bl.bench_binary(b)):
            print(f"skipped: {bl.bench_binary(b)} is not built")
            return 0
    if args.setup != "loopback" and (os.cpu_count() or 1) <= max(CHECKER_CPU, RX_CPU):
        print(f"skipped: the link set-up needs CPUs {CHECKER_CPU} and {RX_CPU}")
        return 0
    kinds = [args.only] if args.only else ["vigil", "haproxy"]
    if "haproxy" in kinds and not bl.have(bl.HAPROXY):
        kinds.remove("haproxy")
    setups = ["loopback", "link"] if args.setup == "both" else [args.setup]
    for setup in setups:
        res = {}
        for kind in kinds:
            res[kind] = measure(kind, setup, args.servers, args.per_vs, args.warmup,
                                args.window, args.audit_log)
            r = res[kind]
            print(f"  {setup} {kind}: {r['probes']} probes in {r['span']:.1f} s "
                  f"({r['probes'] / r['span']:.0f}/s, {r['servers_seen']} servers), CPU " +
                  ", ".join(f"{k} {v:.2f} s" for k, v in r["cpu"].items()) +
                  f"; checker on CPUs {r['affinity']}; NET_RX softirqs/s by CPU " +
                  " / ".join(f"{x:.0f}" for x in r["net_rx_per_s"]) +
                  (f"; CPU {RX_CPU} softirq {r['rx_softirq_pct']:.1f} %" if setup == "link"
                   else ""), flush=True)
            print(f"  {setup} {kind}: probes > 100 ms late, by second of the window: " +
                  (", ".join(f"{t:.1f} s {n}" for t, n in r["stalls"]) or "none"), flush=True)
            if r["audits"]:
                start = time.strftime("%H:%M:%S", time.localtime(r["window_wall"]))
                print(f"  the window starts at {start}.{int(r['window_wall'] % 1 * 1000):03d}; "
                      "vigild's audits:\n    " + "\n    ".join(r["audits"]), flush=True)
            if r["sink_log"]:
                print(f"  sink: {r['sink_log'][-500:]}", flush=True)
        print_table(setup, res, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
