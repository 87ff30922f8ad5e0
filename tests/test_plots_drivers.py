"""Figures of the lag analysis: CCF stems with symmetric bands, red where significant; the scatter."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.diagnostics.driver_lags import analyse_driver
from forecast.errors import SpecError
from forecast.plots.drivers import ccf_figure, driver_scatter_figure


@pytest.fixture(scope="module")
def analysis():
    rng = np.random.default_rng(0)
    x = np.zeros(300)
    for t in range(1, 300):
        x[t] = 0.7 * x[t - 1] + rng.normal()
    y = 0.8 * np.r_[0.0, 0.0, x[:-2]] + rng.normal(size=300)
    return analyse_driver(y, x, name="Price", target="Sales", freq="MS", d_target=0)


@pytest.mark.parametrize("kind", ["prewhitened", "raw"])
def test_ccf_figure_draws_every_lag_with_a_symmetric_band(analysis, kind):
    fig = ccf_figure(analysis, kind=kind)
    shade, _stems, markers = fig.data
    assert list(markers.x) == analysis.lags
    values = analysis.prewhitened_ccf if kind == "prewhitened" else analysis.ccf
    np.testing.assert_allclose(markers.y, values)
    top, bottom = max(shade.y), min(shade.y)
    assert top == pytest.approx(-bottom) and top > 0
    red = [lag for lag, c in zip(markers.x, markers.marker.color, strict=True) if c == "#d62728"]
    expected = analysis.significant_lags if kind == "prewhitened" else analysis.raw_significant_lags
    assert red == expected
    assert "Price leads" in fig.layout.xaxis.title.text


def test_prewhitened_figure_marks_the_lead_and_the_corrected_band(analysis):
    fig = ccf_figure(analysis.to_dict())
    assert analysis.lead == 2
    ys = sorted(s.y0 for s in fig.layout.shapes if s.yref == "y")
    assert ys == pytest.approx([-analysis.band_corrected, 0.0, analysis.band_corrected])
    assert [s.x0 for s in fig.layout.shapes if s.xref == "x"] == [2]
    with pytest.raises(SpecError):
        ccf_figure(analysis, kind="both")


def test_driver_scatter_at_the_lead(analysis):
    fig = driver_scatter_figure(analysis)
    (trace,) = fig.data
    assert len(trace.x) == len(analysis.y_values) - 2
    r = np.corrcoef(trace.x, trace.y)[0, 1]
    assert f"r = {r:.2f}" in fig.layout.title.text and "Price(t−2)" in fig.layout.title.text
    assert len(driver_scatter_figure(analysis, lag=-1).data[0].x) == len(analysis.y_values) - 1
    with pytest.raises(SpecError):
        driver_scatter_figure(analysis, lag=400)
