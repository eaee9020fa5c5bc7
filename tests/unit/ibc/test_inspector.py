"""`mcsec mikey inspect` run as a subprocess on the reference CSK message and corrupted copies."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MCSEC = Path(sys.executable).with_name("mcsec")


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(MCSEC), "mikey", "inspect", *args], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def files(tmp_path_factory, mikey_vectors, csk_vector):
    d = tmp_path_factory.mktemp("inspect")
    raw = bytes.fromhex(csk_vector["i_message_hex"])
    (d / "csk.hex").write_text(csk_vector["i_message_hex"] + "\n")
    (d / "csk.sdp").write_text("mikey " + base64.b64encode(raw).decode() + "\n")
    bad = bytearray(raw)
    bad[100] ^= 0x01  # inside the responder UID (IDR role 9): signed content
    (d / "bad.hex").write_text(bytes(bad).hex())
    (d / "short.hex").write_text(raw[:-10].hex())
    (d / "kms.json").write_text(json.dumps(mikey_vectors["kms_init"]))
    (d / "gms.json").write_text(json.dumps(mikey_vectors["key_sets"]["GMS"]))
    (d / "bob.json").write_text(json.dumps(mikey_vectors["key_sets"]["Bob"]))
    (d / "junk.json").write_text("{not json")
    (d / "binary.bin").write_bytes(b"\xff\xfe\x00\x01")
    return d


def test_without_keys_prints_payloads_and_well_formed(files):
    out = run(str(files / "csk.hex"))
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    for label in ("HDR", "RAND", "IDR", "SP", "SAKKE", "GENERAL_EXT", "SIGN", "well formed: yes", "2ddd5bf0"):
        assert label in text
    assert "key:" not in text


def test_with_keys_verifies_and_decrypts(files, csk_vector):
    out = run(str(files / "csk.sdp"), "--kms-init", str(files / "kms.json"), "--key-set", str(files / "gms.json"),
              "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["well_formed"] is True and report["signature_valid"] is True
    assert report["key"] == csk_vector["CSK"]
    assert report["key_id"] == csk_vector["CSK-ID"]
    assert report["purpose"] == "CSK"
    assert report["error"] is None


def test_stdin_base64(files, csk_vector):
    raw = bytes.fromhex(csk_vector["i_message_hex"])
    out = run("-", "--kms-init", str(files / "kms.json"), "--json", stdin=base64.b64encode(raw))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["signature_valid"] is True


def test_corrupted_copy_fails_signature(files):
    out = run(str(files / "bad.hex"), "--kms-init", str(files / "kms.json"), "--key-set", str(files / "gms.json"),
              "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["signature_valid"] is False
    assert report["error"]


def test_truncated_copy_is_not_well_formed(files):
    out = run(str(files / "short.hex"), "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["well_formed"] is False and "Truncated" in report["error"]


def test_wrong_responder_key_set(files):
    out = run(str(files / "csk.hex"), "--kms-init", str(files / "kms.json"), "--key-set", str(files / "bob.json"),
              "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["signature_valid"] is True and report["key"] is None
    assert "WrongResponder" in report["error"]


def test_max_age_refuses_the_old_vector_only_when_asked(files):
    assert run(str(files / "csk.hex")).returncode == 0
    out = run(str(files / "csk.hex"), "--max-age", "3600", "--json")
    assert out.returncode == 1
    assert "StaleTimestamp" in json.loads(out.stdout)["error"]


@pytest.mark.parametrize("args", [
    ("missing.hex",),
    ("binary.bin",),
    ("csk.hex", "--kms-init", "junk.json"),
    ("csk.hex", "--key-set", "gms.json"),
])
def test_usage_errors_exit_2_with_one_line(files, args):
    resolved = [str(files / a) if a.endswith((".hex", ".json", ".bin")) else a for a in args]
    out = run(*resolved)
    assert out.returncode == 2
    err = out.stderr.decode().strip()
    assert err.startswith("mcsec mikey: error:") and "\n" not in err
