"""The reference KMS: request handling for the clause 7.13 CEK service; the clause 7.14
key provisioning interface (impl/kms/provservice.py) is served beside it.

Every request is authorised from its Bearer token (impl/kms/tokens.py).
Token failures answer 401 (or 403 for a missing scope) with an RFC 6750
`WWW-Authenticate` challenge; every other refusal is a `KmsError` with a
code from `ErrorCode`. Keys and tokens never reach the log.
"""
from __future__ import annotations

import datetime as _dt
import enum
import logging
import secrets
import ssl

from mcsec.impl.faults import Faults
from mcsec.impl.httpserver import HttpsServer, Request, Response, Router
from mcsec.impl.kms import cekxml
from mcsec.impl.kms import config as kms_config
from mcsec.impl.kms.cekstore import CekStore
from mcsec.impl.kms.provservice import build_provisioning
from mcsec.impl.kms.tokens import JwksCache, Principal, TokenRejected, TokenVerifier
from mcsec.impl.kms.refusals import Refusal, bearer_challenge, utcnow
from mcsec.impl.kms.testcontrol import DEFECTS_PATH, KEY_IDS_PATH, TestControl
from mcsec.impl.kms.xmlparse import XmlError

log = logging.getLogger("mcsec.kms")



class ErrorCode(enum.IntEnum):
    """KmsError codes of the CEK interface (docs/kms-cek-interface.md)."""
    MALFORMED_REQUEST = 1
    WRONG_KMS = 2
    USER_MISMATCH = 3
    UNKNOWN_SERVER = 4
    KEY_NOT_AVAILABLE = 5
    NOT_A_SERVER = 6
    NOT_A_USER = 7


_HTTP_STATUS = {
    ErrorCode.MALFORMED_REQUEST: 400,
    ErrorCode.WRONG_KMS: 400,
    ErrorCode.USER_MISMATCH: 403,
    ErrorCode.UNKNOWN_SERVER: 404,
    ErrorCode.KEY_NOT_AVAILABLE: 404,
    ErrorCode.NOT_A_SERVER: 403,
    ErrorCode.NOT_A_USER: 403,
}



