"""XML codec of the clause 7.13 CEK interface (namespace urn:mcsec:ns:cekKMSInterface:1.0).

Documented in docs/kms-cek-interface.md; the schema is schema/cek.xsd. Both
directions are validated against the schema, so a client using this module
refuses a KMS answer that does not follow the interface.
"""
from __future__ import annotations

from importlib import resources
import base64
import datetime as _dt
from dataclasses import dataclass

from lxml import etree

from mcsec.impl.kms.xmlparse import XmlError, load_schema, parse_validated, serialize

NS = "urn:mcsec:ns:cekKMSInterface:1.0"
VERSION = "1.0.0"
CONTENT_TYPE = "application/xml"
CEK_ISSUE_PATH = "/keymanagement/cek/v1/issue"
CEK_FETCH_PATH = "/keymanagement/cek/v1/fetch"
_SCHEMA = load_schema(resources.files("mcsec.impl.kms") / "schema" / "cek.xsd")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def format_time(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> _dt.datetime:
    """An xs:dateTime; `XmlError` for one the schema allows and Python's datetime cannot hold
    (year 0 or before, after 9999, hour 24)."""
    try:
        value = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise XmlError(f"time {text.strip()[:40]!r} is outside the range this implementation handles") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value


def format_key_id(key_id: int) -> str:
    return f"{key_id:08X}"


@dataclass(frozen=True)
class CekRequest:
    """A client asks for a CEK it will share with `server_uri`."""
    user_uri: str
    kms_uri: str
    server_uri: str


@dataclass(frozen=True)
class CekFetch:
    """An MCPTT server asks for the CEK named by `key_id`."""
    user_uri: str
    kms_uri: str
    key_id: int


@dataclass(frozen=True)
class KmsCek:
    key_id: int
    key: bytes
    owner_uri: str
    server_uri: str
    valid_from: _dt.datetime
    valid_to: _dt.datetime

    def __repr__(self) -> str:  # never show the key
        return (f"KmsCek(key_id={format_key_id(self.key_id)}, owner_uri={self.owner_uri!r}, "
                f"server_uri={self.server_uri!r}, valid_to={format_time(self.valid_to)})")


@dataclass(frozen=True)
class KmsErrorInfo:
    code: int
    message: str


@dataclass(frozen=True)
class KmsAnswer:
    kms_uri: str
    user_uri: str | None
    time: _dt.datetime
    cek: KmsCek | None
    error: KmsErrorInfo | None


# --- requests ------------------------------------------------------------------------------

def build_request(req: CekRequest | CekFetch) -> bytes:
    root = etree.Element(_q("KmsRequest"), nsmap={None: NS}, Version=VERSION)
    etree.SubElement(root, _q("UserUri")).text = req.user_uri
    etree.SubElement(root, _q("KmsUri")).text = req.kms_uri
    if isinstance(req, CekRequest):
        body = etree.SubElement(root, _q("CekRequest"))
        etree.SubElement(body, _q("ServerUri")).text = req.server_uri
    else:
        body = etree.SubElement(root, _q("CekFetch"))
        etree.SubElement(body, _q("KeyId")).text = format_key_id(req.key_id)
    return serialize(root)


def parse_request(data: bytes) -> CekRequest | CekFetch:
    root = parse_validated(data, _SCHEMA)
    if root.tag != _q("KmsRequest"):
        raise XmlError("expected a KmsRequest")
    user = root.findtext(_q("UserUri"))
    kms = root.findtext(_q("KmsUri"))
    if root.find(_q("CekRequest")) is not None:
        return CekRequest(user, kms, root.findtext(f"{_q('CekRequest')}/{_q('ServerUri')}"))
    return CekFetch(user, kms, int(root.findtext(f"{_q('CekFetch')}/{_q('KeyId')}"), 16))


# --- responses -----------------------------------------------------------------------------

def _response_root(kms_uri: str, user_uri: str | None, now: _dt.datetime) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(_q("KmsResponse"), nsmap={None: NS}, Version=VERSION)
    etree.SubElement(root, _q("KmsUri")).text = kms_uri
    if user_uri:
        etree.SubElement(root, _q("UserUri")).text = user_uri
    etree.SubElement(root, _q("Time")).text = format_time(now)
    return root, etree.SubElement(root, _q("KmsMessage"))


def build_cek_response(kms_uri: str, user_uri: str, cek: KmsCek, now: _dt.datetime) -> bytes:
    root, message = _response_root(kms_uri, user_uri, now)
    node = etree.SubElement(message, _q("KmsCek"))
    etree.SubElement(node, _q("KeyId")).text = format_key_id(cek.key_id)
    etree.SubElement(node, _q("Key")).text = base64.b64encode(cek.key).decode()
    etree.SubElement(node, _q("OwnerUri")).text = cek.owner_uri
    etree.SubElement(node, _q("ServerUri")).text = cek.server_uri
    etree.SubElement(node, _q("ValidFrom")).text = format_time(cek.valid_from)
    etree.SubElement(node, _q("ValidTo")).text = format_time(cek.valid_to)
    return serialize(root)


def build_error_response(kms_uri: str, code: int, message: str, now: _dt.datetime,
                         user_uri: str | None = None) -> bytes:
    root, msg = _response_root(kms_uri, user_uri, now)
    node = etree.SubElement(msg, _q("KmsError"))
    etree.SubElement(node, _q("ErrorCode")).text = str(code)
    etree.SubElement(node, _q("ErrorMsg")).text = message
    return serialize(root)


def parse_response(data: bytes) -> KmsAnswer:
    root = parse_validated(data, _SCHEMA)
    if root.tag != _q("KmsResponse"):
        raise XmlError("expected a KmsResponse")
    message = root.find(_q("KmsMessage"))
    cek = error = None
    node = message.find(_q("KmsCek"))
    if node is not None:
        cek = KmsCek(
            key_id=int(node.findtext(_q("KeyId")), 16),
            key=base64.b64decode(node.findtext(_q("Key"))),
            owner_uri=node.findtext(_q("OwnerUri")),
            server_uri=node.findtext(_q("ServerUri")),
            valid_from=_parse_time(node.findtext(_q("ValidFrom"))),
            valid_to=_parse_time(node.findtext(_q("ValidTo"))),
        )
    else:
        node = message.find(_q("KmsError"))
        error = KmsErrorInfo(int(node.findtext(_q("ErrorCode"))), node.findtext(_q("ErrorMsg")) or "")
    return KmsAnswer(root.findtext(_q("KmsUri")), root.findtext(_q("UserUri")),
                     _parse_time(root.findtext(_q("Time"))), cek, error)
