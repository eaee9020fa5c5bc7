"""Steps that need a role configured for the scenario alone (clause 7.14): an MCPTT server that knows
a key set as revoked, an MCPTT server provisioned with the independent vectors, and a KMS emulator
that serves unusable key material to a client.

Each extra role is the lab's own role process started again with the lab's configuration changed
only where the scenario says (``ScenarioContext.spawn``). The test system talks to an extra MCPTT server
directly, playing the SIP core: it inserts the P-Asserted-Identity, and the server trusts it from the
test system's SIP-2 side (``IbcState.core_side``) instead of the lab's core.
"""
from __future__ import annotations

import dataclasses
import json
from importlib import resources

from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.verdicts import Failed
from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body, key_id_of, open_info, read_body
from mcsec.impl.mcptt.errors import BodyError
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.mcptt.mikey_body import build_mikey_body
from mcsec.impl.server import ibc_config
from mcsec.impl.sip import Request
from mcsec.steps.context import ScenarioContext
from mcsec.steps.ibc import IbcState
from mcsec.steps.sip import SipState

VECTORS = resources.files("mcsec.fixtures") / "vectors" / "mikey-sakke-vectors.json"
VECTOR_IMPU = "sip:alice@ims.streamwide.com"
TEN_YEARS_S = 10 * 365 * 86400


def _vectors() -> dict:
    return json.loads(VECTORS.read_text())


def _csk_vector() -> dict:
    return next(m for m in _vectors()["i_messages"] if m["name"] == "CSK")


# --- a server that knows a key set as revoked ------------------------------------------------------

@given(parsers.parse('an MCPTT server that holds the key set of "{user}" for the current key period as revoked'))
def server_with_revocation(ctx: ScenarioContext, ibc: IbcState, user: str) -> None:
    base = ctx.lab.configs.get("server")
    revoked = frozenset({(ibc.uri_of(user), ibc.now_period())})
    process = ctx.spawn("server", name="server-revoked", port=0,
                        ibc=dataclasses.replace(base.ibc, revoked=revoked) if base is not None else None,
                        trace_path=ctx.lab.trace_path("server-revoked"), trusted_peers=(ibc.core_side(),))
    ibc.use_direct(process)


# --- the independent vectors -----------------------------------------------------------------------

@given(parsers.parse('an MCPTT server provisioned with the independent vectors\' KMS certificate and the key set '
                     'of "{identity}", accepting I_MESSAGEs up to ten years old'))
def vector_server(ctx: ScenarioContext, ibc: IbcState, identity: str) -> None:
    vectors = _vectors()
    key_set = next((k for k in vectors["key_sets"].values() if k["UserUri"] == identity), None)
    if key_set is None:
        raise RuntimeError(f"the vectors hold no key set of {identity!r}")
    settings = ibc_config.parse({"identity": identity, "user_id_format": "hex", "freshness_window_s": TEN_YEARS_S,
                                 "key_material": {"kms_init": vectors["kms_init"], "key_sets": [key_set]}})
    process = ctx.spawn("server", name="server-vectors", port=0, uri=f"sip:{identity.split(':', 1)[-1]}",
                        users={VECTOR_IMPU: _csk_vector()["Initiator URI"]}, ibc=settings,
                        trace_path=ctx.lab.trace_path("server-vectors"), trusted_peers=(ibc.core_side(),))
    ibc.use_direct(process)


@when(parsers.parse('the test system, playing the SIP core, relays the vectors\' CSK I_MESSAGE from "{initiator}"'))
def relay_vector(ibc: IbcState, initiator: str) -> None:
    vector = _csk_vector()
    if vector["Initiator URI"] != initiator:
        raise RuntimeError(f"the vectors' CSK message is from {vector['Initiator URI']!r}")
    data = bytes.fromhex(vector["i_message_hex"])
    ibc.ctx.session.key_log.record("CSK", int(vector["CSK-ID"], 16), bytes.fromhex(vector["CSK"]))
    target = ibc.direct.config.uri
    ibc.send(VECTOR_IMPU, lambda request: build_mikey_body(data).apply(request), target_uri=target)


@when(parsers.parse('the test system, playing the SIP core, relays a MESSAGE from "{initiator}" protected under '
                    'the vectors\' CSK and CSK-ID'))
def relay_under_vector_csk(ibc: IbcState, initiator: str) -> None:
    vector = _csk_vector()
    key = SealingKey(int(vector["CSK-ID"], 16), bytes.fromhex(vector["CSK"]))
    ibc.ctx.session.key_log.record("CSK", key.key_id, key.cek)
    target = ibc.direct.config.uri

    def build(request: Request) -> None:
        build_body(McpttInfo(calling_user_id=initiator), key=key, binding=SipBinding.of_request(request)).apply(
            request)
    ibc.send(VECTOR_IMPU, build, target_uri=target)


@then(parsers.parse('the MCPTT server answers 200 with the mcptt-info naming "{initiator}", protected under the '
                    'vectors\' CSK-ID and opened with the vectors\' CSK'))
def vector_echo(sip: SipState, initiator: str) -> None:
    vector = _csk_vector()
    response = sip.answer
    if response.status != 200:
        raise Failed(f"the MCPTT server answered {response.status} {response.reason}")
    csk_id, csk = int(vector["CSK-ID"], 16), bytes.fromhex(vector["CSK"])
    try:
        part = read_body(response, honour_handling=False).info_part
        if part is None or not part.protected:
            raise Failed("the 200 carries no protected mcptt-info")
        if key_id_of(part) != csk_id:
            raise Failed(f"the answer is protected under Key ID {key_id_of(part):08X}, not {csk_id:08X}")
        opened = open_info(part, key_lookup=lambda k: csk if k == csk_id else None, guard=None,
                           binding=SipBinding.of_response(response))
    except BodyError as exc:
        raise Failed(f"the answer does not open with the vectors' CSK: {type(exc).__name__}") from None
    if opened.info.calling_user_id != initiator:
        raise Failed(f"the server understood calling user {opened.info.calling_user_id!r}")
