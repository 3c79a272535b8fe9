"""Lab tests: vigil keeps its nftables table correct against interference.

Someone flushes the ruleset, deletes vigil's table, deletes one element of a dispatch map
or flushes one of its chains: vigil sees the nftables event, logs what was changed, and
rebuilds the table (in one transaction) well within a second; /metrics-style counters
(vigilctl's status) count the restorations. A damaged table at start is rebuilt, not fatal.
The topology is test_lb_engine's: a client, the load balancer and three real servers.
"""

from __future__ import annotations

import json
import os
import signal

import lab as lablib
from test_lb_engine import (NFT, REMOVAL_BOUND, lblab, real_server,  # noqa: F401 (lblab: fixture)
                            virtual_server)


# Restoration bound: the event arrives at once and the rebuild waits 50 ms; a second is the
# promise, the rest is slack for a loaded machine.
RESTORE_BOUND = 3


def vigilctl(lblab) -> str:
    return os.path.join(os.path.dirname(lblab.vigild_path), "vigilctl")


def restorations(lblab) -> dict[str, int]:
    out = lblab.lb.run([vigilctl(lblab), "-s", os.path.join(lblab.work, "ctl"), "status",
                          "--json"]).stdout
    return json.loads(out)["status"].get("lb_restorations", {})


def table_shape(lblab) -> list:
    """Returns the table's objects without handles (the kernel renumbers a rebuilt table)."""
    items = []
    for item in lblab.nft_table() or []:
        for kind, body in item.items():
            body = {k: v for k, v in body.items() if k != "handle"}
            items.append({kind: body})
    return sorted(items, key=lambda i: json.dumps(i, sort_keys=True))


def start(lblab) -> list:
    lblab.start_vigild(virtual_server("".join(real_server(n) for n in lblab.rs)))
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs}, timeout=10)
    lablib.wait_until(lambda: "checker engine started" in lblab.log(), timeout=10,
                      message="the checker engine to start")
    return table_shape(lblab)


def expect_restored(lblab, shape, finding: str, reason: str = "event") -> None:
    lablib.wait_until(lambda: table_shape(lblab) == shape, timeout=RESTORE_BOUND,
                      message="table inet vigil restored")
    lablib.wait_until(lambda: restorations(lblab).get(reason) == 1, timeout=RESTORE_BOUND,
                      message=f"one restoration counted under {reason}")
    log = lblab.log()
    assert finding in log, log[-3000:]
    assert "load balancer: restored 1 service (found by " + reason + ")" in log
    assert sorted(set(lblab.requests(6))) == ["rs1", "rs2", "rs3"]


def test_lb_keep_flush_ruleset_is_restored(lblab):
    shape = start(lblab)
    lblab.lb.run([NFT, "flush", "ruleset"])
    expect_restored(lblab, shape, "load balancer: table inet vigil changed by nft (pid ")
    assert "table deleted" in lblab.log()


def test_lb_keep_deleted_table_is_restored(lblab):
    shape = start(lblab)
    lblab.lb.run([NFT, "delete", "table", "inet", "vigil"])
    expect_restored(lblab, shape, "): chains deleted 8 (")


def test_lb_keep_deleted_dispatch_element_is_restored(lblab):
    shape = start(lblab)
    lblab.lb.run([NFT, "delete", "element", "inet", "vigil", "svc4",
                    "{ tcp . 10.99.0.100 . 80 }"])
    expect_restored(lblab, shape, "): elements deleted 1 (svc4)\n")


def test_lb_keep_flushed_chain_is_restored(lblab):
    shape = start(lblab)
    lblab.lb.run([NFT, "flush", "chain", "inet", "vigil", "s_tcp_10.99.0.100_80"])
    expect_restored(lblab, shape,
                    "): rules deleted 2 (s_tcp_10.99.0.100_80)\n")


def test_lb_keep_own_element_updates_are_quiet_and_a_deleted_slot_is_restored(lblab):
    shape = start(lblab)
    # A server leaves and comes back: vigil's own batches (slot-map elements, a chain) are
    # not reported as changes, and the table ends as it began.
    rs2 = lblab.rs[1]
    lblab.stop_server(rs2)
    lblab.wait_destinations({lblab.dest(lblab.rs[0]): 1, lblab.dest(lblab.rs[2]): 1},
                            timeout=REMOVAL_BOUND)
    lblab.start_server(rs2)
    lblab.wait_destinations({lblab.dest(n): 1 for n in lblab.rs}, timeout=REMOVAL_BOUND)
    assert table_shape(lblab) == shape
    log = lblab.log()
    assert log.count("load balancer: 1 operation applied (netlink batch)") == 2, log[-3000:]
    assert "changed by" not in log
    # Someone deletes one slot of the service's map: seen, logged and restored.
    lblab.lb.run([NFT, "delete", "element", "inet", "vigil", "v_tcp_10.99.0.100_80", "{ 1 }"])
    expect_restored(lblab, shape, "): elements deleted 1 (v_tcp_10.99.0.100_80)\n")


