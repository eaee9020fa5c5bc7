import dataclasses
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.profile import REFERENCE_PROFILE, ProfileError, load
from mcsec.fixtures.lab.roleprocess import RoleProcess, RoleStartError
from mcsec.impl import httpclient


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_lab_stops_every_role_on_exit_even_after_an_exception(tmp_path):
    pids = []
    with pytest.raises(RuntimeError):
        with Lab(load(), tmp_path, roles=("idm", "kms")) as lab:
            pids = [p._proc.pid for p in lab.roles.values()]
            assert httpclient.request("GET", lab.endpoints.jwks_uri, context=lab.ssl_context).status == 200
            raise RuntimeError("scenario blew up")
    assert len(pids) == 2
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)
    assert (tmp_path / "idm.log").exists() and (tmp_path / "kms.log").exists(), "role logs are kept"


def test_a_role_that_cannot_start_is_reported_with_its_log(tmp_path):
    proc = RoleProcess("kms", "mcsec.impl.kms", {"faults": []}, tmp_path)  # no tls, no idm: unusable
    with pytest.raises(RoleStartError, match="kms"):
        proc.start(timeout=20)
    assert not proc.alive()


def test_roles_die_with_a_killed_lab_process(tmp_path):
    script = ("import sys,time\nfrom mcsec.fixtures.lab import Lab\nfrom mcsec.fixtures.profile import load\n"
              "lab = Lab(load(), sys.argv[1], roles=(\"idm\", \"kms\")); lab.start()\n"
              "print(' '.join(str(p._proc.pid) for p in lab.roles.values()), flush=True)\ntime.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=5)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in pids), "role processes outlived a killed lab"
    finally:
        parent.kill()


def test_reference_profile_loads_with_generated_secrets():
    a, b = load(), load()
    assert a.path == REFERENCE_PROFILE and a.ixit.user("alice").password != b.ixit.user("alice").password
    assert "password" not in repr(a.ixit.users) and "secret" not in repr(a.ixit.servers)


@pytest.mark.parametrize("text,key", [
    ("[iut]\nname='x'\nversion='1'\nroles=['kms']\n", "ics"),
    ("[iut]\nname='x'\nversion='1'\nroles='kms'\n[ics]\n[ixit]\n", "iut.roles"),
    ("[iut]\nname='x'\nversion='1'\nroles=['kms']\ncolour='red'\n[ics]\n[ixit]\n", "iut.colour"),
    ("[iut]\nname='x'\nversion='1'\nroles=['kms']\n[ics]\nclauses=['7.99']\nprotection_required=true\n[ixit]\n",
     "ics.clauses"),
    ("[iut]\nname='x'\nversion='1'\nroles=['kms']\n[ics]\nclauses=['7.13']\nprotection_required='yes'\n[ixit]\n",
     "ics.protection_required"),
    ("not toml [", "not valid TOML"),
])
def test_bad_profiles_name_the_key(tmp_path, text, key):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=key.replace(".", r"\.")):
        load(path)


def test_missing_profile_file_is_a_profile_error(tmp_path):
    with pytest.raises(ProfileError, match="cannot read"):
        load(tmp_path / "absent.toml")



def test_topology_is_loopback_unless_the_profile_or_the_command_line_says_netns():
    assert load().lab.topology == "loopback"
    assert load(topology="netns").lab.topology == "netns"


# --- the IdM's test control secret ------------------------------------------------------------------

def _idm_profile(tmp_path, claim: bool, secret_line: str = "") -> "object":
    from mcsec.impl.testca import TestCA
    from tests.repo import ROOT
    TestCA.create(tmp_path / "ca")
    (tmp_path / "ca.pem").write_bytes((tmp_path / "ca" / "ca.pem").read_bytes())
    text = (ROOT / "examples" / "idm-under-test.toml").read_text()
    text = text.replace("idm_test_control = false", f"idm_test_control = {str(claim).lower()}", 1)
    text = text.replace("[ixit]\n", f"[ixit]\n{secret_line}\n", 1)
    path = tmp_path / "idm.toml"
    path.write_text(text)
    return path


def test_an_idm_outside_claiming_test_control_needs_its_secret(tmp_path):
    with pytest.raises(ProfileError, match=r"^ixit\.idm_test_control_secret: missing"):
        load(_idm_profile(tmp_path, True))
    assert load(_idm_profile(tmp_path, False)).ixit.idm_test_control_secret is None


@pytest.mark.parametrize("value", ['"short"', '"has a space in it, long enough"', "12345678901234567890"])
def test_an_unusable_test_control_secret_is_named(tmp_path, value):
    with pytest.raises(ProfileError, match=r"^ixit\.idm_test_control_secret: expected"):
        load(_idm_profile(tmp_path, True, f"idm_test_control_secret = {value}"))


def test_the_test_control_secret_is_read_and_kept_out_of_repr(tmp_path):
    profile = load(_idm_profile(tmp_path, True, 'idm_test_control_secret = "Abcdefghijklmnop-_.~+/0123="'))
    assert profile.ixit.idm_test_control_secret == "Abcdefghijklmnop-_.~+/0123="
    assert "Abcdefghijklmnop" not in repr(profile)


