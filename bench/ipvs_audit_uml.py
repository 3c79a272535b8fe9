#!/usr/bin/env python3
"""Benchmark: what the periodic IPVS audit costs at 1,000 and 10,000 real servers, in UML.

IPVS's generic netlink family sends no events, so the checker engine reads the kernel's
whole table every second (IpvsBackend::MakeAuditJob: one dump of the services and one of
each service's real servers, then the compare with a copy of what vigil applied; an audit
that took T waits max(1 s, 50 T) before the next one). The audit runs on the checker's
audit thread (nice 10) over a generic netlink socket of its own; the loop only takes the
ticket and handles the findings (before a91ecea it ran on the loop, and T was the loop's
time; now it is the thread's CPU time). The host kernel has no IPVS: one User-Mode Linux
kernel (tests/lab/uml.py) runs this file as its driver (--guest). For each size, NAT
virtual servers (rr): 100 × 10, 100 × 100 and 1,000 × 10 real servers (addresses that
nothing answers, and no checker: a real server without one is up, so the guest's CPU goes
to the audit, not to checks), plus the one checked server below; vigild -C -D with the
IPVS backend in the guest's network namespace, and:

- each read of the table: vigild's debug line "ipvs: read N services, M real servers in
  X ms (services A ms, real servers B ms)" (the audit job's read, a steady clock);
- one whole audit (the read + the compare; on the loop: + the rest of the audit's turn):
  from the interval between two audits' reads, about T + max(1 s, 50 T) (over 1.05 s:
  T = (interval + this read - the next read) / 51; at 1 s, T < 20 ms and only the read is
  known); T minus the read is the compare and the rest of the audit's turn;
- the checker loop's stall: one more real server, 127.0.0.1:9000 (a listener), TCP_CHECK
  every 100 ms; a packet socket on lo notes each of its SYNs with the kernel's timestamp:
  an interval over 100 ms is the loop's lateness (a control request would not do: the
  report it asks of the checker costs more than the audit at 10,000). The audit thread
  still shares the UML guest's CPU with the loop, at nice 10;
- the checker process's CPU share over the window;
- the reference: `ipvsadm -Ln` on the same table (after vigild stopped with -I, the table
  kept), and on an empty table (what exec + ipvsadm's start cost in UML).
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here / "lib"))
sys.path.insert(0, str(here.parent / "tests" / "lab"))

# (virtual servers, real servers each): the read is one dump per virtual server, so the
# third size has the second's real servers in ten times the virtual servers.
SIZES = ((100, 10), (100, 100), (1000, 10))
MODULES = ["ip_vs", "ip_vs_rr"]
WORK = "/tmp/ipvs-audit"
PROBE_EVERY = 0.1                  # delay_loop of the one checked real server (s)
PROBE_PORT = 9000                  # its port on 127.0.0.1 (a listener answers its SYNs)
SO_TIMESTAMPNS = 35
AUDITS = 4                         # full-table audits to see per size (bounded by WINDOW_MAX)
# A window ends after AUDITS + 1 reads of the whole table (WINDOW_MIN at least), or at
# WINDOW_MAX: an audit of T seconds waits 50 T before the next one, so at 1,000 virtual
# servers (T over 1 s in UML) the window holds two or three.
WINDOW_MIN, WINDOW_MAX = 10.0, 120.0
READ_LINE = re.compile(r"^(\S+ \S+) .*ipvs: read (\d+) services, (\d+) real servers in "
                       r"([\d.]+) ms \(services ([\d.]+) ms, real servers ([\d.]+) ms\)")


# -- guest side ----------------------------------------------------------------------------

def config(services: int, per: int) -> str:
    lines = ["global_defs {", "    vigil_lb_backend ipvs",
             f"    vigil_control_socket {WORK}/ctl", "}"]
    for v in range(services):
        lines += [f"virtual_server {ipaddress.IPv4Address('10.200.0.1') + v} 80 {{",
                  "    delay_loop 60", "    lb_algo rr", "    lb_kind NAT", "    protocol TCP"]
        for r in range(per):
            rs = ipaddress.IPv4Address("10.201.0.1") + v * per + r
            lines += [f"    real_server {rs} 80 {{", "        weight 1", "    }"]
        lines.append("}")
    # The loop's clock: one real server checked every PROBE_EVERY (see SynWatch).
    lines += ["virtual_server 10.199.0.1 80 {", f"    delay_loop {PROBE_EVERY:g}", "    lb_algo rr",
              "    lb_kind NAT", "    protocol TCP", f"    real_server 127.0.0.1 {PROBE_PORT} {{",
              "        TCP_CHECK {", "            connect_timeout 10", "        }", "    }", "}"]
    return "\n".join(lines) + "\n"


def table_counts() -> tuple[int, int]:
    """(services, real servers) in the kernel's table, from /proc/net/ip_vs (no exec)."""
    services = destinations = 0
    with open("/proc/net/ip_vs") as f:
        for line in f:
            if line.startswith(("TCP ", "UDP ", "SCTP ", "FWM ")):
                services += 1
            elif line.lstrip().startswith("->") and "RemoteAddress" not in line:
                destinations += 1
    return services, destinations


