"""Steps about the clause 7.13 CEK service of the KMS."""
from __future__ import annotations

import datetime as _dt
import secrets
from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.oracles.key_ids import random_low_bits_findings
from mcsec.fixtures.verdicts import Failed
from mcsec.impl.kms.cekclient import CekReply
from mcsec.impl.kms.cekstore import CEK_PURPOSE_TAG, purpose_of
from mcsec.impl.kms.cekxml import KmsCek
from mcsec.steps import phrases
from mcsec.steps.context import ScenarioContext, failed_if, peer
from mcsec.steps.tokens import FORGERIES, TokenState, forged


def log_cek(ctx: ScenarioContext, reply: CekReply) -> None:
    """A CEK the KMS gave the test system goes into the run's key log (a no-op when it is off)."""
    if reply.cek is not None:
        ctx.session.key_log.record("CEK", reply.cek.key_id, reply.cek.key,
                                   kms_uri=reply.answer.kms_uri or ctx.ixit.kms_uri)


@dataclass
class KmsState:
    """What the KMS answered in this scenario: the last answer (CEK service or key provisioning, which the
    Bearer and KmsError checks read), the CEKs obtained by holder, and CEKs issued in bulk."""
    ctx: ScenarioContext
    reply: object | None = None          # CekReply or ProvReply
    ceks: dict[str, KmsCek] = field(default_factory=dict)
    issued: list[KmsCek] = field(default_factory=list)
    last_key_id: int | None = None
    sent_url: str | None = None          # the URL the last provisioning request was posted to

    def issue(self, token: str | None, user: str, server: str) -> CekReply:
        x = self.ctx.ixit
        with peer("the KMS"):
            self.reply = self.ctx.cek_client().issue(token, x.user(user).mcptt_id, x.server(server).uri)
        log_cek(self.ctx, self.reply)
        return self.reply

    def fetch(self, token: str | None, server: str, key_id: int) -> CekReply:
        with peer("the KMS"):
            self.reply = self.ctx.cek_client().fetch(token, self.ctx.ixit.server(server).uri, key_id)
        log_cek(self.ctx, self.reply)
        return self.reply


@pytest.fixture
def kms(ctx: ScenarioContext) -> KmsState:
    return KmsState(ctx)


def _require_cek(reply: CekReply, who: str) -> KmsCek:
    if reply.status != 200 or reply.cek is None:
        detail = reply.problem or (f"KmsError {reply.error.code}: {reply.error.message}" if reply.error else "")
        raise Failed(f"the KMS gave {who} no CEK: HTTP {reply.status} {detail}".rstrip())
    return reply.cek


# --- asking for CEKs -----------------------------------------------------------------------

@when(parsers.parse('"{user}" asks the KMS for a CEK shared with the MCPTT server "{server}"'))
def user_asks_cek(kms: KmsState, tokens: TokenState, user: str, server: str) -> None:
    kms.ceks[user] = _require_cek(kms.issue(tokens.of(user), user, server), user)
    kms.last_key_id = kms.ceks[user].key_id


@given(parsers.parse('"{user}" holds a CEK shared with the MCPTT server "{server}"'))
def user_holds_cek(kms: KmsState, tokens: TokenState, user: str, server: str) -> None:
    user_asks_cek(kms, tokens, user, server)


@when(parsers.parse('"{user}" asks the KMS for a CEK shared with "{server}" without an access token'))
def ask_without_token(kms: KmsState, user: str, server: str) -> None:
    kms.issue(None, user, server)


@when(phrases.parse('"{user}" asks the KMS for a CEK shared with "{server}" presenting her token {forgery:Forgery}',
                    FORGERIES))
def ask_with_forged_token(kms: KmsState, tokens: TokenState, user: str, server: str, forgery) -> None:
    kms.issue(forged(tokens, user, forgery), user, server)


@when(parsers.parse('"{user}" asks the KMS for a CEK shared with "{server}" presenting the minted token'))
def ask_with_minted_token(kms: KmsState, tokens: TokenState, user: str, server: str) -> None:
    reply = kms.issue(tokens.minted, user, server)
    if reply.cek is not None:
        kms.ceks[user] = reply.cek


@when(parsers.parse('"{holder}" asks the KMS for a CEK in the name of "{user}" shared with "{server}"'))
def ask_in_another_name(kms: KmsState, tokens: TokenState, holder: str, user: str, server: str) -> None:
    kms.issue(tokens.access[holder], user, server)