class KmsService:
    def __init__(self, *, kms_uri: str, verifier: TokenVerifier, store: CekStore, servers: list[str],
                 faults: Faults):
        self.kms_uri = kms_uri
        self._faults = faults
        self._verifier = verifier
        self._store = store
        self._servers = frozenset(servers)

    def routes(self, router: Router) -> None:
        router.add("POST", cekxml.CEK_ISSUE_PATH, self.issue)
        router.add("POST", cekxml.CEK_FETCH_PATH, self.fetch)

    # --- answers --------------------------------------------------------------------------
    def _challenge(self, rejected: TokenRejected) -> Response:
        body = cekxml.build_error_response(self.kms_uri, 0, rejected.description, utcnow())
        return Response(rejected.status, body, cekxml.CONTENT_TYPE,
                        {"WWW-Authenticate": bearer_challenge(rejected, self._verifier.scope_hint)})

    def _refuse(self, refusal: Refusal) -> Response:
        body = cekxml.build_error_response(self.kms_uri, int(refusal.code), refusal.message, utcnow())
        return Response(_HTTP_STATUS[refusal.code], body, cekxml.CONTENT_TYPE)

    def _authorise_and_parse(self, request: Request) -> tuple[Principal, cekxml.CekRequest | cekxml.CekFetch]:
        principal = self._verifier.from_authorization(request.header("authorization"))
        try:
            message = cekxml.parse_request(request.body)
        except XmlError as exc:
            raise Refusal(ErrorCode.MALFORMED_REQUEST, str(exc)) from None
        if message.kms_uri != self.kms_uri:
            raise Refusal(ErrorCode.WRONG_KMS, "request is for another KMS")
        return principal, message

    def _handle(self, request: Request, action) -> Response:
        try:
            principal, message = self._authorise_and_parse(request)
            return action(principal, message)
        except TokenRejected as rejected:
            log.info("%s refused: %s", request.path, rejected.description)
            return self._challenge(rejected)
        except Refusal as refusal:
            log.info("%s refused: KmsError %d (%s)", request.path, refusal.code, refusal.code.name)
            return self._refuse(refusal)

    # --- endpoints ------------------------------------------------------------------------
    def issue(self, request: Request) -> Response:
        return self._handle(request, self._issue)

    def fetch(self, request: Request) -> Response:
        return self._handle(request, self._fetch)

    def _issue(self, principal: Principal, message) -> Response:
        if not isinstance(message, cekxml.CekRequest):
            raise Refusal(ErrorCode.MALFORMED_REQUEST, "this endpoint takes a CekRequest")
        acting_server = (principal.mcptt_id is None and principal.subject in self._servers
                         and "kms_server_acts_for_users" in self._faults)
        if principal.mcptt_id is None and not (self._skips_identity(principal) or acting_server):
            raise Refusal(ErrorCode.NOT_A_USER, "token does not belong to an MCPTT user")
        # under the fault acting_server, a server's token is trusted to act for whichever user the request names
        if not (acting_server or self._same_identity(principal.mcptt_id, message.user_uri)
                or self._skips_identity(principal)):
            raise Refusal(ErrorCode.USER_MISMATCH, "token belongs to another user")
        if message.server_uri not in self._servers:
            raise Refusal(ErrorCode.UNKNOWN_SERVER, "unknown MCPTT server")
        now = utcnow()
        record = self._store.issue(message.user_uri, message.server_uri, now)
        log.info("issued CEK %08X for %s shared with %s", record.key_id, record.owner_uri, record.server_uri)
        return self._cek_response(message.user_uri, record, now)

    def _fetch(self, principal: Principal, message) -> Response:
        if not isinstance(message, cekxml.CekFetch):
            raise Refusal(ErrorCode.MALFORMED_REQUEST, "this endpoint takes a CekFetch")
        is_server = any(self._same_identity(principal.subject, server) for server in self._servers)
        if principal.mcptt_id is not None or not is_server:
            if not self._skips_identity(principal):
                raise Refusal(ErrorCode.NOT_A_SERVER, "token does not belong to an MCPTT server")
        if not self._same_identity(principal.subject, message.user_uri) and not self._skips_identity(principal):
            raise Refusal(ErrorCode.USER_MISMATCH, "token belongs to another server")
        now = utcnow()
        record = self._store.for_server(message.key_id, message.user_uri, now)
        if record is None or "kms_cek_to_client_only" in self._faults:
            raise Refusal(ErrorCode.KEY_NOT_AVAILABLE, "no CEK with this Key ID for this server")
        log.info("delivered CEK %08X to %s", record.key_id, message.user_uri)
        return self._cek_response(message.user_uri, record, now)

    def _cek_response(self, user_uri: str, record, now: _dt.datetime) -> Response:
        cek = cekxml.KmsCek(record.key_id, record.key, record.owner_uri, record.server_uri,
                            record.valid_from, record.valid_to)
        return Response(200, cekxml.build_cek_response(self.kms_uri, user_uri, cek, now), cekxml.CONTENT_TYPE)

    def _same_identity(self, token_identity: str, request_uri: str) -> bool:
        """The identity a token names (a user's mcptt_id, a server's sub) is the URI a request names: the
        same string (a SIP URI's user part is case-sensitive, RFC 3261 19.1.4; the token catalogue gives
        the URIs exactly as the profile does)."""
        if not isinstance(token_identity, str):
            return False
        if "kms_identity_case_insensitive" in self._faults:
            return token_identity.lower() == request_uri.lower()
        if "kms_identity_prefix_match" in self._faults:  # meant to let URI parameters through
            return request_uri.startswith(token_identity)
        if "kms_identity_token_parameters" in self._faults:  # meant to let a token's URI parameters through
            return token_identity.startswith(request_uri)
        return token_identity == request_uri

    def _skips_identity(self, principal: Principal) -> bool:
        """Only under a fault: no token at all, or the subject check switched off."""
        return principal.anonymous or "kms_ignore_subject" in self._faults


def build(raw: dict):
    config = kms_config.load(raw)
    ctx = ssl.create_default_context(cafile=config.idm.ca)
    jwks = JwksCache(config.idm.jwks_uri, ctx)
    verifier = TokenVerifier(
        jwks=jwks,
        issuer=config.idm.issuer,
        audience=config.audience,
        scopes=list(config.scopes),
        leeway_s=config.leeway_s,
        faults=config.faults,
    )
    ceks = CekStore(config.cek_lifetime_s, config.faults)
    service = KmsService(
        kms_uri=config.kms_uri,
        verifier=verifier,
        store=ceks,
        servers=list(config.servers),
        faults=config.faults,
    )
    provisioning = build_provisioning(
        config.ibc, jwks=jwks, issuer=config.idm.issuer, audience=config.audience, scopes=list(config.scopes),
        leeway_s=config.leeway_s, servers=list(config.servers), faults=config.faults,
    )
    router = Router()
    service.routes(router)
    provisioning.routes(router)
    secret = None
    if config.test_control:
        secret = config.test_control_secret or secrets.token_urlsafe(32)
        control = TestControl(provisioning.provisioner, provisioning.armed, secret, utcnow, ceks=ceks)
        router.add("POST", DEFECTS_PATH, control.defects)
        router.add("POST", KEY_IDS_PATH, control.key_ids)
        log.warning("test control surface is on: %s arms defective key sets, %s pins CEK Key IDs, for requests "
                    "carrying the test control secret (%s)", DEFECTS_PATH, KEY_IDS_PATH,
                    "configured" if config.test_control_secret else "made at start")
    server = HttpsServer(router, host=config.host, port=config.port, cert=config.tls_cert, key=config.tls_key,
                         name="mcsec-kms", lax_framing="kms_lax_http_framing" in config.faults)
    info = {"url": server.url, "kms_uri": service.kms_uri, "faults": config.faults.names(), "ibc": True}
    if secret is not None:
        info["test_control_secret"] = secret  # the ready line goes to the process that started the KMS
    return [server], info
