#!/usr/bin/env python3
"""Benchmark: 10,000 HTTP_GET checks under a low inherited open-file limit.

vigild -C -D checks --servers real servers (default 10,000, 100 per virtual server, rr,
nftables) with HTTP_GET of / (status 200; delay_loop 3, connect_timeout 5, retry 0) on
127.1.x.y:9000 in one lab namespace. bench_tcp_sink --http-delay-ms answers every request
with "200 OK" after --delay-ms (default 1,000 ms), so each probe holds its socket that long
and the checker needs thousands of descriptors at once (servers / delay_loop x delay). vigild
starts with a soft RLIMIT_NOFILE of 1,024 (--limit), as a unit without LimitNOFILE would
start it:
- "raised": the hard limit is the bench's own (systemd's default is 524,288; a container
  may hold less), and vigild raises its soft limit to what its checks need, or up to the
  hard limit without CAP_SYS_RESOURCE (daemon/file_limit.h);
- "capped": the hard limit is 1,024 too and CAP_SYS_RESOURCE is dropped from the bounding
  set (setpriv), so the limit stays at 1,024 and the probe queue (check/probe.h) must hold
  the probes that do not fit instead of failing them with EMFILE.

After --warmup s, over a --window s window it reports the checker's open-file limit, its
peak of open descriptors (sampled from /proc every 0.25 s), the probes answered a second
(SYNs at the sink), and the interval between consecutive probes of one server. Over the
whole run: checker DOWN verdicts and EMFILE lines in vigild's log (both must be 0), and the
real servers in the nftables table at the end (must be all of them).
"""
import argparse
import collections
import os
import re
import resource
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
import benchlib as bl  # noqa: E402


FAILED = re.compile(r"HTTP_GET \S+ failed(?: after \S+ \S+)?: (.*?)(?:; checker DOWN)?$")


def conf(work: str, count: int, per_vs: int, delay_loop: float, timeout: int) -> str:
    text = bl.virtual_servers_text(count, per_vs, delay_loop=delay_loop, connect_timeout=timeout,
                                   checker="HTTP_GET")
    text = text.replace(f"            connect_timeout {timeout}\n",
                        f"            connect_timeout {timeout}\n            retry 0\n")
    return ("global_defs {\n    router_id bench\n"
            f"    vigil_control_socket {work}/vigil.ctl\n"
            "    vigil_lb_backend nftables\n}\n" + text)


def destinations(node) -> int:
    proc = node.run([bl.NFT, "list", "table", "inet", "vigil"], check=False, timeout=120)
    # The records (dnat rules); the slots' comments describe the same servers again.
    return sum(1 for line in proc.stdout.splitlines()
               if " dnat " in line and 'comment "vigil-dst ' in line) if proc.returncode == 0 else 0


