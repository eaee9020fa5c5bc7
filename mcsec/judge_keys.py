"""KEYS.toml: the key material and sensitive values `mcsec judge` judges captures with (docs/judge.md).

    name = "Interop event, client A with server B"      # shown in the reports
    key_log = ["run.keys"]                 # key log files (mcsec run --key-log), relative to this file
    keys = ["CSK 2ddd5bf0 e06e...", ...]   # key log lines inline (CEK, CSK, KMS lines)
    clauses = ["7.13", "7.14"]             # of a message no key places (default: both)
    clear_body_types = ["application/sdp"] # bodies of these types alone need no S/MIME (default: none)
    servers = ["sip:mcptt-as@example.org"] # MCPTT server identities an I_MESSAGE may be addressed to

    [sensitive]                            # values that must not be readable on SIP-1 or SIP-2
    mcptt_ids = ["sip:alice@example.org"]  # also the identities an I_MESSAGE may be signed by
    group_ids = ["sip:group-fire-7@example.org"]
    other = []

    [impu]                                 # the SIP identity (From, P-Asserted-Identity) of an MCPTT ID
    "sip:alice@ims.example.org" = "sip:alice@example.org"

    [sip]                                  # SIP-1 and SIP-2 told apart by port (or --sip-ports)
    sip1_ports = [5060]
    sip2_ports = [5070]

    [[kms]]                                # a KMS certificate: Annex D field names, or a file
    file = "kms-init.xml"                  # Annex D XML, or JSON (Annex D names, or the vectors' layout)

    [[key_set]]                            # a responder's (MCPTT server's) key set, likewise
    file = "server-keyprov.xml"

Every error names the file and the key (``kms[0].PubAuthKey: not valid hex``), never a value.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcsec.catalogue import CLAUSES
from mcsec.fixtures.keylog import KeyEntry, KeyLogContent, KeyLogError, parse_line, read_key_log
from mcsec.fixtures.oracles.offline import KeyMaterial
from mcsec.fixtures.wire.exposure import SensitiveValue
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey_errors import KeyMaterialError
from mcsec.impl.kms import provxml
from mcsec.impl.kms.xmlparse import MAX_XML_BYTES, XmlError

TOP_KEYS = {"name", "key_log", "keys", "clauses", "clear_body_types", "servers", "sensitive", "impu", "sip", "kms",
            "key_set"}
SENSITIVE_KEYS = {"mcptt_ids": "MCPTT ID", "group_ids": "group ID", "other": "sensitive value"}


class KeysError(ValueError):
    """KEYS.toml cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class JudgeKeys:
    path: Path
    name: str | None
    material: KeyMaterial
    sensitive: tuple[SensitiveValue, ...]
    clauses: tuple[str, ...]
    clear_body_types: tuple[str, ...]
    sip1_ports: tuple[int, ...] = ()
    sip2_ports: tuple[int, ...] = ()

    def describe(self) -> dict:
        """What the reports say of the key material: counts and names, never a key."""
        m = self.material
        return {"file": str(self.path), "keys": len(m.log.keys),
                "kms": [c.kms_uri for c in m.log.certificates],
                "key_sets": sorted({k.user_uri for k in m.key_sets}),
                "sensitive_values": len(self.sensitive), "identities": len(m.identities),
                "servers": list(m.servers)}


def _strings(value: Any, where: str, *, allow_one: bool = False) -> list[str]:
    if allow_one and isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise KeysError(f"{where}: expected a list of non-empty strings")
    return [v.strip() for v in value]


