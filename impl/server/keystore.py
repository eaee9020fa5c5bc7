"""The MCPTT server's CEKs: fetched from the KMS by Key ID, kept per (KMS URI, Key ID), checked per sender.

The server holds several CEKs at once and uses the one the Key ID names. A CEK is identified by the
pair (KMS URI, Key ID) (the project's resolution of the clause 7.13 editor's note): each user has a
home KMS (the server's own KMS unless configured otherwise), a body from a user is opened with the
CEK its Key ID names at that user's KMS, and two KMSes may issue the same Key ID without one CEK
being taken for the other. A CEK is used only when the KMS that answered is the one asked, its
binding says it is shared with this server, belongs to the MCPTT ID of the asserted sender, and is
within its validity period. The access token for the KMS comes from the IdM by the client
credentials grant and is renewed before it expires. Keys and tokens are never logged.
"""
from __future__ import annotations

import datetime as _dt
import logging
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mcsec.impl.faults import Faults
from mcsec.impl.httpclient import PeerUnavailable
from mcsec.impl.idm.login import Discovery, IdmError, client_credentials, discover
from mcsec.impl.kms.cekclient import CekClient
from mcsec.impl.kms.cekxml import KmsCek

log = logging.getLogger("mcsec.server.keys")

RENEW_MARGIN_S = 30.0
MAX_CACHED_CEKS = 4096


class KeyServiceUnavailable(Exception):
    """The IdM or the KMS could not be reached or refused the server itself (not a body's fault)."""


@dataclass
class ServerToken:
    """The server's own KMS access token (client credentials), cached until shortly before expiry."""

    idm_url: str
    client_id: str
    client_secret: str = field(repr=False)
    context: ssl.SSLContext = field(repr=False, default=None)  # type: ignore[assignment]
    _token: str | None = field(default=None, repr=False)
    _renew_at: float = 0.0
    _discovery: Discovery | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, *, force: bool = False) -> str:
        with self._lock:
            if self._token is not None and not force and time.monotonic() < self._renew_at:
                return self._token
            try:
                if self._discovery is None:
                    self._discovery = discover(self.idm_url, self.context)
                tokens = client_credentials(self._discovery, self.client_id, self.client_secret, self.context)
            except IdmError as exc:
                raise KeyServiceUnavailable(f"IdM: {exc.status} {exc.error}") from None
            margin = min(RENEW_MARGIN_S, tokens.expires_in / 5)
            self._token = tokens.access_token
            self._renew_at = time.monotonic() + max(0.0, tokens.expires_in - margin)
            log.info("obtained a KMS access token (expires in %d s)", tokens.expires_in)
            return self._token


CekName = tuple[str, int]  # (KMS URI, Key ID): what identifies a CEK


