"""Synthetic pretraining series: shapes, values and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.errors import SpecError
from forecast.pretrain.synthetic import GENERATORS, PERIODS, synthetic_corpus


@pytest.mark.parametrize("kind", sorted(GENERATORS))
@pytest.mark.parametrize("period", [1, 4, 12, 24])
def test_each_generator_gives_finite_series_of_the_asked_length(kind, period):
    y = GENERATORS[kind](np.random.default_rng(3), 57, period)
    assert y.shape == (57,)
    assert np.all(np.isfinite(y))
    assert np.std(y) > 0


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_generators_are_deterministic_given_the_generator_state(kind):
    a = GENERATORS[kind](np.random.default_rng(11), 80, 12)
    b = GENERATORS[kind](np.random.default_rng(11), 80, 12)
    c = GENERATORS[kind](np.random.default_rng(12), 80, 12)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_intermittent_series_are_non_negative_counts_with_zeros():
    rng = np.random.default_rng(0)
    ys = [GENERATORS["intermittent"](rng, 120, 12) for _ in range(20)]
    for y in ys:
        assert np.all(y >= 0)
        np.testing.assert_array_equal(y, np.round(y))
        assert np.any(y > 0)
    assert sum(np.mean(y == 0) for y in ys) / len(ys) > 0.2


def test_seasonal_ets_draws_repeat_their_period():
    """An ETS draw with a season: the lag-m autocorrelation of the differenced series is
    clearly positive on average (the seasonal shape repeats)."""
    rng = np.random.default_rng(5)
    acfs = []
    for _ in range(30):
        d = np.diff(GENERATORS["ets"](rng, 144, 12))
        d = d - d.mean()
        acfs.append(np.sum(d[12:] * d[:-12]) / np.sum(d * d))
    assert np.mean(acfs) > 0.15


def test_corpus_is_reproducible_and_mixed():
    a = synthetic_corpus(60, seed=7, min_length=30, max_length=50)
    b = synthetic_corpus(60, seed=7, min_length=30, max_length=50)
    assert len(a) == 60
    assert {s.kind for s in a} >= {"ets", "arima", "kernel_synth"}
    assert {s.period for s in a} <= set(PERIODS)
    for x, y in zip(a, b, strict=True):
        assert (x.kind, x.period) == (y.kind, y.period)
        np.testing.assert_array_equal(x.values, y.values)
        assert 30 <= len(x.values) <= 50
    other = synthetic_corpus(60, seed=8, min_length=30, max_length=50)
    assert any(not np.array_equal(x.values, y.values) for x, y in zip(a, other, strict=False))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_series": 0}, "positive"),
        ({"n_series": 3, "min_length": 2}, "min_length"),
        ({"n_series": 3, "mix": {"nope": 1.0}}, "unknown generators"),
    ],
)
def test_bad_corpus_settings_are_refused(kwargs, match):
    with pytest.raises(SpecError, match=match):
        synthetic_corpus(seed=0, **kwargs)
