"""The mutators of `mcsec fuzz`, in process: the same seed draws the same cases, and each family's changes
decode as they say (what the project's own SIP parser, CMS reader, JWT library and form parser make of them)."""
from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mcsec.fixtures.fuzz import cmsmut, formmut, jwtmut, sipmut, xmlmut
from mcsec.fixtures.fuzz.ddmin import ddmin
from mcsec.fixtures.fuzz.model import (
    BASE, CLOSED, SILENCE, Applied, Family, Outcome, Step, case_rng, done, expected, neutral, undone,
)
from mcsec.impl import smime
from mcsec.impl.sip import Request, SipParseError, parse_message

CEK = bytes(range(16))
KEY_ID = b"\x11\x22\x33\x44"


def sip_draft(transport: str = "udp", body: bytes = b"hello") -> sipmut.SipDraft:
    semantics = sipmut.Semantics(frozenset({"200"}), cut_body=frozenset({"493"}))
    return sipmut.SipDraft.of("MESSAGE", "sip:mcptt-as@example.org", [
        ("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKfuzz1"), ("Max-Forwards", "70"),
        ("From", "<sip:alice@ims.example.org>;tag=a1"), ("To", "<sip:mcptt-as@example.org>"),
        ("Call-ID", "fuzz-call"), ("CSeq", "7 MESSAGE"), ("Content-Type", "text/plain")], body, transport, semantics)


def sip_family() -> Family:
    return Family("sip", "", (), sipmut.sip_ops(asserted_identity=False))


def apply_sip(draft: sipmut.SipDraft, *steps: Step) -> list[Applied]:
    applied = sip_family().apply(draft, steps)
    applied.append(draft.framing())
    return applied


# --- determinism -----------------------------------------------------------------------------------------

def test_the_same_seed_draws_the_same_cases_and_another_seed_others():
    family = Family("cms", "", (), cmsmut.cms_ops())

    def cases(seed: int) -> list[list[Step]]:
        return [family.draw(case_rng(seed, "server", "cms", n)) for n in range(200)]
    assert cases(42) == cases(42)
    assert cases(42) != cases(43)
    # the generator depends on the role and family too, and on nothing that varies between processes
    assert case_rng(42, "server", "cms", 0).random() != case_rng(42, "core", "cms", 0).random()
    assert case_rng(42, "server", "cms", 0).random() == pytest.approx(0.5562435869451535)


def test_steps_round_trip_through_json():
    step = Step("garble_value", (3, 5))
    assert Step.from_json(json.loads(json.dumps(step.to_json()))) == step


# --- answer classes --------------------------------------------------------------------------------------

def test_expected_is_the_union_of_the_changes_or_the_base():
    base = frozenset({"200"})
    assert expected(base, [neutral("case of a name")]) == base
    assert expected(base, [done("a", "400"), done("b", "415", "493")]) == {"400", "415", "493"}
    assert expected(base, [Applied("BER", frozenset({BASE, "493"}))]) == {"200", "493"}
    # a refused base input may be refused for that reason whatever else is wrong with it
    assert expected(frozenset({"403"}), [done("a", "400")]) == {"400", "403"}


def test_a_closed_connection_is_silence_only_where_silence_is_allowed():
    assert Outcome(CLOSED).within(frozenset({"400", SILENCE}))
    assert not Outcome(CLOSED).within(frozenset({"400"}))
    assert not Outcome(SILENCE).within(frozenset({"400"}))


def test_ddmin_finds_the_one_minimal_failing_subset():
    calls = []

    def fails(subset):
        calls.append(subset)
        return 3 in subset and 7 in subset
    result = ddmin(list(range(10)), fails, max_tests=100)
    assert result.items == (3, 7) and result.complete
    bounded = ddmin(list(range(10)), fails, max_tests=2)
    assert not bounded.complete and set(bounded.items) >= {3, 7}


# --- SIP -------------------------------------------------------------------------------------------------

def test_a_neutral_sip_change_parses_to_the_same_request():
    plain = parse_message(sip_draft().to_bytes())
    for step in (Step("compact_form", (0.0,)), Step("name_case", (0.5, True)), Step("fold", (0.0, True)),
                 Step("space_before_colon", (0.3, False)), Step("unknown_header", (0.9, 2))):
        draft = sip_draft()
        applied = apply_sip(draft, step)
        assert expected(frozenset({"200"}), applied) == {"200"}, step
        changed = parse_message(draft.to_bytes())
        assert isinstance(changed, Request) and changed.call_id == plain.call_id, step
        assert changed.headers.get("CSeq").split() == ["7", "MESSAGE"], step
        assert changed.body == plain.body, step