def test_the_lab_hands_the_test_system_the_secret_its_idm_made(tmp_path):
    from mcsec.fixtures.agents.idm import IdmAgent
    with Lab(load(), tmp_path, roles=("idm",)) as lab:
        e = lab.endpoints
        assert e.idm_test_control_secret and e.idm_test_control_secret not in repr(e)
        agent = IdmAgent(e.idm_url, e.jwks_uri, lab.ssl_context, lab.profile, e.idm_test_control_secret)
        assert agent.mint("alice").count(".") == 2
        without = IdmAgent(e.idm_url, e.jwks_uri, lab.ssl_context, lab.profile)
        with pytest.raises(RuntimeError, match="401"):
            without.mint("alice")
    assert e.idm_test_control_secret not in (tmp_path / "idm.log").read_text()


def test_ics_switches_set_yes_no_items_and_name_a_bad_one():
    from mcsec.fixtures.profile import parse_switch

    assert load(ics_overrides={"protection_required": False}).ics.protection_required is False
    assert load().ics.replay_stamp is True and load(ics_overrides={"replay_stamp": False}).ics.replay_stamp is False
    with pytest.raises(ProfileError, match="ics.clauses: not an item that can be switched"):
        load(ics_overrides={"clauses": False})
    for bad in ("replay_stamp", "replay_stamp=yes", "=true"):
        with pytest.raises(ProfileError, match="ITEM=true or ITEM=false") if bad != "=true" else pytest.raises(
                ProfileError):
            item, value = parse_switch(bad)
            load(ics_overrides={item: value})
# --- the KMS's test control secret, the clock skew ---------------------------------------------------

def _client_profile(tmp_path, lines: str) -> "object":
    from mcsec.impl.testca import TestCA
    from tests.repo import ROOT
    TestCA.create(tmp_path / "ca")
    (tmp_path / "ca.pem").write_bytes((tmp_path / "ca" / "ca.pem").read_bytes())
    text = (ROOT / "examples" / "client-under-test.toml").read_text()
    path = tmp_path / "client.toml"
    path.write_text(text.replace("[ixit]\n", f"[ixit]\n{lines}\n", 1))
    return path


def test_a_kms_outside_claiming_test_control_needs_its_secret(tmp_path):
    text = _client_profile(tmp_path, "").read_text()
    (tmp_path / "claim.toml").write_text(text.replace('kms_test_control_secret = "', '# kms_test_control_secret = "'))
    with pytest.raises(ProfileError, match=r"^ixit\.kms_test_control_secret: missing"):
        load(tmp_path / "claim.toml")
    (tmp_path / "bad.toml").write_text(text.replace('kms_test_control_secret = "',
                                                    'kms_test_control_secret = "short" # "'))
    with pytest.raises(ProfileError, match=r"^ixit\.kms_test_control_secret: expected"):
        load(tmp_path / "bad.toml")
    profile = load(tmp_path / "client.toml")
    assert profile.ics.kms_test_control and profile.ixit.kms_test_control_secret
    assert profile.ixit.kms_test_control_secret not in repr(profile)


@pytest.mark.parametrize("value, ok", [("45", True), ("0.05", False), ("301", False), ('"30"', False)])
def test_the_clock_skew_is_an_ixit_timer(tmp_path, value, ok):
    assert load().ixit.timers.clock_skew_s == 30.0
    path = _client_profile(tmp_path, "")
    path.write_text(path.read_text().replace("clock_skew_s = 30.0", f"clock_skew_s = {value}", 1))
    if ok:
        assert load(path).ixit.timers.clock_skew_s == float(value)
    else:
        with pytest.raises(ProfileError, match=r"^ixit\.timers\.clock_skew_s"):
            load(path)


def test_the_lab_runs_the_kms_test_control_and_the_scripted_server_behind_its_core(tmp_path):
    with Lab(load(), tmp_path, roles=("idm", "kms", "server", "core")) as lab:
        e = lab.endpoints
        assert e.kms_test_control_secret and e.kms_test_control_secret not in repr(e)
        assert lab.scripted_server is not None and e.scripted_server == lab.scripted_server.address
        assert e.scripted_server.port in e.capture_ports()["SIP-2"]
        route = lab.configs["core"].routes[0]
        assert (route.uri, route.port) == (lab.profile.ixit.servers[1].uri, e.scripted_server.port)
    assert lab.scripted_server is None
    assert e.kms_test_control_secret not in (tmp_path / "kms.log").read_text()


# --- users of several KMSes (ics.several_kms) --------------------------------------------------------

