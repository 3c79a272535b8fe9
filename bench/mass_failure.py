#!/usr/bin/env python3
"""Benchmark: a thousand real servers failing at once, and coming back, with 10,000 checked.

vigild -C -D checks --servers real servers (default 10,000, 100 per virtual server, rr,
nftables) with TCP_CHECK (delay_loop 1, connect_timeout 1, retry 0) against bench_tcp_sink
on 127.1.x.y in one lab namespace (as healthcheck_cpu.py's loopback set-up). Once every
server is in the table, an nftables rule in the same namespace answers the SYNs to every
--step-th server (1,000 of 10,000) with a reset: they all fail within one delay_loop. Later
the rule goes and they come back.

Figures, from vigild's own log (millisecond timestamps): "verdicts" is the time from the
first to the last of the 1,000 checker DOWN (or UP) lines, set by the probes' phases within
delay_loop; "table follows" is the time from the last verdict to the end of the load-balancer
update that completes the 1,000 changes and ends after the last verdict (its debug line
"load balancer: N operations applied ... in T ms"), i.e. how far the kernel table lags behind the checkers; of
which T is the update itself (the rest: the event loop getting to it). "transactions" counts
those updates. At the end `nft list table` confirms the table holds exactly the servers
that should be there. Target: the table follows within 100 ms of the last verdict.

A `vigilctl watch --json` runs throughout. "an event reaches vigild" is, per server, the
time from its verdict in the log to vigild's receipt of its real_server event (the event's
time stamp), median; "vigilctl watch has the last event" is the same for the server whose
verdict came last. The run checks that every server's verdict has its event and that the
events are numbered without a gap ("EVENTS WRONG" otherwise).
"""
import argparse
import datetime
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
import benchlib as bl  # noqa: E402

LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \S+: (.*)$")
APPLIED = re.compile(
    r"^load balancer: (\d+) operations? applied( \(netlink batch\))?( in ([\d.]+) ms)?$")


def conf(work: str, count: int, per_vs: int) -> str:
    text = bl.virtual_servers_text(count, per_vs, connect_timeout=1)
    text = text.replace("            connect_timeout 1\n",
                        "            connect_timeout 1\n            retry 0\n")
    return ("global_defs {\n    router_id bench\n"
            f"    vigil_control_socket {work}/vigil.ctl\n"
            "    vigil_lb_backend nftables\n}\n" + text)


def log_events(text: str, since: float):
    """Returns [(epoch seconds, message)] of the log lines at or after `since`."""
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        if t >= since - 0.001:
            out.append((t, m.group(2)))
    return out


def destinations(node) -> int:
    out = node.run([bl.NFT, "-j", "list", "table", "inet", "vigil"], timeout=120).stdout
    return sum(1 for i in json.loads(out)["nftables"]
               if i.get("rule", {}).get("comment", "").startswith("vigil-dst "))


def watched(path: str, health: str, after_seq: int) -> list[dict]:
    """The real_server events with `health` the watcher wrote to `path` after `after_seq`."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")[:-1]
    events = [json.loads(ln) for ln in lines if ln.startswith('{"seq"')]
    return [e for e in events if e["seq"] > after_seq and e["type"] == "real_server" and
            e["health"] == health]


def event_time(e: dict) -> float:
    return datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def verdict_times(log: list, verdict: str) -> dict[str, float]:
    """Each server's last `verdict` in the log: {"127.1.0.5:9000": epoch seconds}."""
    at = {}
    for t, m in log:
        if m.endswith(f"; checker {verdict}") and m.startswith("TCP_CHECK "):
            at[m.split()[1]] = t
    return at


def phase(daemon, node, since: float, verdict: str, want_ops: int, want_dests: int,
          timeout: float, watch_log: str, after_seq: int) -> dict:
    """Waits until `want_ops` operations were applied after `since`; returns the figures."""
    deadline = time.monotonic() + timeout
    while True:
        events = log_events(daemon.log(), since)
        verdicts = [t for t, m in events if m.endswith(f"; checker {verdict}")]
        applies = [(t, int(a.group(1)), float(a.group(4) or "nan")) for t, m in events
                   if (a := APPLIED.match(m))]
        # The table reflects the verdicts at the end of the first update that completes the
        # count of changes and ends after the last verdict (a server that flapped meanwhile
        # adds changes of its own).
        done, took, total = None, None, 0
        last = max(verdicts) if len(verdicts) >= want_ops else None
        for t, n, ms in applies:
            total += n
            # (>=: at 1,000 servers the update is logged in the same millisecond.)
            if total >= want_ops and last is not None and t >= last:
                done, took = t, ms / 1000
                break
        if done is not None:
            break
        if time.monotonic() > deadline:
            raise bl.lablib.LabError(f"{len(verdicts)} verdicts and {total} operations after "
                                     f"{timeout} s")
        time.sleep(0.5)
    # Each server's verdict has its event (a server that flapped: its last of each).
    at = verdict_times(events, verdict)
    health = "DOWN" if verdict == "DOWN" else "UP"

    def last_events() -> dict[str, dict]:
        return {e["real_server"]: e for e in watched(watch_log, health, after_seq)}

    bl.lablib.wait_until(lambda: set(at) <= set(last_events()), timeout=60, interval=0.2,
                         message=f"the watcher's events of {len(at)} verdicts")
    got = last_events()
    lags = {rs: event_time(got[rs]) - t for rs, t in at.items()}
    # Every event of the phase, the quorum's included, numbered without a gap.
    with open(watch_log, encoding="utf-8", errors="replace") as f:
        seqs = [json.loads(ln)["seq"] for ln in f.read().split("\n")[:-1]
                if ln.startswith('{"seq"')]
    seqs = [q for q in seqs if q > after_seq]
    watch_ok = len(at) >= want_ops and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    seen = destinations(node)
    if seen != want_dests or os.environ.get("VIGIL_BENCH_VERBOSE"):
        notes = [m for t, m in log_events(daemon.log(), 0) if m.startswith("load balancer: ")
                 and not APPLIED.match(m)]
        applied = [f"{t - since:.3f} {m}" for t, m in events if APPLIED.match(m)]
        print(f"  table holds {seen} real servers, {want_dests} expected; the checker said:\n  " +
              "\n  ".join(notes[-20:] + applied[:20]) +
              f"\n  verdicts from {min(verdicts) - since:.3f} to {max(verdicts) - since:.3f}",
              flush=True)
    return {"verdicts": len(verdicts), "spread": max(verdicts) - min(verdicts),
            "lag": done - max(verdicts), "from_first": done - min(verdicts),
            "transactions": sum(1 for t, n, ms in applies if t <= done), "took": took,
            "table_ok": seen == want_dests, "seen": seen,
            "watch": lags[max(at, key=at.get)], "watch_ok": watch_ok,
            "watch_each": bl.median(list(lags.values())),
            "last_seq": seqs[-1]}


