"""XML codec of the KMS key provisioning interface (TS 33.180 Annex D style, clause 7.14).

Namespace urn:3gpp:ns:mcsecKMSInterface:1.0, schema schema/kms-interface.xsd,
documented in docs/kms-provisioning.md. Bytes in, typed objects out: no I/O.
Every document is validated against the schema (impl/kms/xmlparse.py) before
a value is read, on both sides of the interface. Key material is carried as the
impl/ibc objects (`KmsCertificate`, `UserKeySet`) together with the Annex D
attributes those objects do not hold (certificate URI, issuer, validity,
revocation).
"""
from __future__ import annotations

from importlib import resources
import base64
import datetime as _dt
from dataclasses import dataclass, field

from lxml import etree

from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey_errors import KeyMaterialError
from mcsec.impl.kms.xmlparse import XmlError, load_schema, parse_validated, serialize

NS = "urn:3gpp:ns:mcsecKMSInterface:1.0"
VERSION = "1.0.0"
KEY_MATERIAL_VERSION = "1.1.0"
CONTENT_TYPE = "application/xml"
BASE_PATH = "/keymanagement/identity/v1"
INIT_PATH = BASE_PATH + "/init"
KEYPROV_PATH = BASE_PATH + "/keyprov"
CERTCACHE_PATH = BASE_PATH + "/certcache"
USER_ID_FORMAT = 2  # TS 33.180 F.2.1 UID
PARAMETER_SET = 1   # SAKKE parameter set 1 (RFC 6509)
USER_ID_ENCODINGS = ("hex", "base64")
_SCHEMA = load_schema(resources.files("mcsec.impl.kms") / "schema" / "kms-interface.xsd")


