"""Installing vigil like a package: the Debian package built from the build tree (cpack),
its control fields and files, apt's view of it, and its programs run from a throwaway root
(`dpkg -x`: nothing is installed on the host). `cmake --install` lays out the same files.

The example configuration it ships is checked by the packaged vigild -t in a lab node (which
has the eth0 the example names), and the unit's ExecStartPre is run as systemd would run it.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import tempfile

import pytest

import lab as lablib

# Every file of the package (directories aside), as `dpkg-deb -c` lists them.
FILES = {
    "./usr/bin/vigil-genhash": "-rwxr-xr-x",
    "./usr/bin/vigilctl": "-rwxr-xr-x",
    "./usr/lib/systemd/system/vigild.service": "-rw-r--r--",
    "./usr/sbin/vigild": "-rwxr-xr-x",
    "./usr/share/doc/vigil/examples/keepalived.conf": "-rw-r--r--",
    "./usr/share/man/man1/vigil-genhash.1.gz": "-rw-r--r--",
    "./usr/share/man/man1/vigilctl.1.gz": "-rw-r--r--",
    "./usr/share/man/man5/vigil.conf.5.gz": "-rw-r--r--",
    "./usr/share/man/man8/vigild.8.gz": "-rw-r--r--",
}
# Libraries vigil links against: the package must depend on their packages.
LIBRARY_PACKAGES = {"libc6", "libstdc++6", "libssl3", "libmnl0", "libnftables1", "libpcre2-8-0",
                    "libsystemd0"}
EXAMPLE = "usr/share/doc/vigil/examples/keepalived.conf"


def _run(argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 120),
                          **kw)


@pytest.fixture(scope="module")
def build_dir():
    build = os.environ.get("VIGIL_BUILD")
    if not build:
        pytest.skip("set VIGIL_BUILD to a build directory to build the package from")
    for tool in ("cpack", "dpkg-deb", "dpkg-shlibdeps"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    return os.path.abspath(build)


@pytest.fixture(scope="module")
def deb(build_dir):
    """Builds the package into a temporary directory; returns its path."""
    out = tempfile.mkdtemp(prefix="vigil-deb-")
    try:
        proc = _run(["cpack", "-G", "DEB", "-B", out, "--config",
                     os.path.join(build_dir, "CPackConfig.cmake")], timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        debs = glob.glob(os.path.join(out, "*.deb"))
        assert len(debs) == 1, debs
        yield debs[0]
    finally:
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def root(deb):
    """The package's files unpacked into a throwaway root."""
    where = tempfile.mkdtemp(prefix="vigil-root-")
    try:
        proc = _run(["dpkg-deb", "-x", deb, where])
        assert proc.returncode == 0, proc.stderr
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def _field(deb: str, name: str) -> str:
    return _run(["dpkg-deb", "-f", deb, name], check=True).stdout.strip()


def _arch() -> str:
    return _run(["dpkg", "--print-architecture"], check=True).stdout.strip()


def test_control_fields(deb, build_dir):
    with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
        version = re.search(r"^CMAKE_PROJECT_VERSION:STATIC=(.*)$", f.read(), re.M).group(1)
    assert os.path.basename(deb) == f"vigil_{version}_{_arch()}.deb"
    assert {k: _field(deb, k) for k in ("Package", "Version", "Architecture", "Section",
                                        "Priority", "Suggests")} == {
        "Package": "vigil", "Version": version, "Architecture": _arch(), "Section": "net",
        "Priority": "optional", "Suggests": "nftables, ipvsadm, haproxy, psmisc"}
    depends = {d.split()[0] for d in _field(deb, "Depends").split(", ")}
    assert LIBRARY_PACKAGES <= depends, depends
    # Only packages: no file or path leaked into the relation.
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", d) for d in depends), depends


def test_files_and_maintainer_scripts(deb):
    listing = _run(["dpkg-deb", "-c", deb], check=True).stdout.splitlines()
    files = {}
    for line in listing:
        words = line.split()
        mode, owner, path = words[0], words[1], words[-1]
        assert owner == "root/root", line
        if not mode.startswith("d"):
            files[path] = mode
    assert files == FILES
    control = _run(["dpkg-deb", "-I", deb], check=True).stdout
    for script in ("postinst", "prerm", "postrm"):
        assert re.search(rf"^\s+\d+ bytes,\s+\d+ lines\s+\*\s+{script}\s+#!/bin/sh$", control,
                         re.M), control