@when(parsers.parse('the MCPTT server "{server}" asks the KMS for a CEK in the name of "{user}" shared with '
                    '"{shared_with}"'))
def server_asks_for_user(kms: KmsState, tokens: TokenState, server: str, user: str, shared_with: str) -> None:
    kms.issue(tokens.of(server), user, shared_with)


@when(parsers.parse('"{user}" asks the KMS for {count:d} CEKs shared with the MCPTT server "{server}"'))
def ask_many(kms: KmsState, tokens: TokenState, user: str, count: int, server: str) -> None:
    for i in range(count):
        kms.issued.append(_require_cek(kms.issue(tokens.of(user), user, server), f"{user} (#{i + 1})"))


# --- fetching by Key ID --------------------------------------------------------------------

@when(parsers.parse('the MCPTT server "{server}" fetches the CEK by its Key ID'))
def server_fetches(kms: KmsState, tokens: TokenState, server: str) -> None:
    reply = kms.fetch(tokens.access[server], server, kms.last_key_id)
    if reply.cek is not None:
        kms.ceks[server] = reply.cek


@when(phrases.parse('the MCPTT server "{server}" fetches the CEK by its Key ID presenting its token '
                    '{forgery:Forgery}', FORGERIES))
def server_fetches_forged(kms: KmsState, tokens: TokenState, server: str, forgery) -> None:
    kms.fetch(forged(tokens, server, forgery), server, kms.last_key_id)


@when(parsers.parse('the MCPTT server "{server}" fetches the CEK by its Key ID presenting the minted token'))
def server_fetches_minted(kms: KmsState, tokens: TokenState, server: str) -> None:
    kms.fetch(tokens.minted, server, kms.last_key_id)


@when(parsers.parse('"{user}" fetches the CEK by its Key ID in the name of the MCPTT server "{server}"'))
def user_fetches_as_server(kms: KmsState, tokens: TokenState, user: str, server: str) -> None:
    kms.fetch(tokens.access[user], server, kms.last_key_id)


@when(parsers.parse('the MCPTT server "{server}" fetches a CEK by a Key ID that was never issued'))
def server_fetches_unknown(kms: KmsState, tokens: TokenState, server: str) -> None:
    seen = {c.key_id for c in kms.ceks.values()} | {c.key_id for c in kms.issued}
    while True:
        key_id = (CEK_PURPOSE_TAG << 28) | secrets.randbits(28)
        if key_id not in seen:
            break
    kms.fetch(tokens.access[server], server, key_id)


# --- outcomes ------------------------------------------------------------------------------

@then(parsers.parse('the KMS gives "{user}" a 128-bit CEK with a Key ID carrying the CEK purpose tag'))
def cek_shape(kms: KmsState, user: str) -> None:
    cek = kms.ceks.get(user) or _require_cek(kms.reply, user)
    if len(cek.key) != 16:
        raise Failed(f"the CEK has {len(cek.key) * 8} bits, expected 128")
    if purpose_of(cek.key_id) != CEK_PURPOSE_TAG:
        raise Failed(f"Key ID {cek.key_id:08X} carries purpose tag {purpose_of(cek.key_id)}, "
                     f"expected {CEK_PURPOSE_TAG}")


@then(parsers.parse('the CEK is bound to the KMS, to the MCPTT ID of "{user}", to "{server}" '
                    'and to a current validity period'))
def cek_binding(ctx: ScenarioContext, kms: KmsState, user: str, server: str) -> None:
    x = ctx.ixit
    cek = kms.ceks[user]
    answer = kms.reply.answer
    if answer.kms_uri != x.kms_uri:
        raise Failed(f"the answer names KMS {answer.kms_uri!r}, expected {x.kms_uri!r}")
    if cek.owner_uri != x.user(user).mcptt_id:
        raise Failed(f"the CEK is bound to owner {cek.owner_uri!r}, expected {x.user(user).mcptt_id!r}")
    if cek.server_uri != x.server(server).uri:
        raise Failed(f"the CEK is bound to server {cek.server_uri!r}, expected {x.server(server).uri!r}")
    now = _dt.datetime.now(_dt.timezone.utc)
    slack = _dt.timedelta(seconds=x.token_leeway_s)
    if not (cek.valid_from - slack <= now < cek.valid_to):
        raise Failed(f"the CEK is not currently valid ({cek.valid_from} .. {cek.valid_to})")


