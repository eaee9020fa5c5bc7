"""`mcsec mikey inspect`: decode, verify and open a MIKEY-SAKKE I_MESSAGE.

    mcsec mikey inspect MESSAGE [--kms-init FILE] [--key-set FILE]
                                [--initiator-uri URI] [--json] [--max-age SECONDS]

MESSAGE is a file path or `-` for stdin holding the I_MESSAGE as hex, base64, or
`mikey <base64>` as in an SDP `a=key-mgmt:` line. Without key material every
payload is printed and the message is reported well formed or not. With
`--kms-init` (a JSON object with the KmsCertificate field names: KmsUri,
UserKeyPeriod, UserKeyOffset, PubEncKey, PubAuthKey) the ECCSI signature is
verified; adding `--key-set` (KmsKeySet field names: UserUri, UserID,
KeyPeriodNo, UserDecryptKey, UserSigningKeySSK, UserPubTokenPVT) also decrypts
the SAKKE payload and prints the key, which the operator asked for by giving
the responder's key set. For a GMK, whose HDR CSB ID is the receiver's GUK-ID
(TS 33.180), the GMK-ID is derived once the GMK is decrypted: GUK-ID XOR the
User Salt of the GMK and the key set's user URI (impl/ibc/guk.py); an 8-octet
MKI (GMK-ID || GUK-ID) in the message must agree with it. Either file may instead be an Annex D XML document
(a KmsResponse, KmsInit, KmsCertCache or KmsCertificate for `--kms-init`; a
KmsResponse, KmsKeyProv or KmsKeySet for `--key-set`), validated against
impl/kms/schema/kms-interface.xsd; of several key sets, the one whose UserID is
the message's responder UID is used. The timestamp is always reported; it is
refused as old only with `--max-age`.

Exit status: 0 everything asked for succeeded, 1 it did not (malformed, bad
signature, not decryptable, too old), 2 bad arguments or unreadable input.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import json
import re
import sys
import time
from typing import Any, Optional

from mcsec.impl.ibc import guk, mikey
from mcsec.impl.ibc.freshness import WindowFreshnessPolicy
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey_errors import KeyMaterialError, KeyPurposeError, MikeyError
from mcsec.impl.ibc.mikey_payloads import (
    CsIdMapType,
    GeneralExtension,
    GenericCsEntry,
    Idr,
    IdRole,
    IMessage,
    PrfFunction,
    Rand,
    SakkePayload,
    SecurityPolicy,
    SrtpCsEntry,
    Timestamp,
    TimestampType,
)
from mcsec.impl.ibc.uid import ntp_to_unix, unix_to_ntp
from mcsec.impl.kms import provxml
from mcsec.impl.kms.xmlparse import MAX_XML_BYTES, XmlError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ROLE_NAMES = {
    IdRole.INITIATOR: "IDRi", IdRole.RESPONDER: "IDRr", IdRole.KMS_INITIATOR: "IDRkmsi",
    IdRole.KMS_RESPONDER: "IDRkmsr", IdRole.UID_INITIATOR: "IDRuidi (initiator UID)",
    IdRole.UID_RESPONDER: "IDRuidr (responder UID)",
}


class _UsageError(Exception):
    pass


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mikey",
        help="inspect MIKEY-SAKKE I_MESSAGEs",
        description="MIKEY-SAKKE (RFC 6509, 3GPP profile) tools.",
    )
    sub = parser.add_subparsers(dest="mikey_command", metavar="SUBCOMMAND")
    sub.required = True
    inspect = sub.add_parser(
        "inspect",
        help="print the payloads of an I_MESSAGE; verify and decrypt it given key material",
        description="Decode an I_MESSAGE (hex, base64 or 'mikey <base64>'); with a KMS "
        "certificate verify its ECCSI signature; with the responder's key set also decrypt it.",
    )
    inspect.add_argument("message", metavar="MESSAGE", help="file holding the I_MESSAGE, - for stdin")
    inspect.add_argument("--kms-init", metavar="FILE",
                         help="KMS certificate as JSON (KmsInit field names) or Annex D XML (KmsInit, ...)")
    inspect.add_argument("--key-set", metavar="FILE",
                         help="responder key set as JSON (KmsKeySet field names) or Annex D XML (KmsKeySet, ...)")
    inspect.add_argument("--initiator-uri", metavar="URI", help="expected initiator URI (binds the signature)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.add_argument("--max-age", type=float, metavar="SECONDS", help="refuse timestamps older than this")
    inspect.set_defaults(func=_inspect)


# -- input -------------------------------------------------------------------------------------


def _read_input(path: str) -> bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise _UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def parse_message_text(raw: bytes) -> bytes:
    """I_MESSAGE octets from hex, base64, 'mikey <base64>' or an SDP key-mgmt line."""
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise _UsageError("MESSAGE is not text (expected hex, base64 or 'mikey <base64>')") from None
    if text.lower().startswith("a=key-mgmt:"):
        text = text[len("a=key-mgmt:"):].strip()
    if text.lower().startswith("mikey"):
        body = text[5:].strip()
        return _b64(body, "the 'mikey' attribute value is not base64")
    compact = "".join(text.split())
    if not compact:
        raise _UsageError("MESSAGE is empty")
    if _HEX.match(compact) and len(compact) % 2 == 0:
        return bytes.fromhex(compact)
    return _b64(compact, "MESSAGE is neither hex nor base64 nor 'mikey <base64>'")


def _b64(text: str, message: str) -> bytes:
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _UsageError(message) from None
    if not data:
        raise _UsageError(message)
    return data


def _load_json(path: str, what: str, section: str) -> dict:
    try:
        with open(path, "r", encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise _UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _UsageError(f"{what} {path} is not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get(section), dict) and section == "kms_init":
        data = data[section]
    if not isinstance(data, dict):
        raise _UsageError(f"{what} {path} must hold a JSON object")
    return data


def _read_xml(path: str, what: str) -> provxml.KeyMaterialDocument | None:
    """The Annex D key material in `path` if the file is XML, None if it is not."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_XML_BYTES + 1)
    except OSError as exc:
        raise _UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None
    try:
        return provxml.parse_key_material(raw)
    except XmlError as exc:
        raise _UsageError(f"{what} {path}: {exc}") from None


