"""The real `openssl cms` binary as an independent peer."""
from __future__ import annotations

import shutil
import subprocess

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

# RFC 3394 section 4.1 key-encryption key, reused as the test CEK.
CEK = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
KEY_ID = bytes.fromhex("2a000001")
OTHER_CEK = bytes.fromhex("f0e0d0c0b0a090807060504030201000")


def run_openssl(*args: str, data: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [OPENSSL, "cms", *args], input=data, capture_output=True, timeout=30, check=False
    )


def openssl_encrypt(
    content: bytes,
    *extra: str,
    cek: bytes = CEK,
    key_id: bytes = KEY_ID,
    cipher: str = "-aes-128-gcm",
    outform: str = "DER",
) -> bytes:
    result = run_openssl(
        "-encrypt", "-binary", "-secretkey", cek.hex(), "-secretkeyid", key_id.hex(),
        cipher, "-outform", outform, *extra, data=content,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def openssl_decrypt(
    body: bytes, *, cek: bytes = CEK, key_id: bytes = KEY_ID, inform: str = "DER"
) -> subprocess.CompletedProcess:
    return run_openssl(
        "-decrypt", "-binary", "-secretkey", cek.hex(), "-secretkeyid", key_id.hex(),
        "-inform", inform, data=body,
    )