@then(parsers.parse('the MCPTT server "{server}" holds the same CEK, Key ID and binding as "{user}"'))
def same_cek(kms: KmsState, server: str, user: str) -> None:
    got = kms.ceks.get(server)
    if got is None:
        _require_cek(kms.reply, f"the MCPTT server {server!r}")
    want = kms.ceks[user]
    if (got.key_id, got.owner_uri, got.server_uri) != (want.key_id, want.owner_uri, want.server_uri):
        raise Failed(f"the server got {got!r}, the user got {want!r}")
    if got.key != want.key:
        raise Failed(f"the server and the user hold different keys under Key ID {want.key_id:08X}")


@then(parsers.parse("the KMS answers {status:d} with a Bearer challenge carrying no error code"))
def bearer_challenge_no_error(kms: KmsState, status: int) -> None:
    reply = kms.reply
    challenge = reply.www_authenticate or ""
    if reply.status != status:
        raise Failed(f"the KMS answered HTTP {reply.status}, expected {status}")
    if not challenge.lower().startswith("bearer"):
        raise Failed(f"WWW-Authenticate is {challenge!r}, expected a Bearer challenge (RFC 6750 section 3)")
    if "error=" in challenge:
        raise Failed(f"a request without credentials gets no error code (RFC 6750 section 3.1): {challenge!r}")


@then(parsers.parse('the KMS answers {status:d} with the Bearer error "{error}"'))
def bearer_error(kms: KmsState, status: int, error: str) -> None:
    reply = kms.reply
    challenge = reply.www_authenticate or ""
    if reply.status != status:
        raise Failed(f"the KMS answered HTTP {reply.status}, expected {status} with error {error!r}")
    if not challenge.lower().startswith("bearer") or f'error="{error}"' not in challenge:
        raise Failed(f"WWW-Authenticate is {challenge!r}, expected a Bearer challenge with error=\"{error}\"")


@then(parsers.parse("the KMS refuses with KmsError {code:d} and HTTP status {status:d}"))
def kms_error(kms: KmsState, code: int, status: int) -> None:
    reply = kms.reply
    if reply.status != status or reply.error is None or reply.error.code != code:
        got = f"KmsError {reply.error.code}" if reply.error else (reply.problem or "no KmsError")
        raise Failed(f"expected KmsError {code} with HTTP {status}; got HTTP {reply.status} and {got}")


@then("the KMS refuses the request")
def refused(kms: KmsState) -> None:
    """Any refusal: a token check (401, 403) or a KmsError (4xx); which one the clauses do not demand."""
    reply = kms.reply
    if not 400 <= reply.status < 500:
        raise Failed(f"the KMS answered HTTP {reply.status}, expected a refusal (4xx)")


@then("no key is given")
def no_key(kms: KmsState) -> None:
    if kms.reply.cek is not None:
        raise Failed(f"the KMS handed out a key: {kms.reply.cek!r}")


@then("every Key ID is different and carries the CEK purpose tag")
def key_ids_unique(kms: KmsState) -> None:
    ids = [c.key_id for c in kms.issued]
    duplicates = sorted({f"{k:08X}" for k in ids if ids.count(k) > 1})
    if duplicates:
        raise Failed(f"{len(ids) - len(set(ids))} repeated Key IDs among {len(ids)}: {', '.join(duplicates[:5])}")
    wrong = [f"{k:08X}" for k in ids if purpose_of(k) != CEK_PURPOSE_TAG]
    if wrong:
        raise Failed(f"{len(wrong)} Key IDs lack the CEK purpose tag {CEK_PURPOSE_TAG}: {', '.join(wrong[:5])}")


@then("the 28 low bits of the Key IDs look drawn at random")
def key_ids_random(kms: KmsState) -> None:
    failed_if(random_low_bits_findings([c.key_id for c in kms.issued], "Key IDs"))


@then("every CEK is different")
def ceks_unique(kms: KmsState) -> None:
    keys = [c.key for c in kms.issued]
    if len(set(keys)) != len(keys):
        raise Failed(f"{len(keys) - len(set(keys))} CEKs repeat among {len(keys)}")
