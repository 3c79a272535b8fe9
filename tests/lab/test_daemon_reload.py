"""Reload without disturbance: two load balancers (VRRP + nftables virtual server) carry
continuous client traffic while their configuration is reloaded (SIGHUP and `vigilctl
reload`). Whatever the change, the VIP never leaves the master, no healthy real server
leaves the pool, no request fails and no ping to the VIP is lost.

One lab (client, lb1, lb2, web1..web3) serves the module; each test starts by reloading
the base configuration and waiting for convergence.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import lab as lablib
from daemon_lab import (VIP, VIP2, AddressWatch, HaLab, Instance, Setup, Traffic, garps,
                        module_lab)

VIP3 = "10.99.0.102"


def base() -> Setup:
    return Setup()


@pytest.fixture(scope="module")
def ha():
    with module_lab() as the:
        the.start(base())
        the.wait_converged(base(), timeout=15)
        yield the


def reload_both(ha: HaLab, setup: Setup, how: str = "vigilctl") -> None:
    """Writes `setup` on both load balancers and reloads them (lb2 first), each reload
    acknowledged as successful."""
    ha.write(setup)
    for d in reversed(ha.daemons):
        if how == "vigilctl":
            answer = d.reload()
            assert answer["ok"] is True, f"{d.name}: {answer}\n{d.log()[-3000:]}"
        else:
            before = d.status()["reloads"]
            d.signal(signal.SIGHUP)
            lablib.wait_until(lambda: d.status()["reloads"] == before + 1, timeout=10,
                              message=f"{d.name} to count the SIGHUP reload")
            lablib.wait_until(lambda: d.status()["last_reload_ok"], timeout=10,
                              message=f"{d.name}'s SIGHUP reload to succeed")


@pytest.fixture
def fresh(ha):
    """Puts both daemons back on the base configuration."""
    reload_both(ha, base())
    ha.wait_converged(base(), timeout=15)
    return ha


class PoolWatch:
    """Samples lb1's nftables pool in a thread, as fast as nft answers."""

    def __init__(self, ha: HaLab):
        self.ha = ha
        self.samples: list[dict[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.ha.daemons[0].pool())

    def stop(self) -> list[dict[str, int]]:
        self._stop.set()
        self._thread.join(timeout=10)
        return self.samples


def assert_clean(summary: dict, targets: list[str]) -> None:
    assert summary["http_fail"] == [], f"requests failed: {summary}"
    assert summary["http_ok"] > 20, f"too few requests went through: {summary}"
    for t in targets:
        assert summary["pings"][t] > 50, f"too few pings to {t}: {summary}"
        assert summary["lost"][t] == [], f"pings to {t} lost: {summary}"


def transitions(ha: HaLab) -> list[dict[str, int]]:
    return [{n: i["transitions"] for n, i in d.instances().items()} for d in ha.daemons]


@pytest.mark.parametrize("how", ["sighup", "vigilctl"])
def test_reload_unchanged_config_changes_nothing(fresh, how):
    ha = fresh
    lb1, lb2 = ha.daemons
    handles = lb1.dst_rules()
    before = transitions(ha)
    watch = AddressWatch(lb1.node)
    cap = ha.lab.switch.start_capture("br0", duration=6, bpf="arp")
    traffic = Traffic(ha, [VIP])
    reload_both(ha, base(), how)
    time.sleep(1.5)
    summary = traffic.stop()
    cap.stop()
    watch.stop()
    packets = cap.packets()
    assert watch.deleted(VIP) == [] and watch.added(VIP) == [], watch.lines()
    assert garps(packets, VIP) == [], "a reload that changes nothing sent gratuitous ARPs"
    assert transitions(ha) == before
    assert lb1.dst_rules() == handles, "nftables destination rules were replaced"
    assert lb1.state() == "MASTER" and lb2.state() == "BACKUP"
    assert_clean(summary, [VIP])
    for d in ha.daemons:
        s = d.status()
        assert s["last_reload_ok"] is True and s["reload_failures"] == 0


def test_reload_adds_changes_and_removes_instances(fresh):
    ha = fresh
    lb1, lb2 = ha.daemons
    watch = AddressWatch(lb1.node)
    traffic = Traffic(ha, [VIP])
    # Added: VI_2 with VIP2; lb1 takes it by protocol, VI_1 is untouched.
    two = Setup(instances=[Instance("VI_1", 51, [VIP]), Instance("VI_2", 52, [VIP2])])
    reload_both(ha, two)
    ha.wait_converged(two, timeout=10)
    t_before = transitions(ha)
    # Changed: VI_1's priorities (and VI_2's advert interval source stays): VI_1 is
    # replaced in place and keeps its state and its VIP.
    changed = Setup(instances=[Instance("VI_1", 51, [VIP], priorities=(160, 90)),
                               Instance("VI_2", 52, [VIP2])])
    reload_both(ha, changed)
    time.sleep(2.5)  # several advert intervals: a restarted instance would show
    assert lb1.instances()["VI_1"]["base_priority"] == 160
    assert lb2.instances()["VI_1"]["base_priority"] == 90
    assert transitions(ha) == t_before, "a changed instance went through state transitions"
    # Removed: VI_2 goes, its VIP with it; VI_1 stays.
    reload_both(ha, Setup(instances=[Instance("VI_1", 51, [VIP], priorities=(160, 90))]))
    lablib.wait_until(lambda: VIP2 not in lb1.vips(), timeout=5, message="VIP2 removed")
    assert set(lb1.instances()) == {"VI_1"} and set(lb2.instances()) == {"VI_1"}
    time.sleep(1)
    summary = traffic.stop()
    watch.stop()
    assert watch.deleted(VIP) == [], "the VIP left the master during reloads"
    assert lb1.state() == "MASTER" and lb2.state() == "BACKUP"
    assert lb1.vips() == [VIP] and lb2.vips() == []
    assert_clean(summary, [VIP])


def test_reload_adds_removes_and_reweights_real_servers(fresh):
    ha = fresh
    lb1 = ha.daemons[0]
    web1, web2, web3 = (ha.dest(w) for w in ("web1", "web2", "web3"))
    pool = PoolWatch(ha)
    traffic = Traffic(ha, [VIP])
    h0 = lb1.dst_rules()
    # Added web3.
    s = Setup(servers={"web1": 1, "web2": 1, "web3": 1})
    reload_both(ha, s)
    lablib.wait_until(lambda: all(d.pool() == {web1: 1, web2: 1, web3: 1} for d in ha.daemons),
                      timeout=5, message="web3 in both pools")
    h1 = lb1.dst_rules()
    assert h1[web1] == h0[web1] and h1[web2] == h0[web2]
    time.sleep(1)
    # Changed web1's weight.
    s = Setup(servers={"web1": 3, "web2": 1, "web3": 1})
    reload_both(ha, s)
    lablib.wait_until(lambda: all(d.pool() == {web1: 3, web2: 1, web3: 1} for d in ha.daemons),
                      timeout=5, message="web1 at weight 3")
    h2 = lb1.dst_rules()
    assert h2[web2] == h1[web2] and h2[web3] == h1[web3]
    # Removed web2.
    s = Setup(servers={"web1": 3, "web3": 1})
    reload_both(ha, s)
    lablib.wait_until(lambda: all(d.pool() == {web1: 3, web3: 1} for d in ha.daemons),
                      timeout=5, message="web2 out of both pools")
    h3 = lb1.dst_rules()
    assert h3[web1] == h2[web1] and h3[web3] == h2[web3]
    time.sleep(1.5)
    summary = traffic.stop()
    samples = pool.stop()
    assert len(samples) > 20
    # web1 was in every sample; web3 in every one after it first appeared.
    assert all(web1 in smp for smp in samples), "web1 left the pool"
    first3 = next(i for i, smp in enumerate(samples) if web3 in smp)
    assert all(web3 in smp for smp in samples[first3:]), "web3 left the pool"
    assert_clean(summary, [VIP])
    assert set(summary["answers"]) == {"web1", "web2", "web3"}


def test_reload_moves_a_vip_between_instances_in_one_reload(fresh):
    ha = fresh
    lb1, lb2 = ha.daemons
    before = Setup(instances=[Instance("VI_1", 51, [VIP]), Instance("VI_2", 52, [VIP2, VIP3])])
    reload_both(ha, before)
    ha.wait_converged(before, timeout=10)
    watch = AddressWatch(lb1.node)
    traffic = Traffic(ha, [VIP, VIP2])
    after = Setup(instances=[Instance("VI_1", 51, [VIP, VIP2]), Instance("VI_2", 52, [VIP3])])
    reload_both(ha, after)
    time.sleep(1.5)
    summary = traffic.stop()
    watch.stop()
    assert watch.deleted(VIP2) == [], "the moved VIP left the master for a moment"
    assert watch.deleted(VIP) == [] and watch.deleted(VIP3) == []
    assert sorted(lb1.vips()) == sorted([VIP, VIP2, VIP3]) and lb2.vips() == []
    i1 = lb1.instances()
    assert i1["VI_1"]["vips"] == [f"{VIP}/16", f"{VIP2}/16"]
    assert i1["VI_2"]["vips"] == [f"{VIP3}/16"]
    assert_clean(summary, [VIP, VIP2])


def test_reload_during_failover_does_not_delay_the_takeover(ha):
    """Runs last in the module: lb1 is killed (SIGKILL, link down) and lb2 reloaded while
    its down timer runs; lb2 still takes over within Master_Down_Interval."""
    reload_both(ha, base())
    ha.wait_converged(base(), timeout=15)
    lb1, lb2 = ha.daemons
    t0 = time.monotonic()
    os.killpg(lb1.proc.pid, signal.SIGKILL)
    lb1.node.link_set("eth0", False)
    time.sleep(0.5)
    ha.write(Setup(servers={"web1": 2, "web2": 1}))
    answer = lb2.reload()
    assert answer["ok"] is True, answer
    lablib.wait_until(lambda: VIP in lb2.vips(), timeout=6, interval=0.02,
                      message="lb2 to take the VIP")
    took = time.monotonic() - t0
    # Master_Down_Interval for priority 100, advert_int 1: 3 + 156/256 s; plus slack.
    assert took < 3.61 + 0.6, f"takeover took {took:.2f} s"
    assert lb2.state() == "MASTER"
    lablib.wait_until(lambda: lb2.pool() == {ha.dest("web1"): 2, ha.dest("web2"): 1},
                      timeout=5, message="lb2's pool reweighted")
    traffic = Traffic(ha, [VIP])
    time.sleep(2)
    summary = traffic.stop()
    assert_clean(summary, [VIP])
