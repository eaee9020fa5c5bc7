"""`mcsec run --key-log` and `mcsec judge` on that run's own captures: the judge gives the wire verdicts the
run gave, scenario by scenario, fault-free and with the client sending its mcptt-info in clear."""
from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from mcsec.fixtures.keylog import read_key_log
from mcsec.fixtures.profile import load
from mcsec.fixtures.wire.capture import read_pcap
from mcsec.fixtures.wire.points import SIP1, SIP2
from mcsec.steps.sip import GROUP_ID
from tests.e2e.conftest import RunResult, mcsec, mcsec_run

WIRE_REQUIREMENTS = ("--requirement", "R713-CONF-SIP1", "--requirement", "R714-CONF-SIP1")
_JUDGED = re.compile(r"^Message \d+ on (SIP-[12]): (.*) \(([^ ]+) -> ([^,]+), \w+\)$")


def _keyed_run(base: Path, *extra: str) -> tuple[RunResult, Path]:
    keys = base / "private" / "run.keys"
    keys.parent.mkdir()
    return mcsec_run(base / "out", *WIRE_REQUIREMENTS, "--key-log", str(keys), *extra), keys


@pytest.fixture(scope="module")
def keyed_run(tmp_path_factory) -> tuple[RunResult, Path]:
    run, keys = _keyed_run(tmp_path_factory.mktemp("keyed"))
    assert run.status == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run, keys


@pytest.fixture(scope="module")
def clear_body_run(tmp_path_factory) -> tuple[RunResult, Path]:
    run, keys = _keyed_run(tmp_path_factory.mktemp("clear"), "--fault", "client_send_clear_body")
    assert run.status == 1, run.stdout[-3000:] + run.stderr[-3000:]
    return run, keys


def keys_toml(folder: Path, key_log: Path) -> Path:
    """What an operator writes for the run: its key log, and the profile's identities as sensitive values."""
    x = load(None).ixit
    ids = ", ".join(f'"{u.mcptt_id}"' for u in x.users)
    impus = "".join(f'"{u.impu}" = "{u.mcptt_id}"\n' for u in x.users)
    servers = ", ".join(f'"{s.uri}"' for s in x.servers)
    path = folder / "KEYS.toml"
    path.write_text(f'name = "judged run"\nkey_log = "{key_log}"\nservers = [{servers}]\n'
                    f'[sensitive]\nmcptt_ids = [{ids}]\ngroup_ids = ["{GROUP_ID}"]\n[impu]\n{impus}')
    return path


def judge_scenario(run: RunResult, scenario: dict, keys: Path, out: Path) -> tuple[int, dict]:
    pcaps = {p.rsplit("/", 1)[1]: run.out / p for p in scenario["evidence"] if p.endswith(".pcap")}
    assert set(pcaps) == {"sip1.pcap", "sip2.pcap"}, scenario["evidence"]
    proc = mcsec("judge", f"SIP-1={pcaps['sip1.pcap']}", f"SIP-2={pcaps['sip2.pcap']}", "--keys", str(keys),
                 "--out", str(out))
    assert proc.returncode in (0, 1, 3), proc.stderr
    return proc.returncode, RunResult(proc.returncode, proc.stdout, proc.stderr, out).results


def failed_messages(judged: dict) -> set[tuple[str, str, str, str]]:
    out = set()
    for s in judged["scenarios"]:
        match = _JUDGED.match(s["name"])
        if match and s["verdict"] == "fail":
            out.add(match.groups())
    return out


def test_the_key_log_is_owner_only_outside_the_run_folder_and_nothing_of_it_is_in_the_outputs(keyed_run):
    run, keys = keyed_run
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert not keys.is_relative_to(run.out)
    content = read_key_log(keys)
    kinds = {k.kind for k in content.keys}
    # One certificate per KMS the run used: each worker of a parallel run has a KMS of that URI.
    assert kinds == {"CEK", "CSK"} and {c.kms_uri for c in content.certificates} == {"kms.example.org"}
    logged = run.results["suite"]["key_log"]
    assert logged["enabled"] and logged["keys"] == len(content.keys) and logged["unresolved"] == []
    assert logged["file"] == str(keys.resolve())
    assert 'id="key-log"' in (run.out / "compliance.html").read_text()
    secrets = [k.key.hex() for k in content.keys]
    texts = [run.stdout, run.stderr] + [p.read_bytes().hex() + p.read_text(errors="replace")
                                        for p in run.out.rglob("*") if p.is_file()]
    assert not [s for s in secrets for t in texts if s in t.lower()], "a logged key reached the run's outputs"


def test_judging_the_runs_captures_with_its_key_log_gives_the_runs_wire_verdicts(keyed_run, tmp_path):
    run, key_log = keyed_run
    keys = keys_toml(tmp_path, key_log)
    scenarios = run.results["scenarios"]
    assert len(scenarios) >= 8 and all(s["verdict"] == "pass" for s in scenarios)
    opened = i_messages = 0
    for scenario in scenarios:
        status, judged = judge_scenario(run, scenario, keys, tmp_path / scenario["id"])
        verdicts = {s["id"]: s["verdict"] for s in judged["scenarios"]}
        assert status == 0 and set(verdicts.values()) == {"pass"}, (scenario["id"], judged["scenarios"])
        steps = [st["text"] for s in judged["scenarios"] for st in s["steps"] if st["status"] == "passed"]
        opened += sum(t.startswith("the body opens with the key of that Key ID") for t in steps)
        i_messages += sum(sid.endswith("-INT") for sid in verdicts)
    assert opened >= 4 * len(scenarios), "every protected request and answer on both points was opened"
    assert i_messages >= 8, "the CSK uploads of the 7.14 scenarios were judged on SIP-1 and SIP-2"


def refused_requests(run: RunResult, scenario: dict) -> set[tuple[str, str, str, str]]:
    """The requests of the scenario's capture that were answered 403: what made the run fail it."""
    out = set()
    for name, point in (("sip1.pcap", SIP1), ("sip2.pcap", SIP2)):
        path = next(run.out / p for p in scenario["evidence"] if p.endswith("/" + name))
        messages = [m for m in read_pcap(path, point) if m.message is not None]
        refused = {(m.message.call_id, str(m.message.headers.get("CSeq"))) for m in messages
                   if not m.is_request and m.message.status == 403}
        out |= {(point, m.first_line, m.src, m.dst) for m in messages
                if m.is_request and (m.message.call_id, str(m.message.headers.get("CSeq"))) in refused}
    return out


def test_the_judge_fails_the_messages_the_run_failed_when_the_client_sends_in_clear(clear_body_run, tmp_path):
    run, key_log = clear_body_run
    keys = keys_toml(tmp_path, key_log)
    scenarios = run.results["scenarios"]
    assert scenarios and all(s["verdict"] == "fail" and "403" in s["reason"] for s in scenarios), \
        [(s["id"], s["verdict"], s["reason"]) for s in scenarios]
    for scenario in scenarios:
        status, judged = judge_scenario(run, scenario, keys, tmp_path / scenario["id"])
        assert status == 1, (scenario["id"], judged["scenarios"])
        refused = refused_requests(run, scenario)
        assert {p for p, *_ in refused} == {SIP1, SIP2}, (scenario["id"], refused)
        # the judge fails exactly the requests the MCPTT server refused, on both points, and says why
        assert failed_messages(judged) == refused, (scenario["id"], failed_messages(judged), refused)
        reasons = " ".join(s["reason"] for s in judged["scenarios"] if s["verdict"] == "fail")
        assert "readable: MCPTT ID" in reasons and "the body is not protected" in reasons
