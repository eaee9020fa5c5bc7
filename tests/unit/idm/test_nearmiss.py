"""Near misses of passwords, secrets, client ids, PKCE verifiers and redirect URIs: one small step from
the right value, never the value itself."""
from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcsec.fixtures.agents import nearmiss
from mcsec.fixtures.agents.nearmiss import NoNearMiss

REGISTERED = "http://127.0.0.1/mcptt/callback"
UNRESERVED = string.ascii_letters + string.digits + "-._~"


@given(st.text(min_size=1))
def test_a_changed_last_character_keeps_the_rest_and_the_length(value):
    changed = nearmiss.last_character_changed(value)
    assert changed != value
    assert len(changed) == len(value) and changed[:-1] == value[:-1]


@given(st.text(alphabet=UNRESERVED, min_size=43, max_size=128))
def test_a_pkce_verifier_stays_a_well_formed_verifier(verifier):
    changed = nearmiss.last_character_changed(verifier)
    assert changed != verifier
    assert set(changed) <= set(UNRESERVED)  # RFC 7636 4.1: the IdM cannot refuse it for its form


@pytest.mark.parametrize(("value", "expected"), [("abc", "abd"), ("abz", "abA"), ("abZ", "ab0"), ("ab9", "aba"),
                                                 ("ab-", "abx"), ("ab~", "abx")])
def test_the_last_character_moves_to_the_next_of_its_kind(value, expected):
    assert nearmiss.last_character_changed(value) == expected


def test_cut_short_drops_one_character():
    assert nearmiss.cut_short("secret") == "secre"


def test_other_case_and_upper_case():
    assert nearmiss.other_case("Pass-word1") == "pASS-WORD1"
    assert nearmiss.upper_case("mcptt-client") == "MCPTT-CLIENT"


@pytest.mark.parametrize(("make", "value"), [
    (nearmiss.last_character_changed, ""),
    (nearmiss.cut_short, "x"),
    (nearmiss.other_case, "1234-5678"),
    (nearmiss.upper_case, "ALREADY-UPPER-1"),
    (nearmiss.path_case_changed, "http://127.0.0.1/1/2/"),
    (nearmiss.trailing_slash_added, "not a uri"),
    (nearmiss.query_added, "/relative/path"),
])
def test_a_value_without_such_a_near_miss_is_refused_with_the_reason(make, value):
    with pytest.raises(NoNearMiss):
        make(value)


def test_redirect_uri_near_misses():
    assert nearmiss.trailing_slash_added(REGISTERED) == REGISTERED + "/"
    assert nearmiss.trailing_slash_added(REGISTERED + "/") == REGISTERED
    assert nearmiss.path_case_changed(REGISTERED) == "http://127.0.0.1/mcptt/callbacK"
    assert nearmiss.query_added(REGISTERED) == REGISTERED + "?next=1"
    assert nearmiss.query_added(REGISTERED + "?keep=1") == REGISTERED + "?keep=1&next=1"


def test_a_registered_query_and_the_host_are_kept():
    uri = "https://Client.Example/cb?keep=1"
    assert nearmiss.path_case_changed(uri) == "https://Client.Example/cB?keep=1"
    assert nearmiss.trailing_slash_added(uri) == "https://Client.Example/cb/?keep=1"


@given(st.sampled_from([REGISTERED, "https://client.example/a/b?x=y", "http://localhost:8080/cb"]),
       st.sampled_from([nearmiss.trailing_slash_added, nearmiss.path_case_changed, nearmiss.query_added]))
def test_every_redirect_near_miss_differs_and_keeps_the_registered_uri_as_prefix_ignoring_case(uri, make):
    near = make(uri)
    assert near != uri
    # what a prefix or case-insensitive comparison takes for the registered URI
    assert near.lower().startswith(uri.lower().split("?")[0]) or near.lower().rstrip("/") == uri.lower()


@given(st.text(min_size=1))
def test_extended_and_prefixed_contain_the_value_and_differ_from_it(value):
    longer, front = nearmiss.extended(value), nearmiss.prefixed(value)
    assert longer != value and longer.startswith(value)
    assert front != value and front.endswith(value)


@pytest.mark.parametrize(("value", "expected"), [("kms.example.org", "kms.example.org/"),
                                                 ("https://idm.test/", "https://idm.test"), ("/", "//")])
def test_slash_appended_adds_or_removes_the_trailing_slash(value, expected):
    assert nearmiss.slash_appended(value) == expected


@pytest.mark.parametrize("near_miss", [nearmiss.extended, nearmiss.prefixed, nearmiss.slash_appended])
def test_an_empty_value_has_no_near_miss(near_miss):
    with pytest.raises(NoNearMiss):
        near_miss("")
