"""The KMS's test control surface: the next key set provisioned to a named user made defective.

A conformance test of an MCPTT client must see what the client does with key material that fails a
check (clause 7.14; RFC 6507 5.1.2, RFC 6508 6.1.2, TS 33.180 Annex D). The client under test is
configured with this KMS, so the defect has to come from here: the test system arms a defect for one
user, and that user's next ``keyprov`` answer carries the defective key set instead of the real one,
once. Nothing else changes: every other user, every other request, and the user's later requests get
their real key material.

Only served when the configuration says ``"test_control": true``; otherwise its path answers 404 like
any unknown path. Every request must carry the test control secret as ``Authorization: Bearer
<secret>`` (configured, or made at each start and reported in the ready line only); a request without
it, or with another value (compared in constant time), gets 401 with a Bearer challenge and nothing
else, before its body is read.

``POST /test/keyprov-defects`` with a JSON object ``{"user_uri": URI, "defect": NAME}`` arms a defect
(replacing one still armed for that user); ``"defect": null`` disarms. Answer:
``{"user_uri", "defect", "key_period_no", "pvt"}``: the defective key set's key period and its PVT
(hex), a public value that travels in every ECCSI signature made with it, so the test system can tell
whether the client signed with it. No secret key is ever answered or logged.

``POST /test/cek-key-ids`` with a JSON object ``{"user_uri": URI, "key_id": HEX}`` (8 hex digits) pins
the Key ID of the next CEK issued to that user (replacing a pin still waiting for that user), once:
another KMS's Key ID can so be issued here too, the collision the clause 7.13 editor's note is about.
The Key ID must carry the CEK purpose tag and be one this KMS has not issued or pinned (else 409);
``"key_id": null`` drops the pin. Answer: ``{"user_uri", "key_id"}``.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import hmac
import threading
from collections.abc import Callable

from mcsec.impl.httpserver import HttpError, Request, Response
from mcsec.impl.ibc.kms_keys import IbcKms
from mcsec.impl.ibc.key_material import UserKeySet
from mcsec.impl.kms.cekstore import CekStore, KeyIdNotPinnable
from mcsec.impl.kms.provkeys import KeyProvisioner, ntp_to_datetime
from mcsec.impl.kms.provxml import ProvisionedKeySet

DEFECTS_PATH = "/test/keyprov-defects"
KEY_IDS_PATH = "/test/cek-key-ids"
REALM = "mcsec-kms-test-control"
OTHER_KMS_URI = "kms.other.example"
MAX_ARMED = 64


def _issued(provisioner: KeyProvisioner, kms: IbcKms, key_set: UserKeySet, number: int, *,
            kms_uri: str | None = None, revoked: bool = False) -> ProvisionedKeySet:
    """A key set as the provisioning interface answers it, for key period ``number``."""
    period = provisioner.key_period
    c = provisioner.config
    return ProvisionedKeySet(
        key_set=key_set, kms_uri=kms_uri or kms.kms_uri, cert_uri=c.cert_uri, issuer=c.issuer,
        valid_from=ntp_to_datetime(period.start_of(number)), valid_to=ntp_to_datetime(period.end_of(number) - 1),
        revoked=revoked)


def _other_identifier(p: KeyProvisioner, kms: IbcKms, user_uri: str, n: int) -> ProvisionedKeySet:
    """RSK, SSK and PVT issued for another identifier (the user's UID of the next key period), labelled with
    the user's UID of this one: the SSK and RSK do not validate (RFC 6507 5.1.2, RFC 6508 6.1.2)."""
    keys = kms.issue_key_set(user_uri, n + 1)
    labelled = dataclasses.replace(keys, user_id=p.key_period.uid(user_uri, kms.kms_uri, n), key_period_no=n,
                                   _rsk_key=[])
    return _issued(p, kms, labelled, n)


def _expired_period(p: KeyProvisioner, kms: IbcKms, user_uri: str, n: int) -> ProvisionedKeySet:
    """A sound key set of the key period before the one in force."""
    return _issued(p, kms, kms.issue_key_set(user_uri, n - 1), n - 1)


def _revoked(p: KeyProvisioner, kms: IbcKms, user_uri: str, n: int) -> ProvisionedKeySet:
    """A sound key set of the period in force (a PVT of its own), marked revoked."""
    return _issued(p, kms, kms.issue_key_set(user_uri, n), n, revoked=True)


def _pvt_mismatch(p: KeyProvisioner, kms: IbcKms, user_uri: str, n: int) -> ProvisionedKeySet:
    """An SSK with the PVT of another issue for the same identifier: the pair does not validate."""
    first, second = kms.issue_key_set(user_uri, n), kms.issue_key_set(user_uri, n)
    return _issued(p, kms, dataclasses.replace(first, pvt=second.pvt, _rsk_key=[]), n)


def _other_kms(p: KeyProvisioner, kms: IbcKms, user_uri: str, n: int) -> ProvisionedKeySet:
    """A key set of another KMS (its own master keys), naming that KMS."""
    other = IbcKms.generate(OTHER_KMS_URI, p.key_period)
    return _issued(p, other, other.issue_key_set(user_uri, n), n, kms_uri=OTHER_KMS_URI)


def _wrong_user_id(p: KeyProvisioner, kms: IbcKms, user_uri: str, n: int) -> ProvisionedKeySet:
    """Sound keys of another identifier, with that identifier as UserID: not the UID of the user's URI for
    the key period in force."""
    keys = kms.issue_key_set(user_uri, n + 1)
    return _issued(p, kms, dataclasses.replace(keys, key_period_no=n), n)


DEFECTS: dict[str, Callable[[KeyProvisioner, IbcKms, str, int], ProvisionedKeySet]] = {
    "other_identifier": _other_identifier,
    "expired_period": _expired_period,
    "revoked": _revoked,
    "pvt_mismatch": _pvt_mismatch,
    "other_kms": _other_kms,
    "wrong_user_id": _wrong_user_id,
}


class ArmedDefects:
    """Defective key sets waiting for their user's next keyprov (each taken once)."""

    def __init__(self) -> None:
        self._armed: dict[str, ProvisionedKeySet] = {}
        self._lock = threading.Lock()

    def arm(self, user_uri: str, key_set: ProvisionedKeySet | None) -> None:
        with self._lock:
            if key_set is None:
                self._armed.pop(user_uri, None)
                return
            if user_uri not in self._armed and len(self._armed) >= MAX_ARMED:
                raise HttpError(409, f"at most {MAX_ARMED} defects may be armed at once")
            self._armed[user_uri] = key_set

    def take(self, user_uri: str) -> ProvisionedKeySet | None:
        with self._lock:
            return self._armed.pop(user_uri, None)


class TestControl:
    __test__ = False  # not a pytest test class

    def __init__(self, provisioner: KeyProvisioner, armed: ArmedDefects, secret: str,
                 now: Callable[[], _dt.datetime], ceks: CekStore | None = None) -> None:
        self._provisioner = provisioner
        self._armed = armed
        self._ceks = ceks
        self._secret = secret.encode("ascii")
        self._now = now

    def _authorised(self, request: Request) -> bool:
        scheme, _, given = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode("utf-8", "replace"), self._secret)

    def _refused(self) -> Response:
        return Response(401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'})

    @staticmethod
    def _user_uri(body: dict, items: tuple[str, ...]) -> str:
        if not isinstance(body, dict):
            raise HttpError(400, "the body must be a JSON object")
        unknown = sorted(set(body) - set(items))
        if unknown:
            raise HttpError(400, f"{unknown[0]}: unknown item (expected {', '.join(items)})")
        user_uri = body.get("user_uri")
        if not isinstance(user_uri, str) or not user_uri or len(user_uri) > 512:
            raise HttpError(400, "user_uri: must be a string of 1 to 512 characters")
        return user_uri

    def key_ids(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._refused()
        if self._ceks is None:
            raise HttpError(404, "this KMS issues no CEKs")
        body = request.json()
        user_uri = self._user_uri(body, ("user_uri", "key_id"))
        if "key_id" not in body:
            raise HttpError(400, "key_id: missing (8 hex digits, or null)")
        text = body["key_id"]
        if text is None:
            self._ceks.pin(user_uri, None)
            return Response.json({"user_uri": user_uri, "key_id": None})
        if not isinstance(text, str) or len(text) != 8 or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise HttpError(400, "key_id: expected 8 hex digits, or null")
        try:
            self._ceks.pin(user_uri, int(text, 16))
        except KeyIdNotPinnable as exc:
            raise HttpError(409, str(exc)) from None
        return Response.json({"user_uri": user_uri, "key_id": text.upper()})

    def defects(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._refused()
        body = request.json()
        user_uri = self._user_uri(body, ("user_uri", "defect"))
        if "defect" not in body:
            raise HttpError(400, f"defect: missing (one of {', '.join(DEFECTS)}, or null)")
        defect = body["defect"]
        if defect is None:
            self._armed.arm(user_uri, None)
            return Response.json({"user_uri": user_uri, "defect": None})
        if defect not in DEFECTS:
            raise HttpError(400, f"defect: expected one of {', '.join(DEFECTS)}, or null")
        number = self._provisioner.period_at(self._now())
        key_set = DEFECTS[defect](self._provisioner, self._provisioner.kms, user_uri, number)
        self._armed.arm(user_uri, key_set)
        return Response.json({"user_uri": user_uri, "defect": defect, "key_period_no": key_set.key_period_no,
                              "pvt": key_set.key_set.pvt.hex().upper()})