def test_several_kms_needs_a_user_homed_elsewhere_and_the_labs_own_server(tmp_path):
    reference = load()
    assert reference.ics.several_kms and reference.ixit.home_kms(reference.ixit.user("carol")) == "kms2.example.org"
    assert reference.ixit.home_kms(reference.ixit.user("alice")) == reference.ixit.kms_uri
    assert load(ics_overrides={"several_kms": False}).ics.several_kms is False
    path = _client_profile(tmp_path, "")
    text = path.read_text()
    (tmp_path / "alone.toml").write_text(text.replace("several_kms = false", "several_kms = true"))
    with pytest.raises(ProfileError, match=r"^ics\.several_kms: claimed, but no ixit\.users entry"):
        load(tmp_path / "alone.toml")
    homed = text.replace("several_kms = false", "several_kms = true").replace(
        'mcptt_id = "sip:bob@example.org"', 'mcptt_id = "sip:bob@example.org"\nkms_uri = "kms2.example.org"')
    (tmp_path / "homed.toml").write_text(homed)
    assert load(tmp_path / "homed.toml").ixit.other_kms_uris == ("kms2.example.org",)
    (tmp_path / "empty.toml").write_text(homed.replace('kms_uri = "kms2.example.org"', 'kms_uri = ""'))
    with pytest.raises(ProfileError, match=r"^ixit\.users\[1\]\.kms_uri"):
        load(tmp_path / "empty.toml")
    served = re.sub(r"(?m)^\[ixit\.endpoints\]", '[ixit.endpoints]\nserver_sip = "127.0.0.1:5070"', homed)
    (tmp_path / "server.toml").write_text(served)
    with pytest.raises(ProfileError, match=r"^ics\.several_kms: the second KMS is one the lab starts"):
        load(tmp_path / "server.toml")


def test_the_lab_starts_the_second_kms_only_when_asked_and_it_runs_a_server_or_clients(tmp_path):
    profile = load()
    assert Lab(profile, tmp_path, several_kms=True).other_kms_uris == ("kms2.example.org",)
    assert Lab(profile, tmp_path).other_kms_uris == ()
    assert Lab(profile, tmp_path, roles=("idm", "kms"), several_kms=True).other_kms_uris == ()


def test_the_session_asks_for_the_second_kms_only_for_a_scenario_that_needs_it(tmp_path, monkeypatch):
    from mcsec.fixtures import session as sessions

    asked = []

    class NoLab:
        def __init__(self, profile, *, several_kms=False):
            asked.append(several_kms)

        def __enter__(self):
            raise sessions.OutsidePeerUnavailable("not started in this test")

    monkeypatch.setattr(sessions, "Lab", NoLab)

    class Ref:
        def __init__(self, *items):
            self.ics_items = items

    for profile, refs, want in ((load(), [Ref("replay_stamp")], False), (load(), [Ref(), Ref("several_kms")], True),
                                (load(ics_overrides={"several_kms": False}), [Ref("several_kms")], False)):
        session = sessions.ConformanceSession.__new__(sessions.ConformanceSession)
        session.profile, session.lab, session.lab_problem, session.out_dir = profile, None, None, tmp_path
        session.open_lab(refs)
        assert asked[-1] is want


def test_a_role_that_does_not_start_leaves_the_reason_and_its_log_not_an_internal_error(tmp_path):
    """A role of the lab that does not come up (here: the MCPTT server's fixed port is taken, twice) makes
    the session's lab problem name it, and the role's log is kept in the run's output (the lab's own
    folder, where it was written, is removed)."""
    import socket

    from mcsec.fixtures import session as sessions

    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 0))
    try:
        profile = load()
        ports = dataclasses.replace(profile.lab.ports, server_sip=holder.getsockname()[1])
        profile = dataclasses.replace(profile, lab=dataclasses.replace(profile.lab, ports=ports))
        session = sessions.ConformanceSession.__new__(sessions.ConformanceSession)
        session.profile, session.lab, session.lab_problem, session.out_dir = profile, None, None, tmp_path / "out"
        session.open_lab([])
    finally:
        holder.close()
    assert session.lab is None
    assert session.lab_problem.startswith("a role of the lab did not start: server: ")
    assert "in use" in session.lab_problem and str(tmp_path / "out" / "logs") in session.lab_problem
    assert (tmp_path / "out" / "logs" / "server.log").is_file()


def test_the_labs_second_kms_serves_its_users_clients_and_the_server_knows_it(tmp_path):
    with Lab(load(), tmp_path, several_kms=True) as lab:
        second = lab.endpoints.home_kms("kms2.example.org")
        assert second is not None and second.test_control_secret not in repr(second)
        assert second.test_control_secret != lab.endpoints.kms_test_control_secret
        assert lab.configs["kms-2"].kms_uri == "kms2.example.org" and lab.configs["kms-2"].port == int(
            second.url.rsplit(":", 1)[1])
        assert lab.configs["client-carol"].kms.kms_uri == "kms2.example.org"
        assert lab.configs["client-carol"].kms.url == second.url
        assert lab.configs["client-alice"].kms.kms_uri == lab.profile.ixit.kms_uri
        server = lab.configs["server"]
        assert [k.url for k in server.other_kms] == [second.url]
        assert server.user_kms == {"sip:carol@example.org": "kms2.example.org"}
        assert "carol" in lab.endpoints.upper_testers
