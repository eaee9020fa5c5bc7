"""manifest.json and manifest.sig: written last into a run folder, checked by `mcsec report verify`.

The run folder is the synthetic results with its reports written as a run writes them
(reports.outputs, then reports.manifest); hashes and fingerprints are recomputed here with hashlib."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mcsec import cli
from mcsec.commands import kill_matrix as kill_matrix_command
from mcsec.reports import manifest, outputs, results
from tests.unit.reports.conftest import mcsec, synthetic_document
from tests.unit.reports.html_check import Page

PCAP = "evidence/7.13_a_fails/sip1.pcap"


def _pem(key: Ed25519PrivateKey, path: Path) -> Path:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def _public_pem(key: Ed25519PrivateKey, path: Path) -> Path:
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


def _fingerprint(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert len(raw) == 32
    return hashlib.sha256(raw).hexdigest()


def _seal(run: Path, key: Ed25519PrivateKey | None) -> None:
    """What the runner does at its end: the reports, then the manifest."""
    document = results.load(run / "results.json")
    outputs.write_reports(document, run, signed_by=manifest.signer_fingerprint(key))
    manifest.write(run, key)


@pytest.fixture
def keydir(tmp_path_factory) -> Path:
    """Key files, outside the run folder."""
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def run(synthetic_run: Path) -> Path:
    """The synthetic run with its reports, a binary evidence file, an unsigned manifest."""
    (synthetic_run / PCAP).write_bytes(bytes(range(256)) * 4)
    (synthetic_run / "logs").mkdir()
    (synthetic_run / "logs" / "kms.log").write_text("kms started\n")
    _seal(synthetic_run, None)
    return synthetic_run


@pytest.fixture
def signed_run(run: Path, key) -> Path:
    _seal(run, key)
    return run


def _verify(capsys, folder: Path, *extra: str) -> tuple[int, str]:
    status = cli.main(["report", "verify", str(folder), *extra])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_every_output_and_evidence_file_is_listed_with_its_sha256(run: Path):
    m = json.loads((run / "manifest.json").read_text())
    listed = [e["path"] for e in m["files"]]
    assert listed == [f for f in _files(run) if f not in ("manifest.json", "manifest.sig")]
    assert {"results.json", "compliance.html", "junit.xml", "cucumber.json", PCAP, "logs/kms.log"} <= set(listed)
    for e in m["files"]:
        data = (run / e["path"]).read_bytes()
        assert e["sha256"] == hashlib.sha256(data).hexdigest() and e["size"] == len(data)
    assert m["manifest_version"] == 1 and m["algorithm"] == "sha256" and m["signature"] is None
    assert m["suite"] == {"name": "mcsec", "version": results.load(run / "results.json")["suite"]["version"]}
    assert m["created"].endswith("+00:00")
    assert not (run / "manifest.sig").exists()


def test_an_untouched_run_verifies(capsys, run: Path):
    status, out = _verify(capsys, run)
    assert status == 0, out
    assert "signature: none" in out and out.rstrip().endswith("OK")


@pytest.mark.parametrize("name", ["results.json", "compliance.html", "junit.xml", "cucumber.json",
                                  "evidence/7.13_a_fails/kms.log", PCAP, "logs/kms.log"])
def test_one_byte_changed_in_any_file_fails_naming_it(capsys, signed_run: Path, name: str):
    path = signed_run / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    status, out = _verify(capsys, signed_run)
    assert status == 1
    assert f"changed: {name}" in out
    assert [line for line in out.splitlines() if line.startswith(("changed:", "missing:", "added:", "problem:"))] \
        == [f"changed: {name}"]


def test_a_removed_and_an_added_file_are_named(capsys, run: Path):
    (run / PCAP).unlink()
    (run / "evidence" / "7.13_a_fails" / "later.txt").write_text("added after the run")
    (run / "notes.txt").write_text("added after the run")
    status, out = _verify(capsys, run)
    assert status == 1
    assert f"missing: {PCAP}" in out
    assert "added: evidence/7.13_a_fails/later.txt" in out and "added: notes.txt" in out
    assert out.rstrip().endswith("FAILED: 0 changed, 1 missing, 2 added")


def test_a_signed_run_verifies_under_its_key_and_fails_under_another(capsys, signed_run: Path, key, keydir):
    m = json.loads((signed_run / "manifest.json").read_text())
    assert m["signature"]["algorithm"] == "ed25519" and m["signature"]["file"] == "manifest.sig"
    assert m["signature"]["public_key_fingerprint"] == _fingerprint(key)
    assert len((signed_run / "manifest.sig").read_bytes()) == 64
    key.public_key().verify((signed_run / "manifest.sig").read_bytes(), (signed_run / "manifest.json").read_bytes())
    status, out = _verify(capsys, signed_run, "--public-key", str(_public_pem(key, keydir / "mine.pub")))
    assert status == 0, out
    assert f"signature: valid, Ed25519 key {_fingerprint(key)}" in out
    other = Ed25519PrivateKey.generate()
    status, out = _verify(capsys, signed_run, "--public-key", str(_public_pem(other, keydir / "other.pub")))
    assert status == 1
    assert f"signed by the key {_fingerprint(key)}, not by the expected key {_fingerprint(other)}" in out
    assert out.rstrip().endswith("FAILED: 2 problems with the manifest or its signature")


def test_a_manifest_edited_to_hide_a_change_breaks_the_signature(capsys, signed_run: Path, key, keydir):
    (signed_run / "junit.xml").write_text("<testsuites/>")
    m = json.loads((signed_run / "manifest.json").read_text())
    for e in m["files"]:
        if e["path"] == "junit.xml":
            e["sha256"] = hashlib.sha256(b"<testsuites/>").hexdigest()
    (signed_run / "manifest.json").write_text(json.dumps(m, indent=2) + "\n")
    status, out = _verify(capsys, signed_run)
    assert status == 1 and "changed:" not in out
    assert "manifest.sig: the signature over manifest.json does not verify" in out
    # re-signed by whoever changed it: consistent in itself, so only the expected key tells
    forger = Ed25519PrivateKey.generate()
    manifest.write(signed_run, forger)
    assert _verify(capsys, signed_run)[0] == 0
    status, out = _verify(capsys, signed_run, "--public-key", str(_public_pem(key, keydir / "mine.pub")))
    assert status == 1 and _fingerprint(forger) in out


def test_signature_files_that_do_not_belong_fail(capsys, run: Path, signed_run: Path, key, keydir):
    (signed_run / "manifest.sig").unlink()
    status, out = _verify(capsys, signed_run)
    assert status == 1 and "manifest.sig is missing" in out
    manifest.write(run)                                  # unsigned again
    (run / "manifest.sig").write_bytes(b"\x00" * 64)
    status, out = _verify(capsys, run)
    assert status == 1 and "manifest.sig is present but manifest.json records no signature" in out
    (run / "manifest.sig").unlink()
    status, out = _verify(capsys, run, "--public-key", str(_public_pem(key, keydir / "mine.pub")))
    assert status == 1 and "the run is not signed" in out


@pytest.mark.parametrize("content, needle", [
    ("{not json", "not a valid manifest"),
    (json.dumps({"manifest_version": 1, "algorithm": "sha256", "signature": None,
                 "files": [{"path": "../outside", "size": 1, "sha256": "0" * 64}]}), "not a relative path"),
    (json.dumps({"manifest_version": 1, "algorithm": "md5", "files": []}), "not sha256"),
])
def test_a_damaged_manifest_fails(capsys, run: Path, content: str, needle: str):
    (run / "manifest.json").write_text(content)
    status, out = _verify(capsys, run)
    assert status == 1 and needle in out


def test_the_html_states_the_signature(signed_run: Path, key, run_copy_unsigned: Path):
    page = Page((signed_run / "compliance.html").read_text(encoding="utf-8"))
    assert "signature" in page.ids
    assert "Signature signed : manifest.json, the SHA-256 of every file of this run, is signed" in page.text
    assert f"raw public key, is {_fingerprint(key)} ." in page.text
    unsigned = Page((run_copy_unsigned / "compliance.html").read_text(encoding="utf-8"))
    assert "Signature not signed : manifest.json lists the SHA-256 of every file of this run" in unsigned.text
    assert _fingerprint(key) not in unsigned.text


@pytest.fixture
def run_copy_unsigned(tmp_path: Path) -> Path:
    folder = tmp_path / "unsigned"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(synthetic_document()))
    _seal(folder, None)
    return folder


def test_report_rerenders_then_writes_the_manifest_again(capsys, signed_run: Path, key, keydir):
    pub = str(_public_pem(key, keydir / "mine.pub"))
    assert cli.main(["report", str(signed_run / "results.json"), "--sign-key",
                     str(_pem(key, keydir / "k.pem"))]) == 1           # the synthetic run has a fail
    capsys.readouterr()
    assert _verify(capsys, signed_run, "--public-key", pub)[0] == 0
    assert cli.main(["report", str(signed_run / "results.json")]) == 1
    assert "written again without a signature" in capsys.readouterr().err
    assert not (signed_run / "manifest.sig").exists()
    assert _verify(capsys, signed_run)[0] == 0
    assert _verify(capsys, signed_run, "--public-key", pub)[0] == 1
    assert "Signature not signed :" in Page((signed_run / "compliance.html").read_text(encoding="utf-8")).text


def test_the_kill_matrix_seals_its_folders_after_the_runs_logs_are_complete(capsys, monkeypatch, tmp_path):
    """Each run writes its manifest, then its console output still goes to run.log."""

    def fake_run(self, out_dir: Path, extra: list[str]) -> kill_matrix_command.RunResult:
        out_dir.mkdir(parents=True, exist_ok=True)
        document = synthetic_document()
        for s in document["scenarios"]:
            s["verdict"] = "fail" if extra else "pass"
        results.refresh(document)
        (out_dir / "run.log").write_text("scenario lines\n")
        results.write(document, out_dir / "results.json")
        outputs.write_reports(document, out_dir)
        manifest.write(out_dir)
        with open(out_dir / "run.log", "a") as log:
            log.write("mcsec: the summary line, after the manifest\n")
        return kill_matrix_command.RunResult(document, 1 if extra else 0, 0.5)

    monkeypatch.setattr(kill_matrix_command.Runs, "run", fake_run)
    out = tmp_path / "km"
    from mcsec.fixtures.lab import LAB_ROLES
    from mcsec.catalogue import citations, load_catalogue, scan_scenarios
    from mcsec.impl.faults import REGISTRY
    from mcsec.reports import kill_matrix
    cited = citations(load_catalogue(), scan_scenarios())
    fault = next(f.name for f in REGISTRY.values() if kill_matrix.plan(f, LAB_ROLES, cited).runnable)
    cli.main(["kill-matrix", "--out", str(out), "--fault", fault, "--jobs", "1"])
    capsys.readouterr()
    assert (out / "kill_matrix.json").is_file()
    assert _verify(capsys, out / "faults" / fault)[0] == 0
    status, text = _verify(capsys, out)
    assert status == 0, text
    listed = [e["path"] for e in json.loads((out / "manifest.json").read_text())["files"]]
    assert "kill_matrix.json" in listed and f"faults/{fault}/manifest.json" in listed


def test_files_that_are_not_regular_are_left_out(capsys, run: Path):
    os.mkfifo(run / "evidence" / "a-fifo")
    (run / "logs" / "to-results").symlink_to(run / "results.json")
    (run / "logs" / "to-evidence").symlink_to(run / "evidence", target_is_directory=True)
    m = manifest.write(run)
    listed = [e["path"] for e in m["files"]]
    assert "evidence/a-fifo" not in listed
    assert "logs/to-results" in listed                       # a link to a file: its content
    assert not any(p.startswith("logs/to-evidence") for p in listed)
    assert _verify(capsys, run)[0] == 0


def test_usage_errors_exit_2(capsys, run: Path, keydir: Path):
    assert _verify(capsys, keydir / "absent")[0] == 2
    (keydir / "empty").mkdir()
    status, out = _verify(capsys, keydir / "empty")
    assert status == 2 and "holds no manifest.json" in out
    status, out = _verify(capsys, run, "--public-key", str(keydir / "absent.pem"))
    assert status == 2 and "--public-key" in out and "absent.pem" in out
    key = Ed25519PrivateKey.generate()
    status, out = _verify(capsys, run, "--public-key", str(_pem(key, keydir / "private.pem")))
    assert status == 2 and "holds a private key" in out
    status, out = _verify(capsys, run, "--public-key", str(run / "junit.xml"))
    assert status == 2 and "not an Ed25519 public key" in out


@pytest.mark.parametrize("kind", ["absent", "junk", "ecdsa", "encrypted"])
def test_a_bad_signing_key_is_a_usage_error_naming_the_option(tmp_path: Path, kind: str):
    pem = tmp_path / "key.pem"
    if kind == "junk":
        pem.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    elif kind == "ecdsa":
        pem.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    elif kind == "encrypted":
        pem.write_bytes(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret")))
    out = tmp_path / "out"
    proc = mcsec("run", "--sign-key", str(pem), "--out", str(out), "--requirement", "R713-KM-SIG", timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    err = proc.stderr.strip()
    assert err.startswith("mcsec run: --sign-key") and str(pem) in err and "\n" not in err
    assert not (out / "results.json").exists()               # refused before anything ran


def test_the_runner_writes_the_signed_manifest_after_every_report(capsys, monkeypatch, tmp_path, key, keydir):
    """runner.run with the scenarios replaced by one evidence file (the real runs are in tests/e2e)."""
    import pytest as pytest_module

    from mcsec import runner
    from mcsec.fixtures.profile import load

    out = tmp_path / "run"

    def no_scenarios(args, plugins):
        (out / "evidence" / "MCSEC-X-1").mkdir(parents=True)
        (out / "evidence" / "MCSEC-X-1" / "sip-trace.jsonl").write_text("{}\n")
        return pytest_module.ExitCode.NO_TESTS_COLLECTED

    monkeypatch.setattr(runner.pytest, "main", no_scenarios)
    runner.run(load(None), out, progress=open(os.devnull, "w"), sign_key=key)
    listed = [e["path"] for e in json.loads((out / "manifest.json").read_text())["files"]]
    assert listed == [f for f in _files(out) if f not in ("manifest.json", "manifest.sig")]
    assert {"results.json", "compliance.html", "junit.xml", "cucumber.json",
            "evidence/MCSEC-X-1/sip-trace.jsonl"} <= set(listed)
    status, text = _verify(capsys, out, "--public-key", str(_public_pem(key, keydir / "mine.pub")))
    assert status == 0, text
    assert _fingerprint(key) in Page((out / "compliance.html").read_text(encoding="utf-8")).text