def open_file_limit(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    return 0, 0


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def failure_reasons(log: str) -> collections.Counter:
    """Counts the failed probes' reasons in vigild's log (the text after the address)."""
    out = collections.Counter()
    for line in log.splitlines():
        m = FAILED.search(line)
        if m:
            out[m.group(1)] += 1
    return out


def measure(args, can_raise: bool) -> dict:
    with bl.lablib.Lab() as lab:
        node = lab.add_node("lb")
        bl.untrack_loopback(node)
        sink, out = bl.start_sink(node, http_delay_ms=args.delay_ms)
        daemon = bl.Daemon(node, "vigil", conf(lab.workdir, args.servers, args.per_vs,
                                               args.delay_loop, args.timeout),
                           "vigil", extra_args=["-C", "-D"])
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1] if can_raise else args.limit
        prefix = ["prlimit", f"--nofile={args.limit}:{hard}"]
        if not can_raise:
            prefix += ["setpriv", "--bounding-set=-sys_resource"]
        daemon.proc = node.spawn(prefix + daemon.argv(), log_name="vigil.log")
        check_pid_file = daemon.pid_files()[2]
        bl.lablib.wait_until(lambda: not daemon.alive() or os.path.exists(check_pid_file),
                             timeout=60, interval=0.2, message="the checker")
        if not daemon.alive():
            raise bl.lablib.LabError(f"vigild exited:\n{daemon.log()[-3000:]}")
        with open(check_pid_file) as f:
            checker = int(f.read().strip())
        started = time.monotonic()
        peak = 0
        while time.monotonic() < started + args.warmup:
            peak = max(peak, open_fds(checker))
            time.sleep(0.25)
        t0 = time.monotonic()
        window_peak = 0
        while time.monotonic() < t0 + args.window:
            window_peak = max(window_peak, open_fds(checker))
            time.sleep(0.25)
        t1 = time.monotonic()
        limit = open_file_limit(checker)
        table = destinations(node)
        log = daemon.log()  # before the sink stops and every probe fails
        records = bl.stop_sink(sink, out)
        daemon.proc.send_signal(signal.SIGTERM)
        daemon.wait_exit(60)
    probes, gaps = bl.probe_intervals(records, t0, t1)
    return {"limit": limit, "peak": max(peak, window_peak), "window_peak": window_peak,
            "rate": probes / (t1 - t0), "gaps": gaps,
            "down": log.count("; checker DOWN"),
            "emfile": log.count("Too many open files") + log.count("EMFILE"),
            "failed": log.count(" failed"), "table": table, "why": failure_reasons(log)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", type=int, default=10000)
    ap.add_argument("--per-vs", type=int, default=100)
    ap.add_argument("--delay-loop", type=float, default=3)
    ap.add_argument("--timeout", type=int, default=5, help="connect_timeout (s)")
    ap.add_argument("--delay-ms", type=float, default=1000, help="the sink's answer delay")
    ap.add_argument("--limit", type=int, default=1024, help="the inherited RLIMIT_NOFILE")
    ap.add_argument("--warmup", type=float, default=12)
    ap.add_argument("--window", type=float, default=20)
    ap.add_argument("--cases", default="raised,capped")
    args = ap.parse_args()
    if not bl.need_root():
        return 0
    if not bl.have(bl.bench_binary("tcp_sink")):
        print(f"skipped: {bl.bench_binary('tcp_sink')} is not built")
        return 0
    cases = args.cases.split(",")
    results = {c: measure(args, can_raise=(c == "raised")) for c in cases}
    print(f"{args.servers} HTTP_GET checks (delay_loop {args.delay_loop:g}, answers after "
          f"{args.delay_ms:g} ms), vigild started with a soft RLIMIT_NOFILE of {args.limit}")
    rows = []
    want = args.servers / args.delay_loop

    def row(name, f, target=""):
        rows.append([name, *[f(results[c]) for c in cases], target])

    row("checker's open-file limit (soft:hard)", lambda r: f"{r['limit'][0]}:{r['limit'][1]}")
    row("checker's open descriptors, peak", lambda r: str(r["peak"]))
    row("probes answered per second", lambda r: f"{r['rate']:.0f}", f"{want:.0f}")
    row("interval per server p50 (s)", lambda r: f"{bl.quantile(r['gaps'], 0.5):.2f}",
        f"{args.delay_loop:g}")
    row("interval per server p99 (s)", lambda r: f"{bl.quantile(r['gaps'], 0.99):.2f}")
    row("interval per server max (s)", lambda r: f"{max(r['gaps'], default=0):.2f}")
    row("checker DOWN verdicts", lambda r: str(r["down"]), "0")
    row("EMFILE in the log", lambda r: str(r["emfile"]), "0")
    row("real servers in the table at the end", lambda r: str(r["table"]), str(args.servers))
    bl.print_table(["metric", *cases, "target"], rows)
    for c in cases:
        for why, n in results[c]["why"].most_common(5):
            print(f"{c}: {n} probes failed: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
