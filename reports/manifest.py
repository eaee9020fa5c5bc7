"""manifest.json: the SHA-256 of every file of a run's output folder, optionally signed with Ed25519.

Written last, after every report (by `mcsec run`, `mcsec report` and `mcsec kill-matrix`), so that
a changed, removed or added file of the folder is found by `mcsec report verify`:

    {"manifest_version": 1, "suite": {"name": "mcsec", "version": "0.1.0"},
     "created": "2026-11-28T04:14:49+00:00", "algorithm": "sha256",
     "files": [{"path": "compliance.html", "size": 48213, "sha256": "9f2c..."}, ...],
     "signature": null | {"algorithm": "ed25519", "file": "manifest.sig",
                          "public_key": "<base64 of the 32-octet raw public key>",
                          "public_key_fingerprint": "<hex SHA-256 of the 32-octet raw public key>"}}

`files` lists every regular file under the folder (symbolic links to files are followed, links to
folders are not), by its path relative to the folder with `/` separators, sorted by code point; the
manifest and its signature themselves are left out. With a signing key, `manifest.sig` holds the
64-octet Ed25519 signature over the exact bytes of manifest.json (`openssl pkeyutl -verify -rawin`
checks it too).
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mcsec import __version__

MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
VERSION = 1
_CHUNK = 1 << 20
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ManifestError(ValueError):
    """A key file or folder that cannot be used (a usage error); the message names it."""


# -- keys ----------------------------------------------------------------------------------------


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key of a PEM file (PKCS#8, as `openssl genpkey -algorithm ed25519` writes)."""
    data = _read(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ManifestError(f"{path}: the private key is encrypted; give an unencrypted Ed25519 key") from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ManifestError(f"{path}: not an Ed25519 private key in PEM ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ManifestError(f"{path}: holds a {type(key).__name__.removeprefix('_')}, not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key of a PEM file (as `openssl pkey -pubout` writes)."""
    data = _read(path, "public key")
    if b"PRIVATE KEY-----" in data:
        raise ManifestError(f"{path}: holds a private key; give its public key (openssl pkey -in KEY -pubout)")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ManifestError(f"{path}: not an Ed25519 public key in PEM ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ManifestError(f"{path}: holds a {type(key).__name__.removeprefix('_')}, not an Ed25519 public key")
    return key


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _sha256(data: bytes) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize().hex()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """The key's fingerprint: hex SHA-256 of its 32-octet raw encoding."""
    return _sha256(_raw(public_key))


def signer_fingerprint(sign_key: Ed25519PrivateKey | None) -> str | None:
    """The fingerprint a manifest signed with `sign_key` records, None when it is not signed."""
    return fingerprint(sign_key.public_key()) if sign_key is not None else None


# -- the files of a folder -----------------------------------------------------------------------


def _file_sha256(path: Path) -> tuple[int, str]:
    digest = hashes.Hash(hashes.SHA256())
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.finalize().hex()


def _regular_files(folder: Path) -> list[str]:
    """Relative POSIX paths of the regular files under `folder`, sorted, without the manifest's own files."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath) / name
            try:
                if not stat.S_ISREG(os.stat(full).st_mode):    # follows a link to a file
                    continue
            except OSError:                                     # gone, or a dangling link
                continue
            rel = full.relative_to(folder).as_posix()
            if rel not in (MANIFEST, SIGNATURE):
                found.append(rel)
    return sorted(found)


def hash_files(folder: Path) -> list[dict]:
    """`{"path", "size", "sha256"}` of every file of `folder` (a file removed while listing is left out)."""
    entries = []
    for rel in _regular_files(folder):
        try:
            size, digest = _file_sha256(folder / rel)
        except FileNotFoundError:
            continue
        entries.append({"path": rel, "size": size, "sha256": digest})
    return entries


# -- writing ---------------------------------------------------------------------------------------


def write(folder: Path, sign_key: Ed25519PrivateKey | None = None, now: _dt.datetime | None = None) -> dict:
    """Write `folder`/manifest.json (and, with `sign_key`, manifest.sig; else remove a stale one).
    Call it after the last file of the folder is written. Returns the manifest."""
    folder = Path(folder)
    created = (now or _dt.datetime.now(_dt.timezone.utc)).isoformat(timespec="seconds")
    signature = None
    if sign_key is not None:
        public = sign_key.public_key()
        signature = {"algorithm": "ed25519", "file": SIGNATURE,
                     "public_key": base64.b64encode(_raw(public)).decode("ascii"),
                     "public_key_fingerprint": fingerprint(public)}
    manifest = {"manifest_version": VERSION, "suite": {"name": "mcsec", "version": __version__},
                "created": created, "algorithm": "sha256", "files": hash_files(folder), "signature": signature}
    data = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    _replace(folder / MANIFEST, data)
    if sign_key is not None:
        _replace(folder / SIGNATURE, sign_key.sign(data))
    else:
        (folder / SIGNATURE).unlink(missing_ok=True)
    return manifest


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)                   # a reader never sees half a file


# -- verifying -------------------------------------------------------------------------------------


@dataclass
class Verification:
    """What `verify` found; `ok` when nothing."""
    folder: Path
    files: int = 0                      # files the manifest lists
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)     # the manifest itself, the signature
    signed_by: str | None = None        # the fingerprint of a signature that verified

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.added or self.problems)


def _entries(manifest: object) -> list[dict]:
    """The file entries of a parsed manifest; ValueError says what is wrong with it."""
    if not isinstance(manifest, dict) or manifest.get("manifest_version") != VERSION:
        raise ValueError(f"not a version {VERSION} manifest")
    if manifest.get("algorithm") != "sha256" or not isinstance(manifest.get("files"), list):
        raise ValueError("'algorithm' is not sha256 or 'files' is not a list")
    seen: set[str] = set()
    for i, e in enumerate(manifest["files"]):
        if not (isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("sha256"), str)
                and _HEX64.match(e["sha256"])):
            raise ValueError(f"files[{i}] is not a path with a sha256")
        parts = e["path"].split("/")
        if e["path"].startswith("/") or "\\" in e["path"] or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"files[{i}]: {e['path']!r} is not a relative path inside the folder")
        if e["path"] in seen or e["path"] in (MANIFEST, SIGNATURE):
            raise ValueError(f"files[{i}]: {e['path']!r} listed twice or names the manifest itself")
        seen.add(e["path"])
    if not (manifest.get("signature") is None or isinstance(manifest["signature"], dict)):
        raise ValueError("'signature' is neither null nor an object")
    return manifest["files"]


def verify(folder: Path, public_key: Ed25519PublicKey | None = None) -> Verification:
    """Recompute every hash of `folder` against its manifest.json and check the signature when the
    manifest records one; with `public_key`, the manifest must be signed by that key. Raises
    ManifestError when `folder` is not a folder or holds no manifest.json (nothing to verify)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ManifestError(f"{folder}: not a folder")
    try:
        data = (folder / MANIFEST).read_bytes()
    except FileNotFoundError:
        raise ManifestError(f"{folder}: holds no {MANIFEST} (runs write one; is this a run's output folder?)") \
            from None
    except OSError as exc:
        raise ManifestError(f"{folder / MANIFEST}: cannot read: {exc.strerror or exc}") from None
    result = Verification(folder)
    try:
        manifest = json.loads(data.decode("utf-8"))
        entries = _entries(manifest)
    except (UnicodeDecodeError, ValueError) as exc:
        result.problems.append(f"{MANIFEST}: not a valid manifest ({exc})")
        return result
    result.files = len(entries)
    actual = {rel: None for rel in _regular_files(folder)}
    for e in entries:
        path = e["path"]
        if path not in actual:
            result.missing.append(path)
            continue
        try:
            _, digest = _file_sha256(folder / path)
        except FileNotFoundError:
            result.missing.append(path)
            continue
        except OSError as exc:
            result.problems.append(f"{path}: cannot read ({exc.strerror or exc})")
            continue
        if digest != e["sha256"]:
            result.changed.append(path)
    listed = {e["path"] for e in entries}
    result.added = [rel for rel in actual if rel not in listed]
    _check_signature(folder, data, manifest.get("signature"), public_key, result)
    return result


def _check_signature(folder: Path, data: bytes, recorded: dict | None, public_key: Ed25519PublicKey | None,
                     result: Verification) -> None:
    sig_path = folder / SIGNATURE
    if recorded is None:
        if sig_path.exists():
            result.problems.append(f"{SIGNATURE} is present but {MANIFEST} records no signature")
        if public_key is not None:
            result.problems.append(f"the run is not signed; expected a signature by the key {fingerprint(public_key)}")
        return
    try:
        raw = base64.b64decode(str(recorded.get("public_key", "")), validate=True)
        embedded = Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        result.problems.append(f"{MANIFEST}: the signature's public_key is not a 32-octet Ed25519 key in base64")
        return
    if recorded.get("algorithm") != "ed25519" or recorded.get("public_key_fingerprint") != fingerprint(embedded):
        result.problems.append(f"{MANIFEST}: the signature's algorithm is not ed25519 or its fingerprint is not "
                               f"that of its public_key")
        return
    key = embedded
    if public_key is not None and fingerprint(public_key) != fingerprint(embedded):
        result.problems.append(f"signed by the key {fingerprint(embedded)}, not by the expected key "
                               f"{fingerprint(public_key)}")
        key = public_key
    try:
        signature = sig_path.read_bytes()
    except OSError:
        result.problems.append(f"{SIGNATURE} is missing; {MANIFEST} records a signature")
        return
    try:
        key.verify(signature, data)
    except InvalidSignature:
        result.problems.append(f"{SIGNATURE}: the signature over {MANIFEST} does not verify under the key "
                               f"{fingerprint(key)}")
        return
    if not result.problems:
        result.signed_by = fingerprint(key)
