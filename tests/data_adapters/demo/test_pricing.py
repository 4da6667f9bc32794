"""Smile, theoretical values and quotes."""

from __future__ import annotations

import numpy as np

from data_adapters.demo.pricing import TICK_SCHEMES, quotes, round_to_tick, smile, tick_size

INDEX, PENNY, CME = (np.int8(TICK_SCHEMES.index(s)) for s in TICK_SCHEMES)


def test_put_skew_and_convex_wings() -> None:
    k = np.array([-0.2, -0.1, 0.0, 0.1, 0.2])
    iv = smile(k, np.full(5, 0.25), 0.15, 0.16, 0.08, 0.13)
    assert iv[0] > iv[1] > iv[2]
    assert iv[4] < iv[0]
    far = smile(np.array([-1.5, 1.5]), np.full(2, 0.25), 0.15, 0.16, 0.08, 0.13)
    assert far[0] > iv[0] and far[1] > iv[4]


def test_term_structure_runs_from_short_to_long() -> None:
    t = np.array([1 / 365, 0.25, 1.0, 5.0])
    iv = smile(np.zeros(4), t, 0.25, 0.18, 0.08, 0.1)
    assert iv[0] > iv[1] > iv[2] > iv[3]
    assert abs(iv[3] - 0.18) < 1e-4


def test_ticks() -> None:
    assert tick_size(np.array([2.0, 4.0]), np.array([INDEX, INDEX])).tolist() == [0.05, 0.10]
    assert tick_size(np.array([2.0, 4.0]), np.array([PENNY, PENNY])).tolist() == [0.01, 0.05]
    assert tick_size(np.array([5.0, 5.5]), np.array([CME, CME])).tolist() == [0.05, 0.25]
    assert round_to_tick(np.array([1.234, 0.3]), np.array([0.05, 0.1]), "down").tolist() == [
        1.2,
        0.3,
    ]
    assert round_to_tick(np.array([1.201, 0.3]), np.array([0.05, 0.1]), "up").tolist() == [
        1.25,
        0.3,
    ]


def test_quotes_bracket_the_value_on_ticks() -> None:
    theo = np.array([0.004, 0.5, 3.7, 42.0, 310.0, 7.0])
    scheme = np.array([INDEX, INDEX, INDEX, PENNY, INDEX, CME])
    bid, ask = quotes(theo, np.full(6, 0.1), scheme, np.ones(6))
    assert bid[0] == 0.0 and ask[0] == 0.05
    assert (bid <= theo).all() and (ask >= theo).all() and (ask > bid).all()
    for price, tick in ((bid, tick_size(theo, scheme)), (ask, tick_size(theo, scheme))):
        units = price / tick
        np.testing.assert_allclose(units, np.round(units), atol=1e-9)
    assert (ask - bid)[4] < 0.01 * theo[4]
