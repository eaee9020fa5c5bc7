"""The reference KMS's key provisioning interface for clause 7.14 (TS 33.180 Annex D style).

    POST /keymanagement/identity/v1/init                         -> KmsInit (the KMS certificate)
    POST /keymanagement/identity/v1/keyprov[/<user URI>[/<time>]] -> KmsKeyProv (the user's key set)
    POST /keymanagement/identity/v1/certcache                    -> KmsCertCache (the KMS certificates)

Every request is authorised from its Bearer token first (impl/kms/tokens.py),
exactly as for the CEK service: token failures answer 401 (403 for a missing
scope) with an RFC 6750 challenge and a KmsError with code 0; every other
refusal is a KmsError with a code from `ProvErrorCode`. A key set goes only to
the principal it belongs to: an MCPTT user (the token's mcptt_id) or an MCPTT
server (a configured server URI as the token's sub). The body, when present, is
a KmsRequest; an empty body is a request for the token's own identity. Keys and
tokens never reach the log.
"""
from __future__ import annotations

import enum
import logging
import re
from urllib.parse import unquote

from mcsec.impl.faults import Faults
from mcsec.impl.httpserver import Request, Response, Router
from mcsec.impl.ibc.uid import ntp64_to_seconds
from mcsec.impl.kms import provxml
from mcsec.impl.kms.provconfig import IbcConfig
from mcsec.impl.kms.provkeys import KeyPeriodUnavailable, KeyProvisioner
from mcsec.impl.kms.testcontrol import ArmedDefects
from mcsec.impl.kms.tokens import JwksCache, Principal, TokenRejected, TokenVerifier
from mcsec.impl.kms.refusals import Refusal, bearer_challenge, utcnow
from mcsec.impl.kms.xmlparse import XmlError

log = logging.getLogger("mcsec.kms.prov")

_HEX_TIME = re.compile(r"^[0-9A-Fa-f]{1,16}$")

# Provisioning faults that switch off a token check, and the verifier fault that does it.
_VERIFIER_FAULTS = {"kms_prov_accept_expired": "kms_accept_expired"}


class ProvErrorCode(enum.IntEnum):
    """KmsError codes of the provisioning interface (docs/kms-provisioning.md)."""
    MALFORMED_REQUEST = 1
    WRONG_KMS = 2
    USER_MISMATCH = 3
    NOT_A_USER = 4
    KEY_PERIOD_NOT_AVAILABLE = 5


_HTTP_STATUS = {
    ProvErrorCode.MALFORMED_REQUEST: 400,
    ProvErrorCode.WRONG_KMS: 400,
    ProvErrorCode.USER_MISMATCH: 403,
    ProvErrorCode.NOT_A_USER: 403,
    ProvErrorCode.KEY_PERIOD_NOT_AVAILABLE: 404,
}



def parse_ntp_hex(text: str) -> float:
    """NTP time from a path segment: up to 8 hex digits are seconds, 9 to 16 a 64-bit NTP timestamp."""
    if not _HEX_TIME.match(text):
        raise ValueError("time must be 1 to 16 hexadecimal digits")
    value = int(text, 16)
    return float(value) if len(text) <= 8 else ntp64_to_seconds(value)


def verifier_faults(faults: Faults) -> Faults:
    """The faults the provisioning token verifier sees: the role's, plus the token checks
    a provisioning-only fault switches off."""
    names = set(faults.names())
    names |= {target for fault, target in _VERIFIER_FAULTS.items() if fault in faults}
    return Faults(sorted(names), role="kms")


