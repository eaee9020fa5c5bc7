"""Steps that need a role configured for the scenario alone (clause 7.14): an MCPTT server that knows
a key set as revoked, an MCPTT server provisioned with the independent vectors, and a KMS emulator
that serves unusable key material to a client.

Each extra role is the lab's own role process started again with the lab's configuration changed
only where the scenario says (and with the run's faults of that role). The test system talks to an
extra MCPTT server directly, playing the SIP core: it inserts the P-Asserted-Identity.
"""
from __future__ import annotations

from importlib import resources
import json
from pathlib import Path

from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.uppertester import UpperTester, UpperTesterError
from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body, key_id_of, open_info, read_body
from mcsec.impl.mcptt.errors import BodyError
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.mcptt.mikey_body import build_mikey_body
from mcsec.impl.sip import Request
from mcsec.steps.common import World
from mcsec.steps.ibc_state import IbcWorld

VECTORS = resources.files("mcsec.fixtures") / "vectors" / "mikey-sakke-vectors.json"
VECTOR_IMPU = "sip:alice@ims.streamwide.com"
TEN_YEARS_S = 10 * 365 * 86400


def _vectors() -> dict:
    return json.loads(VECTORS.read_text())


def _csk_vector() -> dict:
    return next(m for m in _vectors()["i_messages"] if m["name"] == "CSK")


# --- a server that knows a key set as revoked ------------------------------------------------------

@given(parsers.parse('an MCPTT server that holds the key set of "{user}" for the current key period as revoked'))
def server_with_revocation(ibc: IbcWorld, user: str) -> None:
    lab_server = ibc.world.lab.roles.get("server")
    if lab_server is None:
        raise Inconclusive("the lab runs no reference MCPTT server to configure a revocation on")
    ibc_item = dict(lab_server.config.get("ibc") or {})
    ibc_item["revoked"] = [{"user_uri": ibc.uri_of(user), "key_period_no": ibc.now_period()}]
    run_dir = Path(ibc.world.lab.run_dir) / "scenario-roles"
    ibc.start_role("server-revoked", "server", "mcsec.impl.server", {
        "port": 0, "ibc": ibc_item, "trace_path": str(run_dir / "server-revoked.trace.jsonl")})
    ibc.direct = "server-revoked"


# --- the independent vectors -----------------------------------------------------------------------

@given(parsers.parse('an MCPTT server provisioned with the independent vectors\' KMS certificate and the key set '
                     'of "{identity}", accepting I_MESSAGEs up to ten years old'))
def vector_server(ibc: IbcWorld, identity: str) -> None:
    vectors = _vectors()
    key_set = next((k for k in vectors["key_sets"].values() if k["UserUri"] == identity), None)
    if key_set is None:
        raise RuntimeError(f"the vectors hold no key set of {identity!r}")
    initiator = _csk_vector()["Initiator URI"]
    run_dir = Path(ibc.world.lab.run_dir) / "scenario-roles"
    ibc.start_role("server-vectors", "server", "mcsec.impl.server", {
        "port": 0, "uri": f"sip:{identity.split(':', 1)[-1]}",
        "users": [{"impu": VECTOR_IMPU, "mcptt_id": initiator}],
        "ibc": {"identity": identity, "user_id_format": "hex", "freshness_window_s": TEN_YEARS_S,
                "key_material": {"kms_init": vectors["kms_init"], "key_sets": [key_set]}},
        "trace_path": str(run_dir / "server-vectors.trace.jsonl")})
    ibc.direct = "server-vectors"


@when(parsers.parse('the test system, playing the SIP core, relays the vectors\' CSK I_MESSAGE from "{initiator}"'))
def relay_vector(ibc: IbcWorld, initiator: str) -> None:
    vector = _csk_vector()
    if vector["Initiator URI"] != initiator:
        raise RuntimeError(f"the vectors' CSK message is from {vector['Initiator URI']!r}")
    data = bytes.fromhex(vector["i_message_hex"])
    target = ibc.processes["server-vectors"].config["uri"]
    ibc.send(VECTOR_IMPU, lambda request: build_mikey_body(data).apply(request), target_uri=target)


@when(parsers.parse('the test system, playing the SIP core, relays a MESSAGE from "{initiator}" protected under '
                    'the vectors\' CSK and CSK-ID'))
def relay_under_vector_csk(ibc: IbcWorld, initiator: str) -> None:
    vector = _csk_vector()
    key = SealingKey(int(vector["CSK-ID"], 16), bytes.fromhex(vector["CSK"]))
    target = ibc.processes["server-vectors"].config["uri"]

    def build(request: Request) -> None:
        build_body(McpttInfo(calling_user_id=initiator), key=key, binding=SipBinding.of_request(request)).apply(
            request)
    ibc.send(VECTOR_IMPU, build, target_uri=target)


@then(parsers.parse('the MCPTT server answers 200 with the mcptt-info naming "{initiator}", protected under the '
                    'vectors\' CSK-ID and opened with the vectors\' CSK'))
def vector_echo(world: World, initiator: str) -> None:
    vector = _csk_vector()
    response = world.answer
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


# --- a KMS emulator serving unusable key material ----------------------------------------------------

_EMULATIONS = {
    "an RSK and SSK issued for another identifier": "kms_prov_invalid_keys",
    "the key set of an expired key period": "kms_prov_wrong_period",
}


@given(parsers.parse('the MCPTT client of "{user}" is served by a KMS emulator that provisions {defect}'))
def client_with_emulator(ibc: IbcWorld, user: str, defect: str) -> None:
    behaviour = _EMULATIONS[defect]
    run_dir = Path(ibc.world.lab.run_dir) / "scenario-roles"
    kms = ibc.start_role("kms-emulator", "kms", "mcsec.impl.kms", {"port": 0, "faults": [behaviour]})
    client = ibc.start_role(f"client-{user}-emulated", f"client-{user}", "mcsec.impl.client", {
        "sip_port": 0, "upper_tester": {**ibc.world.lab.roles[f"client-{user}"].config["upper_tester"], "port": 0},
        "kms": {**ibc.world.lab.roles[f"client-{user}"].config["kms"], "url": kms.info["url"]},
        "trace_path": str(run_dir / f"client-{user}-emulated.trace.jsonl")})
    ibc.emulated_client = client.info["upper_tester"]


@when(parsers.parse('that MCPTT client logs in and provisions its IBC key material'))
def emulated_client_provisions(ibc: IbcWorld) -> None:
    ut = UpperTester(ibc.emulated_client, ibc.world.lab.ssl_context, ibc.profile.timers.sip_timeout_s + 5)
    ibc.refused = None
    try:
        ut.login()
        ibc.upload = ut.call("POST", "/ibc/provision")
    except UpperTesterError as exc:
        ibc.refused = exc


@then(parsers.parse('the MCPTT client refuses the key material, naming the failed "{check}" check'))
def client_refused_material(ibc: IbcWorld, check: str) -> None:
    refusal = ibc.refused
    if refusal is None:
        raise Failed(f"the client accepted the key material: {ibc.upload}")
    if refusal.code != "key_material_rejected" or check not in refusal.detail:
        raise Failed(f"the client refused with {refusal.status} {refusal.code}: {refusal.detail}")
