"""The test system's IdM agent, raw exchange by raw exchange, against a running IdM process: what it
sends is what the scenarios say, and the oracles judge the real answers of a good IdM as conformant and
those of a deliberately faulty one as findings."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mcsec.fixtures.agents.idm import IdmAgent
from mcsec.fixtures.agents import nearmiss
from mcsec.fixtures.oracles import access_token_claims as claims_oracle
from mcsec.fixtures.oracles import idm_answers
from mcsec.fixtures.oracles.idm_answers import TokenRefusal
from mcsec.fixtures.profile import Ics, Iut, Ixit, Profile, ServerPrincipal, User
from mcsec.fixtures.verdicts import Inconclusive
from mcsec.impl.idm.login import IdmError
from tests.unit.idm.conftest import _start

INVALID_GRANT = TokenRefusal(400, frozenset({"invalid_grant"}))
INVALID_CLIENT = TokenRefusal(401, frozenset({"invalid_client"}), challenge="Basic")


def profile_of(idm) -> Profile:
    """A profile naming the IdM process's users, OAuth client and server principal."""
    users = tuple(User(name, password, idm.mcptt_ids[name], f"sip:{name}@ims.example.org", "unused")
                  for name, password in idm.passwords.items())
    ixit = Ixit(kms_uri=idm.kms_audience, kms_scope=idm.kms_scope, token_leeway_s=30, access_token_lifetime_s=300,
                cek_lifetime_s=3600, oauth_client_id=idm.client_id, oauth_redirect_uri=idm.redirect_uri,
                user_id_format="hex", users=users,
                servers=(ServerPrincipal(idm.server_id, idm.server_secret, idm.server_uri),))
    return Profile(Path("unit-idm-agent.toml"), False, Iut("unit", "0", ("idm",)), Ics(("7.13", "7.14"), True), ixit)


def agent_of(idm) -> IdmAgent:
    return IdmAgent(idm.url, idm.url + "/jwks", idm.ssl_context, profile_of(idm))


def expected(idm, agent: IdmAgent, received_at: float, **principal) -> claims_oracle.Expected:
    return claims_oracle.Expected(jwks=json.loads(agent.jwks()[1]), audience=idm.kms_audience,
                                  issuer=agent.discovery().issuer, scope=idm.kms_scope, lifetime_s=300, leeway_s=30,
                                  received_at=received_at, **principal)


def sign_in(agent: IdmAgent, idm, password: str | None = None, **request):
    auth = agent.authorization_request(**request)
    answers = [("the login page", agent.authorization_page(auth)),
               ("the posted sign-in", agent.sign_in(auth, "alice", password or idm.passwords["alice"]))]
    return auth, answers


@pytest.fixture(scope="module")
def faulty_idm(test_ca, ca_context, tmp_path_factory):
    """An IdM with the deviations of sign-in, PKCE, redirect URIs, client secrets and the issuer on."""
    process, running = _start(test_ca, ca_context, tmp_path_factory.mktemp("idm-faulty-run"), faults=[
        "idm_accept_any_password", "idm_skip_pkce", "idm_redirect_prefix_match", "idm_ignore_client_secret",
        "idm_wrong_issuer", "idm_code_reusable", "idm_token_response_cacheable"])
    yield running
    process.stop()


def test_the_authorization_request_is_the_profiles_client_with_pkce_s256(idm):
    agent = agent_of(idm)
    auth = agent.authorization_request()
    assert auth.client_id == idm.client_id and auth.redirect_uri == idm.redirect_uri
    assert auth.params["response_type"] == "code" and auth.params["code_challenge_method"] == "S256"
    assert auth.params["scope"].split() == ["openid", idm.kms_scope]
    assert auth.verifier not in repr(auth) and "verifier" not in auth.params
    other = agent.authorization_request(client_id="x", redirect_uri="http://127.0.0.1/x")
    assert (other.client_id, other.redirect_uri) == ("x", "http://127.0.0.1/x")
    assert other.state != auth.state and other.verifier != auth.verifier


def test_a_right_sign_in_and_redemption_pass_every_oracle(idm):
    agent = agent_of(idm)
    auth, answers = sign_in(agent, idm)
    assert answers[0][1].status == 200 and answers[1][1].status == 302
    code = agent.code_of(auth, answers[1][1])
    answer = agent.redeem(code, auth, verifier=auth.verifier)
    received = time.time()
    assert idm_answers.token_response_findings(answer) == []
    token = idm_answers.access_token_of(answer)
    assert claims_oracle.kms_access_token_findings(
        token, expected(idm, agent, received, mcptt_id=idm.mcptt_ids["alice"])) == []
    again = agent.redeem(code, auth, verifier=auth.verifier)
    assert idm_answers.token_refused_findings(again, INVALID_GRANT) == []
    idm.seen_secrets += [code, auth.verifier, token]


