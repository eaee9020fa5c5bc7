"""signed_for_findings: a token whose signature verifies under the key of the IdM's JWKS that its header
names, for the principal asked for; each near miss is a finding."""
from __future__ import annotations

import pytest

from mcsec.fixtures.oracles.tokens import signed_for_findings
from mcsec.impl.idm.keys import SigningKey

PUBLISHED = SigningKey.generate()
JWKS = PUBLISHED.jwks()
CLAIMS = {"sub": "alice", "iss": "https://idm.example.org", "exp": 1}  # time claims are not judged here


def test_a_token_of_the_published_key_for_the_principal_passes():
    assert signed_for_findings(PUBLISHED.sign(CLAIMS, typ="at+jwt"), JWKS, subject="alice") == []


@pytest.mark.parametrize("token,finding", [
    (SigningKey.generate().sign(CLAIMS, typ="at+jwt", kid=PUBLISHED.kid), "does not verify"),  # same kid, other key
    (SigningKey.generate().sign(CLAIMS, typ="at+jwt"), "does not hold"),                        # unknown kid
    (PUBLISHED.sign(CLAIMS, typ="at+jwt")[:-4] + "AAAA", "does not verify"),                    # signature altered
    (PUBLISHED.sign({**CLAIMS, "sub": "Alice"}, typ="at+jwt"), "sub is 'Alice'"),
    (PUBLISHED.sign({**CLAIMS, "sub": "alice2"}, typ="at+jwt"), "sub is 'alice2'"),
    (PUBLISHED.sign({**CLAIMS, "sub": ["alice"]}, typ="at+jwt"), "sub is ['alice']"),
    (PUBLISHED.sign({k: v for k, v in CLAIMS.items() if k != "sub"}, typ="at+jwt"), "sub is None"),
    ("not-a-jwt", "not a JWS"),
], ids=["other key under the published kid", "unknown kid", "altered signature", "sub in another case",
        "sub with a suffix", "sub as a list", "no sub", "not a JWS"])
def test_each_near_miss_is_a_finding(token, finding):
    findings = signed_for_findings(token, JWKS, subject="alice")
    assert len(findings) == 1 and finding in findings[0], findings


def test_no_jwks_holds_no_key():
    assert "does not hold" in signed_for_findings(PUBLISHED.sign(CLAIMS, typ="at+jwt"), None, subject="alice")[0]
