"""The external path: the suite run against roles it did not start, as it is against a vendor's product."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading

import pytest

from mcsec.impl.testca import TestCA
from tests.e2e.conftest import mcsec_run


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _profile(path, info: dict, ca_cert: str, *, idm_url: str, kms_url: str, timeout_s: float = 10.0) -> None:
    lines = ['[iut]', 'name = "reference roles under test"', 'version = "test"', 'roles = ["idm", "kms"]',
             '[ics]', 'clauses = ["7.13"]', 'protection_required = true', 'idm_test_control = true',
             'kms_key_ids_unpredictable = true',
             '[ixit]', f'kms_uri = {_toml_str(info["roles"].get("kms", {}).get("kms_uri", "kms.example.org"))}',
             f'kms_scope = {_toml_str(info["kms_scope"])}',
             'idm_test_control_secret = '
             + _toml_str(info["roles"].get("idm", {}).get("test_control_secret", "no-secret-served-" + "x" * 16)),
             '[ixit.endpoints]', f'idm_url = {_toml_str(idm_url)}', f'kms_url = {_toml_str(kms_url)}',
             f'ca_cert = {_toml_str(ca_cert)}',
             '[ixit.timers]', f'http_timeout_s = {timeout_s}',
             '[ixit.oauth_client]', f'client_id = {_toml_str(info["oauth_client"]["client_id"])}',
             f'redirect_uri = {_toml_str(info["oauth_client"]["redirect_uri"])}']
    for u in info["users"]:
        lines += ['[[ixit.users]]', f'username = {_toml_str(u["username"])}', f'password = {_toml_str(u["password"])}',
                  f'mcptt_id = {_toml_str(u["mcptt_id"])}',
                  f'impu = {_toml_str(u["mcptt_id"].replace("@", "@ims."))}']
    for s in info["servers"]:
        lines += ['[[ixit.servers]]', f'client_id = {_toml_str(s["client_id"])}',
                  f'client_secret = {_toml_str(s["client_secret"])}', f'uri = {_toml_str(s["uri"])}']
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Reference IdM and KMS as a separate process tree, started with `mcsec serve`."""
    run_dir = tmp_path_factory.mktemp("served")
    proc = subprocess.Popen([sys.executable, "-m", "mcsec", "serve", "--roles", "idm,kms", "--run-dir", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        yield json.loads(line)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, "mcsec serve did not stop cleanly on SIGTERM"


def test_external_roles_get_the_same_verdicts_as_the_built_in_run(served, baseline_run, tmp_path):
    profile = tmp_path / "sut.toml"
    _profile(profile, served, served["ca_cert_path"], idm_url=served["roles"]["idm"]["url"],
             kms_url=served["roles"]["kms"]["url"])
    run = mcsec_run(tmp_path / "out", "--sut", str(profile))
    assert run.status == 0, run.stdout + run.stderr
    external = {s["id"]: s["verdict"] for s in run.results["scenarios"]}
    built_in = {s["id"]: s["verdict"] for s in baseline_run.results["scenarios"]}
    # The profile claims clause 7.13 only, with the IdM and the KMS under test: a scenario is run when it
    # judges one of them, and then gets the verdict the built-in run gave it.
    judging = {s["id"] for s in run.results["scenarios"] if {"idm", "kms"} & set(s["judges"])}
    claimed = {s["id"] for s in run.results["scenarios"]
               if s["id"] in judging and not all(r.startswith("R714-") for r in s["requirements"])}
    assert len(claimed) > 40
    assert {sid: v for sid, v in external.items() if sid in claimed} == {sid: built_in[sid] for sid in claimed}
    assert all(v == "not_applicable" for sid, v in external.items() if sid not in claimed)
    assert all("iut.roles" in s["reason"] for s in run.results["scenarios"] if s["id"] not in judging)
    assert run.results["sut"]["iut_roles"] == ["idm", "kms"]
    assert not (tmp_path / "out" / "logs" / "kms.log").exists(), "the lab must not start a role under test"


class _Peer:
    """A TCP listener that accepts and then either says nothing or answers garbage."""

    def __init__(self, garbage: bool):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.garbage = garbage
        self.stop = threading.Event()
        self.held = []
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            if self.garbage:
                try:
                    conn.sendall(os.urandom(512) + b"HTTP/1.1 200 OK\r\n\r\n\x00\xff")
                finally:
                    conn.close()
            else:
                self.held.append(conn)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=2)
        for c in self.held:
            c.close()
        self.sock.close()


@pytest.mark.parametrize("garbage", [False, True], ids=["silent", "garbage"])
def test_a_silent_or_garbage_peer_ends_inconclusive_or_fail_within_its_timers(tmp_path, served, garbage):
    peer = _Peer(garbage)
    try:
        ca = TestCA.create(tmp_path / "ca")
        profile = tmp_path / "sut.toml"
        _profile(profile, served, str(ca.cert_path), idm_url=peer.url, kms_url=peer.url, timeout_s=1.0)
        run = mcsec_run(tmp_path / "out", "--sut", str(profile))
    finally:
        peer.close()
    assert run.status in (1, 3), run.stdout + run.stderr
    def run_here(s: dict) -> bool:
        return (not all(r.startswith("R714-") for r in s["requirements"])
                and bool({"idm", "kms"} & set(s["judges"])))

    verdicts = {s["verdict"] for s in run.results["scenarios"] if run_here(s)}
    assert run.results["scenarios"] and verdicts <= {"inconclusive", "fail"}, verdicts
    assert all(s["verdict"] == "not_applicable" for s in run.results["scenarios"] if not run_here(s))
    assert (tmp_path / "out" / "junit.xml").is_file()
    reasons = " ".join(s["reason"] for s in run.results["scenarios"])
    assert "IdM" in reasons
    # The dead peer is waited for a bounded number of times (the lab's discovery, a retry), not per scenario:
    # within its timers however many scenarios there are.
    assert peer.accepted <= 3, f"the dead peer was contacted {peer.accepted} times"
