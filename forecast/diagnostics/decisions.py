"""The one place where the differencing, the starting ARIMA order and the window are decided.

Each of them is read off a series — the series itself, or the series after some differences —
and the readings must say the same thing about the same series. :func:`decide` makes the three
decisions together and keeps, beside each, the series it was computed on:

1. **Regular differences of the series** (``ndiffs``): KPSS on the series itself
   (:func:`~forecast.diagnostics.stationarity.ndiffs`, R's ``forecast::ndiffs``).
2. **Seasonal differences** (``nsdiffs``, 0 or 1): seasonal strength and persistence
   (:func:`~forecast.diagnostics.seasonality.nsdiffs`).
3. **The order's d**: with ``D = 0``, the series' own ``ndiffs`` (the same number, so the order
   says the differencing the differencing reading states); with ``D = 1``, KPSS again on the
   seasonally differenced series, at most ``2 - D`` ("after the seasonal difference, KPSS
   suggests d more").
4. **The order's p, q, P, Q**: from the ACF/PACF of the series after those ``D`` and ``d``
   differences (:func:`~forecast.diagnostics.window.suggested_arima_order`).
5. **The window**: from the PACF of the series differenced ``ndiffs`` times, the seasonal
   period, a cycle and the horizon (:func:`~forecast.diagnostics.window.window_from`); its
   reason names that series. :func:`suggested_window` — what the Run page proposes — and
   :func:`~forecast.diagnostics.diagnosis.diagnose_series` — what the Diagnostics page says —
   both call :func:`decide_window`, so for the same series and horizon they give the same
   window and the same reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from forecast.diagnostics.prepare import prepare_values, unit_scale
from forecast.diagnostics.seasonality import nsdiffs, seasonal_period
from forecast.diagnostics.stationarity import ndiffs
from forecast.diagnostics.window import (
    series_words,
    suggested_arima_order,
    window_from,
    window_pacf,
)

__all__ = [
    "Decisions",
    "WindowDecision",
    "constant_decisions",
    "decide",
    "decide_window",
    "suggested_window",
]


@dataclass(frozen=True)
class WindowDecision:
    """The suggested look-back window and what it was read off.

    Attributes
    ----------
    window : int
        Look-back length in observations.
    reason : str
        Why, in words (names the series its PACF was computed on).
    horizon : int or None
        The horizon it was decided for.
    differences : int
        Regular differences taken before its PACF.
    on : str
        That series in words (``"the series differenced once"``).
    pacf_lags : list of int
        PACF lags of that series that count as evidence.
    pacf_significant : list of int
        Every significant PACF lag of that series.
    """

    window: int
    reason: str
    horizon: int | None
    differences: int
    on: str
    pacf_lags: list
    pacf_significant: list


@dataclass(frozen=True)
class Decisions:
    """Differencing, starting order and window of one series, decided together.

    Attributes
    ----------
    period : int or None
        Seasonal period m.
    ndiffs : int
        Regular differences KPSS asks of the series itself.
    nsdiffs : int
        Seasonal differences D (0 or 1).
    nsdiffs_method : str
        The rule that set D.
    order_diffs : int
        The order's d: ``ndiffs`` when D = 0, KPSS after the seasonal difference when D = 1.
    order_on : str
        The series the order's p, q, P, Q were read off, in words.
    order, seasonal_order : list of int
        [p, d, q] and [P, D, Q, m] (all zeros without a season).
    order_reason : str
    window : WindowDecision
    """

    period: int | None
    ndiffs: int
    nsdiffs: int
    nsdiffs_method: str
    order_diffs: int
    order_on: str
    order: list
    seasonal_order: list
    order_reason: str
    window: WindowDecision

    def to_dict(self) -> dict:
        """The ``decisions`` key of ``forecast diagnose --json`` (plain JSON values)."""
        w = asdict(self.window)
        return {
            "ndiffs": self.ndiffs,
            "nsdiffs": self.nsdiffs,
            "order_diffs": self.order_diffs,
            "order_series": self.order_on,
            "window_horizon": w["horizon"],
            "window_diffs": w["differences"],
            "window_series": w["on"],
            "window_pacf_lags": list(w["pacf_lags"]),
            "window_pacf_significant": list(w["pacf_significant"]),
        }


def decide_window(
    x: np.ndarray,
    period: int | None,
    differences: int,
    horizon: int | None = None,
    cycle: int | None = None,
    alpha: float = 0.05,
) -> WindowDecision:
    """The window of a series from its PACF on the series differenced ``differences`` times.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite values (as :func:`~forecast.diagnostics.prepare.prepare_values` gives them,
        scaled by :func:`~forecast.diagnostics.prepare.unit_scale`).
    period : int or None
        Seasonal period.
    differences : int
        Regular differences before the PACF (the series' ``ndiffs``).
    horizon : int, optional
        Forecast horizon in steps.
    cycle : int, optional
        A non-calendar cycle length.
    alpha : float
        Significance level.

    Returns
    -------
    WindowDecision

    Raises
    ------
    SpecError
        ``horizon`` not a positive integer.
    """
    window_from(10, None, [], horizon)  # validates horizon before any work
    evidence = window_pacf(x, differences, period, alpha)
    length, reason = window_from(
        len(x),
        period,
        evidence.counted,
        horizon,
        differences,
        cycle,
        isolated=evidence.isolated,
        no_pacf=evidence.no_pacf,
    )
    return WindowDecision(
        window=int(length),
        reason=reason,
        horizon=None if horizon is None else int(horizon),
        differences=int(differences),
        on=series_words(differences),
        pacf_lags=list(evidence.counted),
        pacf_significant=list(evidence.significant),
    )


def decide(
    x: np.ndarray,
    period: int | None,
    *,
    seasonal_strength: float | None = None,
    horizon: int | None = None,
    cycle: int | None = None,
    alpha: float = 0.05,
) -> Decisions:
    """Decide the differencing, the starting order and the window of a series together.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite, non-constant values (scaled near unit magnitude).
    period : int or None
        Seasonal period.
    seasonal_strength : float, optional
        F_S when already computed (skips an STL in ``nsdiffs``).
    horizon : int, optional
        Forecast horizon in steps (for the window).
    cycle : int, optional
        A non-calendar cycle length (for the window).
    alpha : float
        Significance level of KPSS and of the ACF/PACF bands.

    Returns
    -------
    Decisions
    """
    m = int(period) if period and period > 1 else 0
    d = ndiffs(x, alpha=alpha)
    big_d, method = nsdiffs(x, m or None, seasonal_strength=seasonal_strength)
    big_d = int(bool(big_d and m))
    order_d = d
    if big_d:
        order_d = ndiffs(x[m:] - x[:-m], alpha=alpha, max_d=2 - big_d)
    order = suggested_arima_order(
        x, m or None, alpha=alpha, seasonal_diffs=big_d, regular_diffs=order_d
    )
    return Decisions(
        period=m or None,
        ndiffs=int(d),
        nsdiffs=big_d,
        nsdiffs_method=method,
        order_diffs=int(order_d),
        order_on=series_words(order_d, big_d, m),
        order=list(order["order"]),
        seasonal_order=list(order["seasonal_order"]),
        order_reason=order["reason"],
        window=decide_window(x, period, d, horizon, cycle, alpha),
    )


def constant_decisions(n: int, horizon: int | None = None) -> Decisions:
    """The decisions for a constant series of ``n`` points: no differences, order (0,0,0)."""
    length, reason = window_from(n, None, [], horizon, no_pacf="the series is constant")
    window = WindowDecision(length, reason, horizon, 0, series_words(0), [], [])
    return Decisions(
        period=None,
        ndiffs=0,
        nsdiffs=0,
        nsdiffs_method="no seasonal period",
        order_diffs=0,
        order_on=series_words(0),
        order=[0, 0, 0],
        seasonal_order=[0, 0, 0, 0],
        order_reason="a constant series needs no model beyond its mean",
        window=window,
    )


def suggested_window(
    y, freq: str | None = None, horizon: int | None = None, *, alpha: float = 0.05
) -> tuple[int, str]:
    """Look-back length a recurrent model should use, from the autocorrelation structure.

    The same window, with the same reason, as :func:`~forecast.diagnostics.diagnosis.
    diagnose_series` of the same values and horizon (both call :func:`decide_window`): what the
    Run page proposes is what the Diagnostics page says.

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values of one series in time order (NaN gaps are interpolated for the analysis).
    freq : str, optional
        Offset alias; sets the calendar prior of the seasonal period.
    horizon : int, optional
        Forecast horizon in steps.
    alpha : float
        Significance level.

    Returns
    -------
    length : int
        Window length in observations, between 1 and about n/3.
    reason : str
        Why, in words.

    Raises
    ------
    DataError
        Fewer than 3 observed values, non-numeric or infinite values.
    SpecError
        ``horizon`` not a positive integer.

    Examples
    --------
    >>> t = np.arange(144)
    >>> suggested_window(np.sin(2 * np.pi * t / 12) + 0.05 * t, "MS")[0] >= 15
    True
    """
    window_from(10, None, [], horizon)  # validates horizon before any work
    prep = prepare_values(y)
    x = prep.values
    if prep.constant:
        w = constant_decisions(len(x), horizon).window
        return w.window, w.reason
    z = x * unit_scale(x)  # exact, as in diagnose_series
    period, evidence = seasonal_period(z, freq, alpha=alpha)
    d = ndiffs(z, alpha=alpha)
    w = decide_window(z, period, d, horizon, evidence.get("cycle"), alpha)
    return w.window, w.reason
