"""The vendor guide's paths, with reference roles played by `mcsec serve` as "the vendor's product".

Each test follows docs/vendor-guide.md: serve the product (and its peers) as a separate process
tree, write the profile from the JSON line `mcsec serve` prints, `mcsec profile check` it, then
`mcsec run --sut` it and compare with the built-in reference run.
"""
import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from mcsec.fixtures.profile import REFERENCE_PROFILE
from tests.repo import ROOT
from tests.e2e.conftest import mcsec_run

SERVE_READY_S = 90
SERVE_STOP_S = 15


def _toml(value) -> str:
    return json.dumps(value)  # a JSON string or integer is a valid TOML value


@contextlib.contextmanager
def serve(roles: str, run_dir: Path, *extra: str):
    """`mcsec serve --roles ROLES` in its own session; yields its JSON line; stops it with SIGTERM."""
    proc = subprocess.Popen([sys.executable, "-m", "mcsec", "serve", "--roles", roles, "--run-dir", str(run_dir),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        yield _ready_line(proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=SERVE_STOP_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=SERVE_STOP_S)
            raise AssertionError("mcsec serve did not stop on SIGTERM") from None
    assert proc.returncode == 0, f"mcsec serve ended with {proc.returncode}"


def _ready_line(proc: subprocess.Popen) -> dict:
    deadline = time.monotonic() + SERVE_READY_S
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        assert left > 0, f"mcsec serve printed no ready line in {SERVE_READY_S} s"
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                proc.wait(timeout=SERVE_STOP_S)
                raise AssertionError(f"mcsec serve exited {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            data += chunk
    return json.loads(data.split(b"\n", 1)[0])


def _users(info: dict, keys: tuple[str, ...]) -> list[str]:
    lines = []
    for u in info["users"]:
        lines += ["[[ixit.users]]"] + [f"{k} = {_toml(u[k])}" for k in keys]
    return lines


def _servers(info: dict, keys: tuple[str, ...]) -> list[str]:
    lines = []
    for s in info["servers"]:
        lines += ["[[ixit.servers]]"] + [f"{k} = {_toml(s[k])}" for k in keys]
    return lines


def _head(name: str, role: str, info: dict) -> list[str]:
    return ["[iut]", f"name = {_toml(name)}", 'version = "test"', f"roles = [{_toml(role)}]",
            "[ics]", 'clauses = ["7.13"]', "protection_required = true", "idm_test_control = true",
            "[ixit]", f"kms_uri = {_toml(info['roles']['kms']['kms_uri'])}", f"kms_scope = {_toml(info['kms_scope'])}",
            "[ixit.oauth_client]", f"client_id = {_toml(info['oauth_client']['client_id'])}",
            f"redirect_uri = {_toml(info['oauth_client']['redirect_uri'])}"]


def server_profile(folder: Path, info: dict) -> Path:
    """examples/server-under-test.toml, filled in from `mcsec serve --roles idm,kms,server` as the
    guide says: addresses, the CA beside the profile, passwords and secrets in the order printed."""
    text = (ROOT / "examples" / "server-under-test.toml").read_text()
    fills = [('server_sip = "127.0.0.1:5070"', f"server_sip = {_toml(info['roles']['server']['sip'])}"),
             ('idm_url = "https://127.0.0.1:38059"', f"idm_url = {_toml(info['roles']['idm']['url'])}"),
             ('kms_url = "https://127.0.0.1:39301"', f"kms_url = {_toml(info['roles']['kms']['url'])}")]
    fills += [('"password-printed-by-mcsec-serve"', _toml(u["password"])) for u in info["users"]]
    fills += [('"secret-printed-by-mcsec-serve"', _toml(sv["client_secret"])) for sv in info["servers"]]
    fills += [('"test-control-secret-printed-by-mcsec-serve"', _toml(info["roles"]["idm"]["test_control_secret"]))]
    trusted_port = info["roles"]["server"]["trusted_core_sip2"][0].rsplit(":", 1)[1]
    fills += [("core_sip2 = 0 ", f"core_sip2 = {trusted_port} ")]  # the served server trusts this core port
    for old, new in fills:
        assert old in text, f"examples/server-under-test.toml no longer has {old}"
        text = text.replace(old, new, 1)
    for u in info["users"]:
        assert f"mcptt_id = {_toml(u['mcptt_id'])}" in text and f"impu = {_toml(u['impu'])}" in text
    shutil.copy(info["ca_cert_path"], folder / "ca.pem")
    path = folder / "my-server.toml"
    path.write_text(text)
    return path


def core_profile(path: Path, info: dict, server_port: int) -> Path:
    """examples/core-under-test.toml, filled in from `mcsec serve --roles core`."""
    lines = _head("SIP core served as the product", "core", info) + [
        "[ixit.endpoints]", f"core_sip1 = {_toml(info['roles']['core']['sip1'])}",
        f"core_sip2 = {_toml(info['roles']['core']['sip2'])}",
        "[lab.ports]", f"server_sip = {server_port}"]
    lines += _users(info, ("username", "mcptt_id", "impu", "sip_password"))
    lines += _servers(info, ("client_id", "uri"))
    path.write_text("\n".join(lines) + "\n")
    return path


def profile_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mcsec", "profile", "check", str(path)],
                          capture_output=True, text=True, timeout=60)


def _free_port() -> int:
    """A port free for both UDP and TCP on loopback now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise AssertionError("no free loopback port")


def _claimed_verdicts_match(run, baseline_run) -> None:
    got = {s["id"]: s["verdict"] for s in run.results["scenarios"]}
    built_in = {s["id"]: s["verdict"] for s in baseline_run.results["scenarios"]}
    claimed = {sid for sid in built_in if not sid.startswith("MCSEC-714-")}   # the profiles claim 7.13 only
    differ = {sid: (got.get(sid), built_in[sid]) for sid in claimed if got.get(sid) != built_in[sid]}
    reasons = {s["id"]: s["reason"] for s in run.results["scenarios"] if s["id"] in differ}
    assert not differ, f"verdicts (product, built-in) that differ: {differ}\nreasons: {reasons}"
    assert all(v == "not_applicable" for sid, v in got.items() if sid.startswith("MCSEC-714-"))


def test_mcptt_server_path(tmp_path, baseline_run):
    """I have an MCPTT server: the served reference server, IdM and KMS; the lab runs core and clients."""
    with serve("idm,kms,server", tmp_path / "served") as info:
        profile = server_profile(tmp_path, info)
        check = profile_check(profile)
        assert check.returncode == 0, check.stderr
        assert f"MCPTT server  SIP {info['roles']['server']['sip']}" in check.stdout
        run = mcsec_run(tmp_path / "out", "--sut", str(profile))
    _claimed_verdicts_match(run, baseline_run)
    assert run.status == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.results["sut"]["iut_roles"] == ["server"]
    logs = {p.name for p in (tmp_path / "out" / "logs").iterdir()}
    assert "server.log" not in logs and {"core.log", "client-alice.log"} <= logs, logs
    assert (tmp_path / "out" / "compliance.html").is_file() and (tmp_path / "out" / "junit.xml").is_file()


def test_sip_core_path(tmp_path, baseline_run):
    """I have a SIP core: the served reference core relays to the lab's MCPTT server on the fixed port
    of [lab.ports] server_sip; the lab runs IdM, KMS, server and clients."""
    server_port = _free_port()
    # The product is configured with the lab's server address: `mcsec serve --sut` with that
    # address outside, so the served core relays there (and no server is served).
    serve_profile = tmp_path / "serve-core.toml"
    text = REFERENCE_PROFILE.read_text().replace('roles = ["idm", "kms", "client", "server", "core"]', "roles = []")
    serve_profile.write_text(text + f'\n[ixit.endpoints]\nserver_sip = "127.0.0.1:{server_port}"\n')
    with serve("core", tmp_path / "served", "--sut", str(serve_profile)) as info:
        assert "server" not in info["roles"], "the served core must relay to the lab's server, not to a served one"
        profile = core_profile(tmp_path / "my-core.toml", info, server_port)
        check = profile_check(profile)
        assert check.returncode == 0, check.stderr
        assert f"MCPTT server  SIP on 127.0.0.1:{server_port} (fixed by [lab.ports])" in check.stdout
        # One scenario first: a core that cannot reach the lab's server fails here in seconds, not
        # after every SIP scenario has waited out its timer.
        probe = mcsec_run(tmp_path / "probe", "--sut", str(profile), "-k", "sent_in_clear_is_refused")
        assert probe.results["summary"]["pass"] == 1, (
            "the served SIP core could not reach the lab's MCPTT server at the fixed [lab.ports] server_sip "
            f"127.0.0.1:{server_port}: " + " ".join(s["reason"] for s in probe.results["scenarios"]))
        run = mcsec_run(tmp_path / "out", "--sut", str(profile))
    _claimed_verdicts_match(run, baseline_run)
    assert run.status == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.results["sut"]["iut_roles"] == ["core"]
    assert "core.log" not in {p.name for p in (tmp_path / "out" / "logs").iterdir()}


def client_profile(folder: Path, peers: dict, product: dict, core_sip1: int) -> Path:
    """examples/client-under-test.toml, filled in as the guide says: the served IdM and KMS, the product's
    upper testers and SIP addresses, both CAs in one ca.pem, the printed passwords, the fixed core port."""
    text = (ROOT / "examples" / "client-under-test.toml").read_text()
    clients = product["roles"]["client"]
    fills = [('idm_url = "https://127.0.0.1:38059"', f"idm_url = {_toml(peers['roles']['idm']['url'])}"),
             ('kms_url = "https://127.0.0.1:39301"', f"kms_url = {_toml(peers['roles']['kms']['url'])}"),
             ('alice = "https://127.0.0.1:7001"', f"alice = {_toml(clients['upper_testers']['alice'])}"),
             ('bob = "https://127.0.0.1:7002"', f"bob = {_toml(clients['upper_testers']['bob'])}"),
             ('alice = "127.0.0.1:5081"', f"alice = {_toml(clients['sip']['alice'])}"),
             ('bob = "127.0.0.1:5082"', f"bob = {_toml(clients['sip']['bob'])}"),
             ("core_sip1 = 5060", f"core_sip1 = {core_sip1}")]
    for u in peers["users"]:
        fills += [('"password-printed-by-mcsec-serve"', _toml(u["password"])),
                  ('"sip-password-printed-by-mcsec-serve"', _toml(u["sip_password"]))]
    fills += [('"secret-printed-by-mcsec-serve"', _toml(sv["client_secret"])) for sv in peers["servers"]]
    fills += [('"test-control-secret-printed-by-mcsec-serve"', _toml(peers["roles"]["idm"]["test_control_secret"])),
              ('"kms-test-control-secret-printed-by-mcsec-serve"',
               _toml(peers["roles"]["kms"]["test_control_secret"]))]
    for old, new in fills:
        assert old in text, f"examples/client-under-test.toml no longer has {old}"
        text = text.replace(old, new, 1)
    (folder / "ca.pem").write_text(peers["ca_cert_pem"] + product["ca_cert_pem"])
    path = folder / "my-client.toml"
    path.write_text(text)
    return path


def test_mcptt_client_path(tmp_path, baseline_run):
    """I have an MCPTT client: reference clients served as the product, behind their upper testers,
    configured with the served IdM and KMS and the lab's core on the fixed [lab.ports] core_sip1; the
    lab runs the SIP core and the MCPTT server."""
    core_sip1 = _free_port()
    with serve("idm,kms", tmp_path / "peers") as peers:
        # The product: configured with the served IdM, KMS and CA, the printed user credentials, and
        # the lab core's fixed SIP-1 address as its outbound proxy (no core or server served).
        (tmp_path / "product").mkdir()
        shutil.copy(peers["ca_cert_path"], tmp_path / "product" / "peers-ca.pem")
        serve_profile = tmp_path / "product" / "serve-client.toml"
        text = REFERENCE_PROFILE.read_text().replace('roles = ["idm", "kms", "client", "server", "core"]',
                                                     "roles = []")
        for u in peers["users"]:
            text = text.replace(f'username = {_toml(u["username"])}\n',
                                f'username = {_toml(u["username"])}\npassword = {_toml(u["password"])}\n'
                                f'sip_password = {_toml(u["sip_password"])}\n', 1)
        for sv in peers["servers"]:
            text = text.replace(f'client_id = {_toml(sv["client_id"])}\n',
                                f'client_id = {_toml(sv["client_id"])}\nclient_secret = {_toml(sv["client_secret"])}\n', 1)
        serve_profile.write_text(text + "\n[ixit.endpoints]\n"
                                 f"idm_url = {_toml(peers['roles']['idm']['url'])}\n"
                                 f"kms_url = {_toml(peers['roles']['kms']['url'])}\n"
                                 'ca_cert = "peers-ca.pem"\n'
                                 f'core_sip1 = "127.0.0.1:{core_sip1}"\n'
                                 # not used by a client; named so that no core or server is served
                                 'core_sip2 = "127.0.0.1:9"\nserver_sip = "127.0.0.1:9"\n')
        with serve("client", tmp_path / "served", "--sut", str(serve_profile)) as product:
            assert set(product["roles"]) == {"idm", "client"}, product["roles"].keys()
            profile = client_profile(tmp_path, peers, product, core_sip1)
            check = profile_check(profile)
            assert check.returncode == 0, check.stderr
            assert f"SIP core      reference core: SIP-1 on 127.0.0.1:{core_sip1} (fixed by [lab.ports])" \
                in check.stdout, check.stdout
            run = mcsec_run(tmp_path / "out", "--sut", str(profile))
    _claimed_verdicts_match(run, baseline_run)
    assert run.status == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.results["sut"]["iut_roles"] == ["client"]
    logs = {p.name for p in (tmp_path / "out" / "logs").iterdir()}
    assert "client-alice.log" not in logs and {"core.log", "server.log"} <= logs, logs
