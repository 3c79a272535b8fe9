"""tools/keywords against keepalived's own source: every keyword that keepalived 2.2.7
(Debian's) and v2.4.3 (the newest release) install is known to vigil's schema.

Reads keepalived's source from the git mirror (KEEPALIVED_MIRROR, default the one under
/work/.mirror); skips with the reason when the mirror or a tag is missing.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "keywords"
MIRROR = Path(os.environ.get("KEEPALIVED_MIRROR", "/work/.mirror/acassen+keepalived/repo"))
TAGS = ["v2.2.7", "v2.4.3"]


def have_tag(tag):
    return subprocess.run(["git", "-C", str(MIRROR), "rev-parse", "-q", "--verify",
                           f"refs/tags/{tag}"], capture_output=True).returncode == 0


def extract(tag):
    return subprocess.run([sys.executable, str(TOOLS / "extract.py"), "--repo", str(MIRROR),
                           "--tag", tag], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("tag", TAGS)
def test_every_keyword_of_the_release_is_in_the_schema(tag):
    if not MIRROR.is_dir() or not have_tag(tag):
        pytest.skip(f"no keepalived {tag} source in {MIRROR}")
    r = subprocess.run([sys.executable, str(TOOLS / "check.py"), "--src", str(ROOT), "--repo",
                        str(MIRROR), "--inventory", tag], capture_output=True, text=True)
    assert r.stdout == ""
    assert r.stderr == f"keepalived {tag}: 0 keywords unknown to vigil's schema\n"
    assert r.returncode == 0


def test_extract_reads_the_newest_release_parsers():
    """v2.4.3 installs its notify keywords with install_keyword_quoted and nests blocks with
    install_sublevel(ptr) / install_sublevel_end(ptr): none of them may get lost."""
    if not MIRROR.is_dir() or not have_tag("v2.4.3"):
        pytest.skip(f"no keepalived v2.4.3 source in {MIRROR}")
    lines = [tuple(l.split("\t")[:3]) for l in extract("v2.4.3").splitlines()]
    assert len(lines) == 528
    top = None
    seen = set()
    for depth, name, kind in lines:
        if depth == "0":
            top = name
        elif depth == "1":
            seen.add((top, name, kind))
    for kw in ["notify_backup", "notify_master", "notify_fault", "notify_stop", "notify",
               "notify_deleted", "notify_master_rx_lower_pri"]:
        assert ("vrrp_instance", kw, "kw") in seen
    assert ("vrrp_sync_group", "notify", "kw") in seen
    assert ("vrrp_script", "script", "kw") in seen
    assert ("vrrp_instance", "authentication", "block") in seen
    assert ("vrrp_instance", "auth_hmac", "block") in seen
    assert ("virtual_server", "real_server", "block") in seen
    # tls_compliant is installed for SSL_GET only (an `if (!strcmp(keyword, "SSL_GET"))`).
    names = [(d, n) for d, n, _ in lines]
    i = names.index(("2", "HTTP_GET"))
    j = names.index(("2", "SSL_GET"))
    assert ("3", "tls_compliant") not in names[i:j]
    assert ("3", "tls_compliant") in names[j:]


def test_extract_of_2_2_7_is_unchanged():
    if not MIRROR.is_dir() or not have_tag("v2.2.7"):
        pytest.skip(f"no keepalived v2.2.7 source in {MIRROR}")
    assert len(extract("v2.2.7").splitlines()) == 501
