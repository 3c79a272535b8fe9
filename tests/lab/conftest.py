"""pytest fixtures for the network-namespace lab (run with /usr/bin/python3 -m pytest)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lab as lablib  # noqa: E402  (needs the path above)

_usable: tuple[bool, str] | None = None


def _netns_usable() -> tuple[bool, str]:
    global _usable
    if _usable is None:
        _usable = lablib.netns_usable()
        if _usable[0]:
            lablib.sweep_stale_namespaces()
    return _usable


@pytest.fixture
def lab(request):
    """A fresh Lab (switch namespace + bridge); deleted after the test, pass or fail."""
    ok, why = _netns_usable()
    if not ok:
        pytest.skip(why)
    the_lab = lablib.Lab()
    request.addfinalizer(the_lab.close)
    the_lab.start()
    return the_lab


@pytest.fixture(scope="session")
def vigild():
    """The path of the vigild binary under $VIGIL_BUILD (e.g. build/release)."""
    build = os.environ.get("VIGIL_BUILD")
    if not build:
        pytest.skip("set VIGIL_BUILD to a build directory to run tests that need vigild")
    path = os.path.join(build, "apps", "vigild")
    if not os.access(path, os.X_OK):
        pytest.skip(f"no vigild binary at {path}")
    return path


@pytest.fixture(scope="module")
def lb_module():
    """daemon_lab's HaLab (client, lb1, lb2, web1, web2) for a whole test module."""
    from daemon_lab import module_lab

    with module_lab(webs=2) as ha:
        yield ha


@pytest.fixture
def lb_lab(lb_module):
    """lb_module for one test: the daemons it started are stopped after it."""
    yield lb_module
    lb_module.stop()
    for d in lb_module.daemons:
        d.proc = None