class ProvisioningService:
    def __init__(self, *, kms_uri: str, verifier: TokenVerifier, provisioner: KeyProvisioner, servers: list[str],
                 user_id_format: str, faults: Faults, armed: ArmedDefects | None = None):
        self.kms_uri = kms_uri
        self._verifier = verifier
        self.provisioner = self._provisioner = provisioner
        self.armed = armed or ArmedDefects()  # defective key sets the test control surface armed
        self._servers = frozenset(servers)
        self._user_id_format = user_id_format
        self._faults = faults

    def routes(self, router: Router) -> None:
        router.add("POST", provxml.INIT_PATH, self.init)
        router.add("POST", provxml.KEYPROV_PATH, self.keyprov, prefix=True)
        router.add("POST", provxml.CERTCACHE_PATH, self.certcache)

    # --- answers --------------------------------------------------------------------------
    def _challenge(self, rejected: TokenRejected) -> Response:
        body = provxml.build_error_response(self.kms_uri, 0, rejected.description, utcnow())
        return Response(rejected.status, body, provxml.CONTENT_TYPE,
                        {"WWW-Authenticate": bearer_challenge(rejected, self._verifier.scope_hint)})

    def _refuse(self, refusal: Refusal, user_uri: str | None) -> Response:
        body = provxml.build_error_response(self.kms_uri, int(refusal.code), refusal.message, utcnow(), user_uri)
        return Response(_HTTP_STATUS[refusal.code], body, provxml.CONTENT_TYPE)

    # --- authorisation --------------------------------------------------------------------
    def _principal(self, request: Request) -> Principal:
        header = request.header("authorization")
        if not header and "kms_prov_no_token_required" in self._faults:
            return Principal("", None, None, frozenset(), anonymous=True)
        return self._verifier.from_authorization(header)

    def _identity(self, principal: Principal) -> str | None:
        """The URI whose key material this principal may have: a user's MCPTT ID or a server's URI."""
        if principal.mcptt_id:
            return principal.mcptt_id
        if principal.subject in self._servers:
            return principal.subject
        return None

    def _unbound(self, principal: Principal) -> bool:
        """Only under a fault: no token at all, or the subject check switched off."""
        return principal.anonymous or "kms_prov_ignore_subject" in self._faults

    def _acting_server(self, principal: Principal, identity: str | None) -> bool:
        """Only under a fault: an MCPTT server's token taken as a service acting for any user."""
        return (principal.mcptt_id is None and identity is not None
                and "kms_prov_server_acts_for_users" in self._faults)

    def _parse_body(self, request: Request) -> provxml.ProvRequest | None:
        if not request.body.strip():
            return None
        try:
            message = provxml.parse_request(request.body)
        except XmlError as exc:
            raise Refusal(ProvErrorCode.MALFORMED_REQUEST, str(exc)) from None
        if message.kms_uri != self.kms_uri:
            raise Refusal(ProvErrorCode.WRONG_KMS, "request is for another KMS")
        return message

    def _handle(self, request: Request, action) -> Response:
        identity = None
        try:
            principal = self._principal(request)
            identity = self._identity(principal)
            message = self._parse_body(request)
            if message is not None and identity is not None and message.user_uri != identity \
                    and "kms_prov_ignore_body_user" not in self._faults \
                    and not (self._unbound(principal) or self._acting_server(principal, identity)):
                raise Refusal(ProvErrorCode.USER_MISMATCH, "token belongs to another user")
            return action(request, principal, identity, message)
        except TokenRejected as rejected:
            log.info("%s refused: %s", request.path, rejected.description)
            return self._challenge(rejected)
        except Refusal as refusal:
            log.info("%s refused: KmsError %d (%s)", request.path, refusal.code, refusal.code.name)
            return self._refuse(refusal, identity)

    # --- endpoints ------------------------------------------------------------------------
    def init(self, request: Request) -> Response:
        return self._handle(request, self._init)

    def keyprov(self, request: Request) -> Response:
        return self._handle(request, self._keyprov)

    def certcache(self, request: Request) -> Response:
        return self._handle(request, self._certcache)

    def _client_req_url(self, message) -> str | None:
        """The ClientReqUrl the request named, echoed in the response (none under the fault)."""
        if message is None or "kms_prov_no_client_req_url" in self._faults:
            return None
        return message.client_req_url

    def _init(self, request: Request, principal: Principal, identity: str | None, message) -> Response:
        _no_path_parameters(request, provxml.INIT_PATH)
        body = provxml.build_init_response(self.kms_uri, identity, self._provisioner.certificate(), utcnow(),
                                           self._client_req_url(message))
        log.info("sent the KMS certificate to %s", identity or "an unidentified principal")
        return Response(200, body, provxml.CONTENT_TYPE)

    def _certcache(self, request: Request, principal: Principal, identity: str | None, message) -> Response:
        _no_path_parameters(request, provxml.CERTCACHE_PATH)
        body = provxml.build_certcache_response(self.kms_uri, identity, [self._provisioner.certificate()], utcnow(),
                                                cache_num=1,
                                                client_req_url=self._client_req_url(message))
        log.info("sent the certificate cache to %s", identity or "an unidentified principal")
        return Response(200, body, provxml.CONTENT_TYPE)

    def _keyprov(self, request: Request, principal: Principal, identity: str | None, message) -> Response:
        path_uri, ntp_time = _keyprov_parameters(request.path)
        requested = path_uri or (message.user_uri if message else None) or identity
        if requested is None:
            raise Refusal(ProvErrorCode.NOT_A_USER, "token belongs to neither an MCPTT user nor an MCPTT server")
        if requested != identity and not (self._unbound(principal) or self._acting_server(principal, identity)):
            if identity is None:
                raise Refusal(ProvErrorCode.NOT_A_USER,
                               "token belongs to neither an MCPTT user nor an MCPTT server")
            raise Refusal(ProvErrorCode.USER_MISMATCH, "token belongs to another user")
        now = utcnow()
        try:
            if "kms_prov_wrong_period" in self._faults:
                number = self._provisioner.period_at(now) - 1  # an expired period, whatever was asked
            elif ntp_time is not None:
                number = self._provisioner.period_at_ntp(ntp_time)
            else:
                number = self._provisioner.period_at(now)
            defective = self.armed.take(requested)
            key_set = defective or self._provisioner.key_set(requested, number, now)
        except KeyPeriodUnavailable as exc:
            raise Refusal(ProvErrorCode.KEY_PERIOD_NOT_AVAILABLE, str(exc)) from None
        log.info("provisioned the key set of %s for key period %d%s%s", requested, key_set.key_period_no,
                 " (revoked)" if key_set.revoked else "", " (defective, armed by the test control)" if defective
                 else "")
        body = provxml.build_keyprov_response(self.kms_uri, requested, [key_set], now, self._user_id_format,
                                              self._client_req_url(message))
        return Response(200, body, provxml.CONTENT_TYPE)


