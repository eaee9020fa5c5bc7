"""Client side of the KMS key provisioning interface (clause 7.14, TS 33.180 Annex D style).

`ProvisioningClient` reports what the KMS answered (status, challenge, the
parsed and schema-validated answer, or why the body could not be read) and
never judges it; callers decide what is acceptable. The validation helpers
below are the checks a client makes before it uses provisioned key material:
RSK (RFC 6508 6.1.2), SSK/PVT (RFC 6507 5.1.2) and the UID (TS 33.180 F.2.1).
"""
from __future__ import annotations

import datetime as _dt
import hmac
import ssl
from dataclasses import dataclass
from urllib.parse import quote

from mcsec.impl import httpclient
from mcsec.impl.ibc import eccsi, sakke
from mcsec.impl.ibc.errors import IbcError
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey_errors import KeyMaterialError
from mcsec.impl.ibc.uid import seconds_to_ntp64
from mcsec.impl.kms import provxml
from mcsec.impl.kms.xmlparse import XmlError

USER_ID_FORMATS = ("hex", "base64", "auto")


@dataclass(frozen=True)
class ProvReply:
    status: int
    www_authenticate: str | None
    answer: provxml.ProvAnswer | None
    problem: str | None  # why the body could not be read as a KmsResponse, if it could not

    @property
    def certificates(self) -> tuple[provxml.ProvisionedCertificate, ...]:
        return self.answer.certificates if self.answer else ()

    @property
    def certificate(self) -> KmsCertificate | None:
        """The first KMS certificate of a KmsInit or KmsCertCache answer."""
        return self.certificates[0].certificate if self.certificates else None

    @property
    def key_sets(self) -> tuple[provxml.ProvisionedKeySet, ...]:
        return self.answer.key_sets if self.answer else ()

    @property
    def error(self) -> provxml.ProvError | None:
        return self.answer.error if self.answer else None


class ProvisioningClient:
    """Talks to one KMS. `user_id_format` is how UserID is read (hex, base64 or auto).

    With `kms_uri` (and a user URI, given here or per call) each request carries a
    KmsRequest body; otherwise the body is empty and the token alone says who asks.
    """

    def __init__(self, base_url: str, context: ssl.SSLContext, user_id_format: str = "hex", *,
                 kms_uri: str | None = None, user_uri: str | None = None,
                 timeout: float = httpclient.DEFAULT_TIMEOUT_S):
        if user_id_format not in USER_ID_FORMATS:
            raise ValueError(f"user_id_format must be one of {', '.join(USER_ID_FORMATS)}")
        self._base = base_url.rstrip("/")
        self._ctx = context
        self.user_id_format = user_id_format
        self.kms_uri = kms_uri
        self.user_uri = user_uri
        self._timeout = timeout

    def init(self, token: str | None) -> ProvReply:
        return self.post(provxml.INIT_PATH, token, self._body(None))

    def certcache(self, token: str | None) -> ProvReply:
        return self.post(provxml.CERTCACHE_PATH, token, self._body(None))

    def keyprov(self, token: str | None, user_uri: str | None = None, ntp_time: float | None = None) -> ProvReply:
        """Key sets for `user_uri` (path parameter) at NTP time `ntp_time` (seconds since 1900)."""
        path = provxml.KEYPROV_PATH
        uri = user_uri or (self.user_uri if ntp_time is not None else None)
        if ntp_time is not None and uri is None:
            raise ValueError("a time needs a user URI before it in the keyprov path")
        if uri is not None:
            path += "/" + quote(uri, safe="")
        if ntp_time is not None:
            path += f"/{seconds_to_ntp64(ntp_time):016X}"
        return self.post(path, token, self._body(user_uri))

    def _body(self, user_uri: str | None) -> bytes:
        uri = user_uri or self.user_uri
        if self.kms_uri is None or uri is None:
            return b""
        now = _dt.datetime.now(_dt.timezone.utc)
        return provxml.build_request(provxml.ProvRequest(user_uri=uri, kms_uri=self.kms_uri, time=now))

    def post(self, path: str, token: str | None, body: bytes) -> ProvReply:
        """POST any body to any path (negative tests send malformed ones)."""
        reply = httpclient.post_with_bearer(self._base + path, token, body, provxml.CONTENT_TYPE,
                                            context=self._ctx, timeout=self._timeout)
        answer = problem = None
        try:
            answer = provxml.parse_response(reply.body, self.user_id_format)
        except XmlError as exc:
            problem = str(exc)
        return ProvReply(reply.status, reply.header("www-authenticate"), answer, problem)


# --- checks before use ------------------------------------------------------------------------

class KeySetRejected(ValueError):
    """Provisioned key material must not be used; `check` names the failed check."""

    def __init__(self, check: str, message: str):
        super().__init__(f"{check}: {message}")
        self.check = check


def validate_rsk(key_set: UserKeySet, kms: KmsCertificate) -> None:
    """RFC 6508 6.1.2: <[b]P + Z_T, RSK> == g for the key set's identifier b."""
    try:
        sakke.validate_rsk(key_set.user_id, key_set.receiver_key(), kms.z_t)
    except (IbcError, KeyMaterialError) as exc:
        raise KeySetRejected("rsk", str(exc)) from None


def validate_ssk(key_set: UserKeySet, kms: KmsCertificate) -> None:
    """RFC 6507 5.1.2: [SSK]G == KPAK + [HS]PVT for the key set's identifier."""
    try:
        eccsi.validate_signing_key(key_set.user_id, key_set.ssk, key_set.pvt, kms.kpak)
    except IbcError as exc:
        raise KeySetRejected("ssk", str(exc)) from None


def check_user_id(key_set: UserKeySet, kms: KmsCertificate) -> None:
    """UserID must be the TS 33.180 F.2.1 UID of UserUri under this KMS for KeyPeriodNo."""
    expected = kms.key_period.uid(key_set.user_uri, kms.kms_uri, key_set.key_period_no)
    if not hmac.compare_digest(expected, key_set.user_id):
        raise KeySetRejected("uid", "UserID is not the UID of UserUri, KmsUri and KeyPeriodNo")


def validate_key_set(prov: provxml.ProvisionedKeySet, kms: KmsCertificate) -> None:
    """Every check a client makes before using a provisioned key set; raises KeySetRejected."""
    if prov.kms_uri != kms.kms_uri:
        raise KeySetRejected("kms", f"key set is from {prov.kms_uri!r}, the certificate from {kms.kms_uri!r}")
    if prov.revoked:
        raise KeySetRejected("revoked", "the KMS marks this key set revoked")
    check_user_id(prov.key_set, kms)
    validate_ssk(prov.key_set, kms)
    validate_rsk(prov.key_set, kms)
