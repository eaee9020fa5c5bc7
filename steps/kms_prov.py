"""Steps about the KMS key provisioning interface of clause 7.14 (TS 33.180 Annex D: init, keyprov,
certcache): who gets IBC key material, and what it is."""
from __future__ import annotations

import time

from pytest_bdd import parsers, then, when

from mcsec.fixtures.verdicts import Failed
from mcsec.impl.ibc.uid import unix_to_ntp
from mcsec.impl.kms.provclient import KeySetRejected, ProvReply, validate_key_set
from mcsec.steps.common import World, peer
from mcsec.steps.ibc_state import IbcWorld
from mcsec.steps.tokens import forge

REQUESTS = ("init", "keyprov", "certcache")


def _ask(world: World, ibc: IbcWorld, request: str, token: str | None, user: str) -> ProvReply:
    if request not in REQUESTS:
        raise KeyError(f"unknown provisioning request {request!r}; known: {', '.join(REQUESTS)}")
    client = ibc.prov_client()
    with peer("the KMS"):
        if request == "keyprov":
            reply = client.keyprov(token, world.profile.user(user).mcptt_id, unix_to_ntp(time.time()))
        else:
            reply = getattr(client, request)(token)
    ibc.prov = reply
    world.reply = reply  # the KMS answer steps of steps/kms.py read it
    return reply


@when(parsers.parse('"{user}" sends a KMS {request} request without an access token'))
def prov_without_token(world: World, ibc: IbcWorld, user: str, request: str) -> None:
    _ask(world, ibc, request, None, user)


@when(parsers.parse('"{user}" sends a KMS {request} request presenting her token {forgery}'))
def prov_forged(world: World, ibc: IbcWorld, user: str, request: str, forgery: str) -> None:
    _ask(world, ibc, request, forge(world, world.tokens[user], forgery), user)


@when(parsers.parse('"{user}" sends a KMS {request} request presenting the minted token'))
def prov_minted(world: World, ibc: IbcWorld, user: str, request: str) -> None:
    _ask(world, ibc, request, world.minted, user)


@when(parsers.parse('"{holder}" asks the KMS for the key set of "{user}"'))
def prov_other_user(world: World, ibc: IbcWorld, holder: str, user: str) -> None:
    _ask(world, ibc, "keyprov", world.tokens[holder], user)


@when(parsers.parse('"{user}" asks the KMS for its certificate and for her key set'))
def prov_own(world: World, ibc: IbcWorld, user: str) -> None:
    init = _ask(world, ibc, "init", world.tokens[user], user)
    if init.status != 200 or init.certificate is None:
        raise Failed(f"the KMS gave no certificate: HTTP {init.status} {init.problem or ''}".rstrip())
    ibc.certificate = init.certificate
    _ask(world, ibc, "keyprov", world.tokens[user], user)


@then("no IBC key material is given")
def no_material(ibc: IbcWorld) -> None:
    reply = ibc.prov
    if reply.certificates or reply.key_sets:
        raise Failed(f"the KMS handed out {len(reply.certificates)} certificate(s) and "
                     f"{len(reply.key_sets)} key set(s)")


@then("the KMS certificate names the KMS and carries its SAKKE and ECCSI public keys")
def cert_shape(world: World, ibc: IbcWorld) -> None:
    cert = ibc.certificate
    if cert.kms_uri != world.profile.kms_uri:
        raise Failed(f"the certificate names KMS {cert.kms_uri!r}, expected {world.profile.kms_uri!r}")
    if len(cert.z_t) != 257 or len(cert.kpak) != 65:
        raise Failed(f"Z_T is {len(cert.z_t)} octets and the KPAK {len(cert.kpak)}, expected 257 and 65")


@then(parsers.parse('the key set is for the MCPTT ID of "{user}" and the key period in force now'))
def key_set_current(world: World, ibc: IbcWorld, user: str) -> None:
    reply = ibc.prov
    if reply.status != 200 or len(reply.key_sets) != 1:
        raise Failed(f"the KMS answered HTTP {reply.status} with {len(reply.key_sets)} key sets")
    prov = reply.key_sets[0]
    want = world.profile.user(user).mcptt_id
    now = ibc.certificate.key_period.number_at(unix_to_ntp(time.time()))
    if prov.user_uri != want:
        raise Failed(f"the key set is for {prov.user_uri!r}, expected {want!r}")
    if prov.key_period_no != now:
        raise Failed(f"the key set is for key period {prov.key_period_no}, the one in force is {now}")
    if prov.revoked:
        raise Failed("the key set is marked revoked")


@then("the key set's identifier, RSK and SSK validate against the KMS certificate")
def key_set_valid(ibc: IbcWorld) -> None:
    try:
        validate_key_set(ibc.prov.key_sets[0], ibc.certificate)
    except KeySetRejected as exc:
        raise Failed(f"the provisioned key set fails the {exc.check} check: {exc}") from None
