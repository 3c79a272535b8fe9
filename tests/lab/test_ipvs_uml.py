"""vigild's IPVS backend in a real IPVS kernel (User-Mode Linux), against keepalived 2.2.7.

One UML kernel is booted for the module (uml.py); inside it ipvs_uml_cases.py runs every
case (its docstring describes the network and the runs). For each case this module
checks, from the results written by the guest:
  - vigild's IPVS table (``ipvsadm -Ln`` without counters) is keepalived's for the same
    configuration, at start and after a reload;
  - the client's requests through the VIP reached the real servers the case expects;
  - SIGTERM left no entry of the case (the whole table empty), and -I left the table as
    it was;
  - for a case that says so (``mails``), the SMTP alerts vigild sent are keepalived's, byte
    for byte but the Date header.
Skips with the reason where UML cannot start (not root, package missing, no build).
"""

from __future__ import annotations


import pytest

import ipvs_uml_cases as cases
import uml



@pytest.fixture(scope="module")
def uml_run(vigild):
    yield from uml.boot_cases(vigild, cases.__file__, cases.MODULES, case_timeout=120,
                              total_timeout=420)


def _result(run: uml.UmlRun, name: str) -> dict:
    return uml.case_result(run, name)


def check_answers(probe: cases.Probe, answers: list[str]) -> str:
    """Returns why ``answers`` do not meet ``probe.expect`` ("" when they do)."""
    if len(answers) != probe.count:
        return f"{len(answers)} answers for {probe.count} requests"
    expect = probe.expect
    if isinstance(expect, dict):
        got = {n: answers.count(n) for n in set(answers)}
        return "" if got == expect else f"counts {got}, expected {expect}"
    kind, names = expect
    strangers = [a for a in answers if a not in names]
    if strangers:
        return f"answers {strangers} are not from {names}"
    if kind == "one" and len(set(answers)) != 1:
        return f"answers from {sorted(set(answers))}, expected one server"
    if kind == "spread" and len(set(answers)) < 2:
        return f"every answer from {answers[0]}, expected at least two servers"
    return ""


def _logs(result: dict, lines: int = 25) -> str:
    """The last lines of both daemons' logs, for a failure's message."""
    def tail(daemon: str) -> str:
        return "\n".join(result[daemon]["log"].splitlines()[-lines:])
    return f"vigild's log (end):\n{tail('vigild')}\nkeepalived's log (end):\n{tail('keepalived')}"


@pytest.mark.parametrize("case", cases.CASES, ids=[c.name for c in cases.CASES])
def test_ipvs_in_uml_matches_keepalived(uml_run, case):
    result = _result(uml_run, case.name)
    vigil, keepalived = result["vigild"], result["keepalived"]
    assert vigil["running"], f"vigild exited early\n{_logs(result)}"
    assert vigil["table"], f"vigild programmed nothing for {case.keys}\n{_logs(result)}"
    assert vigil["table"] == keepalived["table"], _logs(result)
    assert vigil["thresholds"] == keepalived["thresholds"], _logs(result)
    assert vigil["tunnels"] == keepalived["tunnels"], _logs(result)
    assert vigil["timeouts"] == keepalived["timeouts"], _logs(result)
    if case.reload is not None:
        assert vigil["reloaded"] != vigil["table"], "the reload changed nothing"
        assert vigil["reloaded"] == keepalived["reloaded"], _logs(result)
    elif vigil["reloaded"] is not None:  # another case's reload left this one alone
        assert vigil["reloaded"] == vigil["table"], _logs(result)
    assert vigil["steps"] == keepalived["steps"], _logs(result)
    if case.mails:
        key = lambda m: m["data"]  # noqa: E731 - keepalived sends each on its own connection
        assert vigil["mails"], f"vigild mailed nothing\n{_logs(result)}"
        def shown(mails: list[dict]) -> str:  # "Subject: ... | body", one a line
            return "\n".join(" | ".join(m["data"].split("\r\n")[1:6:4]) for m in mails)
        assert sorted(vigil["mails"], key=key) == sorted(keepalived["mails"], key=key), \
            (f"vigild's mails:\n{shown(vigil['mails'])}\nkeepalived's mails:\n"
             f"{shown(keepalived['mails'])}\n{_logs(result)}")
    if case.steps:
        assert any(t != vigil["table"] for t in vigil["steps"]), "the steps changed nothing"
    for probe, answers in zip(case.probes, vigil["answers"], strict=True):
        why = check_answers(probe, answers)
        assert not why, (f"{probe.proto} to {probe.address}:{probe.port}: {why}: {answers}\n"
                         f"{_logs(result)}")
    assert vigil["exit"] == 0, f"vigild exit status {vigil['exit']}\n{_logs(result)}"
    if case.keep:
        assert vigil["after_stop"] == (vigil["reloaded"] or vigil["table"])
        assert keepalived["after_stop"] == (keepalived["reloaded"] or keepalived["table"])
    elif case.before:  # what the daemon did not make stays, as with keepalived
        assert vigil["whole_after_stop"] == keepalived["whole_after_stop"], _logs(result)
    else:
        assert vigil["whole_after_stop"] == [], "SIGTERM left IPVS entries"