def time_ipvsadm(runs: int = 5) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(["ipvsadm", "-Ln"], stdout=subprocess.DEVNULL, check=True)
        out.append((time.monotonic() - t0) * 1000)
    return out


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of process ``pid``."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


class SynWatch(threading.Thread):
    """Notes the kernel's receive time (SO_TIMESTAMPNS) of every SYN to 127.0.0.1:PROBE_PORT on
    lo: the checker loop's probe of the one checked real server, every PROBE_EVERY when the
    loop is on time."""

    def __init__(self):
        super().__init__(daemon=True)
        self.times: list[float] = []
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.bind(("lo", 0x0800))
        self.sock.settimeout(0.2)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                data, anc, _, address = self.sock.recvmsg(128, 64)
            except socket.timeout:
                continue
            if address[2] != 0 or len(data) < 40 or data[9] != 6:  # PACKET_HOST, TCP
                continue
            ihl = (data[0] & 15) * 4
            port = int.from_bytes(data[ihl + 2:ihl + 4], "big")
            if port != PROBE_PORT or data[ihl + 13] & 0x12 != 0x02:  # SYN without ACK
                continue
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    self.times.append(sec + nsec / 1e9)


def full_reads(log_path: str, destinations: int) -> list[tuple[float, float, float, float]]:
    """The reads of the whole table in vigild's log: (wall time, total, services, real
    servers in ms)."""
    out = []
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = READ_LINE.match(line)
            if m and int(m.group(3)) == destinations:
                at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
                out.append((at, float(m.group(4)), float(m.group(5)), float(m.group(6))))
    return out