@pytest.mark.parametrize("variant", range(len(sipmut._BROKEN_LINES)))
def test_every_broken_header_line_is_refused_by_the_parser_and_expects_400(variant):
    draft = sip_draft()
    applied = apply_sip(draft, Step("broken_line", (0.5, variant)))
    assert expected(frozenset({"200"}), applied) == {"400"}
    with pytest.raises(SipParseError):
        parse_message(draft.to_bytes())


def test_framing_follows_content_length_on_datagrams_and_streams():
    short = sip_draft()
    applied = apply_sip(short, Step("content_length", (2,)))   # one octet fewer than the body
    assert "cuts" in applied[-1].note and expected(frozenset({"200"}), applied) == {"493"}
    assert parse_message(short.to_bytes()).body == b"hell"
    long_udp = sip_draft()
    assert expected(frozenset({"200"}), apply_sip(long_udp, Step("content_length", (0,)))) == {"400"}
    long_tcp = sip_draft("tcp")
    assert expected(frozenset({"200"}), apply_sip(long_tcp, Step("content_length", (0,)))) == {SILENCE, "400"}


def test_version_and_method_changes_say_what_rfc_3261_answers():
    draft = sip_draft()
    assert expected(frozenset({"200"}), apply_sip(draft, Step("version", (0,)))) == {"505"}
    with pytest.raises(SipParseError, match="SIP/3.0 not supported"):
        parse_message(draft.to_bytes())
    draft = sip_draft()
    assert expected(frozenset({"200"}), apply_sip(draft, Step("method", (0, True)))) == {"405", "501"}
    assert parse_message(draft.to_bytes()).method == "FUZZ"


# --- CMS -------------------------------------------------------------------------------------------------

def sealed() -> bytes:
    return smime.seal(b"<mcptt-info/>", cek=CEK, key_id=KEY_ID)


def open_body(der: bytes) -> str:
    try:
        smime.open(der, key_lookup={KEY_ID: CEK}.get)
    except smime.SmimeError as exc:
        return type(exc).__name__
    return "opened"


def test_the_tlv_tree_writes_back_the_bytes_it_read():
    der = sealed()
    assert cmsmut.parse_der(der).to_bytes() == der


@pytest.mark.parametrize("step", [Step("length", (0.0, 0)), Step("length", (0.5, 4)), Step("tag", (0.0, 6)),
                                  Step("drop", (0.3,)), Step("duplicate", (0.95,)), Step("flip", (0.99, 0.5, 3)),
                                  Step("oid", (0.0, 1)), Step("truncate", (0.5,)), Step("grow", (0.9, 2))])
def test_every_structural_cms_change_is_refused_by_the_cms_reader(step):
    tree = cmsmut.parse_der(sealed())
    family = Family("cms", "", (), cmsmut.cms_ops())
    [applied] = family.apply(tree, [step])
    assert applied.done and set(applied.effect) == set(cmsmut.REFUSED), applied.note
    assert open_body(tree.to_bytes()) != "opened", applied.note


@pytest.mark.parametrize("step", [Step("length", (0.0, 2)), Step("length", (0.0, 3))])
def test_ber_length_forms_keep_the_meaning(step):
    tree = cmsmut.parse_der(sealed())
    [applied] = Family("cms", "", (), cmsmut.cms_ops()).apply(tree, [step])
    assert BASE in applied.effect
    der = tree.to_bytes()
    assert der != sealed()
    assert open_body(der) == "opened", applied.note


# --- JWT -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def signing_key():
    return ec.generate_private_key(ec.SECP256R1())


def token(key) -> str:
    return jwt.encode({"sub": "alice", "aud": "kms", "exp": 4102444800}, key, algorithm="ES256",
                      headers={"kid": "k1", "typ": "at+jwt"})


def verifies(draft: jwtmut.TokenDraft, key) -> bool:
    try:
        jwt.decode(draft.token(), key.public_key(), algorithms=["ES256"], audience="kms")
    except jwt.PyJWTError:
        return False
    return True


