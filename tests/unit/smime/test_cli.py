"""`mcsec smime` as a subprocess, including a round trip with openssl."""
from __future__ import annotations

import sys
import subprocess
from pathlib import Path

import pytest

from mcsec.impl import smime
from mcsec.impl.smime import mime
from tests.unit.smime.openssl_peer import CEK, KEY_ID, OTHER_CEK, openssl_decrypt, openssl_encrypt

MCSEC = str(Path(sys.executable).with_name("mcsec"))
KEY_ARGS = ["--key", CEK.hex(), "--key-id", KEY_ID.hex()]
CONTENT = b"<resource-lists/>\n"


def mcsec(*args: str, data: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [MCSEC, "smime", *args], input=data, capture_output=True, timeout=30, check=False
    )


def test_seal_writes_der_that_openssl_decrypts():
    result = mcsec("seal", *KEY_ARGS, data=CONTENT)
    assert result.returncode == 0, result.stderr
    assert result.stdout[:1] == b"\x30"
    decrypted = openssl_decrypt(result.stdout)
    assert decrypted.returncode == 0, decrypted.stderr
    assert decrypted.stdout == CONTENT


def test_seal_to_file_and_open_from_file(tmp_path):
    source, body = tmp_path / "in.xml", tmp_path / "body.p7m"
    source.write_bytes(CONTENT)
    assert mcsec("seal", *KEY_ARGS, str(source), "-o", str(body)).returncode == 0
    opened = mcsec("open", *KEY_ARGS, str(body))
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout == CONTENT


def test_seal_mime_writes_headers_and_body():
    result = mcsec("seal", *KEY_ARGS, "--mime", data=CONTENT)
    assert result.returncode == 0
    entity = mime.parse_entity(result.stdout)
    assert entity.header("Content-Type") == mime.CONTENT_TYPE
    assert entity.header("Content-Disposition") == mime.CONTENT_DISPOSITION
    assert entity.header("Content-Transfer-Encoding") == "binary"
    assert smime.open(mime.entity_to_der(entity), key_lookup={KEY_ID: CEK}.get).content == CONTENT


def test_seal_mime_base64_is_read_by_openssl_smime():
    result = mcsec("seal", *KEY_ARGS, "--mime", "--base64", data=CONTENT)
    decrypted = openssl_decrypt(result.stdout, inform="SMIME")
    assert decrypted.returncode == 0, decrypted.stderr
    assert decrypted.stdout == CONTENT


def test_seal_with_stamp():
    result = mcsec("seal", *KEY_ARGS, "--stamp", data=CONTENT)
    opened = smime.open(result.stdout, key_lookup={KEY_ID: CEK}.get)
    assert opened.replay_stamp is not None


@pytest.mark.parametrize("outform", ["DER", "SMIME", "PEM"])
def test_open_reads_openssl_output_from_stdin(outform):
    body = openssl_encrypt(CONTENT, outform=outform)
    result = mcsec("open", *KEY_ARGS, "-", data=body)
    assert result.returncode == 0, result.stderr
    assert result.stdout == CONTENT


def test_peek_prints_the_key_id():
    result = mcsec("peek", "-", data=openssl_encrypt(CONTENT))
    assert result.returncode == 0
    assert result.stdout.decode().strip() == KEY_ID.hex()


def test_open_with_wrong_key_fails_with_status_1():
    body = openssl_encrypt(CONTENT)
    result = mcsec("open", "--key", OTHER_CEK.hex(), "--key-id", KEY_ID.hex(), "-", data=body)
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"Undecipherable" in result.stderr
    assert OTHER_CEK.hex().encode() not in result.stderr


def test_open_with_wrong_key_id_fails_with_status_1():
    body = openssl_encrypt(CONTENT)
    result = mcsec("open", "--key", CEK.hex(), "--key-id", "0badf00d", "-", data=body)
    assert result.returncode == 1
    assert b"UnknownKeyId" in result.stderr and KEY_ID.hex().encode() in result.stderr


def test_open_garbage_fails_with_status_1():
    result = mcsec("open", *KEY_ARGS, "-", data=b"\x30\x03\x02\x01\x00")
    assert result.returncode == 1
    assert b"MalformedCms" in result.stderr


@pytest.mark.parametrize(
    ("key", "message"),
    [("not-hex-at-all", b"not hexadecimal"), ("0011", b"16 octets"), (CEK.hex() + "00", b"16 octets")],
)
def test_bad_key_is_a_one_line_usage_error(key, message):
    result = mcsec("seal", "--key", key, "--key-id", "01", data=CONTENT)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == b""


def test_bad_key_id_is_a_usage_error():
    result = mcsec("open", "--key", CEK.hex(), "--key-id", "xyz", "-", data=b"")
    assert result.returncode == 2
    assert b"--key-id" in result.stderr


def test_missing_input_file_is_a_usage_error(tmp_path):
    result = mcsec("open", *KEY_ARGS, str(tmp_path / "absent.p7m"))
    assert result.returncode == 2
    assert b"cannot read" in result.stderr
