"""Steps about the clause 7.13 CEK service of the KMS."""
from __future__ import annotations

import datetime as _dt
import secrets

from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.verdicts import Failed
from mcsec.impl.kms.cekclient import CekReply
from mcsec.impl.kms.cekstore import CEK_PURPOSE_TAG, purpose_of
from mcsec.steps.common import World, peer
from mcsec.steps.tokens import authenticate_server, authenticate_user, forge


def _record(world: World, reply: CekReply) -> CekReply:
    world.reply = reply
    return reply


def _issue(world: World, token: str | None, user: str, server_client_id: str) -> CekReply:
    with peer("KMS"):
        return _record(world, world.kms.issue(token, world.profile.user(user).mcptt_id,
                                              world.profile.server(server_client_id).uri))


def _require_cek(reply: CekReply, who: str):
    if reply.status != 200 or reply.cek is None:
        detail = reply.problem or (f"KmsError {reply.error.code}: {reply.error.message}" if reply.error else "")
        raise Failed(f"the KMS gave {who} no CEK: HTTP {reply.status} {detail}".rstrip())
    return reply.cek


# --- asking for CEKs -----------------------------------------------------------------------

@when(parsers.parse('"{user}" asks the KMS for a CEK shared with the MCPTT server "{server}"'))
def user_asks_cek(world: World, user: str, server: str) -> None:
    world.ceks[user] = _require_cek(_issue(world, world.tokens[user], user, server), user)
    world.last_key_id = world.ceks[user].key_id


@given(parsers.parse('"{user}" holds a CEK shared with the MCPTT server "{server}"'))
def user_holds_cek(world: World, user: str, server: str) -> None:
    if user not in world.tokens:
        authenticate_user(world, user)
    user_asks_cek(world, user, server)


@when(parsers.parse('"{user}" asks the KMS for a CEK shared with "{server}" without an access token'))
def ask_without_token(world: World, user: str, server: str) -> None:
    _issue(world, None, user, server)


@when(parsers.parse('"{user}" asks the KMS for a CEK shared with "{server}" presenting her token {forgery}'))
def ask_with_forged_token(world: World, user: str, server: str, forgery: str) -> None:
    _issue(world, forge(world, world.tokens[user], forgery), user, server)


@when(parsers.parse('"{user}" asks the KMS for a CEK shared with "{server}" presenting the minted token'))
def ask_with_minted_token(world: World, user: str, server: str) -> None:
    _issue(world, world.minted, user, server)


@when(parsers.parse('"{holder}" asks the KMS for a CEK in the name of "{user}" shared with "{server}"'))
def ask_in_another_name(world: World, holder: str, user: str, server: str) -> None:
    _issue(world, world.tokens[holder], user, server)


@when(parsers.parse('"{user}" asks the KMS for {count:d} CEKs shared with the MCPTT server "{server}"'))
def ask_many(world: World, user: str, count: int, server: str) -> None:
    for i in range(count):
        world.issued.append(_require_cek(_issue(world, world.tokens[user], user, server), f"{user} (#{i + 1})"))


# --- fetching by Key ID --------------------------------------------------------------------

def _fetch(world: World, token: str, server: str, key_id: int) -> CekReply:
    with peer("KMS"):
        return _record(world, world.kms.fetch(token, world.profile.server(server).uri, key_id))


@when(parsers.parse('the MCPTT server "{server}" fetches the CEK by its Key ID'))
def server_fetches(world: World, server: str) -> None:
    reply = _fetch(world, world.tokens[server], server, world.last_key_id)
    if reply.cek is not None:
        world.ceks[server] = reply.cek


@when(parsers.parse('the MCPTT server "{server}" fetches the CEK by its Key ID presenting its token {forgery}'))
def server_fetches_forged(world: World, server: str, forgery: str) -> None:
    _fetch(world, forge(world, world.tokens[server], forgery), server, world.last_key_id)


@when(parsers.parse('"{user}" fetches the CEK by its Key ID in the name of the MCPTT server "{server}"'))
def user_fetches_as_server(world: World, user: str, server: str) -> None:
    _fetch(world, world.tokens[user], server, world.last_key_id)


@when(parsers.parse('the MCPTT server "{server}" fetches a CEK by a Key ID that was never issued'))
def server_fetches_unknown(world: World, server: str) -> None:
    seen = {c.key_id for c in world.ceks.values()} | {c.key_id for c in world.issued}
    while True:
        key_id = (CEK_PURPOSE_TAG << 28) | secrets.randbits(28)
        if key_id not in seen:
            break
    _fetch(world, world.tokens[server], server, key_id)


# --- outcomes ------------------------------------------------------------------------------