def measure(vigild: str, services: int, per: int) -> dict:
    n = services * per
    subprocess.run(["ipvsadm", "-C"], check=True)
    conf = os.path.join(WORK, f"vigild-{n}.conf")
    with open(conf, "w") as f:
        f.write(config(services, per))
    log_path = os.path.join(WORK, f"vigild-{n}.log")
    pid_check = os.path.join(WORK, f"check-{n}.pid")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([vigild, "-n", "-l", "-D", "-C", "-I", "-f", conf,
                                 "-p", os.path.join(WORK, f"vigild-{n}.pid"), "-c", pid_check],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    out: dict = {"services": services, "real_servers": n}
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", PROBE_PORT))
    listener.listen(1024)
    try:
        t0 = time.monotonic()
        deadline = t0 + 180
        while table_counts() != (services + 1, n + 1):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the table never reached {services}/{n}: {table_counts()}")
            time.sleep(0.2)
        out["applied_s"] = round(time.monotonic() - t0, 2)
        deadline = time.monotonic() + 30
        while not os.path.exists(pid_check):
            if time.monotonic() > deadline:
                raise RuntimeError("no checker pid file")
            time.sleep(0.1)
        with open(pid_check) as f:
            checker = int(f.read().split()[0])
        watch = SynWatch()
        w0, wall0, cpu0 = time.monotonic(), time.time(), cpu_seconds(checker)
        watch.start()
        while True:
            elapsed = time.monotonic() - w0
            reads = [r for r in full_reads(log_path, n + 1) if r[0] >= wall0]
            if elapsed >= WINDOW_MAX or (elapsed >= WINDOW_MIN and len(reads) > AUDITS):
                break
            time.sleep(0.5)
        watch.stop.set()
        watch.join(timeout=10)
        window = time.monotonic() - w0
        out["window_s"] = round(window, 1)
        cpu1 = cpu_seconds(checker)
        out["checker_user_pct"] = round(100 * (cpu1[0] - cpu0[0]) / window, 1)
        out["checker_system_pct"] = round(100 * (cpu1[1] - cpu0[1]) / window, 1)
        reads = [r for r in full_reads(log_path, n + 1) if r[0] >= wall0]
        out["reads_ms"] = [[r[1], r[2], r[3]] for r in reads]
        out["read_intervals_s"] = [round(b[0] - a[0], 3) for a, b in zip(reads, reads[1:])]
        # Audit k ends (took_k - read_k) after its read's line; the next read ends
        # max(1 s, 50 took_k) + read_k+1 later: took_k = (interval + read_k - read_k+1) / 51.
        out["audits_ms"] = [round(1000 * (b[0] - a[0]) / 51 + (a[1] - b[1]) / 51, 1)
                            for a, b in zip(reads, reads[1:]) if b[0] - a[0] > 1.05]
        out["compares_ms"] = [round(t - a[1], 1) for t, a in zip(
            out["audits_ms"], [a for a, b in zip(reads, reads[1:]) if b[0] - a[0] > 1.05])]
        late = [1000 * (b - a - PROBE_EVERY) for a, b in zip(watch.times, watch.times[1:])]
        # A probe over 50 ms late whose delay (from when it was due to when it left)
        # overlaps a read of the table (the log line's time minus the read's length).
        spans = [(r[0] - r[1] / 1000, r[0]) for r in reads]
        stalls = [(a + PROBE_EVERY, b) for a, b in zip(watch.times, watch.times[1:])
                  if 1000 * (b - a - PROBE_EVERY) > 50]
        out["probe"] = {"count": len(watch.times),
                        "late_median_ms": round(statistics.median(late), 1) if late else None,
                        "late_max_ms": round(max(late), 1) if late else None,
                        "late_over_50_ms": sum(1 for x in late if x > 50),
                        "late_over_50_during_read": sum(
                            1 for due, left in stalls
                            if any(start < left and due < end for start, end in spans)),
                        # Where each of those stalls began, from the nearest read's start (s).
                        "late_over_50_from_read_s": [
                            round(min((due - start for start, _ in spans), key=abs), 3)
                            for due, _ in stalls] if spans else [],
                        "late_top_ms": [round(x, 1) for x in sorted(late)[-5:]]}
        with open(log_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        out["warnings"] = [line for line in text.splitlines()
                           if "load balancer:" in line and "restored" in line][:5]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        listener.close()
    out["table_after_stop"] = list(table_counts())
    out["ipvsadm_ms"] = [round(x, 1) for x in time_ipvsadm()]
    subprocess.run(["ipvsadm", "-C"], check=True)
    return out


def guest(results: str, vigild: str) -> int:
    os.makedirs(WORK, exist_ok=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    result: dict = {"error": "", "sizes": []}
    try:
        result["ipvsadm_empty_ms"] = [round(x, 1) for x in time_ipvsadm()]
        for services, per in SIZES:
            result["sizes"].append(measure(vigild, services, per))
            print(f"driver: {services * per} real servers done", flush=True)
    except Exception:  # noqa: BLE001 - reported by the host
        import traceback
        result["error"] = traceback.format_exc()
    tmp = os.path.join(results, ".audit.tmp")
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
    os.rename(tmp, os.path.join(results, "audit.json"))
    return 0


# -- host side -----------------------------------------------------------------------------

def audit_ms(s: dict) -> str:
    """One whole audit, and what of it is not the read (see the docstring)."""
    audits = s["audits_ms"]
    if not audits:
        return "< 20 (every audit 1 s after the last)"
    return (f"{statistics.median(audits):.0f} / {max(audits):.0f}; not the read: "
            f"{statistics.median(s['compares_ms']):.0f}")


def host() -> int:
    import benchlib as bl
    import uml

    if not bl.need_root():
        return 0
    driver = ["/usr/bin/python3", str(Path(__file__).resolve()), "--guest", "--results",
              uml.GUEST_RESULTS, "--vigild", bl.vigild_path()]
    run = uml.boot(driver, str(bl.build_dir()), modules=MODULES, boot_timeout=90,
                   case_timeout=600, total_timeout=900)
    try:
        if run.unusable:
            print(f"skipped: {run.unusable}")
            return 0
        path = os.path.join(run.results_dir, "audit.json")
        if not os.path.exists(path):
            raise RuntimeError(f"no result: {run.error}\n{run.console_tail(40)}")
        with open(path) as f:
            r = json.load(f)
        if r["error"]:
            raise RuntimeError(f"{r['error']}\n{run.console_tail(40)}")
    finally:
        run.close()
    empty = r["ipvsadm_empty_ms"]
    rows = []
    for s in r["sizes"]:
        reads = s["reads_ms"]
        total = [x[0] for x in reads]
        p = s["probe"]
        rows.append([
            f"{s['real_servers']:,} ({s['services']} × {s['real_servers'] // s['services']})",
            f"{statistics.median(total):.1f} / {max(total):.1f} ({len(total)} reads; services "
            f"{statistics.median(x[1] for x in reads):.1f}, real servers "
            f"{statistics.median(x[2] for x in reads):.1f})" if reads else "-",
            audit_ms(s),
            f"{p['late_median_ms']} / {p['late_max_ms']} ({p['count']} probes, "
            f"{p['late_over_50_ms']} over 50 ms late, {p['late_over_50_during_read']} of "
            "them during a read)",
            f"{s['checker_user_pct']} % user, {s['checker_system_pct']} % system",
            f"{min(s['ipvsadm_ms']):.1f} / {statistics.median(s['ipvsadm_ms']):.1f}"
            f" (empty table {min(empty):.1f})"])
        rows.append(["  detail", f"audit intervals {s['read_intervals_s']} s",
                     f"largest lateness {p['late_top_ms']} ms",
                     f"late over 50 ms at {p.get('late_over_50_from_read_s')} s from a "
                     "read's start", "", ""])
        if s["warnings"]:
            rows.append(["  restorations seen", "; ".join(s["warnings"]), "", "", "", ""])
    bl.print_table(["real servers", "read of the table, median / max (ms)",
                    "one audit, median / max (ms)", "probe lateness, median / max (ms)",
                    "checker CPU", "ipvsadm -Ln, min / median (ms)"], rows)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guest", action="store_true")
    parser.add_argument("--results")
    parser.add_argument("--vigild")
    args = parser.parse_args()
    if args.guest:
        return guest(args.results, args.vigild)
    return host()


if __name__ == "__main__":
    sys.exit(main())
