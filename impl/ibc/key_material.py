"""User-side key material as a KMS provisions it (TS 33.180 Annex D field names).

:class:`KmsCertificate` mirrors ``KmsCertificate`` of a KmsInit response and
:class:`UserKeySet` mirrors a ``KmsKeySet`` of a KmsKeyProv response. Both load
from mappings using the XML element names (``KmsUri``, ``PubEncKey``, ...),
with octet strings in hex, or base64 where the profile says so (``UserID`` is a
known interoperability trap: see ``user_id_format``).
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Mapping

from mcsec.impl.ibc import eccsi, sakke
from mcsec.impl.ibc.eccsi import SigningKeyPair
from mcsec.impl.ibc.errors import IbcError
from mcsec.impl.ibc.mikey_errors import KeyMaterialError
from mcsec.impl.ibc.sakke import ReceiverSecretKey
from mcsec.impl.ibc.uid import KeyPeriod


def decode_octets(value: Any, what: str, fmt: str = "hex") -> bytes:
    """Octets from hex or base64 text (``fmt``: hex, base64 or auto)."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if not isinstance(value, str):
        raise KeyMaterialError(f"{what}: expected a string")
    text = "".join(value.split())
    if fmt in ("hex", "auto"):
        try:
            return bytes.fromhex(text)
        except ValueError:
            if fmt == "hex":
                raise KeyMaterialError(f"{what}: not valid hex") from None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyMaterialError(f"{what}: not valid {'hex or base64' if fmt == 'auto' else fmt}") from None


def _int(mapping: Mapping[str, Any], key: str) -> int:
    try:
        return int(str(mapping[key]).strip())
    except KeyError:
        raise KeyMaterialError(f"missing field {key}") from None
    except ValueError:
        raise KeyMaterialError(f"{key}: not an integer") from None


def _get(mapping: Mapping[str, Any], key: str) -> Any:
    try:
        return mapping[key]
    except KeyError:
        raise KeyMaterialError(f"missing field {key}") from None


@dataclass(frozen=True)
class KmsCertificate:
    """A KMS's public parameters: URI, key period, SAKKE Z_T and ECCSI KPAK."""

    kms_uri: str
    key_period: KeyPeriod
    z_t: bytes
    kpak: bytes

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "KmsCertificate":
        if not isinstance(data, Mapping):
            raise KeyMaterialError("KMS certificate must be an object")
        uri = _get(data, "KmsUri")
        if not isinstance(uri, str) or not uri:
            raise KeyMaterialError("KmsUri must be a non-empty string")
        fmt = str(data.get("UserIdFormat", "2"))
        if fmt.strip() != "2":
            raise KeyMaterialError(f"UserIdFormat {fmt} is not supported (only 2)")
        try:
            period = KeyPeriod(_int(data, "UserKeyPeriod"), _int(data, "UserKeyOffset"))
        except IbcError as exc:
            raise KeyMaterialError(str(exc)) from None
        cert = cls(
            kms_uri=uri,
            key_period=period,
            z_t=decode_octets(_get(data, "PubEncKey"), "PubEncKey"),
            kpak=decode_octets(_get(data, "PubAuthKey"), "PubAuthKey"),
        )
        try:
            sakke.decode_point(cert.z_t, "PubEncKey")
            eccsi.decode_point(cert.kpak, "PubAuthKey")
        except IbcError as exc:
            raise KeyMaterialError(str(exc)) from None
        return cert


@dataclass(frozen=True)
class UserKeySet:
    """One user's keys for one key period: identity, RSK (SAKKE), SSK and PVT (ECCSI)."""

    user_uri: str
    user_id: bytes
    key_period_no: int
    rsk: bytes = field(repr=False)
    ssk: int = field(repr=False)
    pvt: bytes
    _rsk_key: list = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, user_id_format: str = "auto") -> "UserKeySet":
        if not isinstance(data, Mapping):
            raise KeyMaterialError("key set must be an object")
        uri = _get(data, "UserUri")
        if not isinstance(uri, str) or not uri:
            raise KeyMaterialError("UserUri must be a non-empty string")
        ssk = decode_octets(_get(data, "UserSigningKeySSK"), "UserSigningKeySSK")
        return cls(
            user_uri=uri,
            user_id=decode_octets(_get(data, "UserID"), "UserID", user_id_format),
            key_period_no=_int(data, "KeyPeriodNo"),
            rsk=decode_octets(_get(data, "UserDecryptKey"), "UserDecryptKey"),
            ssk=int.from_bytes(ssk, "big"),
            pvt=decode_octets(_get(data, "UserPubTokenPVT"), "UserPubTokenPVT"),
        )

    def signing_key(self) -> SigningKeyPair:
        return SigningKeyPair(identifier=self.user_id, ssk=self.ssk, pvt=self.pvt)

    def receiver_key(self) -> ReceiverSecretKey:
        """The RSK with its pairing precomputation, built once per key set."""
        if not self._rsk_key:
            try:
                self._rsk_key.append(ReceiverSecretKey.from_bytes(self.rsk))
            except IbcError as exc:
                raise KeyMaterialError(f"UserDecryptKey: {exc}") from None
        return self._rsk_key[0]

    def validate(self, kms: KmsCertificate) -> None:
        """RFC 6507 5.1.2 and RFC 6508 6.1.2 checks against the KMS certificate."""
        try:
            eccsi.validate_signing_key(self.user_id, self.ssk, self.pvt, kms.kpak)
        except IbcError as exc:
            raise KeyMaterialError(f"signing key: {exc}") from None
        try:
            sakke.validate_rsk(self.user_id, self.receiver_key(), kms.z_t)
        except IbcError as exc:
            raise KeyMaterialError(f"decryption key: {exc}") from None