def test_every_token_change_breaks_the_signature_and_expects_401(signing_key):
    family = Family("jwt", "", (), jwtmut.jwt_ops())
    for step in (Step("alg", (0,)), Step("alg", (2,)), Step("drop_header_field", (1,)), Step("header_add", (0,)),
                 Step("claim_value", (3, 1)), Step("claims_json", (4,)), Step("signature", (1, 0.5)),
                 Step("framing", (0,))):
        draft = jwtmut.TokenDraft.of(token(signing_key))
        assert verifies(draft, signing_key)
        [applied] = family.apply(draft, [step])
        assert "401" in applied.effect, step
        assert not verifies(draft, signing_key), step


def test_steps_that_cancel_out_leave_the_token_as_issued_and_expect_the_base_answer(signing_key):
    """Found by `mcsec fuzz --role kms --seed 20261203` (case 60704): a claim set, then removed, gives back
    the token as issued; the KMS rightly took it (200), but the case expected 401. The realiser now sees the
    token is the base's and expects the base answer."""
    family = Family("jwt", "", (), jwtmut.jwt_ops())
    issued = token(signing_key)
    draft = jwtmut.TokenDraft.of(issued)
    applied = family.apply(draft, [Step("claim_value", (9, 9)), Step("claim_value", (9, 0))])
    assert draft.token() == issued and verifies(draft, signing_key)
    assert expected(frozenset({"200"}), applied) == frozenset({"401"})  # what the steps alone claim
    assert expected(frozenset({"200"}), undone(applied)) == frozenset({"200"})
    assert all(a.note.endswith("(undone)") and a.effect is None for a in undone(applied))


def test_alg_none_empties_the_signature_and_the_scheme_case_keeps_the_meaning(signing_key):
    family = Family("jwt", "", (), jwtmut.jwt_ops())
    draft = jwtmut.TokenDraft.of(token(signing_key))
    family.apply(draft, [Step("alg", (0,))])
    assert draft.header()["alg"] == "none" and draft.token().endswith(".")
    draft = jwtmut.TokenDraft.of(token(signing_key))
    [applied] = family.apply(draft, [Step("scheme", (0,))])
    assert applied.effect is None and draft.authorization().startswith("bearer ") and verifies(draft, signing_key)


def test_a_token_is_never_in_what_a_report_shows(signing_key):
    text = token(signing_key)
    shown = json.dumps(jwtmut.TokenDraft.of(text).redacted())
    assert text.split(".")[2] not in shown and text.split(".")[1] not in shown


# --- token request forms ---------------------------------------------------------------------------------

def form() -> formmut.FormDraft:
    return formmut.FormDraft([("grant_type", "client_credentials")], "mcptt-server", "s3cret-value")


def test_form_changes_decode_as_they_say():
    family = Family("form", "", (), formmut.form_ops())
    draft = form()
    [applied] = family.apply(draft, [Step("grant_twice", (True,))])
    assert parse_qs(draft.body().decode())["grant_type"] == ["client_credentials"] * 2 and applied.effect == {"400"}
    draft = form()
    [applied] = family.apply(draft, [Step("unknown_parameter", (0, 1.0))])
    assert applied.effect is None and parse_qs(draft.body().decode()) == {"grant_type": ["client_credentials"],
                                                                            "x_mcsec": ["1"]}
    draft = form()
    family.apply(draft, [Step("client_auth", (1,))])
    user, _, password = base64.b64decode(draft.headers()["Authorization"].split()[1]).decode().partition(":")
    assert user == "mcptt-server" and password == "s3cret-valuex"
    assert "s3cret" not in json.dumps(draft.redacted())


# --- robustness: any drawn case applies, whatever came before it -----------------------------------------

def test_thousands_of_drawn_cases_apply_without_error(signing_key):
    der = sealed()
    tok = token(signing_key)
    families = [(Family("cms", "", (), cmsmut.cms_ops()), lambda: cmsmut.parse_der(der)),
                (Family("jwt", "", (), jwtmut.jwt_ops()), lambda: jwtmut.TokenDraft.of(tok)),
                (Family("form", "", (), formmut.form_ops()), form),
                (Family("xml", "", (), xmlmut.xml_ops()), lambda: xmlmut.XmlDraft(kms_request())),
                (Family("sip", "", (), sipmut.sip_ops(asserted_identity=True)), lambda: sip_draft())]
    for family, fresh in families:
        for n in range(600):
            model = fresh()
            family.apply(model, family.draw(case_rng(1, "r", family.name, n)))
            if hasattr(model, "framing"):
                model.framing()
            if hasattr(model, "to_bytes"):
                assert isinstance(model.to_bytes(), bytes)


