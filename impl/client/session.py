"""The MCPTT client's key management state: login at the IdM (code grant with PKCE) and the keys it
holds, one of them active: CEKs from the KMS (clause 7.13) and CSKs the MCPTT server accepted
(clause 7.14, see ``mcsec.impl.client.ibc``). Blocking calls; thread-safe. Keys, tokens and
passwords never reach a log or an answer (a Key ID is an identifier, not a key).
"""
from __future__ import annotations

import logging
import ssl
import threading
from collections import OrderedDict

from mcsec.impl.client.config import ClientConfig
from mcsec.impl.client.errors import UtError, precondition
from mcsec.impl.httpclient import PeerUnavailable
from mcsec.impl.idm.login import IdmError, discover, login_with_pkce
from mcsec.impl.kms.cekclient import CekClient
from mcsec.impl.kms.cekxml import KmsCek, format_time
from mcsec.impl.mcptt.body import SealingKey, format_key_id

log = logging.getLogger("mcsec.client.keys")


class ClientSession:
    def __init__(self, config: ClientConfig, idm_context: ssl.SSLContext, kms_context: ssl.SSLContext) -> None:
        self.config = config
        self._idm_ctx = idm_context
        self._kms = CekClient(config.kms.url, config.kms.kms_uri, kms_context)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._ceks: OrderedDict[int, KmsCek] = OrderedDict()
        self._active: int | None = None
        self.registered = False

    # --- state --------------------------------------------------------------------------------
    @property
    def logged_in(self) -> bool:
        return self._token is not None

    def key_ids(self) -> list[str]:
        with self._lock:
            return [format_key_id(k) for k in self._ceks]

    def active_key_id(self) -> str | None:
        with self._lock:
            return None if self._active is None else format_key_id(self._active)

    def describe(self, cek: KmsCek) -> dict:
        return {"key_id": format_key_id(cek.key_id), "owner_uri": cek.owner_uri, "server_uri": cek.server_uri,
                "valid_from": format_time(cek.valid_from), "valid_to": format_time(cek.valid_to)}

    # --- IdM ----------------------------------------------------------------------------------
    def login(self) -> dict:
        user = self.config.user
        try:
            discovery = discover(self.config.idm.url, self._idm_ctx)
            tokens = login_with_pkce(discovery, self.config.client_id, self.config.redirect_uri,
                                     user.username, user.password, self._idm_ctx)
        except IdmError as exc:
            code = "idm_unreachable" if exc.status == 0 else "idm_refused"
            raise UtError(502, code, f"IdM answered {exc.status} {exc.error}") from None
        with self._lock:
            self._token = tokens.access_token
        log.info("logged in as %s (token expires in %d s)", user.username, tokens.expires_in)
        return {"logged_in": True, "scope": tokens.scope, "expires_in": tokens.expires_in}

    @property
    def token(self) -> str | None:
        """The KMS access token (for the IBC provisioning requests); never logged."""
        return self._token

    def hold(self, key) -> None:
        """Hold a key the client established itself (a CSK the MCPTT server accepted); it becomes the
        active one and is used exactly like a CEK from the KMS."""
        with self._lock:
            self._ceks[key.key_id] = key
            self._active = key.key_id
        log.info("holding CSK %s", format_key_id(key.key_id))

    # --- KMS ----------------------------------------------------------------------------------
    def issue_cek(self) -> KmsCek:
        """Ask the KMS for a new CEK shared with the server; it becomes the active one."""
        token = self._token
        if token is None:
            raise precondition("not_logged_in", "POST /ut/v1/login first")
        try:
            reply = self._kms.issue(token, self.config.user.mcptt_id, self.config.server_uri)
        except PeerUnavailable as exc:
            raise UtError(502, "kms_unreachable", str(exc)) from None
        if reply.status != 200 or reply.cek is None:
            code = f" KmsError {reply.error.code}" if reply.error is not None else ""
            raise UtError(502, "kms_refused", f"KMS answered {reply.status}{code}")
        with self._lock:
            self._ceks[reply.cek.key_id] = reply.cek
            self._active = reply.cek.key_id
        log.info("obtained CEK %s", format_key_id(reply.cek.key_id))
        return reply.cek

    def select(self, key_id: int) -> KmsCek:
        with self._lock:
            cek = self._ceks.get(key_id)
            if cek is None:
                raise precondition("unknown_key_id", f"no CEK {format_key_id(key_id)} is held")
            self._active = key_id
            return cek

    def cek(self, key_id: int | None = None) -> KmsCek:
        """The CEK named by ``key_id``, or the active one."""
        with self._lock:
            wanted = self._active if key_id is None else key_id
            cek = self._ceks.get(wanted) if wanted is not None else None
        if cek is None:
            if key_id is None:
                raise precondition("no_cek", "POST /ut/v1/cek first")
            raise precondition("unknown_key_id", f"no CEK {format_key_id(key_id)} is held")
        return cek

    def lookup(self, key_id: int) -> bytes | None:
        """The CEK bytes for a Key ID in a received body, or None."""
        with self._lock:
            cek = self._ceks.get(key_id)
        return None if cek is None else cek.key

    def sealing_key(self, key_id: int | None) -> SealingKey | None:
        """The key to seal an outgoing mcptt-info with; ``None`` when it goes in clear (protection
        not required, or the clear-body fault)."""
        faults = self.config.faults
        if not self.config.protection_required or "client_send_clear_body" in faults:
            return None
        cek = self.cek(key_id)
        named = cek.key_id ^ 0x0FFFFFFF if "client_wrong_key_id" in faults else cek.key_id
        if "client_key_id_mismatch" in faults:
            with self._lock:
                newest = next(reversed(self._ceks.values()))
            return SealingKey(named, newest.key)  # names the chosen CEK, seals under the newest one
        return SealingKey(named, cek.key)
