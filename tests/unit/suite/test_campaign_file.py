"""Campaign files (mcsec/campaign.py): what each entry runs and pairs, the errors naming file and key, and the
scheduling of entries (in process: the runs themselves are in tests/e2e/test_campaign_runs.py)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mcsec import campaign
from mcsec.campaign import REFERENCE, CampaignError, Entry, Outcome
from mcsec.impl.testca import TestCA
from tests.repo import ROOT

CLI_TIMEOUT_S = 120


def _write(folder: Path, text: str, name: str = "c.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    """A copy of examples/ with a test CA where the profiles expect their ca.pem."""
    folder = tmp_path_factory.mktemp("examples") / "examples"
    shutil.copytree(ROOT / "examples", folder)
    ca = TestCA.create(folder.parent / "ca").cert_path
    for where in (folder, folder / "campaigns"):
        shutil.copy(ca, where / "ca.pem")
    return folder


def test_the_rehearsal_example_serves_two_products_beside_the_reference():
    c = campaign.load(ROOT / "examples" / "campaigns" / "rehearsal.toml")
    assert [(e.name, e.kind, e.serve) for e in c.entries] == [("reference", "reference", None), ("kms", "serve", "kms"),
                                                               ("server", "serve", "server")]
    assert c.entries[0].pairs == [(REFERENCE, REFERENCE)]
    assert c.entries[1].pairs == [("Reference KMS (served)", REFERENCE)]
    assert c.entries[1].products == {"kms": "Reference KMS (served)"}
    assert all(not e.exclusive for e in c.entries)   # the lab and the served products are each run's own


def test_the_interop_example_pairs_a_client_with_a_server_and_keeps_shared_products_apart(examples):
    c = campaign.load(examples / "campaigns" / "interop-event.toml")
    by = {e.name: e for e in c.entries}
    pairing = by["acme-client-bravo-server"]
    assert pairing.products == {"client": "Acme MCPTT client", "server": "Bravo MCPTT server"}
    assert pairing.pairs == [("Acme MCPTT client", "Bravo MCPTT server")]
    assert pairing.requirements == ("R713-SMIME-CEK", "R714-CONF-SIP1", "R714-CONF-SIP2")
    assert by["bravo-server"].pairs == [("Bravo MCPTT server", REFERENCE)]
    assert "server 127.0.0.1:5070" in by["bravo-server"].exclusive & pairing.exclusive
    assert "lab port 5060" in by["acme-client"].exclusive & pairing.exclusive
    assert by["acme-kms"].profile == (examples / "kms-under-test.toml").resolve()
    assert by["reference"].exclusive == frozenset()


def test_three_products_in_one_run_fill_every_pair_of_them():
    e = Entry("x", "profile", {"client": "A", "server": "B", "core": "C", "kms": "A"})
    assert e.product_names == ["A", "B", "C"]
    assert e.pairs == [("A", "B"), ("A", "C"), ("B", "C")]


def test_an_entry_runs_with_its_selection_switches_and_faults():
    e = Entry("x", "reference", {"kms": REFERENCE}, requirements=("R1", "R2"), keyword="TOK and not 004",
              ics={"protection_required": False}, faults=("kms_accept_expired",), sip_core="kamailio")
    assert e.run_options() == ["--requirement", "R1", "--requirement", "R2", "-k", "TOK and not 004",
                               "--sip-core", "kamailio", "--ics", "protection_required=false",
                               "--fault", "kms_accept_expired"]
    served = Entry("y", "serve", {"kms": "K"}, serve="kms", ics={"replay_stamp": True}, faults=("kms_accept_expired",))
    assert served.run_options() == []   # the served product takes its ICS side and faults from its serve


BAD = [
    ("", "entry: expected at least one [[entry]] table"),
    ("[campaign]\nname = 3\n[[entry]]\nname='a'\nreference=true\n", "campaign.name: expected a non-empty string"),
    ("[campaign]\ntimeout_s = 0\n[[entry]]\nname='a'\nreference=true\n", "campaign.timeout_s"),
    ("[campaign]\njobz = 2\n[[entry]]\nname='a'\nreference=true\n", "campaign.jobz: unknown key"),
    ("[[entry]]\nname='a b'\nreference=true\n", "entry[0].name: expected a name"),
    ("[[entry]]\nname='a'\n", "entry[0] (a): expected exactly one of reference"),
    ("[[entry]]\nname='a'\nreference=true\nserve='kms'\n", "got reference, serve"),
    ("[[entry]]\nname='a'\nreference=true\n[[entry]]\nname='a'\nreference=true\n", "entry[1].name: 'a' is already"),
    ("[[entry]]\nname='a'\nserve='hss'\n", "entry[0] (a).serve: expected the role"),
    ("[[entry]]\nname='a'\nserve='kms'\nrequirements=['R999']\n", "entry[0] (a).requirements: unknown requirement 'R999'"),
    ("[[entry]]\nname='a'\nserve='kms'\nfaults=['nope']\n", "entry[0] (a).faults: unknown fault 'nope'"),
    ("[[entry]]\nname='a'\nserve='kms'\nics={protection_required='no'}\n", "ics.protection_required: expected true"),
    ("[[entry]]\nname='a'\nserve='kms'\nics={colour=true}\n", "entry[0] (a).ics.colour"),
    ("[[entry]]\nname='a'\nserve='kms'\nproduct={server='S'}\n", "product: no product for kms; server not under test"),
    ("[[entry]]\nname='a'\nreference=true\nproduct='Mine'\n", "entry[0] (a).product: the built-in reference"),
    ("[[entry]]\nname='a'\nprofile='missing.toml'\n", "entry[0] (a).profile: cannot read profile"),
    ("[[entry]]\nname='a'\nserve='kms'\nsip_core='opensips'\n", "entry[0] (a).sip_core"),
    ("[[entry]]\nname='a'\nserve='kms'\ncolour='red'\n", "entry[0] (a).colour: unknown key"),
    ("[[entry]]\nname='a'\nserve='kms'\nkeyword=''\n", "entry[0] (a).keyword"),
    ("[[entry]\n", "not valid TOML"),
    ("[jobs]\n", "unknown key 'jobs'"),
]


@pytest.mark.parametrize("text, said", BAD, ids=[s for _, s in BAD])
def test_a_bad_campaign_file_is_named_with_its_key(tmp_path, text, said):
    path = _write(tmp_path, text)
    with pytest.raises(CampaignError) as caught:
        campaign.load(path)
    assert str(caught.value).startswith(f"{path}: "), caught.value
    assert said in str(caught.value)


def test_a_profile_error_of_an_entry_names_the_entry_and_the_profile_key(examples, tmp_path):
    broken = tmp_path / "kms.toml"
    broken.write_text((examples / "kms-under-test.toml").read_text().replace('roles = ["kms"]', 'roles = ["hss"]'))
    path = _write(tmp_path, "[[entry]]\nname='vendor'\nprofile='kms.toml'\n")
    with pytest.raises(CampaignError, match=r"entry\[0\] \(vendor\)\.profile: iut\.roles: unknown role 'hss'"):
        campaign.load(path)
    faulty = _write(tmp_path, f"[[entry]]\nname='v'\nprofile='{examples / 'kms-under-test.toml'}'\n"
                              "faults=['kms_accept_expired']\n", "f.toml")
    with pytest.raises(CampaignError, match=r"\.faults: named faults are for the reference"):
        campaign.load(faulty)


def test_a_product_name_defaults_to_the_profile_name_and_the_served_role(examples, tmp_path):
    path = _write(tmp_path, f"[[entry]]\nname='v'\nprofile='{examples / 'kms-under-test.toml'}'\n"
                            "[[entry]]\nname='s'\nserve='core'\n")
    v, s = campaign.load(path).entries
    assert v.products == {"kms": "Example KMS"}
    assert s.products == {"core": f"{REFERENCE} core (served)"}


def test_the_command_refuses_a_bad_campaign_file_with_usage_status(tmp_path):
    path = _write(tmp_path, "[[entry]]\nname='a'\nserve='kms'\nrequirements=['R999']\n")
    proc = subprocess.run([sys.executable, "-m", "mcsec", "campaign", str(path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    assert proc.returncode == 2, proc.stderr
    assert f"mcsec campaign: {path}: entry[0] (a).requirements: unknown requirement 'R999'" in proc.stderr
    assert not (tmp_path / "o" / "runs").exists()


# --------------------------------------------------------------------------- scheduling


class FakeRuns:
    """Records which entries run at once; each run waits until told to end, so overlap is decided by the
    test, not by timing."""

    def __init__(self):
        self.live: set[str] = set()
        self.seen_together: list[frozenset[str]] = []
        self.lock = threading.Lock()
        self.release: dict[str, threading.Event] = {}

    def run(self, entry: Entry) -> Outcome:
        with self.lock:
            self.live.add(entry.name)
            self.seen_together.append(frozenset(self.live))
            gate = self.release.setdefault(entry.name, threading.Event())
        gate.wait(30)
        with self.lock:
            self.live.discard(entry.name)
        return Outcome(entry, 0, {"summary": {"pass": 1}}, 0.0)


def _entries(*exclusive: set[str]) -> list[Entry]:
    return [Entry(f"e{i}", "profile", {"kms": f"P{i}"}, exclusive=frozenset(x)) for i, x in enumerate(exclusive)]


def _drive(entries: list[Entry], jobs: int) -> tuple[FakeRuns, list[str]]:
    runs = FakeRuns()
    finished: list[str] = []
    for e in entries:
        runs.release[e.name] = threading.Event()
    thread = threading.Thread(target=lambda: finished.extend(
        o.entry.name for o in campaign.schedule(entries, jobs, runs.run, lambda o: None)))
    thread.start()
    for _ in range(400):   # let them go one at a time, in the order they started, until all have run
        with runs.lock:
            live = sorted(runs.live)
        if live:
            runs.release[live[0]].set()
        if not thread.is_alive():
            break
        time.sleep(0.01)
    for gate in runs.release.values():
        gate.set()
    thread.join(30)
    return runs, finished


def test_entries_sharing_a_product_never_run_at_once_and_jobs_caps_the_rest():
    entries = _entries({"server 127.0.0.1:5070"}, set(), {"server 127.0.0.1:5070", "lab port 5060"}, set(),
                       {"lab port 5060"})
    runs, finished = _drive(entries, jobs=3)
    assert finished == [e.name for e in entries]          # outcomes in the file's order
    assert all(len(together) <= 3 for together in runs.seen_together)
    for together in runs.seen_together:
        assert not {"e0", "e2"} <= together and not {"e2", "e4"} <= together, together
    assert any(len(together) > 1 for together in runs.seen_together)   # the others did run side by side


def test_one_job_runs_one_entry_at_a_time():
    runs, finished = _drive(_entries(set(), set(), set()), jobs=1)
    assert finished == ["e0", "e1", "e2"]
    assert all(len(together) == 1 for together in runs.seen_together)


def test_the_campaign_status_is_the_worst_run():
    def outcome(code, document=True):
        return Outcome(Entry("x", "reference", {}), code, {"summary": {}} if document else None, 0.0)

    assert campaign.exit_status([outcome(0), outcome(0)]) == 0
    assert campaign.exit_status([outcome(0), outcome(3)]) == 3
    assert campaign.exit_status([outcome(3), outcome(1)]) == 1
    assert campaign.exit_status([outcome(0), outcome(None, document=False)]) == 3
    assert outcome(2).status == "broken" and outcome(130).status == "broken" and outcome(1).status == "fail"
