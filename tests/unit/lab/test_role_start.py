"""How a reference role process starts: forked from the warm role fork server (the default) or as
`python -m MODULE` in a fresh interpreter (MCSEC_ROLE_START=exec, a mutated tree, a network namespace).
Both give the lab the same role: its own process and session, its ready line, its log, its exit status."""
import os
import signal
from pathlib import Path

import pytest

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.lab.roleprocess import ROLE_START_ENV, RoleProcess, RoleStartError
from mcsec.fixtures.profile import load
from mcsec.impl import httpclient


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


@pytest.mark.parametrize("mode", ["fork", "exec"])
def test_a_role_serves_logs_and_stops_with_status_0_in_either_start_mode(tmp_path, monkeypatch, mode):
    monkeypatch.setenv(ROLE_START_ENV, mode)
    with Lab(load(), tmp_path, roles=("idm",)) as lab:
        role = lab.roles["idm"]
        pid = role.pid
        assert role.forked() is (mode == "fork")
        assert os.getsid(pid) == pid, "a role leads a session of its own"
        if mode == "fork":
            assert _parent(pid) != os.getpid(), "forked by the role fork server, not by the lab's process"
            assert "mcsec.impl.idm" not in _cmdline(pid)
        else:
            assert _parent(pid) == os.getpid() and _cmdline(pid)[1:3] == ["-m", "mcsec.impl.idm"]
        assert httpclient.request("GET", lab.endpoints.jwks_uri, context=lab.ssl_context).status == 200
        proc = role._proc
        role.stop()
        assert proc.poll() == 0, "SIGTERM stops a role in order, with exit status 0"
    log = (tmp_path / "idm.log").read_text()
    assert "idm ready" in log


def test_a_forked_role_that_cannot_start_gives_its_exit_status_and_log(tmp_path):
    proc = RoleProcess("kms", "mcsec.impl.kms", {"faults": []}, tmp_path)  # no tls, no idm: unusable
    assert proc.forked()
    with pytest.raises(RoleStartError, match="kms: .*; see .*kms.log"):
        proc.start(timeout=20)
    assert not proc.alive()


def test_a_forked_role_killed_outright_reports_the_signal(tmp_path):
    with Lab(load(), tmp_path, roles=("idm",)) as lab:
        role = lab.roles["idm"]
        proc = role._proc
        os.kill(role.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        assert not role.alive() and lab.dead_roles() == ["idm"]


@pytest.mark.parametrize("netns,pythonpath,env", [
    ("mcsec-ue", None, "fork"),       # in a network namespace: `ip netns exec`
    (None, "/tmp/mutated-tree", "fork"),  # a mutated package tree: a fresh interpreter that imports it
    (None, None, "exec"),
    (None, None, " EXEC "),
])
def test_roles_that_need_a_fresh_interpreter_are_not_forked(tmp_path, monkeypatch, netns, pythonpath, env):
    monkeypatch.setenv(ROLE_START_ENV, env)
    assert not RoleProcess("kms", "mcsec.impl.kms", {}, tmp_path, netns=netns, pythonpath=pythonpath).forked()


def test_only_reference_role_modules_are_forked(tmp_path, monkeypatch):
    monkeypatch.delenv(ROLE_START_ENV, raising=False)
    assert RoleProcess("kms", "mcsec.impl.kms", {}, tmp_path).forked()
    assert not RoleProcess("probe", "probe_role", {}, tmp_path).forked()
    assert not RoleProcess("kms", "mcsec.impl.kms.server", {}, tmp_path).forked()


def test_a_forked_role_left_running_ends_when_its_process_exits(tmp_path):
    """A caller that exits without stopping its lab neither hangs on the role nor leaves it running."""
    import subprocess
    import sys
    import time

    script = ("import sys\nfrom pathlib import Path\nfrom mcsec.fixtures.lab import Lab\n"
              "from mcsec.fixtures.profile import load\n"
              "lab = Lab(load(), Path(sys.argv[1]), roles=('idm',)); lab.start()\n"
              "print(lab.roles['idm'].pid, flush=True)\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"the role {pid} outlived the process that started it")


def test_callers_of_the_one_fork_server_add_to_its_preload_list_instead_of_replacing_it():
    from multiprocessing import forkserver

    from mcsec.fixtures.lab.roleprocess import forkserver_context

    forkserver_context(["json"])
    forkserver_context(["csv", "json"])
    preload = forkserver._forkserver._preload_modules
    assert "json" in preload and "csv" in preload and preload.count("json") == 1
