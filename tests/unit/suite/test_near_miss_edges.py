"""Where the edge scenarios place exp, nbf and I_MESSAGE timestamps: from the declared leeway and window,
a margin beyond or within the edge; too narrow a declaration is inconclusive, never a guess."""
import pytest

from mcsec.fixtures.verdicts import Inconclusive
from mcsec.steps.mikey import IMESSAGE_EDGES, timestamp_margin
from mcsec.steps.tokens import TIME_EDGES, edge_margin


def test_token_edges_lie_a_third_of_the_leeway_beyond_and_within():
    now, leeway = 1_000_000, 30
    margin = edge_margin(leeway)
    assert margin == 10
    assert TIME_EDGES["that expired just beyond the leeway"](now, leeway, margin)["exp"] == now - 40
    assert TIME_EDGES["that expired just within the leeway"](now, leeway, margin)["exp"] == now - 20
    assert TIME_EDGES["that becomes valid just beyond the leeway"](now, leeway, margin)["nbf"] == now + 40
    within = TIME_EDGES["that becomes valid just within the leeway"](now, leeway, margin)
    assert within["nbf"] == now + 20 and within["iat"] == now  # iat never in the future


def test_a_leeway_under_three_seconds_is_inconclusive():
    with pytest.raises(Inconclusive):
        edge_margin(2)


def test_timestamp_edges_lie_the_clock_skew_beyond_and_within_the_window():
    margin = timestamp_margin(300, 30)
    assert [IMESSAGE_EDGES[p](300, margin) for p in IMESSAGE_EDGES] == [330, 270, -330, -270]
    with pytest.raises(Inconclusive):
        timestamp_margin(30, 30)
