"""Steps about the KMS key provisioning interface of clause 7.14 (TS 33.180 Annex D: init, keyprov,
certcache): who gets IBC key material, and what it is."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from urllib.parse import quote

from pytest_bdd import parsers, then, when

from mcsec.fixtures.verdicts import Failed
from mcsec.impl.ibc.uid import seconds_to_ntp64, unix_to_ntp
from mcsec.impl.kms import provxml
from mcsec.impl.kms.provclient import KeySetRejected, ProvReply, validate_key_set
from mcsec.steps import phrases
from mcsec.steps.context import ScenarioContext, peer
from mcsec.steps.ibc import IbcState
from mcsec.steps.kms import KmsState
from mcsec.steps.tokens import FORGERIES, TokenState, forged

REQUESTS = phrases.Phrases("Request", {"init": "init", "keyprov": "keyprov", "certcache": "certcache"})


def _time_segment() -> str:
    """The time path parameter for now: a 64-bit NTP-UTC timestamp in hex (TS 33.180 D.2)."""
    return f"{seconds_to_ntp64(unix_to_ntp(time.time())):016X}"


KEYPROV_FORMS = phrases.Phrases("KeyprovForm", {
    "naming no user URI in its path": lambda uri: provxml.KEYPROV_PATH,
    "naming her user URI alone in its path": lambda uri: f"{provxml.KEYPROV_PATH}/{quote(uri, safe='')}",
    "naming her user URI and the time now in its path":
        lambda uri: f"{provxml.KEYPROV_PATH}/{quote(uri, safe='')}/{_time_segment()}",
})
"""The Request-URI forms of a KMS KeyProvision request (TS 33.180 D.2): the bare keyprov resource, a user URI
in a subdirectory of it, and a time after the user URI; each the path for the user URI ``uri``."""

PATHS = {"init": lambda uri: provxml.INIT_PATH, "certcache": lambda uri: provxml.CERTCACHE_PATH,
         "keyprov": KEYPROV_FORMS["naming her user URI and the time now in its path"]}


def _kms_request(ctx: ScenarioContext, user_uri: str, client_req_url: str | None = None) -> bytes:
    """A KmsRequest as TS 33.180 D.2.2 lays it out: the user, the KMS, the time and the request URL."""
    return provxml.build_request(provxml.ProvRequest(user_uri=user_uri, kms_uri=ctx.ixit.kms_uri,
                                                     time=datetime.now(timezone.utc),
                                                     client_req_url=client_req_url))


def _ask(ctx: ScenarioContext, kms: KmsState, request: str, token: str | None, user: str,
         uri: str | None = None) -> ProvReply:
    """One provisioning request with ``token`` for the key material of ``user`` (or of ``uri``)."""
    client = ctx.prov_client()
    with peer("the KMS"):
        if request == "keyprov":
            reply = client.keyprov(token, uri or ctx.ixit.user(user).mcptt_id, unix_to_ntp(time.time()))
        else:
            reply = getattr(client, request)(token)
    kms.reply = reply  # the Bearer and KmsError checks of steps/kms.py read it
    return reply


@when(phrases.parse('"{user}" sends a KMS {request:Request} request without an access token', REQUESTS))
def prov_without_token(ctx: ScenarioContext, kms: KmsState, user: str, request) -> None:
    _ask(ctx, kms, request.value, None, user)


@when(phrases.parse('"{user}" sends a KMS {request:Request} request presenting her token {forgery:Forgery}',
                    REQUESTS, FORGERIES))
def prov_forged(ctx: ScenarioContext, kms: KmsState, tokens: TokenState, user: str, request, forgery) -> None:
    _ask(ctx, kms, request.value, forged(tokens, user, forgery), user)


@when(phrases.parse('"{user}" sends a KMS {request:Request} request presenting the minted token', REQUESTS))
def prov_minted(ctx: ScenarioContext, kms: KmsState, tokens: TokenState, user: str, request) -> None:
    _ask(ctx, kms, request.value, tokens.minted, user)


@when(parsers.parse('"{holder}" asks the KMS for the key set of "{user}"'))
def prov_other_user(ctx: ScenarioContext, kms: KmsState, tokens: TokenState, holder: str, user: str) -> None:
    _ask(ctx, kms, "keyprov", tokens.access[holder], user)


@when(parsers.parse('"{holder}" asks the KMS for her own key set in the path, with a request body naming "{user}"'))
def prov_body_names_other(ctx: ScenarioContext, kms: KmsState, tokens: TokenState, holder: str, user: str) -> None:
    """A keyprov request whose path names the token's own user and whose KmsRequest names another user:
    the request asks for the other user's key material (docs/kms-provisioning.md)."""
    client = ctx.prov_client()
    own = ctx.ixit.user(holder).mcptt_id
    body = provxml.build_request(provxml.ProvRequest(user_uri=ctx.ixit.user(user).mcptt_id, kms_uri=ctx.ixit.kms_uri,
                                                     time=datetime.now(timezone.utc)))
    with peer("the KMS"):
        kms.reply = client.post(f"{provxml.KEYPROV_PATH}/{quote(own, safe='')}", tokens.access[holder], body)


@when(parsers.parse('the MCPTT server "{server}" asks the KMS for the key set of "{user}"'))
def prov_server_for_user(ctx: ScenarioContext, kms: KmsState, tokens: TokenState, server: str, user: str) -> None:
    _ask(ctx, kms, "keyprov", tokens.of(server), user)