def load_kms_certificate(path: str) -> KmsCertificate:
    document = _read_xml(path, "KMS certificate")
    if document is None:
        return KmsCertificate.from_mapping(_load_json(path, "KMS certificate", "kms_init"))
    if not document.certificates:
        raise _UsageError(f"KMS certificate {path}: the document holds no KmsCertificate")
    return document.certificates[0].certificate


def load_key_set(path: str, message: bytes) -> UserKeySet:
    document = _read_xml(path, "key set")
    if document is None:
        return UserKeySet.from_mapping(_load_json(path, "key set", "key_set"))
    if not document.key_sets:
        raise _UsageError(f"key set {path}: the document holds no KmsKeySet")
    key_sets = [k.key_set for k in document.key_sets]
    responder_uid = _responder_uid(message)
    return next((k for k in key_sets if k.user_id == responder_uid), key_sets[0])


def _responder_uid(data: bytes) -> Optional[bytes]:
    try:
        idr = mikey.decode_i_message(data).idr(IdRole.UID_RESPONDER)
    except MikeyError:
        return None
    return idr.data if idr is not None else None


# -- rendering -----------------------------------------------------------------------------------


def _ntp_text(seconds: Optional[float]) -> Optional[str]:
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(ntp_to_unix(seconds), dt.timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def describe_payloads(msg: IMessage) -> list[dict[str, Any]]:
    """Public content of each payload, as JSON-ready dicts in wire order."""
    h = msg.header
    entries = []
    for e in h.cs_entries:
        if isinstance(e, GenericCsEntry):
            entries.append({"cs_id": e.cs_id, "prot_type": e.prot_type, "policies": list(e.policies),
                            "session_data": e.session_data.hex(), "spi": e.spi.hex()})
        elif isinstance(e, SrtpCsEntry):
            entries.append({"policy_no": e.policy_no, "ssrc": f"{e.ssrc:08x}", "roc": e.roc})
    out: list[dict[str, Any]] = [{
        "payload": "HDR", "version": h.version, "data_type": h.data_type, "v": h.v_flag,
        "prf": h.prf, "prf_name": PrfFunction(h.prf).name if h.prf in (0, 1) else None,
        "csb_id": f"{h.csb_id:08x}", "cs_id_map_type": h.cs_map_type,
        "cs_id_map_name": CsIdMapType(h.cs_map_type).name, "cs": entries,
    }]
    for p in msg.payloads:
        if isinstance(p, Timestamp):
            out.append({"payload": "T", "ts_type": TimestampType(p.ts_type).name, "value": f"{p.value:x}",
                        "ntp_seconds": p.ntp_seconds, "utc": _ntp_text(p.ntp_seconds)})
        elif isinstance(p, Rand):
            out.append({"payload": "RAND", "value": p.value.hex()})
        elif isinstance(p, Idr):
            printable = p.role in (IdRole.INITIATOR, IdRole.RESPONDER, IdRole.KMS_INITIATOR, IdRole.KMS_RESPONDER)
            out.append({"payload": "IDR", "role": p.role, "role_name": _ROLE_NAMES.get(p.role),
                        "id_type": p.id_type, "value": p.text if printable else p.data.hex()})
        elif isinstance(p, SecurityPolicy):
            out.append({"payload": "SP", "policy_no": p.policy_no, "prot_type": p.prot_type,
                        "params": [{"type": x.type, "value": x.value.hex()} for x in p.params]})
        elif isinstance(p, SakkePayload):
            out.append({"payload": "SAKKE", "params": p.params, "id_scheme": p.id_scheme,
                        "sed_length": len(p.sed), "R": p.sed[:257].hex(), "H": p.sed[257:].hex()})
        elif isinstance(p, GeneralExtension):
            out.append({"payload": "GENERAL_EXT", "type": p.ext_type, "length": len(p.data), "data": p.data.hex()})
    sig = msg.signature.value
    out.append({"payload": "SIGN", "type": msg.signature.sig_type, "length": len(sig),
                "r": sig[:32].hex(), "s": sig[32:64].hex(), "pvt": sig[64:].hex()})
    return out


def _render_text(report: dict[str, Any]) -> str:
    lines = [f"I_MESSAGE: {report['length']} octets"]
    for p in report.get("payloads") or []:
        fields = ", ".join(f"{k}={v}" for k, v in p.items() if k != "payload")
        lines.append(f"  {p['payload']:<11} {fields}")
    lines.append(f"well formed: {'yes' if report['well_formed'] else 'no'}")
    if report.get("timestamp"):
        ts = report["timestamp"]
        lines.append(f"timestamp: {ts['utc']} (age {ts['age_seconds']:.0f} s)")
    if report.get("key_id") is not None:
        lines.append(f"key ID: {report['key_id']} (purpose {report['purpose']})")
    if report["signature_valid"] is not None:
        lines.append(f"signature: {'valid' if report['signature_valid'] else 'INVALID'}"
                     + (f" (initiator UID {report['initiator_uid']})" if report.get("initiator_uid") else ""))
    if report.get("key") is not None:
        lines.append(f"key: {report['key']}")
    group = report.get("group_key")
    if group:
        lines.append(f"GUK-ID: {group['guk_id']} (the HDR CSB ID of a GMK)")
        if group["gmk_id"] is not None:
            mki = f"; the MKI {group['mki']} agrees" if group["mki"] else ""
            lines.append(f"GMK-ID: {group['gmk_id']} (GUK-ID XOR user salt {group['user_salt']}, from the GMK and "
                         f"{group['user_uri']}{mki})")
        else:
            lines.append("GMK-ID: not derived (it needs the GMK, decrypted with the receiver's key set)")
    if report.get("error"):
        lines.append(f"error: {report['error']}")
    return "\n".join(lines)


# -- the command ---------------------------------------------------------------------------------


def inspect_message(data: bytes, kms: Optional[KmsCertificate], key_set: Optional[UserKeySet],
                    initiator_uri: Optional[str], max_age: Optional[float]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "length": len(data), "well_formed": False, "signature_valid": None, "decrypted": None,
        "fresh": None, "key": None, "key_id": None, "purpose": None, "error": None,
        "payloads": None, "timestamp": None, "initiator_uid": None, "group_key": None,
    }
    try:
        msg = mikey.decode_i_message(data)
    except MikeyError as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
        return report
    report["well_formed"] = True
    report["payloads"] = describe_payloads(msg)
    ts = msg.timestamp.ntp_seconds
    if ts is not None:
        report["timestamp"] = {"ntp_seconds": ts, "utc": _ntp_text(ts),
                               "age_seconds": unix_to_ntp(time.time()) - ts}
    key_id = mikey.key_id_of(msg)
    report["key_id"] = f"{key_id:08x}"
    if guk.carries_guk_id(msg):
        report["group_key"] = {"guk_id": f"{msg.header.csb_id:08x}", "user_uri": None, "user_salt": None,
                               "gmk_id": None, "mki": None}
    try:
        report["purpose"] = mikey.key_purpose(key_id).name
    except KeyPurposeError:
        report["purpose"] = f"unknown ({key_id >> 28})"
    errors: list[str] = []
    if kms is not None:
        report["signature_valid"] = False
        try:
            mikey.check_kms(msg, kms)
            uid = mikey.initiator_identity(msg, kms, initiator_uri)
            report["initiator_uid"] = uid.hex()
            mikey.verify_signature(msg, uid, kms.kpak)
            report["signature_valid"] = True
        except MikeyError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    if kms is not None and key_set is not None:
        report["decrypted"] = False
        try:
            mikey.check_responder(msg, key_set, kms)
            key = mikey.decrypt_key(msg, key_set, kms)
            report["key"] = key.hex()
            report["decrypted"] = True
            if report["group_key"] is not None:
                if kms.key_period.uid(key_set.user_uri, kms.kms_uri, key_set.key_period_no) != key_set.user_id:
                    raise KeyMaterialError(f"the key set's UserUri {key_set.user_uri!r} does not give its UserID, "
                                           f"and the GMK-ID is derived from the receiver's URI")
                ids = guk.group_key_ids(msg, key, key_set.user_uri)
                report["group_key"].update(user_uri=ids.user_uri, user_salt=f"{ids.user_salt:08x}",
                                           gmk_id=f"{ids.gmk_id:08x}", mki=ids.mki.hex() if ids.mki else None)
        except MikeyError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    if max_age is not None:
        report["fresh"] = False
        try:
            WindowFreshnessPolicy(window=max_age).check(ts, msg.rand)
            report["fresh"] = True
        except MikeyError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    report["error"] = "; ".join(errors) or None
    return report


def _inspect(args: argparse.Namespace) -> int:
    try:
        if args.key_set and not args.kms_init:
            raise _UsageError("--key-set needs --kms-init (the KMS certificate)")
        if args.max_age is not None and args.max_age <= 0:
            raise _UsageError("--max-age must be positive")
        data = parse_message_text(_read_input(args.message))
        kms = key_set = None
        if args.kms_init:
            kms = load_kms_certificate(args.kms_init)
        if args.key_set:
            key_set = load_key_set(args.key_set, data)
    except _UsageError as exc:
        print(f"mcsec mikey: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MikeyError as exc:  # unusable key material files
        print(f"mcsec mikey: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = inspect_message(data, kms, key_set, args.initiator_uri, args.max_age)
    ok = report["well_formed"] and report["error"] is None
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_render_text(report))
    return EXIT_OK if ok else EXIT_REFUSED