def _no_path_parameters(request: Request, path: str) -> None:
    if request.path != path:
        raise Refusal(ProvErrorCode.MALFORMED_REQUEST, "this endpoint takes no path parameters")


def _keyprov_parameters(path: str) -> tuple[str | None, float | None]:
    """(user URI, NTP seconds) from /keyprov[/<url-encoded user URI>[/<NTP time in hex>]]."""
    rest = path[len(provxml.KEYPROV_PATH):].strip("/")
    if not rest:
        return None, None
    segments = rest.split("/")
    if len(segments) > 2:
        raise Refusal(ProvErrorCode.MALFORMED_REQUEST, "keyprov takes at most a user URI and a time")
    try:
        user_uri = unquote(segments[0], errors="strict")
    except UnicodeDecodeError:
        raise Refusal(ProvErrorCode.MALFORMED_REQUEST, "user URI is not UTF-8") from None
    if not user_uri or len(user_uri) > 512:
        raise Refusal(ProvErrorCode.MALFORMED_REQUEST, "user URI must have 1 to 512 characters")
    if len(segments) == 1:
        return user_uri, None
    try:
        return user_uri, parse_ntp_hex(segments[1])
    except ValueError as exc:
        raise Refusal(ProvErrorCode.MALFORMED_REQUEST, str(exc)) from None


def build_provisioning(config: IbcConfig, *, jwks: JwksCache, issuer: str, audience: str, scopes: list[str],
                       leeway_s: int, servers: list[str], faults: Faults) -> ProvisioningService:
    """The provisioning service of one KMS, with its own view of the token-check faults."""
    verifier = TokenVerifier(jwks=jwks, issuer=issuer, audience=audience, scopes=scopes, leeway_s=leeway_s,
                             faults=verifier_faults(faults))
    provisioner = KeyProvisioner(config.make_kms(), config, faults)
    return ProvisioningService(kms_uri=config.kms_uri, verifier=verifier, provisioner=provisioner,
                               servers=servers, user_id_format=config.user_id_format, faults=faults)
