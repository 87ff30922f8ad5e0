"""The full diagnosis of a series: every number of the ``forecast diagnose`` contract plus readings.

:func:`diagnose_series` runs the pieces of this package on one series and collects them in a
:class:`SeriesDiagnosis`; :func:`diagnose` does it for every series of a long frame. The readings
are plain sentences a person can act on.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.calendar.frequency import frame_freq
from forecast.diagnostics.autocorr import (
    PACF_METHOD,
    autocorrelation,
    default_nlags,
    ljung_box,
    ljung_box_lags,
)
from forecast.diagnostics.decisions import Decisions, constant_decisions, decide
from forecast.diagnostics.prepare import prepare_values, unit_scale
from forecast.diagnostics.seasonality import seasonal_period, strengths
from forecast.diagnostics.stationarity import adf_test, kpss_test
from forecast.errors import DataError, SpecError
from forecast.ingest.series_names import frame_labels
from forecast.jsonable import to_jsonable

__all__ = ["CONTRACT_KEYS", "SeriesDiagnosis", "diagnose", "diagnose_series"]

#: Keys of one series in the ``forecast diagnose --json`` output, in order.
CONTRACT_KEYS = (
    "unique_id",
    "n_obs",
    "freq",
    "start",
    "end",
    "seasonal_period",
    "acf",
    "acf_confint",
    "pacf",
    "pacf_confint",
    "pacf_method",
    "significant_lags",
    "ljung_box",
    "adf",
    "kpss",
    "ndiffs",
    "nsdiffs",
    "trend_strength",
    "seasonal_strength",
    "suggested_window",
    "suggested_arima_order",
    "readings",
    "label",
    "decisions",
)


@dataclass
class SeriesDiagnosis:
    """Everything known about the autocorrelation structure of one series.

    The first block of attributes is the CLI JSON contract (see :meth:`to_dict`); the second
    holds the evidence behind it and the data the figures need.

    Attributes
    ----------
    unique_id : str
    n_obs : int
        Points on the grid (missing ones included).
    freq : str or None
        Offset alias.
    start, end : str or None
        ISO timestamps of the first and last points.
    seasonal_period : int or None
    acf, pacf : list of float
        Lags 0..nlags (empty for a constant series).
    acf_confint, pacf_confint : list of [lo, hi]
        Bands centred on the estimates (statsmodels' convention).
    pacf_method : str
        PACF estimator as statsmodels names it: ``"ldb"``, Durbin-Levinson on the biased
        autocovariances (values in [-1, 1]).
    significant_lags : list of int
        Significant ACF lags.
    ljung_box : list of dict
        ``lag, stat, pvalue`` (Ljung-Box) and ``bp_stat, bp_pvalue`` (Box-Pierce).
    adf, kpss : dict
        ``stat, pvalue`` (None when the test could not run).
    ndiffs, nsdiffs : int
    trend_strength, seasonal_strength : float or None
    suggested_window : int
    suggested_arima_order : dict
        ``order`` [p, d, q] and ``seasonal_order`` [P, D, Q, m].
    readings : list of str
    label : str or None
        The series' label for people (a text column constant within it), else None.
    decisions : dict
        How the differencing, order and window were decided and on which series (see
        :meth:`forecast.diagnostics.decisions.Decisions.to_dict`).
    significant_pacf_lags : list of int
    nlags : int
    alpha : float
    n_missing : int
        Values interpolated for the analysis.
    period_evidence, adf_detail, kpss_detail, strength_detail : dict
    window_reason, order_reason, nsdiffs_method : str
    decided : Decisions or None
        The decisions themselves (``decisions`` is their JSON form).
    values : ndarray, shape (n_obs,)
        The analysed values (gaps interpolated).
    ds : DatetimeIndex or None
        Timestamps of ``values``.
    """

    unique_id: str
    n_obs: int
    freq: str | None
    start: str | None
    end: str | None
    seasonal_period: int | None
    acf: list
    acf_confint: list
    pacf: list
    pacf_confint: list
    significant_lags: list
    ljung_box: list
    adf: dict
    kpss: dict
    ndiffs: int
    nsdiffs: int
    trend_strength: float | None
    seasonal_strength: float | None
    suggested_window: int
    suggested_arima_order: dict
    readings: list = field(default_factory=list)
    label: str | None = None
    decided: Decisions | None = field(default=None, repr=False)
    pacf_method: str = PACF_METHOD
    significant_pacf_lags: list = field(default_factory=list)
    nlags: int = 0
    alpha: float = 0.05
    n_missing: int = 0
    period_evidence: dict = field(default_factory=dict)
    adf_detail: dict = field(default_factory=dict)
    kpss_detail: dict = field(default_factory=dict)
    strength_detail: dict = field(default_factory=dict)
    window_reason: str = ""
    order_reason: str = ""
    nsdiffs_method: str = ""
    values: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    ds: pd.DatetimeIndex | None = field(default=None, repr=False)

    @property
    def decisions(self) -> dict:
        """How the differencing, order and window were decided (the JSON ``decisions`` key)."""
        return self.decided.to_dict() if self.decided is not None else {}

    @property
    def name(self) -> str:
        """The series as people read it: ``"label · id"`` when it has a label."""
        from forecast.ingest.series_names import series_name

        return series_name(self.unique_id, {self.unique_id: self.label} if self.label else None)

    def to_dict(self) -> dict:
        """JSON-ready dict with exactly the keys of the CLI contract (NaN written as None)."""
        return {key: _jsonable(getattr(self, key)) for key in CONTRACT_KEYS}


_jsonable = to_jsonable


def _check_nlags(nlags: int | None, n: int, period: int | None, readings: list) -> int:
    auto = default_nlags(n, period)
    if nlags is None:
        return auto
    if isinstance(nlags, bool) or not isinstance(nlags, (int, np.integer)) or nlags < 1:
        raise SpecError(f"nlags={nlags!r} is not a positive whole number; pass e.g. nlags=24.")
    top = max(0, n // 2 - 1)
    if nlags > top:
        readings.append(
            f"nlags={nlags} was reduced to {top}: the PACF needs fewer lags than half the "
            f"series ({n} points)."
        )
        return top
    return int(nlags)


def diagnose_series(
    y,
    *,
    freq: str | None = None,
    unique_id: str = "y",
    nlags: int | None = None,
    alpha: float = 0.05,
    ds=None,
    horizon: int | None = None,
    label: str | None = None,
) -> SeriesDiagnosis:
    """Diagnose one series: ACF/PACF, Ljung-Box, ADF/KPSS, seasonality, STL strengths, window.

    Every statistic lies in its range whatever the input: |ACF| and |PACF| at most 1 (the PACF
    is Durbin-Levinson on the biased autocovariances, statsmodels' ``method="ldb"``), p-values
    and strengths in [0, 1], a seasonal period between 2 and n/2, a window between 1 and about
    n/3. The analysis runs on the values divided by a power of two that brings their largest
    magnitude near 1: the division is exact, every statistic is scale-free, and it keeps huge
    (1e300) or tiny (1e-300) values from overflowing or underflowing their squares.

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values in time order; NaN gaps are interpolated for the analysis (and reported). A
        ``pandas.Series`` with a ``DatetimeIndex`` also gives ``start``/``end``.
    freq : str, optional
        Offset alias (the calendar prior of the seasonal period).
    unique_id : str
        Name of the series in the output.
    nlags : int, optional
        Lags of the ACF/PACF; default ``min(max(3 m, 20), max(n // 4, m + 1), n // 2 - 1)``
        (see :func:`~forecast.diagnostics.autocorr.default_nlags`); at most ``n // 2 - 1``.
    alpha : float
        Significance level of bands and tests, in (0, 1).
    ds : array-like of datetime64, shape (n,), optional
        Timestamps of ``y``.
    horizon : int, optional
        Forecast horizon, used by the suggested window (the window and its reason are those of
        :func:`~forecast.diagnostics.decisions.suggested_window` for the same values and
        horizon).
    label : str, optional
        The series' label for people (``report.labels``); kept in ``label``.

    Returns
    -------
    SeriesDiagnosis

    Raises
    ------
    DataError
        Fewer than 3 observed values, non-numeric or infinite values.
    SpecError
        ``nlags`` not a positive integer, ``alpha`` outside (0, 1).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = diagnose_series(rng.normal(size=200))
    >>> d.seasonal_period, d.ndiffs, len(d.acf)
    (None, 0, 21)
    """
    if not 0 < alpha < 1:
        raise SpecError(f"alpha={alpha} is not a significance level; pass a number like 0.05.")
    with _one_blas_thread():
        diag = _diagnose_series(y, freq, unique_id, nlags, alpha, ds, horizon)
    diag.label = str(label) if label else None
    return diag


def _one_blas_thread():
    """Limit BLAS to one thread: the matrices here are small, and threads only contend."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _diagnose_series(y, freq, unique_id, nlags, alpha, ds, horizon) -> SeriesDiagnosis:
    if ds is None and isinstance(y, pd.Series) and isinstance(y.index, pd.DatetimeIndex):
        ds = y.index
    ds = pd.DatetimeIndex(ds) if ds is not None else None
    prep = prepare_values(y)
    x, n = prep.values, len(prep.values)
    z = x * unit_scale(x)  # exact (a power of two); statistics are scale-free
    if ds is not None and len(ds) != n:
        raise DataError(f"Series '{unique_id}': {len(ds)} timestamps for {n} values.")
    readings: list[str] = []
    if prep.n_missing:
        readings.append(
            f"{prep.n_missing} missing values were filled by linear interpolation for this "
            "analysis only; the data is unchanged."
        )
    base = {
        "unique_id": str(unique_id),
        "n_obs": n,
        "freq": freq,
        "start": ds[0].isoformat() if ds is not None else None,
        "end": ds[-1].isoformat() if ds is not None else None,
        "n_missing": prep.n_missing,
        "values": x,
        "ds": ds,
        "alpha": alpha,
    }
    if prep.constant:
        return _constant(base, x, nlags, horizon, readings)
    return _analyse(base, z, freq, nlags, alpha, horizon, readings)


def _analyse(base: dict, x: np.ndarray, freq, nlags, alpha, horizon, readings) -> SeriesDiagnosis:
    """Every statistic of a non-constant series ``x`` (already scaled near unit magnitude)."""
    n = len(x)
    period, evidence = seasonal_period(x, freq, alpha=alpha)
    k = _check_nlags(nlags, n, period, readings)
    lag0 = np.ones((1, 2))  # lag 0 only, when the series is too short for lag 1
    ac = autocorrelation(x, k, alpha=alpha) if k >= 1 else None
    lb = ljung_box(x, ljung_box_lags(n, k, period), acf_values=ac.acf if ac else None)
    adf, kp = adf_test(x), kpss_test(x)
    strength = strengths(x, period)
    fs = strength["seasonal_strength"]
    decided = decide(
        x,
        period,
        seasonal_strength=fs,
        horizon=horizon,
        cycle=evidence.get("cycle"),
        alpha=alpha,
    )
    diag = SeriesDiagnosis(
        **base,
        seasonal_period=period,
        acf=(ac.acf if ac else np.ones(1)).tolist(),
        acf_confint=(ac.acf_confint if ac else lag0).tolist(),
        pacf=(ac.pacf if ac else np.ones(1)).tolist(),
        pacf_confint=(ac.pacf_confint if ac else lag0).tolist(),
        significant_lags=ac.significant_acf if ac else [],
        significant_pacf_lags=ac.significant_pacf if ac else [],
        nlags=k,
        ljung_box=lb,
        adf={"stat": adf["stat"], "pvalue": adf["pvalue"]},
        kpss={"stat": kp["stat"], "pvalue": kp["pvalue"], "pvalue_bound": kp["pvalue_bound"]},
        adf_detail=adf,
        kpss_detail=kp,
        ndiffs=decided.ndiffs,
        nsdiffs=decided.nsdiffs,
        nsdiffs_method=decided.nsdiffs_method,
        trend_strength=strength["trend_strength"],
        seasonal_strength=fs,
        strength_detail=strength,
        suggested_window=decided.window.window,
        window_reason=decided.window.reason,
        suggested_arima_order={
            "order": list(decided.order),
            "seasonal_order": list(decided.seasonal_order),
        },
        order_reason=decided.order_reason,
        decided=decided,
        period_evidence=evidence,
    )
    from forecast.diagnostics.readings import write_readings

    diag.readings = readings + write_readings(diag)
    return diag


def _constant(base: dict, x: np.ndarray, nlags, horizon, readings: list) -> SeriesDiagnosis:
    _check_nlags(nlags, len(x), None, [])
    decided = constant_decisions(len(x), horizon)
    window, reason = decided.window.window, decided.window.reason
    readings.append(
        f"The series is constant (every value is {x[0]:g}): autocorrelation, the stationarity "
        "tests and the decomposition are undefined and left empty. A naive forecast (the last "
        "value) fits it exactly."
    )
    h = f" for a horizon of {horizon}" if horizon else ""
    readings.append(f"Suggested look-back window: {window} steps{h}: {reason}.")
    readings.append(
        "Suggested starting ARIMA order: (0,0,0) — a constant series needs no model beyond its "
        "mean."
    )
    untested = {"stat": None, "pvalue": None}
    return SeriesDiagnosis(
        **base,
        seasonal_period=None,
        acf=[],
        acf_confint=[],
        pacf=[],
        pacf_confint=[],
        significant_lags=[],
        ljung_box=[],
        adf=dict(untested),
        kpss={**untested, "pvalue_bound": None},
        ndiffs=0,
        nsdiffs=0,
        trend_strength=None,
        seasonal_strength=None,
        suggested_window=window,
        window_reason=reason,
        suggested_arima_order={"order": [0, 0, 0], "seasonal_order": [0, 0, 0, 0]},
        order_reason=decided.order_reason,
        nsdiffs_method=decided.nsdiffs_method,
        decided=decided,
        readings=readings,
        period_evidence={
            "prior": None,
            "candidates": [],
            "periodogram_period": None,
            "cycle": None,
        },
    )


def diagnose(
    df: pd.DataFrame,
    *,
    nlags: int | None = None,
    alpha: float = 0.05,
    horizon: int | None = None,
) -> list[SeriesDiagnosis]:
    """Diagnose every series of a long frame.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y`` (as from :func:`forecast.ingest.reader.read_csv`); the frequency
        is ``df.attrs["freq"]`` or inferred from the dates.
    nlags : int, optional
        Lags of the ACF/PACF (default per series, see :func:`diagnose_series`).
    alpha : float
        Significance level.
    horizon : int, optional
        Forecast horizon, used by the suggested window.

    Returns
    -------
    list of SeriesDiagnosis
        One per series, in ``unique_id`` order.

    Raises
    ------
    DataError
        Missing columns, an empty frame, or a series :func:`diagnose_series` rejects (the
        message names the series).
    """
    missing = {"unique_id", "ds", "y"} - set(df.columns)
    if missing:
        raise DataError(
            f"The frame lacks columns {sorted(missing)}; pass a long frame (unique_id, ds, y) "
            "as read_csv returns."
        )
    if df.empty:
        raise DataError("The frame has no rows; load a file with data.")
    freq = frame_freq(df)
    labels = frame_labels(df)
    out = []
    for uid, g in df.groupby("unique_id", sort=True):
        g = g.sort_values("ds")
        try:
            out.append(
                diagnose_series(
                    g["y"].to_numpy(),
                    freq=freq,
                    unique_id=str(uid),
                    nlags=nlags,
                    alpha=alpha,
                    ds=g["ds"].to_numpy(),
                    horizon=horizon,
                    label=labels.get(str(uid)),
                )
            )
        except DataError as exc:
            raise DataError(f"Series '{uid}': {exc}") from exc
    return out