@pytest.mark.parametrize("case", [c for c in cases.CASES if c.damage],
                         ids=[c.name for c in cases.CASES if c.damage])
def test_the_audit_restores_a_damaged_table(uml_run, case):
    """IPVS sends no events: the periodic audit (beside the checker's loop, on its own
    generic netlink socket) finds what someone else changed and the table is restored."""
    result = _result(uml_run, case.name)
    vigil = result["vigild"]
    assert vigil["restored"] == vigil["table"], _logs(result)
    log = vigil["log"]
    for line in case.found:
        assert f"load balancer: {line}\n" in log, _logs(result)
    assert "load balancer: restored 1 service (found by audit)" in log, _logs(result)
    assert "load balancer: audited beside the loop in " in log, _logs(result)


def test_check_answers_refuses_what_a_case_does_not_expect():
    probe = cases.Probe("tcp", cases.VIP, 80, 4, {"rs1": 2, "rs2": 2})
    assert check_answers(probe, ["rs1", "rs2", "rs1", "rs2"]) == ""
    assert "counts" in check_answers(probe, ["rs1", "rs1", "rs1", "rs2"])
    assert "answers for" in check_answers(probe, ["rs1", "rs2"])
    one = cases.Probe("tcp", cases.VIP, 80, 2, ("one", cases.ALL))
    assert check_answers(one, ["rs2", "rs2"]) == ""
    assert "one server" in check_answers(one, ["rs2", "rs3"])
    assert "not from" in check_answers(one, ["sorry", "sorry"])
    spread = cases.Probe("tcp", cases.VIP, 80, 2, ("spread", cases.ALL))
    assert check_answers(spread, ["rs1", "rs3"]) == ""
    assert "at least two" in check_answers(spread, ["rs1", "rs1"])
    assert "not from" in check_answers(spread, ["rs1", "ERR TimeoutError timed out"])


def test_normalize_and_share_cut_ipvsadm_output_per_service():
    text = ("IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  10.99.0.100:8001 rr\n"
            "  -> 10.99.0.3:80                 Masq    1      0          3\n"
            "FWM  1 rr\n"
            "  -> 10.99.0.4:80                 Masq    2      1          0\n"
            "  -> 10.99.0.5:80                 Tunnel  gue:6080:csum 3   0   0\n")
    table = cases.normalize(text)
    assert table == ["TCP 10.99.0.100:8001 rr", "-> 10.99.0.3:80 Masq 1", "FWM 1 rr",
                     "-> 10.99.0.4:80 Masq 2", "-> 10.99.0.5:80 Tunnel gue:6080:csum 3"]
    assert cases.share(table, ("FWM 1",)) == ["FWM 1 rr", "-> 10.99.0.4:80 Masq 2",
                                              "-> 10.99.0.5:80 Tunnel gue:6080:csum 3"]
    assert cases.share(table, ("TCP 10.99.0.100:8002",)) == []