def test_lb_keep_damaged_table_at_start_is_rebuilt(lblab):
    shape = start(lblab)
    # vigild dies without cleaning up, and someone flushes a service chain meanwhile.
    with open(os.path.join(lblab.work, "check.pid")) as f:
        checker = int(f.read())
    os.killpg(lblab.daemon.pid, signal.SIGKILL)
    lblab.daemon.wait(timeout=5)
    lablib.wait_until(lambda: not os.path.exists(f"/proc/{checker}"), timeout=5,
                      message="the checker process gone")
    lblab.lb.run([NFT, "flush", "chain", "inet", "vigil", "s_tcp_10.99.0.100_80"])
    lblab.start_vigild(virtual_server("".join(real_server(n) for n in lblab.rs)))
    lablib.wait_until(lambda: table_shape(lblab) == shape, timeout=10,
                      message="table inet vigil rebuilt")
    assert lblab.daemon.poll() is None
    log = lblab.log()  # the log file starts anew with the second vigild
    assert ("load balancer: table inet vigil is inconsistent: nftables: real server "
            "10.99.0.3:8080 belongs to no service (tcp 10.99.0.100:80); rebuilding it") in log
    assert restorations(lblab) == {"damaged": 1}


def spawn_second(lblab, tag: str, config_id: str | None, port: int):
    """Starts another vigild -C in the load balancer's namespace, for VIP:`port`."""
    conf = os.path.join(lblab.work, f"{tag}.conf")
    servers = "".join(real_server(n) for n in lblab.rs)
    with open(conf, "w") as f:
        f.write(f"global_defs {{\n    vigil_control_socket {lblab.work}/{tag}.ctl\n"
                "    vigil_lb_backend nftables\n}\n" +
                virtual_server(servers).replace(" 80 {\n", f" {port} {{\n", 1))
    argv = [lblab.vigild_path, "-n", "-l", "-D", "-C", "-f", conf,
            "-p", os.path.join(lblab.work, f"{tag}.pid"),
            "-c", os.path.join(lblab.work, f"{tag}.check.pid")]
    if config_id:
        argv += ["-i", config_id]
    return lblab.lb.spawn(argv, log_name=f"{tag}.log")


def test_lb_keep_two_daemons_in_one_namespace_keep_separate_tables(lblab):
    start(lblab)
    second = spawn_second(lblab, "second", "b", 81)
    try:
        def second_destinations():
            out = lblab.lb.run([NFT, "-j", "list", "table", "inet", "vigil_b"], check=False)
            if out.returncode != 0:
                return None
            return sorted(r["rule"]["comment"].split()[4] for r in json.loads(out.stdout)["nftables"]
                          if r.get("rule", {}).get("comment", "").startswith("vigil-dst "))
        everyone = sorted(n.ipv4 for n in lblab.rs)
        lablib.wait_until(lambda: second_destinations() == everyone, timeout=10,
                          message="the second daemon's table inet vigil_b")
        # A third daemon that would share table inet vigil refuses to start.
        third = spawn_second(lblab, "third", None, 82)
        third.wait(timeout=15)
        with open(third.log_path) as f:
            text = f.read()
        assert ("table inet vigil is kept by another vigild in this network namespace (pid "
                in text), text
        # Stopping the first daemon removes its table only.
        assert lblab.stop_vigild() == 0
        assert lblab.nft_table() is None
        assert second_destinations() == everyone
        out = lblab.client.run([lablib.PYTHON, os.path.join(lblab.work, "client.py"),
                                  "10.99.0.100", "81", "6"], timeout=30).stdout
        assert sorted(set(json.loads(out))) == ["rs1", "rs2", "rs3"]
        assert "changed by" not in open(second.log_path).read()  # nobody touched its table
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
    assert lblab.lb.run([NFT, "list", "tables"]).stdout.strip() == ""