def test_a_near_miss_password_is_refused_without_a_code(idm):
    agent = agent_of(idm)
    auth, answers = sign_in(agent, idm, nearmiss.last_character_changed(idm.passwords["alice"]))
    findings = idm_answers.sign_in_refused_findings(answers, registered_redirect_uri=idm.redirect_uri,
                                                    idm_origins=[idm.url], base_url=idm.url + "/authorize")
    assert findings == []
    with pytest.raises(IdmError) as refused:
        agent.code_of(auth, answers[1][1])
    assert refused.value.error == "access_denied"


def test_a_redirect_uri_near_miss_and_a_missing_verifier(idm):
    agent = agent_of(idm)
    _, answers = sign_in(agent, idm, redirect_uri=nearmiss.trailing_slash_added(idm.redirect_uri))
    assert [a.status for _, a in answers] == [400, 400]
    assert idm_answers.not_redirected_findings(answers, idm_origins=[idm.url], base_url=idm.url) == []
    auth, answers = sign_in(agent, idm)
    code = agent.code_of(auth, answers[1][1])
    near = agent.redeem(code, auth, verifier=auth.verifier, redirect_uri=nearmiss.query_added(idm.redirect_uri))
    assert idm_answers.token_refused_findings(near, INVALID_GRANT) == []
    auth, answers = sign_in(agent, idm)
    missing = agent.redeem(agent.code_of(auth, answers[1][1]), auth, verifier=None)
    assert json.loads(missing.body)["error"] == "invalid_request"


def test_client_credentials_right_and_near_miss(idm):
    agent = agent_of(idm)
    answer = agent.client_credentials_request(idm.server_id, idm.server_secret)
    received = time.time()
    assert idm_answers.token_response_findings(answer) == []
    assert claims_oracle.kms_access_token_findings(
        idm_answers.access_token_of(answer), expected(idm, agent, received, subject=idm.server_uri)) == []
    wrong = agent.client_credentials_request(idm.server_id, nearmiss.cut_short(idm.server_secret))
    assert idm_answers.token_refused_findings(wrong, INVALID_CLIENT) == []
    user = agent.client_credentials_request("alice", idm.passwords["alice"])
    assert idm_answers.token_refused_findings(user, INVALID_CLIENT) == []


def test_the_oracles_find_the_deviations_of_a_faulty_idm(faulty_idm):
    idm = faulty_idm
    agent = agent_of(idm)
    auth, answers = sign_in(agent, idm, nearmiss.other_case(idm.passwords["alice"]))
    findings = idm_answers.sign_in_refused_findings(answers, registered_redirect_uri=idm.redirect_uri,
                                                    idm_origins=[idm.url], base_url=idm.url + "/authorize")
    assert findings == [f"the posted sign-in was answered with an authorization code (redirect to {idm.redirect_uri})"]
    code = agent.code_of(auth, answers[1][1])
    answer = agent.redeem(code, auth, verifier=auth.code_challenge)  # the plain-method confusion
    received = time.time()
    assert idm_answers.token_refused_findings(answer, INVALID_GRANT)[0].startswith("the IdM issued an access token")
    assert "may be cached" in idm_answers.token_response_findings(answer)[0]
    token = idm_answers.access_token_of(answer)
    assert claims_oracle.issuer_findings(token, expected(idm, agent, received)) == [
        f"the access token's issuer is '{idm.issuer}/', not the IdM's issuer '{idm.issuer}'"]
    replay = agent.redeem(code, auth, verifier=auth.verifier)
    assert idm_answers.token_refused_findings(replay, INVALID_GRANT)
    _, answers = sign_in(agent, idm, redirect_uri=nearmiss.path_case_changed(idm.redirect_uri))
    assert idm_answers.not_redirected_findings(answers, idm_origins=[idm.url], base_url=idm.url)
    wrong = agent.client_credentials_request(idm.server_id, nearmiss.last_character_changed(idm.server_secret))
    assert idm_answers.token_refused_findings(wrong, INVALID_CLIENT)


def test_a_silent_idm_is_inconclusive(idm, unused_tcp_port):
    profile = profile_of(idm)
    agent = IdmAgent(f"https://127.0.0.1:{unused_tcp_port}", f"https://127.0.0.1:{unused_tcp_port}/jwks",
                     idm.ssl_context, profile)
    with pytest.raises(Inconclusive, match="did not answer"):
        agent.authorization_request()
    with pytest.raises(Inconclusive, match="did not answer"):
        agent.client_credentials_request(idm.server_id, idm.server_secret)


@pytest.fixture
def unused_tcp_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
