"""The IdM's log (its stderr, kept as the role log file) never holds a credential, code or token."""
from __future__ import annotations

import secrets

from tests.unit.idm.wire import basic


def _exercise(idm) -> list[str]:
    """Every kind of request that carries a secret, successful and failing; returns the secrets used."""
    used = list(idm.passwords.values()) + [idm.server_secret]
    params, verifier = idm.authorization_request(state="state-" + secrets.token_hex(8),
                                                 nonce="nonce-" + secrets.token_hex(8))
    used += [params["state"], params["nonce"], params["code_challenge"], verifier]
    idm.get("/authorize", {**params, "password": idm.passwords["alice"]})  # a secret in a query string
    wrong = "wrong-" + secrets.token_hex(8)
    used.append(wrong)
    idm.login(params, password=wrong)
    code = idm.login(params).redirect_params()["code"]
    used.append(code)
    body = idm.redeem(code, verifier).json()
    used += [body["access_token"], body["id_token"]]
    idm.redeem(code, verifier)  # reuse: an error that names nothing secret
    body = idm.post_form("/token", {"grant_type": "client_credentials"}, basic(idm.server_id, idm.server_secret))
    used.append(body.json()["access_token"])
    idm.post_form("/token", {"grant_type": "client_credentials"}, basic(idm.server_id, wrong))
    return used


def _assert_clean(idm, used: list[str]) -> None:
    log = idm.log_path.read_text()
    assert "POST /token -> 200" in log and "POST /authorize -> 302" in log  # the log is being written
    leaked = [value for value in used + idm.seen_secrets if value and value in log]
    assert leaked == [], f"{len(leaked)} secret value(s) found in {idm.log_path}"
    assert "?" not in "".join(line for line in log.splitlines() if " -> " in line)  # no query strings


def test_log_of_the_deployed_idm_holds_no_secret(idm):
    _assert_clean(idm, _exercise(idm))


def test_log_with_test_control_holds_no_secret(idm_ctl):
    used = _exercise(idm_ctl)
    used.append(idm_ctl.mint({"principal": "alice"}).json()["token"])
    used.append(idm_ctl.test_control_secret)
    _assert_clean(idm_ctl, used)