def _table(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise KeysError(f"{where}: expected a table")
    return value


def _unknown(table: dict, known: set[str] | dict, where: str) -> None:
    extra = sorted(set(table) - set(known))
    if extra:
        raise KeysError(f"{where}: unknown key{'s' if len(extra) > 1 else ''} {', '.join(extra)} "
                        f"(known: {', '.join(sorted(known))})")


# --------------------------------------------------------------------------- IBC key material


def _read_file(base: Path, name: Any, where: str) -> tuple[Path, bytes]:
    if not isinstance(name, str) or not name:
        raise KeysError(f"{where}.file: expected a file name")
    path = (base / name) if not Path(name).is_absolute() else Path(name)
    try:
        with path.open("rb") as fh:
            return path, fh.read(MAX_XML_BYTES + 1)
    except OSError as exc:
        raise KeysError(f"{where}.file: cannot read {path}: {exc.strerror or exc}") from None


def _document(base: Path, entry: dict, where: str) -> tuple[str, Any]:
    """("xml", KeyMaterialDocument) or ("json", the parsed JSON) of a file entry."""
    _unknown(entry, {"file"}, where)
    path, raw = _read_file(base, entry.get("file"), where)
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        try:
            return "xml", provxml.parse_key_material(raw)
        except (XmlError, KeyMaterialError) as exc:
            raise KeysError(f"{where}.file: {path}: {exc}") from None
    try:
        return "json", json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise KeysError(f"{where}.file: {path}: neither Annex D XML nor JSON ({type(exc).__name__})") from None


def _certificates(base: Path, entries: Any) -> list[KmsCertificate]:
    if not isinstance(entries, list):
        raise KeysError("kms: expected an array of tables ([[kms]])")
    out = []
    for i, entry in enumerate(entries):
        where = f"kms[{i}]"
        entry = _table(entry, where)
        try:
            if "file" not in entry:
                out.append(KmsCertificate.from_mapping(entry))
                continue
            kind, doc = _document(base, entry, where)
            if kind == "xml":
                if not doc.certificates:
                    raise KeysError(f"{where}.file: the document holds no KmsCertificate")
                out.extend(c.certificate for c in doc.certificates)
            else:
                mapping = doc.get("kms_init", doc) if isinstance(doc, dict) else doc
                out.append(KmsCertificate.from_mapping(mapping))
        except KeyMaterialError as exc:
            raise KeysError(f"{where}: {exc}") from None
    return out


def _json_key_sets(doc: Any) -> list[dict]:
    if isinstance(doc, dict) and "key_sets" in doc:
        sets = doc["key_sets"]
        return list(sets.values()) if isinstance(sets, dict) else sets
    if isinstance(doc, dict) and "key_set" in doc:
        return [doc["key_set"]]
    return doc if isinstance(doc, list) else [doc]


def _key_sets(base: Path, entries: Any) -> list[UserKeySet]:
    if not isinstance(entries, list):
        raise KeysError("key_set: expected an array of tables ([[key_set]])")
    out = []
    for i, entry in enumerate(entries):
        where = f"key_set[{i}]"
        entry = _table(entry, where)
        try:
            if "file" not in entry:
                out.append(UserKeySet.from_mapping(entry))
                continue
            kind, doc = _document(base, entry, where)
            if kind == "xml":
                if not doc.key_sets:
                    raise KeysError(f"{where}.file: the document holds no KmsKeySet")
                out.extend(k.key_set for k in doc.key_sets)
            else:
                out.extend(UserKeySet.from_mapping(m) for m in _json_key_sets(doc))
        except KeyMaterialError as exc:
            raise KeysError(f"{where}: {exc}") from None
    return out


def _check_key_sets(key_sets: list[UserKeySet], certs: tuple[KmsCertificate, ...]) -> None:
    """A key set must be one its KMS issued (RFC 6507 5.1.2, RFC 6508 6.1.2): a wrong one would make the
    judge blame a correct I_MESSAGE."""
    for i, key_set in enumerate(key_sets):
        problems = []
        for cert in certs:
            try:
                key_set.validate(cert)
                break
            except KeyMaterialError as exc:
                problems.append(f"{cert.kms_uri}: {exc}")
        else:
            detail = "; ".join(problems) or "no KMS certificate to check it with (add [[kms]] or a KMS line)"
            raise KeysError(f"key_set[{i}] ({key_set.user_uri}): not a key set of a listed KMS: {detail}")


# --------------------------------------------------------------------------- keys


def _inline_keys(lines: Any) -> KeyLogContent:
    keys: list[KeyEntry] = []
    certs: list[KmsCertificate] = []
    for i, line in enumerate(_strings(lines, "keys")):
        try:
            item = parse_line(line, f"keys[{i}]")
        except KeyLogError as exc:
            raise KeysError(str(exc)) from None
        if isinstance(item, KeyEntry):
            keys.append(item)
        elif item is not None:
            certs.append(item)
    return KeyLogContent(tuple(keys), tuple(certs))


def _merge(content: KeyLogContent, more: KeyLogContent, where: str) -> KeyLogContent:
    for entry in more.keys:
        known = content.key_for(entry.key_id)
        if known is not None and known.key != entry.key:
            raise KeysError(f"{where}: Key ID {entry.key_id.hex()} is listed with two different keys")
    return content.merged(more)


def _ports(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536
                                              for p in value):
        raise KeysError(f"{where}: expected a list of port numbers (1-65535)")
    return tuple(value)


def load(path: Path) -> JudgeKeys:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KeysError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise KeysError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise KeysError(f"{path}: not TOML: {exc}") from None
    try:
        return _load(path, data)
    except KeysError as exc:
        raise KeysError(f"{path}: {exc}") from None


def _load(path: Path, data: dict) -> JudgeKeys:
    _unknown(data, TOP_KEYS, "KEYS.toml")
    base = path.parent
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise KeysError("name: expected a non-empty string")
    content = KeyLogContent()
    if "key_log" in data:
        for i, log in enumerate(_strings(data["key_log"], "key_log", allow_one=True)):
            log_path = Path(log) if Path(log).is_absolute() else base / log
            try:
                content = _merge(content, read_key_log(log_path), f"key_log[{i}]")
            except KeyLogError as exc:
                raise KeysError(f"key_log[{i}]: {exc}") from None
    if "keys" in data:
        content = _merge(content, _inline_keys(data["keys"]), "keys")
    if "kms" in data:
        content = content.merged(KeyLogContent((), tuple(_certificates(base, data["kms"]))))
    key_sets = _key_sets(base, data["key_set"]) if "key_set" in data else []
    _check_key_sets(key_sets, content.certificates)

    sensitive_table = _table(data.get("sensitive", {}), "sensitive")
    _unknown(sensitive_table, SENSITIVE_KEYS, "sensitive")
    sensitive: list[SensitiveValue] = []
    for key, label in SENSITIVE_KEYS.items():
        sensitive += [SensitiveValue(v, label=label) for v in _strings(sensitive_table.get(key, []),
                                                                       f"sensitive.{key}")]
    identities = [v.text for v in sensitive if v.label == "MCPTT ID"]
    impus = _table(data.get("impu", {}), "impu")
    for sip, mcptt_id in impus.items():
        if not isinstance(mcptt_id, str) or not mcptt_id:
            raise KeysError(f"impu.{sip}: expected the MCPTT ID (a string) this SIP identity stands for")
        if mcptt_id not in identities:
            identities.append(mcptt_id)
    servers = _strings(data.get("servers", []), "servers")

    clauses = tuple(_strings(data["clauses"], "clauses")) if "clauses" in data else CLAUSES
    wrong = [c for c in clauses if c not in CLAUSES]
    if wrong or not clauses:
        raise KeysError(f"clauses: expected some of {', '.join(CLAUSES)}")
    clear = tuple(t.lower() for t in _strings(data.get("clear_body_types", []), "clear_body_types"))

    sip = _table(data.get("sip", {}), "sip")
    _unknown(sip, {"sip1_ports", "sip2_ports"}, "sip")
    sip1 = _ports(sip.get("sip1_ports", []), "sip.sip1_ports")
    sip2 = _ports(sip.get("sip2_ports", []), "sip.sip2_ports")
    if set(sip1) & set(sip2):
        raise KeysError(f"sip: port {min(set(sip1) & set(sip2))} is on both SIP-1 and SIP-2")
    material = KeyMaterial(content, tuple(key_sets), tuple(identities), dict(impus), tuple(servers))
    return JudgeKeys(path, name.strip() if name else None, material, tuple(sensitive), clauses, clear, sip1, sip2)


__all__ = ["JudgeKeys", "KeysError", "load"]
