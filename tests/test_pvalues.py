"""p-values as text: never 0, bounds where a test only gives a bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from forecast.diagnostics.pvalues import P_FLOOR, pvalue_text


def test_an_underflowed_tail_is_written_as_a_bound_not_zero():
    p = stats.chi2.sf(1606.0, 24)  # air passengers' Ljung-Box at lag 24
    assert p == 0.0 and stats.chi2.logsf(1606.0, 24) < math.log(P_FLOOR)
    assert pvalue_text(p) == "< 1e-300"


@pytest.mark.parametrize(
    ("p", "kwargs", "text"),
    [
        (0.031234, {}, "0.0312"),
        (2.682e-214, {}, "2.68e-214"),
        (1.0, {}, "1"),
        (0.0123456, {"digits": 2}, "0.012"),
        (0.01, {"bound": "<"}, "< 0.01"),
        (0.1, {"bound": ">"}, "> 0.1"),
        (None, {}, "—"),
        (float("nan"), {"missing": "-"}, "-"),
        (np.float64(0.5), {}, "0.5"),
    ],
)
def test_texts(p, kwargs, text):
    assert pvalue_text(p, **kwargs) == text