@when(parsers.parse('"{user}" asks the KMS for the key set of the MCPTT server "{server}"'))
def prov_user_for_server(ctx: ScenarioContext, kms: KmsState, tokens: TokenState, user: str, server: str) -> None:
    _ask(ctx, kms, "keyprov", tokens.of(user), user, uri=ctx.ixit.server(server).uri)


@when(parsers.parse('"{user}" asks the KMS for its certificate and for her key set'))
def prov_own(ctx: ScenarioContext, kms: KmsState, ibc: IbcState, tokens: TokenState, user: str) -> None:
    init = _ask(ctx, kms, "init", tokens.access[user], user)
    if init.status != 200 or init.certificate is None:
        raise Failed(f"the KMS gave no certificate: HTTP {init.status} {init.problem or ''}".rstrip())
    ibc.certificate = init.certificate
    _ask(ctx, kms, "keyprov", tokens.access[user], user)


@when(phrases.parse('"{user}" asks the KMS for its certificate and for her key set with a keyprov request '
                    '{form:KeyprovForm}', KEYPROV_FORMS))
def prov_own_form(ctx: ScenarioContext, kms: KmsState, ibc: IbcState, tokens: TokenState, user: str, form) -> None:
    """The KMS certificate, then a keyprov request in one of the Request-URI forms of TS 33.180 D.2, with a
    KmsRequest naming the user."""
    init = _ask(ctx, kms, "init", tokens.access[user], user)
    if init.status != 200 or init.certificate is None:
        raise Failed(f"the KMS gave no certificate: HTTP {init.status} {init.problem or ''}".rstrip())
    ibc.certificate = init.certificate
    uri = ctx.ixit.user(user).mcptt_id
    with peer("the KMS"):
        kms.reply = ctx.prov_client().post(form.value(uri), tokens.access[user], _kms_request(ctx, uri))


@when(phrases.parse('"{user}" sends a KMS {request:Request} request whose KmsRequest names the URL it is posted to '
                    'as ClientReqUrl', REQUESTS))
def prov_client_req_url(ctx: ScenarioContext, kms: KmsState, tokens: TokenState, user: str, request) -> None:
    """A request whose ClientReqUrl is the resource URI it is posted to (TS 33.180 Table D.2.2-1)."""
    uri = ctx.ixit.user(user).mcptt_id
    path = PATHS[request.value](uri)
    kms.sent_url = ctx.endpoints.kms_url.rstrip("/") + path
    with peer("the KMS"):
        kms.reply = ctx.prov_client().post(path, tokens.access[user], _kms_request(ctx, uri, kms.sent_url))


@then("the KMS answers 200 with a KmsResponse whose ClientReqUrl is the URL the request was posted to")
def answer_client_req_url(kms: KmsState) -> None:
    """TS 33.180 Table D.3.1-1: a KmsResponse carries ClientReqUrl, the resource URI the request came for
    (not optional). The request named the URL it was posted to, so either reading gives that URL."""
    reply = kms.reply
    if reply.status != 200 or reply.answer is None:
        raise Failed(f"the KMS answered HTTP {reply.status} {reply.problem or ''}".rstrip())
    if reply.answer.error is not None:
        raise Failed(f"the KMS answered KmsError {reply.answer.error.code}")
    if reply.answer.client_req_url != kms.sent_url:
        got = "no ClientReqUrl" if reply.answer.client_req_url is None else repr(reply.answer.client_req_url)
        raise Failed(f"the KmsResponse carries {got}, the request's was {kms.sent_url!r}")


@then("no IBC key material is given")
def no_material(kms: KmsState) -> None:
    reply = kms.reply
    if reply.certificates or reply.key_sets:
        raise Failed(f"the KMS handed out {len(reply.certificates)} certificate(s) and "
                     f"{len(reply.key_sets)} key set(s)")


@then("the KMS certificate names the KMS and carries its SAKKE and ECCSI public keys")
def cert_shape(ctx: ScenarioContext, ibc: IbcState) -> None:
    cert = ibc.certificate
    if cert.kms_uri != ctx.ixit.kms_uri:
        raise Failed(f"the certificate names KMS {cert.kms_uri!r}, expected {ctx.ixit.kms_uri!r}")
    if len(cert.z_t) != 257 or len(cert.kpak) != 65:
        raise Failed(f"Z_T is {len(cert.z_t)} octets and the KPAK {len(cert.kpak)}, expected 257 and 65")


@then(parsers.parse('the key set is for the MCPTT ID of "{user}" and the key period in force now'))
def key_set_current(ctx: ScenarioContext, kms: KmsState, ibc: IbcState, user: str) -> None:
    reply = kms.reply
    if reply.status != 200 or len(reply.key_sets) != 1:
        raise Failed(f"the KMS answered HTTP {reply.status} with {len(reply.key_sets)} key sets")
    prov = reply.key_sets[0]
    want = ctx.ixit.user(user).mcptt_id
    now = ibc.certificate.key_period.number_at(unix_to_ntp(time.time()))
    if prov.user_uri != want:
        raise Failed(f"the key set is for {prov.user_uri!r}, expected {want!r}")
    if prov.key_period_no != now:
        raise Failed(f"the key set is for key period {prov.key_period_no}, the one in force is {now}")
    if prov.revoked:
        raise Failed("the key set is marked revoked")


@then("the key set's identifier, RSK and SSK validate against the KMS certificate")
def key_set_valid(kms: KmsState, ibc: IbcState) -> None:
    try:
        validate_key_set(kms.reply.key_sets[0], ibc.certificate)
    except KeySetRejected as exc:
        raise Failed(f"the provisioned key set fails the {exc.check} check: {exc}") from None
