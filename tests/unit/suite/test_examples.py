"""The example profiles of examples/ validate with `mcsec profile check`, and a broken profile is named."""
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mcsec.fixtures.profile import ProfileError, load
from mcsec.impl.testca import TestCA
from tests.repo import ROOT

EXAMPLES = ROOT / "examples"
ROLES = ("idm", "kms", "server", "core", "client")
CHECK_TIMEOUT_S = 60


def profile_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mcsec", "profile", "check", str(path)],
                          capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)


@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory) -> Path:
    return TestCA.create(tmp_path_factory.mktemp("ca")).cert_path


def _beside_ca(example: Path, folder: Path, ca_pem: Path) -> Path:
    shutil.copy(ca_pem, folder / "ca.pem")
    return Path(shutil.copy(example, folder / example.name))


def test_there_is_one_example_per_role():
    assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == sorted(f"{r}-under-test.toml" for r in ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_each_example_validates_and_puts_its_role_under_test(role, tmp_path, ca_pem):
    example = EXAMPLES / f"{role}-under-test.toml"
    assert tomllib.loads(example.read_text())["iut"]["roles"] == [role]
    run = profile_check(_beside_ca(example, tmp_path, ca_pem))
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert ": valid" in out.splitlines()[0]
    under_test = out.split("roles under test", 1)[1].split("roles the lab starts", 1)[0]
    lab_starts = out.split("roles the lab starts", 1)[1].split("claims (ICS)", 1)[0]
    names = {"idm": "IdM", "kms": "KMS", "server": "MCPTT server", "core": "SIP core", "client": "MCPTT client"}
    assert names[role] in under_test and names[role] not in lab_starts, out
    assert "sip_transport" in out and "http_timeout_s" in out and "clauses" in out


@pytest.mark.parametrize("role", ROLES)
def test_every_key_of_an_example_is_commented_where_it_first_appears(role):
    lines = (EXAMPLES / f"{role}-under-test.toml").read_text().splitlines()
    seen = set()
    for i, line in enumerate(lines):
        m = re.match(r"^\s*([a-z_0-9]+)\s*=", line)
        if not m or m.group(1) in seen:
            continue
        seen.add(m.group(1))
        following = lines[i + 1] if i + 1 < len(lines) else ""
        assert "#" in line or following.lstrip().startswith("#"), f"{role}: key {m.group(1)!r} has no comment"


def test_an_example_without_its_ca_file_is_refused_naming_ca_cert(tmp_path):
    copy = Path(shutil.copy(EXAMPLES / "server-under-test.toml", tmp_path / "p.toml"))
    run = profile_check(copy)
    assert run.returncode == 2
    assert "ixit.endpoints.ca_cert" in run.stderr and run.stdout == ""


@pytest.mark.parametrize("change, key", [
    (("server_sip = \"127.0.0.1:5070\"", "server_sip = \"127.0.0.1\""), "ixit.endpoints.server_sip"),
    (("sip_transport = \"udp\"", "sip_transport = \"sctp\""), "ixit.sip_transport"),
    (("user_id_format = \"hex\"", "user_id_format = \"b64\""), "ixit.user_id_format"),
    (("http_timeout_s = 10.0", "http_timeout_s = 0"), "ixit.timers.http_timeout_s"),
    (("roles = [\"server\"]", "roles = [\"sbc\"]"), "iut.roles"),
    (("[ixit.timers]", "[ixit.timers]\nretries = 3"), "ixit.timers.retries"),
    (("core_sip2 = 0 ", "core_sip2 = 70000 "), "lab.ports.core_sip2"),
], ids=["host-port", "transport", "user-id-format", "timer", "role", "unknown-key", "port"])
def test_a_broken_profile_is_named_by_its_key_with_exit_status_2(change, key, tmp_path, ca_pem):
    good = _beside_ca(EXAMPLES / "server-under-test.toml", tmp_path, ca_pem)
    old, new = change
    text = good.read_text()
    assert old in text
    good.write_text(text.replace(old, new, 1))
    run = profile_check(good)
    assert run.returncode == 2, run.stdout
    assert run.stderr.startswith(f"mcsec profile check: {key}"), run.stderr
    assert run.stdout == ""


def test_without_an_argument_the_built_in_profile_is_described():
    run = subprocess.run([sys.executable, "-m", "mcsec", "profile", "check"], capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert "the bundled reference implementation plays every role" in run.stdout


def test_an_unknown_topology_is_named(tmp_path, ca_pem):
    path = _beside_ca(EXAMPLES / "kms-under-test.toml", tmp_path, ca_pem)
    path.write_text(path.read_text().replace('topology = "loopback"', 'topology = "star"', 1))
    with pytest.raises(ProfileError, match=r"lab\.topology: expected one of loopback, netns, got 'star'"):
        load(path)


@pytest.mark.parametrize("role", ["server", "core", "client"])
def test_the_netns_topology_refuses_a_sip_role_under_test(role, tmp_path, ca_pem):
    path = _beside_ca(EXAMPLES / f"{role}-under-test.toml", tmp_path, ca_pem)
    with pytest.raises(ProfileError, match=rf"lab\.topology: .*the {role} of \[ixit\.endpoints\]"):
        load(path, topology="netns")


@pytest.mark.parametrize("role", ["idm", "kms"])
def test_the_netns_topology_is_accepted_when_the_sip_roles_are_the_labs(role, tmp_path, ca_pem):
    assert load(_beside_ca(EXAMPLES / f"{role}-under-test.toml", tmp_path, ca_pem), topology="netns").lab.topology == "netns"