@then(parsers.parse('the KMS gives "{user}" a 128-bit CEK with a Key ID carrying the CEK purpose tag'))
def cek_shape(world: World, user: str) -> None:
    cek = world.ceks[user]
    if len(cek.key) != 16:
        raise Failed(f"the CEK has {len(cek.key) * 8} bits, expected 128")
    if purpose_of(cek.key_id) != CEK_PURPOSE_TAG:
        raise Failed(f"Key ID {cek.key_id:08X} carries purpose tag {purpose_of(cek.key_id)}, "
                     f"expected {CEK_PURPOSE_TAG}")


@then(parsers.parse('the CEK is bound to the KMS, to the MCPTT ID of "{user}", to "{server}" '
                    'and to a current validity period'))
def cek_binding(world: World, user: str, server: str) -> None:
    cek = world.ceks[user]
    answer = world.reply.answer
    if answer.kms_uri != world.profile.kms_uri:
        raise Failed(f"the answer names KMS {answer.kms_uri!r}, expected {world.profile.kms_uri!r}")
    if cek.owner_uri != world.profile.user(user).mcptt_id:
        raise Failed(f"the CEK is bound to owner {cek.owner_uri!r}, expected {world.profile.user(user).mcptt_id!r}")
    if cek.server_uri != world.profile.server(server).uri:
        raise Failed(f"the CEK is bound to server {cek.server_uri!r}, expected {world.profile.server(server).uri!r}")
    now = _dt.datetime.now(_dt.timezone.utc)
    slack = _dt.timedelta(seconds=world.profile.token_leeway_s)
    if not (cek.valid_from - slack <= now < cek.valid_to):
        raise Failed(f"the CEK is not currently valid ({cek.valid_from} .. {cek.valid_to})")


@then(parsers.parse('the MCPTT server "{server}" holds the same CEK, Key ID and binding as "{user}"'))
def same_cek(world: World, server: str, user: str) -> None:
    got = world.ceks.get(server)
    if got is None:
        _require_cek(world.reply, f"the MCPTT server {server!r}")
    want = world.ceks[user]
    if (got.key_id, got.owner_uri, got.server_uri) != (want.key_id, want.owner_uri, want.server_uri):
        raise Failed(f"the server got {got!r}, the user got {want!r}")
    if got.key != want.key:
        raise Failed(f"the server and the user hold different keys under Key ID {want.key_id:08X}")


@then(parsers.parse("the KMS answers {status:d} with a Bearer challenge carrying no error code"))
def bearer_challenge_no_error(world: World, status: int) -> None:
    reply = world.reply
    challenge = reply.www_authenticate or ""
    if reply.status != status:
        raise Failed(f"the KMS answered HTTP {reply.status}, expected {status}")
    if not challenge.lower().startswith("bearer"):
        raise Failed(f"WWW-Authenticate is {challenge!r}, expected a Bearer challenge (RFC 6750 section 3)")
    if "error=" in challenge:
        raise Failed(f"a request without credentials gets no error code (RFC 6750 section 3.1): {challenge!r}")


@then(parsers.parse('the KMS answers {status:d} with the Bearer error "{error}"'))
def bearer_error(world: World, status: int, error: str) -> None:
    reply = world.reply
    challenge = reply.www_authenticate or ""
    if reply.status != status:
        raise Failed(f"the KMS answered HTTP {reply.status}, expected {status} with error {error!r}")
    if not challenge.lower().startswith("bearer") or f'error="{error}"' not in challenge:
        raise Failed(f"WWW-Authenticate is {challenge!r}, expected a Bearer challenge with error=\"{error}\"")


@then(parsers.parse("the KMS refuses with KmsError {code:d} and HTTP status {status:d}"))
def kms_error(world: World, code: int, status: int) -> None:
    reply = world.reply
    if reply.status != status or reply.error is None or reply.error.code != code:
        got = f"KmsError {reply.error.code}" if reply.error else (reply.problem or "no KmsError")
        raise Failed(f"expected KmsError {code} with HTTP {status}; got HTTP {reply.status} and {got}")


@then("no key is given")
def no_key(world: World) -> None:
    if world.reply.cek is not None:
        raise Failed(f"the KMS handed out a key: {world.reply.cek!r}")


@then("every Key ID is different and carries the CEK purpose tag")
def key_ids_unique(world: World) -> None:
    ids = [c.key_id for c in world.issued]
    duplicates = sorted({f"{k:08X}" for k in ids if ids.count(k) > 1})
    if duplicates:
        raise Failed(f"{len(ids) - len(set(ids))} repeated Key IDs among {len(ids)}: {', '.join(duplicates[:5])}")
    wrong = [f"{k:08X}" for k in ids if purpose_of(k) != CEK_PURPOSE_TAG]
    if wrong:
        raise Failed(f"{len(wrong)} Key IDs lack the CEK purpose tag {CEK_PURPOSE_TAG}: {', '.join(wrong[:5])}")


@then("every CEK is different")
def ceks_unique(world: World) -> None:
    keys = [c.key for c in world.issued]
    if len(set(keys)) != len(keys):
        raise Failed(f"{len(keys) - len(set(keys))} CEKs repeat among {len(keys)}")
