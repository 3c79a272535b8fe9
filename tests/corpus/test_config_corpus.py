"""`vigild -t` over the keepalived configuration corpus in ../shared/corpus.

Each entry point runs inside an empty network namespace (only `lo`), as the verdicts of
Debian's keepalived 2.2.7 were recorded. For every file vigil must:
  * not crash and not hang (2 s per file);
  * report no keyword unknown that keepalived 2.2.7 knows;
  * exit exactly as keepalived did (0 fine, 4 cannot run, 5 errors, 6 scripts without
    enable_script_security), except where keepalived's exit is not a verdict: the reasons
    below say when, and each is proved or explained where it is defined.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("VIGIL_CORPUS", ROOT.parent / "shared" / "corpus"))
BUILD = Path(os.environ.get("VIGIL_BUILD", ROOT / "build" / "release"))
VIGILD = BUILD / "apps" / "vigild"
TIMEOUT_S = 2.0

UNKNOWN_RE = re.compile(
    r"^\S+:\d+:\d+: error: unknown keyword '(.*?)'(?:; did you mean '.*'\?)?$", re.M)

# Where keepalived 2.2.7's exit 0 is not a verdict, vigil's answer stands and the test
# says why here instead of bending the comparison.
#
# keepalived 2.2.7's `-t` enters the namespace `net_namespace` names; when it cannot (the
# corpus's namespaces do not exist here) it exits 0 without a word and without checking
# anything: the same duplicate VRIDs that give exit 5 without it give exit 0 with it (proved
# by test_keepalived_does_not_check_under_net_namespace below). vigil says that it cannot
# run there (4) and still reports what needs no namespace, so a 0 from keepalived there
# says nothing.
NET_NAMESPACE_REASON = "keepalived -t exits 0 unchecked when it cannot enter net_namespace"

# keepalived's VRRP side stops at the first interface that does not exist ("Non-existent
# interface specified in configuration", exit 5), before it looks at scripts: in the empty
# namespace of the corpus its 5 there says nothing about script security. vigil goes on and
# reports the scripts configured without enable_script_security (6), as keepalived does on a
# host that has the interfaces.
MISSING_INTERFACE_REASON = "keepalived -t stops checking VRRP at a missing interface"
MISSING_INTERFACE_RE = re.compile(r": (?:warning|error): interface '.*' does not exist", re.M)

# keepalived exits 124 (killed by the recording's timeout), 134 (abort) or 2 (its command
# line refused) on these: no verdict on the configuration.
NO_VERDICT = {2, 124, 134}

# Single files where vigil knowingly differs, with the reason.
KNOWN_DIFFERENCES = {
    "ipvs_family_check.conf": "keepalived warns about `protocol` on a virtual_server whose "
                              "group holds only fwmarks; vigil does not check groups for it",
    "1799.conf": "keepalived reports two instances naming the same VMAC; vigil does not yet",
    "1850.conf": "keepalived reports two instances naming the same VMAC; vigil does not yet",
    "507.conf": "keepalived warns about a static rule without a preference; vigil does not",
    "up_down.conf": "keepalived warns that vrrp_iptables now means nftables; vigil does not",
    "vmac_on_vmac.conf": "keepalived warns that vrrp_iptables now means nftables; vigil does not",
    "check_align.2.conf": "keepalived 2.2.7 misreads its nested multi-line definitions (it "
                          "calls script_user and enable_script_security unknown); vigil reads "
                          "them, finds a vrrp_script undefined and exits 5, not 6",
}


KEEPALIVED_BIN = Path("/usr/sbin/keepalived")
_KNOWN = None


def keepalived_strings():
    """Every printable string in Debian's keepalived binary: its keywords are among them.

    A word vigil calls unknown must not be one of these (unless keepalived itself called it
    unknown in that file, e.g. a keyword used in the wrong block)."""
    global _KNOWN
    if _KNOWN is None:
        data = KEEPALIVED_BIN.read_bytes() if KEEPALIVED_BIN.exists() else b""
        _KNOWN = {m.decode() for m in re.findall(rb"[A-Za-z_][A-Za-z0-9_]{2,}", data)}
    return _KNOWN


def load_verdicts(name):
    path = CORPUS / f"{name}.verdicts.tsv"
    verdicts = {}
    if not path.exists():
        return verdicts
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        unknown = set(parts[2].split()) if len(parts) > 2 else set()
        verdicts[parts[0]] = (int(parts[1]), unknown)
    return verdicts


def cases():
    out = []
    for corpus in ("keepalived-configs", "keepalived-samples"):
        verdicts = load_verdicts(corpus)
        for name, verdict in sorted(verdicts.items()):
            out.append(pytest.param(corpus, name, verdict, id=f"{corpus}/{name}"))
    return out


def skip_reason():
    if not CORPUS.is_dir():
        return f"corpus not found at {CORPUS}"
    if not VIGILD.exists():
        return f"vigild not built at {VIGILD} (set VIGIL_BUILD)"
    if os.geteuid() != 0:
        return "needs root to create an empty network namespace (unshare -n)"
    if shutil.which("unshare") is None:
        return "unshare(1) not installed"
    if not KEEPALIVED_BIN.exists():
        return "Debian's keepalived (the keyword oracle) is not installed"
    return None


def uses_net_namespace(path):
    """Whether the configuration, as vigil reads it, sets net_namespace."""
    proc = subprocess.run([str(VIGILD), "--dump-config", "-f", str(path)], cwd=path.parent,
                          capture_output=True, text=True, errors="replace", timeout=TIMEOUT_S)
    try:
        return json.loads(proc.stdout).get("net_namespace") is not None
    except ValueError:
        return False


DUPLICATE_VRIDS = """
vrrp_instance A {
  interface eth0
  virtual_router_id 10
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 10
  virtual_ipaddress { 10.0.0.2 }
}
"""


def test_keepalived_does_not_check_under_net_namespace(tmp_path):
    """The evidence behind NET_NAMESPACE_REASON, re-established on every run."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    plain = tmp_path / "plain.conf"
    plain.write_text(DUPLICATE_VRIDS)
    namespaced = tmp_path / "ns.conf"
    namespaced.write_text("net_namespace vigiltest\n" + DUPLICATE_VRIDS)
    script = ("ip link add eth0 type veth peer name eth1 && "
              f"keepalived -t -l -n -f {plain}; a=$?; keepalived -t -l -n -f {namespaced}; "
              "echo \"$a $?\"")
    proc = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True,
                          text=True, timeout=20)
    plain_rc, ns_rc = map(int, proc.stdout.split()[-2:])
    assert plain_rc != 0 and ns_rc == 0, proc.stdout + proc.stderr
    # vigil reports the duplicate in both, and that it cannot run in the missing namespace.
    for conf in (plain, namespaced):
        out = subprocess.run(["unshare", "--net", str(VIGILD), "-t", "-f", str(conf)],
                             capture_output=True, text=True, timeout=TIMEOUT_S)
        assert "virtual_router_id 10 is already used by A" in out.stderr
        assert ("cannot run in network namespace 'vigiltest'" in out.stderr) == (
            conf == namespaced), out.stderr
        assert out.returncode == plain_rc == 5