class ProvDocumentError(XmlError):
    """The document is valid against the schema but its key material is unusable."""


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def format_time(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> _dt.datetime:
    try:
        value = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ProvDocumentError(f"time {text.strip()[:40]!r} is outside the range this implementation handles") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value


def encode_user_id(user_id: bytes, encoding: str) -> str:
    if encoding == "hex":
        return user_id.hex()
    if encoding == "base64":
        return base64.b64encode(user_id).decode("ascii")
    raise ValueError(f"UserID encoding must be one of {', '.join(USER_ID_ENCODINGS)}, not {encoding!r}")


# --- typed objects --------------------------------------------------------------------------

@dataclass(frozen=True)
class ProvRequest:
    """A KmsRequest. `user_uri` is whom the request is for; the token must belong to it."""
    user_uri: str
    kms_uri: str
    time: _dt.datetime | None = None
    client_id: str | None = None
    device_id: str | None = None
    client_req_url: str | None = None


@dataclass(frozen=True)
class ProvisionedCertificate:
    """A KmsCertificate: the impl/ibc certificate plus its Annex D attributes."""
    certificate: KmsCertificate
    cert_uri: str
    issuer: str
    valid_from: _dt.datetime
    valid_to: _dt.datetime
    revoked: bool = False
    parameter_set: int = PARAMETER_SET
    role: str | None = "Root"
    domains: tuple[str, ...] = ()

    @property
    def kms_uri(self) -> str:
        return self.certificate.kms_uri


@dataclass(frozen=True)
class ProvisionedKeySet:
    """A KmsKeySet: the impl/ibc user key set plus its Annex D attributes."""
    key_set: UserKeySet = field(repr=False)
    kms_uri: str
    cert_uri: str
    issuer: str
    valid_from: _dt.datetime
    valid_to: _dt.datetime
    revoked: bool = False
    user_id_text: str | None = None  # UserID exactly as received (None when built locally)

    @property
    def user_uri(self) -> str:
        return self.key_set.user_uri

    @property
    def key_period_no(self) -> int:
        return self.key_set.key_period_no

    def __repr__(self) -> str:  # never show the secret keys
        return (f"ProvisionedKeySet(user_uri={self.user_uri!r}, key_period_no={self.key_period_no}, "
                f"user_id={self.key_set.user_id.hex()}, revoked={self.revoked})")


@dataclass(frozen=True)
class ProvError:
    code: int
    message: str


@dataclass(frozen=True)
class ProvAnswer:
    """A KmsResponse: envelope fields and one message (KmsInit, KmsKeyProv, KmsCertCache or KmsError)."""
    kms_uri: str
    user_uri: str | None
    time: _dt.datetime
    message: str
    certificates: tuple[ProvisionedCertificate, ...] = ()
    key_sets: tuple[ProvisionedKeySet, ...] = ()
    error: ProvError | None = None
    kms_id: str | None = None
    client_req_url: str | None = None


# --- requests -------------------------------------------------------------------------------

def build_request(req: ProvRequest) -> bytes:
    root = etree.Element(_q("KmsRequest"), nsmap={None: NS}, Version=VERSION)
    etree.SubElement(root, _q("UserUri")).text = req.user_uri
    etree.SubElement(root, _q("KmsUri")).text = req.kms_uri
    if req.time is not None:
        etree.SubElement(root, _q("Time")).text = format_time(req.time)
    for name, value in (("ClientId", req.client_id), ("DeviceId", req.device_id),
                        ("ClientReqUrl", req.client_req_url)):
        if value is not None:
            etree.SubElement(root, _q(name)).text = value
    return serialize(root)


def parse_request(data: bytes) -> ProvRequest:
    root = parse_validated(data, _SCHEMA)
    if root.tag != _q("KmsRequest"):
        raise XmlError("expected a KmsRequest")
    time_text = root.findtext(_q("Time"))
    return ProvRequest(
        user_uri=root.findtext(_q("UserUri")).strip(),
        kms_uri=root.findtext(_q("KmsUri")).strip(),
        time=_parse_time(time_text) if time_text else None,
        client_id=root.findtext(_q("ClientId")),
        device_id=root.findtext(_q("DeviceId")),
        client_req_url=root.findtext(_q("ClientReqUrl")),
    )


# --- responses: building --------------------------------------------------------------------

def _response_root(kms_uri: str, user_uri: str | None, now: _dt.datetime,
                   client_req_url: str | None) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(_q("KmsResponse"), nsmap={None: NS}, Version=VERSION)
    etree.SubElement(root, _q("KmsUri")).text = kms_uri
    if user_uri:
        etree.SubElement(root, _q("UserUri")).text = user_uri
    etree.SubElement(root, _q("Time")).text = format_time(now)
    if client_req_url:
        etree.SubElement(root, _q("ClientReqUrl")).text = client_req_url
    return root, etree.SubElement(root, _q("KmsMessage"))


def _add_certificate(parent: etree._Element, cert: ProvisionedCertificate) -> None:
    attrs = {"Version": KEY_MATERIAL_VERSION}
    if cert.role:
        attrs["Role"] = cert.role
    node = etree.SubElement(parent, _q("KmsCertificate"), **attrs)
    c = cert.certificate
    for name, value in (
        ("CertUri", cert.cert_uri), ("KmsUri", c.kms_uri), ("Issuer", cert.issuer),
        ("ValidFrom", format_time(cert.valid_from)), ("ValidTo", format_time(cert.valid_to)),
        ("Revoked", "true" if cert.revoked else "false"), ("UserIdFormat", str(USER_ID_FORMAT)),
        ("UserKeyPeriod", str(c.key_period.length)), ("UserKeyOffset", str(c.key_period.offset)),
        ("PubEncKey", c.z_t.hex()), ("PubAuthKey", c.kpak.hex()), ("ParameterSet", str(cert.parameter_set)),
    ):
        etree.SubElement(node, _q(name)).text = value
    if cert.domains:
        domains = etree.SubElement(node, _q("KmsDomainList"))
        for domain in cert.domains:
            etree.SubElement(domains, _q("KmsDomain")).text = domain


def _add_key_set(parent: etree._Element, prov: ProvisionedKeySet, user_id_encoding: str) -> None:
    node = etree.SubElement(parent, _q("KmsKeySet"), Version=KEY_MATERIAL_VERSION)
    k = prov.key_set
    for name, value in (
        ("KmsUri", prov.kms_uri), ("CertUri", prov.cert_uri), ("Issuer", prov.issuer),
        ("UserUri", k.user_uri), ("UserID", encode_user_id(k.user_id, user_id_encoding)),
        ("ValidFrom", format_time(prov.valid_from)), ("ValidTo", format_time(prov.valid_to)),
        ("KeyPeriodNo", str(k.key_period_no)), ("Revoked", "true" if prov.revoked else "false"),
        ("UserDecryptKey", k.rsk.hex()), ("UserSigningKeySSK", k.signing_key().ssk_bytes().hex()),
        ("UserPubTokenPVT", k.pvt.hex()),
    ):
        etree.SubElement(node, _q(name)).text = value


def build_init_response(kms_uri: str, user_uri: str | None, cert: ProvisionedCertificate, now: _dt.datetime,
                        client_req_url: str | None = None) -> bytes:
    root, message = _response_root(kms_uri, user_uri, now, client_req_url)
    _add_certificate(etree.SubElement(message, _q("KmsInit"), Version=VERSION), cert)
    return serialize(root)


def build_keyprov_response(kms_uri: str, user_uri: str, key_sets: list[ProvisionedKeySet], now: _dt.datetime,
                           user_id_encoding: str, client_req_url: str | None = None) -> bytes:
    if not key_sets:
        raise ValueError("a KmsKeyProv carries at least one key set")
    root, message = _response_root(kms_uri, user_uri, now, client_req_url)
    node = etree.SubElement(message, _q("KmsKeyProv"), Version=VERSION)
    for prov in key_sets:
        _add_key_set(node, prov, user_id_encoding)
    return serialize(root)


def build_certcache_response(kms_uri: str, user_uri: str | None, certs: list[ProvisionedCertificate],
                             now: _dt.datetime, cache_num: int, client_req_url: str | None = None) -> bytes:
    root, message = _response_root(kms_uri, user_uri, now, client_req_url)
    node = etree.SubElement(message, _q("KmsCertCache"), Version=VERSION, CacheNum=str(cache_num))
    for cert in certs:
        _add_certificate(node, cert)
    return serialize(root)


def build_error_response(kms_uri: str, code: int, message: str, now: _dt.datetime,
                         user_uri: str | None = None) -> bytes:
    root, msg = _response_root(kms_uri, user_uri, now, None)
    node = etree.SubElement(msg, _q("KmsError"), Version=VERSION)
    etree.SubElement(node, _q("ErrorCode")).text = str(code)
    etree.SubElement(node, _q("ErrorMsg")).text = message[:512]
    return serialize(root)


# --- responses and key material: parsing ----------------------------------------------------

def _fields(node: etree._Element) -> dict[str, str]:
    """Child elements as {local name: text}, the mapping impl/ibc loads from."""
    out = {}
    for child in node:
        if isinstance(child.tag, str) and len(child) == 0:
            out[etree.QName(child).localname] = (child.text or "").strip()
    return out


def _certificate(node: etree._Element) -> ProvisionedCertificate:
    values = _fields(node)
    try:
        cert = KmsCertificate.from_mapping(values)
    except KeyMaterialError as exc:
        raise ProvDocumentError(f"KmsCertificate: {exc}") from None
    domains = tuple((d.text or "").strip() for d in node.iterfind(f"{_q('KmsDomainList')}/{_q('KmsDomain')}"))
    return ProvisionedCertificate(
        certificate=cert, cert_uri=values["CertUri"], issuer=values["Issuer"],
        valid_from=_parse_time(values["ValidFrom"]), valid_to=_parse_time(values["ValidTo"]),
        revoked=values["Revoked"] in ("true", "1"), parameter_set=int(values["ParameterSet"]),
        role=node.get("Role"), domains=domains,
    )


def _key_set(node: etree._Element, user_id_format: str) -> ProvisionedKeySet:
    values = _fields(node)
    try:
        key_set = UserKeySet.from_mapping(values, user_id_format=user_id_format)
    except KeyMaterialError as exc:
        raise ProvDocumentError(f"KmsKeySet: {exc}") from None
    return ProvisionedKeySet(
        key_set=key_set, kms_uri=values["KmsUri"], cert_uri=values["CertUri"], issuer=values["Issuer"],
        valid_from=_parse_time(values["ValidFrom"]), valid_to=_parse_time(values["ValidTo"]),
        revoked=values["Revoked"] in ("true", "1"), user_id_text=values["UserID"],
    )


def _message(node: etree._Element, user_id_format: str) -> dict:
    name = etree.QName(node).localname
    if name in ("KmsInit", "KmsCertCache"):
        return {"message": name, "certificates": tuple(_certificate(c) for c in node.iterfind(_q("KmsCertificate")))}
    if name == "KmsKeyProv":
        return {"message": name, "key_sets": tuple(_key_set(k, user_id_format) for k in node.iterfind(_q("KmsKeySet")))}
    return {"message": name, "error": ProvError(int(node.findtext(_q("ErrorCode"))), node.findtext(_q("ErrorMsg")) or "")}


def parse_response(data: bytes, user_id_format: str = "auto") -> ProvAnswer:
    """A KmsResponse. `user_id_format` is how UserID is read: hex, base64 or auto (hex first)."""
    root = parse_validated(data, _SCHEMA)
    if root.tag != _q("KmsResponse"):
        raise XmlError("expected a KmsResponse")
    message = next(iter(root.find(_q("KmsMessage"))))
    return ProvAnswer(
        kms_uri=root.findtext(_q("KmsUri")).strip(),
        user_uri=(root.findtext(_q("UserUri")) or "").strip() or None,
        time=_parse_time(root.findtext(_q("Time"))),
        kms_id=root.findtext(_q("KmsId")),
        client_req_url=root.findtext(_q("ClientReqUrl")),
        **_message(message, user_id_format),
    )


@dataclass(frozen=True)
class KeyMaterialDocument:
    """What an Annex D document holds, whichever element is its root."""
    certificates: tuple[ProvisionedCertificate, ...]
    key_sets: tuple[ProvisionedKeySet, ...]


def parse_key_material(data: bytes, user_id_format: str = "auto") -> KeyMaterialDocument:
    """Certificates and key sets from a KmsResponse, KmsInit, KmsKeyProv, KmsCertCache,
    KmsCertificate or KmsKeySet document (validated against the schema)."""
    root = parse_validated(data, _SCHEMA)
    name = etree.QName(root).localname
    if name == "KmsResponse":
        answer = parse_response(data, user_id_format)
        if answer.error is not None:
            raise ProvDocumentError(f"the document is a KmsError {answer.error.code}: {answer.error.message}")
        return KeyMaterialDocument(answer.certificates, answer.key_sets)
    if name == "KmsCertificate":
        return KeyMaterialDocument((_certificate(root),), ())
    if name == "KmsKeySet":
        return KeyMaterialDocument((), (_key_set(root, user_id_format),))
    if name in ("KmsInit", "KmsCertCache", "KmsKeyProv"):
        parts = _message(root, user_id_format)
        return KeyMaterialDocument(parts.get("certificates", ()), parts.get("key_sets", ()))
    raise XmlError(f"a {name} holds no key material")
