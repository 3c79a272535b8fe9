"""Long-lived TCP connections through a virtual server, for the failover labs.

An echo server (SERVER: `server.py PORT CHECK_PORT`, also accepting and closing health
checks on CHECK_PORT) and a client (CLIENT) that keeps N connections from one source
address, each exchanging a line every 100 ms, and reports each connection's progress to a
JSON file. LongConnections runs the client on a lab node and reads that file.
"""

from __future__ import annotations

import json
import os
import textwrap

import lab as lablib

SERVER = textwrap.dedent("""\
    import asyncio, sys
    port, check_port = int(sys.argv[1]), int(sys.argv[2])
    async def echo(reader, writer):
        try:
            while line := await reader.readline():
                writer.write(line)
                await writer.drain()
        except OSError:
            pass
        writer.close()
    async def check(reader, writer):
        writer.close()
    async def main():
        a = await asyncio.start_server(echo, "0.0.0.0", port, backlog=512)
        b = await asyncio.start_server(check, "0.0.0.0", check_port)
        await asyncio.gather(a.serve_forever(), b.serve_forever())
    asyncio.run(main())
    """)

# Opens N connections from SOURCES (addresses joined by ",", taken in turn) to VIP:PORT; each
# sends "i seq" and reads it back every
# 100 ms. Every 200 ms writes {"conns": [[echoes, last echo (monotonic), error, gaps], ...]},
# gaps: [[last echo before it, seconds], ...] for each time more than 0.5 s passed between
# two echoes (bench/director_failover.py reads them); an error ends "at <monotonic time>".
CLIENT = textwrap.dedent("""\
    import asyncio, json, os, sys, time
    vip, port, n, sources, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(","), sys.argv[5]
    conns = [[0, 0.0, "", []] for _ in range(n)]
    async def one(i):
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection(vip, port, local_addr=(sources[i % len(sources)], 0)), 10)
        except Exception as e:
            conns[i][2] = "connect: " + repr(e)
            return
        seq = 0
        while True:
            seq += 1
            msg = f"{i} {seq}\\n".encode()
            try:
                w.write(msg)
                await w.drain()
                line = await r.readline()
            except Exception as e:
                conns[i][2] = f"{e!r} at {time.monotonic():.2f}"
                return
            if line != msg:
                conns[i][2] = f"bad echo {line!r} at {time.monotonic():.2f}"
                return
            now = time.monotonic()
            if conns[i][1] and now - conns[i][1] > 0.5:
                conns[i][3].append([conns[i][1], now - conns[i][1]])
            conns[i][0] += 1
            conns[i][1] = now
            await asyncio.sleep(0.1)
    async def report():
        while True:
            with open(out + ".tmp", "w") as f:
                json.dump({"conns": conns}, f)
            os.replace(out + ".tmp", out)
            await asyncio.sleep(0.2)
    async def main():
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(one(i)))
            await asyncio.sleep(0.005)
        await asyncio.gather(report(), *tasks)
    asyncio.run(main())
    """)



def echo_servers(work: str, port: int, check_port: int) -> lablib.Servers:
    """SERVER (written to `work`) as lablib.Servers: `server.py port check_port` on each node
    started, ready once it listens on `port`."""
    path = os.path.join(work, "server.py")
    with open(path, "w") as f:
        f.write(SERVER)
    return lablib.Servers(lambda node: [lablib.PYTHON, path, str(port), str(check_port)], port,
                          "echo server")


class DirectorPair:
    """Base of the failover labs: directors ``self.lbs`` (lb1, lb2) running vigild
    (``self.vigild``; control sockets <work>/<lb>.ctl) with priorities 150 and 100 in VI_1,
    which holds ``self.vip``. Subclasses give ``config(lb, priority)`` and
    ``scheduled(lb)`` (the real servers in lb's table)."""

    def start_directors(self, servers: int) -> None:
        """Starts vigild on both; returns once lb1 holds the VIP, lb2 is BACKUP and each
        schedules ``servers`` real servers."""
        for lb, prio in zip(self.lbs, (150, 100)):
            self.vigild_procs.append(lb.spawn_vigild(self.vigild, self.config(lb, prio)))
        lb1, lb2 = self.lbs
        lablib.wait_until(lambda: self.vip in lb1.addresses("eth0", "inet") and
                          self.state(lb2) == "BACKUP", timeout=20,
                          message="lb1 master with the VIP, lb2 backup")
        for lb in self.lbs:
            lablib.wait_until(lambda lb=lb: self.scheduled(lb) == servers, timeout=20,
                              message=f"{lb.short} to schedule {servers} real servers")

    def state(self, lb) -> str:
        """VI_1's state on ``lb`` ("?" when vigild does not answer)."""
        out = lb.run([os.path.join(os.path.dirname(self.vigild), "vigilctl"), "-s",
                      f"{self.work}/{lb.short}.ctl", "--json", "instances"], check=False)
        try:
            return {i["name"]: i["state"] for i in json.loads(out.stdout)["instances"]}["VI_1"]
        except (ValueError, KeyError):
            return "?"


class LongConnections:
    """N connections from `source` on `node` to vip:port (the client script in `work`);
    `source` is one address or several, which the connections take in turn."""

    def __init__(self, node, work: str, vip: str, port: int, n: int, source: str | list[str],
                 name: str = "client"):
        self.node, self.vip, self.port, self.n = node, vip, port, n
        self.source = source if isinstance(source, str) else ",".join(source)
        self.script = os.path.join(work, f"{name}.py")
        self.status_path = os.path.join(work, f"{name}.json")
        self.name = name
        self.proc = None
        with open(self.script, "w") as f:
            f.write(CLIENT)

    def start(self) -> None:
        self.proc = self.node.spawn([lablib.PYTHON, self.script, self.vip, str(self.port), str(self.n),
                         self.source, self.status_path], log_name=f"{self.name}.log")

    def conns(self) -> list[list]:
        """[[echoes, last echo (monotonic), error, gaps], ...] as the client last wrote."""
        try:
            with open(self.status_path) as f:
                return json.load(f)["conns"]
        except (OSError, ValueError):
            return []

    def exchanging_since(self, t: float) -> int:
        """The connections with an echo after monotonic time `t` and no error."""
        return sum(1 for _, last, err, _ in self.conns() if not err and last > t)

    def errors(self) -> list[str]:
        return [err for _, _, err, _ in self.conns() if err]

    def gaps_between(self, start: float, end: float) -> list[float]:
        """Each connection's largest gap (over 0.5 s between two echoes) that was still open
        at `start` or began before `end`; connections without one are left out."""
        out = []
        for _, _, _, gaps in self.conns():
            mine = [length for begin, length in gaps if begin + length > start and begin < end]
            if mine:
                out.append(max(mine))
        return out