@pytest.mark.parametrize("corpus,name,verdict", cases())
def test_corpus_file(corpus, name, verdict):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    ka_exit, ka_unknown = verdict
    path = CORPUS / corpus / name
    try:
        proc = subprocess.run(
            ["unshare", "--net", str(VIGILD), "-t", "-f", str(path)],
            cwd=path.parent, capture_output=True, text=True, errors="replace",
            timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"vigild -t hung on {name} (> {TIMEOUT_S} s)")
    assert proc.returncode in (0, 4, 5, 6), (
        f"vigild -t crashed or failed oddly on {name}: exit {proc.returncode}\n"
        f"{proc.stderr[-2000:]}")
    unknown = set(UNKNOWN_RE.findall(proc.stderr))
    # keepalived and vigil may resynchronise differently after the same bad line, so the
    # words each calls unknown can differ; what must never happen is vigil calling a
    # keyword unknown that keepalived knows.
    wrongly_unknown = {w for w in unknown - ka_unknown if w in keepalived_strings()}
    assert not wrongly_unknown, (
        f"vigil calls keywords unknown that keepalived 2.2.7 knows: {sorted(wrongly_unknown)}")
    if ka_exit in NO_VERDICT or name in KNOWN_DIFFERENCES:
        return
    if ka_exit == 0 and proc.returncode != 0 and uses_net_namespace(path):
        return  # NET_NAMESPACE_REASON
    if ka_exit == 5 and proc.returncode == 6 and MISSING_INTERFACE_RE.search(proc.stderr):
        return  # MISSING_INTERFACE_REASON
    assert proc.returncode == ka_exit, (
        f"keepalived 2.2.7 exited {ka_exit} on {name} but vigild -t exited "
        f"{proc.returncode}:\n{proc.stderr[-3000:]}")