def test_apt_would_install_it_alone(deb):
    """Every dependency is satisfiable: apt (simulating) installs the package and nothing else
    (the build machine has the libraries already)."""
    if os.geteuid() != 0:
        pytest.skip("apt-get -s of a local package needs root")
    proc = _run(["apt-get", "install", "-s", "--no-install-recommends", deb], timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installs = [line for line in proc.stdout.splitlines() if line.startswith("Inst ")]
    version = _field(deb, "Version")
    assert installs == [f"Inst vigil ({version} local-deb [{_arch()}])"], proc.stdout


def test_cmake_install_lays_out_the_same_files(build_dir):
    """`cmake --install` (`make install`) with the default prefix: /usr, as the package."""
    dest = tempfile.mkdtemp(prefix="vigil-destdir-")
    try:
        proc = _run(["cmake", "--install", build_dir],
                    env={**os.environ, "DESTDIR": dest})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        got = set()
        for top, _, names in os.walk(dest):
            for n in names:
                got.add("./" + os.path.relpath(os.path.join(top, n), dest))
        assert got == set(FILES)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def test_packaged_programs_run(root):
    version = _run([os.path.join(root, "usr/sbin/vigild"), "--version"])
    assert version.returncode == 0, version.stderr
    for tool in ("vigilctl", "vigil-genhash"):
        proc = _run([os.path.join(root, "usr/bin", tool), "--help"])
        assert proc.returncode == 0, proc.stderr
    # The man pages render without a warning.
    for page in glob.glob(os.path.join(root, "usr/share/man/man*/*.gz")):
        proc = _run(["sh", "-c", f"zcat {shlex.quote(page)} | groff -man -ww -z"])
        assert (proc.returncode, proc.stderr) == (0, ""), page


def test_packaged_vigild_checks_the_packaged_example(lab, root):
    node = lab.add_node("lb1")  # has the eth0 that the example names
    proc = node.run([os.path.join(root, "usr/sbin/vigild"), "-t", "-f",
                     os.path.join(root, EXAMPLE)], check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def _exec_start_pre(root: str) -> str:
    """The unit's ExecStartPre as systemd hands it to the kernel: "$$" is a literal "$"."""
    with open(os.path.join(root, "usr/lib/systemd/system/vigild.service")) as f:
        unit = f.read()
    lines = re.findall(r"^ExecStartPre=(.*)$", unit, re.M)
    assert len(lines) == 1, unit
    assert re.search(r"^ExecStart=/usr/sbin/vigild ", unit, re.M), unit
    return lines[0].replace("$$", "$")


@pytest.mark.parametrize("case,started", [
    ("example", True),
    # keepalived's example as users write it, without enable_script_security: vigild -t
    # exits 6 as keepalived -t does, and keepalived would run it: the service starts.
    ("no-script-security", True),
    ("errors", False),
])
def test_unit_exec_start_pre_gates_the_start(lab, root, case, started):
    """ExecStartPre runs vigild -t on /etc/keepalived/keepalived.conf: the service starts
    when the configuration is fine, not when it has errors."""
    node = lab.add_node("lb1")
    conf = os.path.join(lab.workdir, "keepalived.conf")
    if case == "example":
        shutil.copy(os.path.join(root, EXAMPLE), conf)
    elif case == "no-script-security":
        with open(os.path.join(root, EXAMPLE)) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write("".join(line for line in text.splitlines(True) if line.strip() not in
                            ("script_user root", "enable_script_security")))
        check = node.run([os.path.join(root, "usr/sbin/vigild"), "-t", "-f", conf], check=False)
        assert check.returncode == 6, check.stdout + check.stderr
    elif case == "errors":
        with open(conf, "w") as f:
            f.write("vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 300\n"
                    "    priority 100\n    virtual_ipaddress {\n        192.0.2.100/32\n"
                    "    }\n}\n")
    pre = _exec_start_pre(root)
    assert "/etc/keepalived/keepalived.conf" in pre, pre
    pre = pre.replace("/usr/sbin/vigild", os.path.join(root, "usr/sbin/vigild"))
    pre = pre.replace("/etc/keepalived/keepalived.conf", conf)
    proc = node.run(["/bin/sh", "-c", pre], check=False)
    assert (proc.returncode == 0) == started, (proc.returncode, proc.stdout, proc.stderr)



@pytest.mark.parametrize("status", [0, 1, 4, 5, 6])
def test_unit_exec_start_pre_accepts_0_and_6(root, tmp_path, status):
    """The unit's own rule on vigild -t's status: 0 (fine) and 6 (scripts without
    enable_script_security, which keepalived runs as well) start the service; 4 (cannot
    run), 5 (errors) and anything else do not. A stand-in for vigild exits with ``status``."""
    stand_in = tmp_path / "vigild"
    stand_in.write_text(f"#!/bin/sh\nexit {status}\n")
    stand_in.chmod(0o755)
    pre = _exec_start_pre(root).replace("/usr/sbin/vigild", str(stand_in))
    proc = _run(["/bin/sh", "-c", pre])
    assert (proc.returncode == 0) == (status in (0, 6)), (pre, proc.returncode)
