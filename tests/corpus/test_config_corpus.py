"""`vigild -t` over the keepalived configuration corpus in ../shared/corpus.

Each entry point runs inside an empty network namespace (only `lo`), as the verdicts of
Debian's keepalived 2.2.7 were recorded. For every file vigil must:
  * not crash and not hang (2 s per file);
  * report no keyword unknown that keepalived 2.2.7 knows;
  * exit 0 wherever keepalived exited 0 (unless listed in KEEPALIVED_WRONG with a reason).
"""
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

UNKNOWN_RE = re.compile(r"^\S+:\d+:\d+: warning: unknown keyword '(.*)'$", re.M)

# Files where keepalived 2.2.7's verdict is itself wrong, with the reason. vigil's answer
# is the right one; the test states it here rather than bending the comparison.
KEEPALIVED_WRONG = {
}


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
    return None


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
    assert proc.returncode in (0, 3, 4, 5), (
        f"vigild -t crashed or failed oddly on {name}: exit {proc.returncode}\n"
        f"{proc.stderr[-2000:]}")
    unknown = set(UNKNOWN_RE.findall(proc.stderr))
    wrongly_unknown = unknown - ka_unknown
    assert not wrongly_unknown, (
        f"vigil calls keywords unknown that keepalived 2.2.7 knows: {sorted(wrongly_unknown)}")
    if ka_exit == 0 and name not in KEEPALIVED_WRONG:
        assert proc.returncode == 0, (
            f"keepalived 2.2.7 accepted {name} (exit 0) but vigild -t exited "
            f"{proc.returncode}:\n{proc.stderr[-3000:]}")