class KeyStore:
    """CEKs by (KMS URI, Key ID) (newest last), fetched from the sender's KMS on first use.

    ``kms`` is the server's own KMS, the home KMS of every user ``homes`` (MCPTT ID -> KMS URI)
    does not place at one of ``other_kms``."""

    def __init__(self, *, server_uri: str, kms: CekClient, token: ServerToken, faults: Faults,
                 other_kms: Sequence[CekClient] = (), homes: Mapping[str, str] | None = None) -> None:
        self.server_uri = server_uri
        self._home = kms
        self._kmses: dict[str, CekClient] = {kms.kms_uri: kms}
        for other in other_kms:
            if other.kms_uri in self._kmses:
                raise ValueError(f"KMS {other.kms_uri!r} given twice")
            self._kmses[other.kms_uri] = other
        self._homes = dict(homes or {})
        unknown = sorted(set(self._homes.values()) - set(self._kmses))
        if unknown:
            raise ValueError(f"a user's KMS is not one the server knows: {', '.join(unknown)}")
        self._token = token
        self._faults = faults
        self._ceks: OrderedDict[CekName, KmsCek] = OrderedDict()
        self._lock = threading.Lock()

    def kms_of(self, mcptt_id: str) -> str:
        """The KMS URI of the user's home KMS (the one that issues the CEKs the user shares)."""
        return self._homes.get(mcptt_id, self._home.kms_uri)

    def held(self) -> list[CekName]:
        with self._lock:
            return list(self._ceks)

    def _name(self, kms_uri: str, key_id: int) -> CekName:
        if "server_cek_by_key_id_only" in self._faults:
            return ("", key_id)  # the fault: the KMS URI left out of what names a CEK
        return (kms_uri, key_id)

    def _cached(self, name: CekName, now: _dt.datetime) -> KmsCek | None:
        with self._lock:
            cek = self._ceks.get(name)
            if cek is not None and not (cek.valid_from <= now < cek.valid_to):
                del self._ceks[name]
                return None
            return cek

    def _store(self, name: CekName, cek: KmsCek) -> None:
        with self._lock:
            self._ceks[name] = cek
            self._ceks.move_to_end(name)
            while len(self._ceks) > MAX_CACHED_CEKS:
                self._ceks.popitem(last=False)

    def needs_kms(self, key_id: int, sender_mcptt_id: str | None = None) -> bool:
        """True when :meth:`cek_for` would have to ask the KMS (so must not run on the event loop)."""
        kms_uri = self._home.kms_uri if sender_mcptt_id is None else self.kms_of(sender_mcptt_id)
        return self._cached(self._name(kms_uri, key_id), _dt.datetime.now(_dt.timezone.utc)) is None

    def fetch(self, key_id: int, kms_uri: str | None = None) -> KmsCek | None:
        """The CEK (``kms_uri``, ``key_id``) (the server's own KMS by default): cached, or fetched from
        that KMS (blocking). ``None`` when the KMS will not give it to this server, or the answer names
        another KMS. :class:`KeyServiceUnavailable` when the KMS or IdM cannot be used at all."""
        kms = self._kmses[kms_uri] if kms_uri is not None else self._home
        name = self._name(kms.kms_uri, key_id)
        now = _dt.datetime.now(_dt.timezone.utc)
        cek = self._cached(name, now)
        if cek is not None:
            return cek
        try:
            reply = kms.fetch(self._token.get(), self.server_uri, key_id)
            if reply.status == 401:  # the token may have been revoked or expired early: renew once
                reply = kms.fetch(self._token.get(force=True), self.server_uri, key_id)
        except PeerUnavailable as exc:
            raise KeyServiceUnavailable(f"KMS {kms.kms_uri}: {exc}") from None
        if reply.status == 200 and reply.cek is not None and reply.cek.key_id == key_id:
            if reply.answer is None or reply.answer.kms_uri != kms.kms_uri:
                log.info("KMS %s answered CEK %08X as another KMS; not used", kms.kms_uri, key_id)
                return None
            self._store(name, reply.cek)
            log.info("fetched CEK %08X from KMS %s (owner %s)", key_id, kms.kms_uri, reply.cek.owner_uri)
            return reply.cek
        if reply.status in (401, 403) and reply.error is not None and reply.error.code in (0, 3, 6):
            raise KeyServiceUnavailable(f"KMS {kms.kms_uri} refused the server itself ({reply.status})")
        log.info("KMS %s has no CEK %08X for this server (status %d)", kms.kms_uri, key_id, reply.status)
        return None

    def newest(self) -> KmsCek | None:
        with self._lock:
            return next(reversed(self._ceks.values()), None)

    def cek_for(self, key_id: int, sender_mcptt_id: str) -> KmsCek | None:
        """The CEK to open a body naming ``key_id`` from ``sender_mcptt_id``: the one of that Key ID
        at the sender's KMS, or ``None`` when the server will not use one (unknown, expired, shared
        with another server, owned by another user). Blocking (may ask the KMS)."""
        cek = self.fetch(key_id, self.kms_of(sender_mcptt_id))
        if "server_ignore_key_id" in self._faults:
            cek = self.newest()  # the fault: whatever the Key ID named
        if cek is None:
            return None
        now = _dt.datetime.now(_dt.timezone.utc)
        if cek.server_uri != self.server_uri or not (cek.valid_from <= now < cek.valid_to):
            return None
        if cek.owner_uri != sender_mcptt_id and "server_ignore_binding" not in self._faults:
            log.info("CEK %08X is bound to another user than the asserted sender", key_id)
            return None
        return cek
