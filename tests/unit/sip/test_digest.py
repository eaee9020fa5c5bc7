import pytest

from mcsec.impl.sip.digest import Challenge, Credentials, DigestError, Verifier, authorization


def _creds(verifier, password="secret", method="REGISTER", now=100.0):
    ch = verifier.challenge(now)
    header = authorization(Challenge.parse(ch.header()), username="alice", password=password,
                           method=method, uri="sip:ims.example.org")
    return Credentials.parse(header)


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_round_trip_accepts_the_right_password_once(algorithm):
    v = Verifier("ims.example.org", algorithm=algorithm)
    creds = _creds(v)
    assert creds.algorithm == algorithm
    assert v.check(creds, password="secret", method="REGISTER", now=101.0)
    assert not v.check(creds, password="secret", method="REGISTER", now=102.0), "nonce reuse accepted"


def test_wrong_password_method_or_stale_nonce_refused():
    v = Verifier("ims.example.org")
    assert not v.check(_creds(v), password="other", method="REGISTER", now=101.0)
    assert not v.check(_creds(v), password="secret", method="INVITE", now=101.0)
    assert not v.check(_creds(v), password="secret", method="REGISTER", now=100.0 + 301)


def test_unknown_nonce_refused():
    v = Verifier("ims.example.org")
    other = Verifier("ims.example.org")
    assert not v.check(_creds(other), password="secret", method="REGISTER", now=101.0)


@pytest.mark.parametrize("header", ["Basic abc", "Digest realm=", 'Digest realm="x"',
                                    'Digest realm="x", nonce="n", algorithm=SHA-512'])
def test_unreadable_challenges_raise_digest_error(header):
    with pytest.raises(DigestError):
        Challenge.parse(header)


def test_quoted_values_with_commas_and_escapes():
    ch = Challenge.parse('Digest realm="a, \\"b\\"", nonce="n1", qop="auth,auth-int", algorithm=MD5')
    assert ch.realm == 'a, "b"' and ch.qop == "auth" and ch.algorithm == "MD5"


def test_nonce_table_is_bounded():
    v = Verifier("r", max_nonces=8)
    for i in range(100):
        v.challenge(float(i))
    assert len(v._nonces) <= 8