# --- KMS request documents -------------------------------------------------------------------------------

def kms_request() -> str:
    from mcsec.impl.kms import cekxml
    return cekxml.build_request(cekxml.CekRequest("sip:alice@example.org", "kms.example.org",
                                                  "sip:mcptt-as@example.org")).decode()


def parsed_request(text: bytes):
    from mcsec.impl.kms import cekxml
    from mcsec.impl.kms.xmlparse import XmlError
    try:
        return cekxml.parse_request(text)
    except (XmlError, ValueError):
        return None


def test_neutral_xml_changes_give_the_same_request_and_structural_ones_none():
    from mcsec.fixtures.fuzz import xmlmut
    family = Family("xml", "", (), xmlmut.xml_ops())
    plain = parsed_request(kms_request().encode())
    assert plain is not None
    for variant in range(5):
        draft = xmlmut.XmlDraft(kms_request())
        [applied] = family.apply(draft, [Step("markup", (variant,))])
        assert applied.effect is None and parsed_request(draft.to_bytes()) == plain, applied.note
    draft = xmlmut.XmlDraft(kms_request())
    family.apply(draft, [Step("namespace", (0,))])
    assert "ns0:KmsRequest" in draft.text and parsed_request(draft.to_bytes()) == plain
    for step in [Step("drop_element", (i,)) for i in range(4)] + \
                [Step("not_well_formed", (i,)) for i in range(len(xmlmut._BROKEN)) if i != 10] + \
                [Step("namespace", (i,)) for i in (1, 2, 3)] + [Step("duplicate_element", (1,)), Step("size", (0,))]:
        draft = xmlmut.XmlDraft(kms_request())
        [applied] = family.apply(draft, [step])
        assert "400" in applied.effect and parsed_request(draft.to_bytes()) is None, applied.note


def test_a_step_that_would_undo_an_earlier_change_is_not_part_of_the_case(signing_key):
    """Found fuzzing the reference KMS and IdM: a later step put back what an earlier one changed, and the
    case expected a refusal for a request that was valid again."""
    from mcsec.fixtures.fuzz import xmlmut
    jwt_family = Family("jwt", "", (), jwtmut.jwt_ops())
    draft = jwtmut.TokenDraft.of(token(signing_key))
    first, second = jwt_family.apply(draft, [Step("scheme", (3,)), Step("scheme", (0,))])
    assert first.done and not second.done and draft.authorization().startswith("Bearer: ")
    form_family = Family("form", "", (), formmut.form_ops())
    draft = form()
    _, twice = form_family.apply(draft, [Step("drop_grant", ()), Step("grant_twice", (True,))])
    assert not twice.done and "grant_type" not in parse_qs(draft.body().decode())
    draft = form()
    _, both = form_family.apply(draft, [Step("client_auth", (0,)), Step("client_auth", (6,))])
    assert not both.done and "Authorization" not in draft.headers()
    xml_family = Family("xml", "", (), xmlmut.xml_ops())
    draft = xmlmut.XmlDraft(kms_request())
    _, amp = xml_family.apply(draft, [Step("namespace", (0,)), Step("not_well_formed", (4,))])
    assert not amp.done and parsed_request(draft.to_bytes()) is not None
    draft = xmlmut.XmlDraft(kms_request())
    xml_family.apply(draft, [Step("duplicate_element", (0,)), Step("drop_element", (0,))])
    assert "UserUri" not in draft.text


def test_markup_changes_after_a_grown_document_stay_linear():
    """Single quotes over a 200 000-character comment once made a backtracking pattern run for hours; the
    change now reads only the root's start tag."""
    from mcsec.fixtures.fuzz import xmlmut
    draft = xmlmut.XmlDraft(kms_request())
    grown, quoted = Family("xml", "", (), xmlmut.xml_ops()).apply(draft, [Step("size", (1,)), Step("markup", (0,))])
    assert grown.done and quoted.done and "Version='1.0.0'" in draft.text