def measure(count: int, per_vs: int, step: int) -> dict:
    failing = [bl.real_address(n) for n in range(0, count, step)]
    with bl.lablib.Lab() as lab:
        node = lab.add_node("lb")
        bl.untrack_loopback(node)
        bl.start_sink(node)
        daemon = bl.Daemon(node, "vigil", conf(lab.workdir, count, per_vs), "vigil",
                           extra_args=["-C", "-D"])
        daemon.start()
        bl.lablib.wait_until(
            lambda: not daemon.alive() or
            (node.run([bl.NFT, "list", "table", "inet", "vigil"], check=False,
                      timeout=120).returncode == 0 and destinations(node) == count),
            timeout=300, interval=1, message="vigild to put every server in the table")
        if not daemon.alive():
            raise bl.lablib.LabError(f"vigild exited:\n{daemon.log()[-3000:]}")
        watch_log = os.path.join(lab.workdir, "watch.log")
        watcher = node.spawn([str(bl.build_dir() / "apps" / "vigilctl"), "-s",
                              f"{lab.workdir}/vigil.ctl", "watch", "--json"],
                             log_name="watch.log")
        time.sleep(3)  # a few rounds of checks, all healthy
        with open(watch_log) as f:
            start_seq = max([json.loads(ln)["seq"] for ln in f.read().split("\n")[:-1]
                             if ln.startswith('{"seq"')], default=0)
        elements = ", ".join(failing)
        t_fail = time.time()
        node.run([bl.NFT, "-f", "-"], input_text=(
            "table inet bench_fail {\n"
            f"  set failing {{ type ipv4_addr; elements = {{ {elements} }} }}\n"
            "  chain out { type filter hook output priority 0;"
            f" ip daddr @failing tcp dport {bl.SINK_PORT} reject with tcp reset; }}\n"
            "}\n"))
        down = phase(daemon, node, t_fail, "DOWN", len(failing), count - len(failing), 600,
                     watch_log, start_seq)
        time.sleep(2)
        t_back = time.time()
        node.run([bl.NFT, "delete", "table", "inet", "bench_fail"])
        up = phase(daemon, node, t_back, "UP", len(failing), count, 600, watch_log,
                   down["last_seq"])
        watcher.kill()
        daemon.proc.send_signal(signal.SIGTERM)
        daemon.wait_exit(60)
    return {"down": down, "up": up, "failing": len(failing)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", type=int, default=10000)
    ap.add_argument("--per-vs", type=int, default=100)
    ap.add_argument("--step", type=int, default=10, help="every step-th server fails")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    if not bl.need_root():
        return 0
    if not bl.have(bl.bench_binary("tcp_sink")):
        print(f"skipped: {bl.bench_binary('tcp_sink')} is not built")
        return 0
    results = [measure(args.servers, args.per_vs, args.step) for _ in range(args.runs)]
    n = results[0]["failing"]
    print(f"{n} of {args.servers} real servers ({args.servers // args.per_vs} virtual servers "
          f"x {args.per_vs}, rr, nftables) fail at once, then come back; "
          f"{args.runs} run(s), median")
    rows = []
    for key, what in (("down", f"{n} fail"), ("up", f"{n} come back")):
        rs = [r[key] for r in results]
        ok = all(r["table_ok"] for r in rs)
        rows.append([f"{what}: verdicts spread over (s)",
                     f"{bl.median([r['spread'] for r in rs]):.2f}", ""])
        rows.append([f"{what}: table follows the last verdict after (ms)",
                     bl.fmt_ms(bl.median([r["lag"] for r in rs]), 0), "100"])
        rows.append([f"{what}:   of which that update's apply (ms)",
                     bl.fmt_ms(bl.median([r["took"] for r in rs]), 0), ""])
        rows.append([f"{what}: first verdict to table complete (s)",
                     f"{bl.median([r['from_first'] for r in rs]):.2f}", ""])
        rows.append([f"{what}: nftables transactions",
                     f"{bl.median([r['transactions'] for r in rs]):.0f}",
                     "" if ok else "TABLE WRONG"])
        rows.append([f"{what}: an event reaches vigild after its verdict, median (ms)",
                     bl.fmt_ms(bl.median([r["watch_each"] for r in rs]), 1), ""])
        rows.append([f"{what}: vigilctl watch has the last event after the last verdict (ms)",
                     bl.fmt_ms(bl.median([r["watch"] for r in rs]), 1),
                     "" if all(r["watch_ok"] for r in rs) else "EVENTS WRONG"])
    bl.print_table(["metric", "vigil", "target"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
