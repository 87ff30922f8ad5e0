"""What the autocorrelation structure suggests: a look-back window and a starting ARIMA order.

Window (:func:`window_from`, decided by :func:`forecast.diagnostics.decisions.decide_window`)
    The PACF is that of the series differenced ``ndiffs`` times (a trending level series has
    spurious partial autocorrelations at high lags), and the reason names that series (:func:`series_words`); an isolated significant lag counts only at
    a seasonal lag or beyond a Bonferroni band (see :func:`window_pacf_lags`).
    ``L = max(last significant PACF lag, ceil(1.25 m), ceil(1.25 h))`` (a detected non-calendar
    cycle c, like the sunspot cycle, counts as ``ceil(1.25 c)`` when there is no season), at least
    :data:`MIN_WINDOW`, at most a third of the points left after the horizon. The 1.25 × max(h, m)
    part is the input-window rule of Hewamalage, Bergmeir & Bandara (2021, "Recurrent neural
    networks for time series forecasting: current status and future directions").
Order (:func:`suggested_arima_order`)
    ``D`` from :func:`~forecast.diagnostics.seasonality.nsdiffs`, ``d`` from
    :func:`~forecast.diagnostics.stationarity.ndiffs` on the seasonally differenced series
    (``d + D <= 2``; with ``D = 0`` that is the series' own ``ndiffs``). On the differenced series, with *runs* of significant lags counted from lag
    1 (lags below ``m``) and from lag ``m`` (lags m, 2m, 3m): a PACF run shorter than the ACF run
    means AR (the PACF cuts off), the reverse means MA, equal runs pick AR when the first
    autocorrelation is positive and MA when it is negative (Nau's identification rules).
    Non-seasonal orders are capped at 3, seasonal ones at 1: a start for a stepwise search.
    Orders are read off the most recent :data:`ORDER_MAX_OBS` points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from forecast.diagnostics.autocorr import autocorrelation, default_nlags, pacf_ldb, significant
from forecast.diagnostics.prepare import is_constant, prepare_values
from forecast.diagnostics.seasonality import nsdiffs
from forecast.diagnostics.stationarity import ndiffs
from forecast.errors import SpecError

__all__ = [
    "MIN_WINDOW",
    "ORDER_MAX_OBS",
    "WindowPacf",
    "series_words",
    "suggested_arima_order",
    "window_from",
    "window_pacf",
    "window_pacf_lags",
]

#: Smallest window suggested.
MIN_WINDOW = 3
#: The ARIMA starting order is read off at most this many of the most recent points.
ORDER_MAX_OBS = 100_000

_TIMES = {1: "once", 2: "twice"}


def series_words(d: int = 0, big_d: int = 0, m: int = 0) -> str:
    """The series a statistic was computed on, in words.

    Parameters
    ----------
    d : int
        Regular (first) differences taken.
    big_d : int
        Seasonal differences taken (at lag ``m``).
    m : int
        Seasonal period.

    Returns
    -------
    str
        ``"the series"``, ``"the series differenced once"``, ``"the series after a seasonal
        difference (lag 12)"``, ``"the series after a seasonal difference (lag 12) and a
        regular difference"``.

    Examples
    --------
    >>> series_words(1), series_words(0, 1, 12)
    ('the series differenced once', 'the series after a seasonal difference (lag 12)')
    """
    if big_d and m:
        text = f"the series after a seasonal difference (lag {m})"
        if d:
            text += " and a regular difference" if d == 1 else f" and {d} regular differences"
        return text
    if d:
        return f"the series differenced {_TIMES.get(d, f'{d} times')}"
    return "the series"


def _lags(lags: list[int]) -> str:
    from forecast.diagnostics.readings import lags_text

    return lags_text(lags)


def window_from(
    n: int,
    period: int | None,
    significant_pacf: list[int],
    horizon: int | None = None,
    differences: int = 0,
    cycle: int | None = None,
    *,
    isolated: list[int] | None = None,
    no_pacf: str | None = None,
) -> tuple[int, str]:
    """Window length from already computed evidence (see the module docstring for the rule).

    Parameters
    ----------
    n : int
        Number of observations.
    period : int or None
        Seasonal period.
    significant_pacf : list of int
        PACF lags that count as evidence (:func:`window_pacf_lags`).
    horizon : int, optional
        Forecast horizon in steps.
    differences : int
        Differences taken before the PACF: the reason names that series
        (:func:`series_words`).
    cycle : int, optional
        A non-calendar cycle length (e.g. the sunspot cycle); the window spans 1.25 of it too.
    isolated : list of int, optional
        Significant PACF lags of that series that do not count (isolated chance hits): named
        when no lag counts, so the reason never says "nothing is significant" beside them.
    no_pacf : str, optional
        Why no PACF could be read (e.g. ``"the series is constant"``), said instead.

    Returns
    -------
    length : int
        Suggested look-back, in observations.
    reason : str
        The rule that set it, in words.

    Raises
    ------
    SpecError
        If ``horizon`` is not a positive integer.
    """
    if horizon is not None and (
        isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1
    ):
        raise SpecError(f"horizon={horizon!r} is not a positive whole number of steps.")
    on = series_words(differences)
    parts: list[tuple[int, str]] = []
    if significant_pacf:
        last = int(max(significant_pacf))
        parts.append((last, f"covers the last significant PACF lag of {on} ({last})"))
    elif no_pacf:
        parts.append((0, no_pacf))
    elif isolated:
        parts.append(
            (
                0,
                f"on {on} the significant partial autocorrelations ({_lags(list(isolated))}) "
                "are isolated, read as chance",
            )
        )
    else:
        parts.append((0, f"on {on} no partial autocorrelation is significant"))
    if period and period > 1:
        parts.append((math.ceil(1.25 * period), f"spans 1.25 seasonal periods of {period}"))
    if cycle and cycle > 1 and not (period and period > 1):
        parts.append((math.ceil(1.25 * cycle), f"spans 1.25 cycles of about {cycle}"))
    if horizon:
        parts.append((math.ceil(1.25 * horizon), f"spans 1.25 horizons of {horizon}"))
    wanted = max(MIN_WINDOW, *(v for v, _ in parts))
    upper = max(1, (n - (horizon or 0)) // 3)
    reason = "; ".join(text for _, text in parts)
    if wanted > upper:
        return upper, (
            f"capped at {upper}, a third of the points available for training windows "
            f"({wanted} would be needed: {reason})"
        )
    if wanted == MIN_WINDOW and all(v < MIN_WINDOW for v, _ in parts):
        return wanted, f"{reason}; the minimum window of {MIN_WINDOW} is used"
    return wanted, reason


@dataclass(frozen=True)
class WindowPacf:
    """The PACF evidence of the window, on the series differenced ``differences`` times.

    Attributes
    ----------
    differences : int
        Regular differences taken first.
    counted : list of int
        Lags that count as evidence (leading run, seasonal lags, beyond the Bonferroni band).
    significant : list of int
        Every significant lag (``counted`` and the isolated ones).
    no_pacf : str or None
        Why no PACF could be read (too short, constant), else None.
    """

    differences: int
    counted: list[int]
    significant: list[int]
    no_pacf: str | None = None

    @property
    def isolated(self) -> list[int]:
        """Significant lags that do not count."""
        return [k for k in self.significant if k not in set(self.counted)]


def window_pacf(x: np.ndarray, d: int, period: int | None, alpha: float = 0.05) -> WindowPacf:
    """The window's PACF evidence on the series differenced ``d`` times (see
    :func:`window_pacf_lags` for which lags count).

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite values.
    d : int
        Regular differences to take first.
    period : int or None
        Seasonal period (sets how many lags are looked at, and which are seasonal).
    alpha : float
        Significance level.

    Returns
    -------
    WindowPacf
    """
    w = np.diff(x, n=d) if d else x
    nlags = default_nlags(len(w), period)
    on = series_words(d)
    if nlags < 1:
        return WindowPacf(d, [], [], f"{on} is too short for partial autocorrelations")
    if is_constant(w):
        return WindowPacf(d, [], [], f"{on} is constant: it has no partial autocorrelation")
    values, confint = pacf_ldb(w, nlags, alpha=alpha)
    sig = significant(values, confint)
    run = _run(set(sig), list(range(1, nlags + 1)))
    strict = stats.norm.ppf(1 - alpha / (2 * nlags)) / np.sqrt(len(w))
    m = int(period) if period and period > 1 else 0
    counted = [
        k for k in sig if k <= run or (m and min(k % m, m - k % m) <= 1) or abs(values[k]) > strict
    ]
    return WindowPacf(d, counted, sig)


def window_pacf_lags(x: np.ndarray, d: int, period: int | None, alpha: float = 0.05) -> list[int]:
    """PACF lags that count as evidence for the window, on the series differenced ``d`` times.

    A lag counts when it is significant and either in the leading run (lags 1, 2, … all
    significant), or at a seasonal lag (k m - 1, k m, k m + 1), or beyond a Bonferroni band
    ``z_{1 - alpha / (2 K)} / √n`` over the K lags shown. Isolated chance hits (about one in 20
    lags of white noise) therefore do not stretch the window.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite values.
    d : int
        Regular differences to take first.
    period : int or None
        Seasonal period (sets how many lags are looked at, and which are seasonal).
    alpha : float
        Significance level.

    Returns
    -------
    list of int
        Sorted lags.
    """
    return window_pacf(x, d, period, alpha).counted


def _run(sig: set[int], lags: list[int]) -> int:
    count = 0
    for k in lags:
        if k not in sig:
            break
        count += 1
    return count


def _pick(ar_run: int, ma_run: int, first: float, cap: int) -> tuple[int, int]:
    if ar_run == 0 and ma_run == 0:
        return 0, 0
    if ar_run < ma_run or (ar_run == ma_run and first >= 0):
        return min(max(ar_run, 1), cap), 0
    return 0, min(max(ma_run, 1), cap)


def suggested_arima_order(
    y,
    period: int | None = None,
    *,
    alpha: float = 0.05,
    seasonal_diffs: int | None = None,
    regular_diffs: int | None = None,
) -> dict:
    """Starting orders (p, d, q)(P, D, Q, m) for a seasonal ARIMA from ACF/PACF evidence.

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values in time order.
    period : int, optional
        Seasonal period m (None: non-seasonal, and ``m`` is reported as 0).
    alpha : float
        Significance level of the ACF/PACF bands.
    seasonal_diffs : int, optional
        ``D`` when already known (skips the STL of :func:`nsdiffs`).
    regular_diffs : int, optional
        ``d`` when already known (KPSS on the seasonally differenced series, as decided by
        :func:`forecast.diagnostics.decisions.decide`); else computed here the same way.

    Returns
    -------
    dict
        ``order`` [p, d, q], ``seasonal_order`` [P, D, Q, m] (statsmodels convention: all zeros
        when there is no seasonal period) and ``reason`` (str).
    """
    x = prepare_values(y).values[-ORDER_MAX_OBS:]
    m = int(period) if period and period > 1 else 0
    if is_constant(x):
        return {
            "order": [0, 0, 0],
            "seasonal_order": [0, 0, 0, 0],
            "reason": "a constant series needs no model beyond its mean",
        }
    big_d = nsdiffs(x, m or None)[0] if seasonal_diffs is None else int(bool(seasonal_diffs and m))
    w = x[m:] - x[:-m] if big_d else x
    d = ndiffs(w, alpha=alpha, max_d=2 - big_d) if regular_diffs is None else int(regular_diffs)
    if d:
        w = np.diff(w, n=d)
    nlags = default_nlags(len(w), m or None)
    p = q = big_p = big_q = 0
    if nlags >= 1 and not is_constant(w):
        ac = autocorrelation(w, nlags, alpha=alpha)
        sig_a, sig_p = set(ac.significant_acf), set(ac.significant_pacf)
        short = list(range(1, (m if m else nlags + 1)))[:nlags]
        p, q = _pick(_run(sig_p, short), _run(sig_a, short), float(ac.acf[1]), cap=3)
        if m and m <= nlags:
            seasonal = [k for k in (m, 2 * m, 3 * m) if k <= nlags]
            big_p, big_q = _pick(
                _run(sig_p, seasonal), _run(sig_a, seasonal), float(ac.acf[m]), cap=1
            )
    reason = (
        (f"D={big_d} from seasonal strength and persistence, " if m else "")
        + f"d={d} from KPSS"
        + (" after the seasonal difference" if big_d else "")
        + f"; p={p}, q={q} from the cut-offs of the PACF and ACF of "
        + series_words(d, big_d, m)
        + (f"; P={big_p}, Q={big_q} from lags {m}, {2 * m}" if m else "")
    )
    return {"order": [p, d, q], "seasonal_order": [big_p, big_d, big_q, m], "reason": reason}
