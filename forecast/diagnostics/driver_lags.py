"""Which lags of each driver move the target: the lag analysis between a series and its drivers.

For each target series and each driver (:func:`analyse_drivers`):

1. the driver's ARIMA filter is applied to both series (Box & Jenkins' prewhitening): its
   differences (:func:`~forecast.diagnostics.stationarity.ndiffs` of the driver), then its
   autoregression. Once the driver is white, each cross-correlation is about ``N(0, 1/n)``
   under independence whatever the target's own autocorrelation, a unit root included, and a
   relation keeps its lag (differencing the target alone would turn ``y_t = b x_t`` into
   ``dy_t = b (x_t - x_{t-1})``, a spurious opposite-signed lag 1);
2. the raw (same differences, no AR filter) and the prewhitened cross-correlation at lags
   ``-L ... L``, their bands, the lags significant after a Bonferroni correction for the
   ``2L + 1`` lags tested, and the lead (:mod:`forecast.diagnostics.crosscorr`). When the target
   needs more differences than the driver and step 1 finds nothing, the target's changes are
   cross-correlated with the driver as it is (a price that rises after each freeze), unless
   they show the mark of a level relation (opposite signs at two adjacent lags), then both
   differenced as the target needs (a level relation under the target's own trend); each of
   the three readings at ``alpha / 3``;
3. a Granger test with lags chosen by AIC (:mod:`forecast.diagnostics.granger`) on stationary
   transforms: the target differenced as its diagnosis suggests (``ndiffs``), the driver as its
   own;
4. a reading in words (:func:`forecast.diagnostics.readings.driver_reading`).

Sub-daily series (several steps a day, at least :data:`MIN_DAYS` days) are analysed twice: at
their own step, and as daily means (:func:`daily_means`), where a same-day relation lives. On
long series (half-hourly for a year: n = 17,520) the corrected band shrinks to about ±0.03, so
correlations of 0.05 pass it, and prewhitening a near-deterministic daily cycle by its AR filter
leaves little of the same-day relation; the daily analysis is kept in ``daily`` and the reading
speaks at the day scale. When every significant correlation at the sub-daily step is below
:data:`MIN_SUBDAILY_EFFECT` in size, that step names no lead (``lead`` None, ``relation``
``"weak"``): the table, the JSON and the sentence then agree that the relation is read from the
daily means.

Lag convention: ``corr(y_t, x_{t-k})``; a positive ``k`` means the driver leads the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.diagnostics.crosscorr import MIN_SUBDAILY_EFFECT, prewhitened_cross_correlation
from forecast.diagnostics.granger import granger_test
from forecast.diagnostics.prepare import prepare_values
from forecast.diagnostics.stationarity import ndiffs
from forecast.errors import DataError

__all__ = [
    "DRIVER_KEYS",
    "MIN_DAYS",
    "DriverAnalysis",
    "analyse_driver",
    "analyse_drivers",
    "daily_means",
    "steps_per_day",
]

#: Days a sub-daily series needs for its daily-means analysis.
MIN_DAYS = 28


#: Keys of each driver object in the diagnosis JSON (``series[i]["drivers"][j]``).
DRIVER_KEYS = (
    "name",
    "known_in_advance",
    "lags",
    "ccf",
    "prewhitened_ccf",
    "band",
    "significant_lags",
    "lead",
    "granger_p",
    "reading",
)


@dataclass
class DriverAnalysis:
    """The lag analysis of one target and one driver.

    Attributes
    ----------
    name, target : str
        Driver and target (series id).
    known_in_advance : bool
        From the data model (``report.drivers``).
    lags : list of int
        ``-L ... L``.
    ccf, prewhitened_ccf : list of float
        Raw and prewhitened cross-correlations, aligned with ``lags``, in [-1, 1].
    band : float
        ``1.96 / sqrt(n)`` of the prewhitened pairs (the plotted 5 % band).
    band_corrected : float
        The band a lag must clear to count as significant (Bonferroni over the lags).
    raw_band : float
        ``1.96 / sqrt(n)`` of the raw pairs.
    significant_lags : list of int
        Prewhitened lags beyond ``band_corrected``.
    raw_significant_lags : list of int
        Raw lags beyond ``raw_band`` (spurious ones included: shown for comparison).
    lead : int or None
        ``k >= 0`` of the strongest significant prewhitened correlation; None when none.
    strongest : int or None
        Lag of the strongest significant one, negative included.
    relation : str
        ``contemporaneous``, ``lagged``, ``target leads`` or ``absent``; ``weak`` for a
        sub-daily step whose significant correlations are all below
        :data:`MIN_SUBDAILY_EFFECT` in size (its lead is then None).
    granger_p : float or None
        p-value of the Granger F test (None when it could not run).
    granger_lags : int or None
        Its lag order (AIC).
    differences : dict
        ``{"target": d_y, "driver": d_x, "ccf": [a, b]}``: the differences each needs (KPSS),
        and those the cross-correlations were computed on (``[d_x, d_x]``; when the target
        needs more and that finds nothing, ``[d_y, d_x]`` then ``[d_y, d_y]``); the Granger test
        takes each by its own.
    prewhitening_lags : list of int
        AR lags of the filter fitted to the driver.
    n : int
        Pairs behind the prewhitened correlations.
    reading : str
        The relation in words (at the day scale when ``daily`` is set).
    daily : DriverAnalysis or None
        Sub-daily series only: the same analysis on daily means (lags in days); in JSON as a
        nested object with the same keys.
    y_values, x_values : ndarray, shape (m,)
        Target and driver as cross-correlated (for the lagged scatter); not in JSON.
    """

    name: str
    target: str
    known_in_advance: bool
    lags: list
    ccf: list
    prewhitened_ccf: list
    band: float
    band_corrected: float
    raw_band: float
    significant_lags: list
    raw_significant_lags: list
    lead: int | None
    strongest: int | None
    relation: str
    granger_p: float | None
    granger_lags: int | None
    differences: dict
    prewhitening_lags: list
    n: int
    reading: str = ""
    daily: DriverAnalysis | None = None
    y_values: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    x_values: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def to_dict(self) -> dict:
        """JSON-ready dict: the keys of :data:`DRIVER_KEYS`, then the details."""
        out = {
            k: getattr(self, k)
            for k in self.__dataclass_fields__
            if k not in ("y_values", "x_values", "daily")
        }
        out["daily"] = self.daily.to_dict() if self.daily is not None else None
        return {k: out.pop(k) for k in DRIVER_KEYS} | out


def steps_per_day(freq: str | None) -> int | None:
    """Steps in a day of a fixed sub-daily frequency (``"30min"`` gives 48); None otherwise."""
    if not freq:
        return None
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        return None
    if not isinstance(offset, pd.tseries.offsets.Tick):
        return None
    step = pd.Timedelta(offset)
    per_day = pd.Timedelta(days=1) / step
    return int(per_day) if per_day >= 2 and float(per_day).is_integer() else None


def daily_means(g: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Daily means of a sub-daily series: one row per calendar day of ``ds``.

    Parameters
    ----------
    g : DataFrame
        One series: ``ds`` and ``columns``.
    columns : list of str
        Columns to average (NaN ignored).

    Returns
    -------
    DataFrame
        ``ds`` (midnight of each day) and ``columns``, shape (days, 1 + len(columns)).
    """
    return g.groupby(g["ds"].dt.normalize())[columns].mean().reset_index()


def _difference(x: np.ndarray, d: int) -> np.ndarray:
    return np.diff(x, n=d) if d else x


def _differenced_level(cc) -> bool:
    """The strongest lag has a neighbour of opposite sign and at least half its size: the mark
    of a level relation ``y_t = b x_{t-k}`` read on the target's changes alone, where it becomes
    ``dy_t = b (x_{t-k} - x_{t-k-1})``."""
    k = cc.strongest
    if k is None:
        return False
    r = cc.value_at(k)
    for j in (k - 1, k + 1):
        if abs(j) <= len(cc.lags) // 2:
            other = cc.value_at(j)
            if other * r < 0 and abs(other) >= 0.5 * abs(r):
                return True
    return False


def analyse_driver(
    y: np.ndarray,
    x: np.ndarray,
    *,
    name: str,
    target: str = "y",
    freq: str | None = None,
    season: int | None = None,
    d_target: int | None = None,
    known_in_advance: bool = False,
    nlags: int | None = None,
    alpha: float = 0.05,
) -> DriverAnalysis:
    """Lag analysis of one target and one driver.

    Parameters
    ----------
    y, x : ndarray of float, shape (n,)
        Target and driver on the same grid (NaN gaps are interpolated for the analysis).
    name, target : str
        Driver and target names, for the reading.
    freq : str, optional
        Offset alias (the unit of the reading: day, month...).
    season : int, optional
        Seasonal period (the default number of lags and the AR filter's reach).
    d_target : int, optional
        Differences of the target (the diagnosis's ``ndiffs``); computed when None.
    known_in_advance : bool
        From the data model.
    nlags : int, optional
        Lags each side of 0.
    alpha : float
        Level of the significant lags (family-wise) and of the Granger reading.

    Returns
    -------
    DriverAnalysis

    Raises
    ------
    DataError
        Fewer than 8 points after differencing.
    """
    from forecast.diagnostics.readings import driver_reading

    yv = prepare_values(np.asarray(y, dtype="float64")).values
    xv = prepare_values(np.asarray(x, dtype="float64")).values
    if d_target is None:
        d_target = ndiffs(yv)
    d_driver = ndiffs(xv) if np.std(xv) > 0 else 0
    d_target = int(d_target)
    # Granger, and the second reading of the CCF: each series by its own differences
    yd, xd = _difference(yv, d_target), _difference(xv, d_driver)
    m = min(len(yd), len(xd))
    yd, xd = yd[-m:], xd[-m:]
    # the CCF: the driver's ARIMA filter (its differences, then its AR) applied to both series.
    # When the target needs more differences, the relation may be in the target's changes (a
    # price that rises after each freeze: the target at d_y, the driver at d_x), or a level
    # relation may drown in the target's own trend (then both are differenced d_y times). Those
    # readings are tried in this order while none finds a significant lag, each at alpha / tries,
    # so that two independent series show a lead in at most alpha of cases.
    plans = [(d_driver, d_driver)]
    if d_target > d_driver:
        plans += [(d_target, d_driver), (d_target, d_target)]
    cc = yc = xc = None
    for dy, dx in plans:
        ya, xa = _difference(yv, dy), _difference(xv, dx)
        k = min(len(ya), len(xa))
        ya, xa = ya[-k:], xa[-k:]
        found = prewhitened_cross_correlation(
            ya, xa, nlags=nlags, season=season, alpha=alpha / len(plans)
        )
        usable = bool(found.significant_lags)
        if usable and dy > dx and _differenced_level(found):
            usable = False  # y_t = b x_t read in changes: +b, -b at two adjacent lags
        if cc is None or usable:
            cc, yc, xc, ccf_diffs = found, ya, xa, [dy, dx]
            if nlags is None:
                nlags = len(found.lags) // 2  # the same lags for every reading
        if usable:
            break
    granger = granger_test(yd, xd, maxlag=max(4, min(2 * (season or 1), 24)))
    out = DriverAnalysis(
        name=name,
        target=target,
        known_in_advance=bool(known_in_advance),
        lags=[int(k) for k in cc.lags],
        ccf=[float(v) for v in cc.ccf],
        prewhitened_ccf=[float(v) for v in cc.prewhitened_ccf],
        band=cc.band,
        band_corrected=cc.band_corrected,
        raw_band=cc.raw_band,
        significant_lags=cc.significant_lags,
        raw_significant_lags=cc.raw_significant_lags,
        lead=cc.lead,
        strongest=cc.strongest,
        relation=cc.relation,
        granger_p=granger["pvalue"],
        granger_lags=granger["lags"],
        differences={"target": d_target, "driver": int(d_driver), "ccf": ccf_diffs},
        prewhitening_lags=cc.ar_lags,
        n=cc.n,
        y_values=yc,
        x_values=xc,
    )
    out.reading = driver_reading(out, freq=freq, alpha=alpha)
    return out


def _weak_to_none(a: DriverAnalysis) -> None:
    """A sub-daily step whose significant correlations are all smaller than
    :data:`MIN_SUBDAILY_EFFECT` names no lead (``strongest`` is kept for the reading)."""
    if a.strongest is None:
        return
    r = dict(zip(a.lags, a.prewhitened_ccf, strict=True))
    if abs(r[a.strongest]) < MIN_SUBDAILY_EFFECT:
        a.lead, a.relation = None, "weak"


def analyse_drivers(
    df: pd.DataFrame,
    diagnoses: list | None = None,
    *,
    drivers: list[str] | None = None,
    known_in_advance: dict[str, bool] | None = None,
    nlags: int | None = None,
    alpha: float = 0.05,
) -> dict[str, list[DriverAnalysis]]:
    """Lag analysis of every driver for every series of a long frame.

    Parameters
    ----------
    df : DataFrame
        ``unique_id, ds, y, <drivers>`` (from :func:`forecast.ingest.reader.read_csv` with
        drivers).
    diagnoses : list of SeriesDiagnosis, optional
        The series' diagnoses (their ``ndiffs`` and seasonal period are used); computed when None.
    drivers : list of str, optional
        Drivers to analyse (default :func:`forecast.ingest.frame.driver_columns`).
    known_in_advance : dict of str to bool, optional
        Per driver, from ``report.drivers``.
    nlags : int, optional
        Lags each side of 0.
    alpha : float
        Significance level.

    Returns
    -------
    dict of str to list of DriverAnalysis
        Per series id, one analysis per driver in order.

    Raises
    ------
    DataError
        No drivers in the frame, a driver not in it, or a series too short (the message names
        the series and the driver).
    """
    from forecast.calendar.frequency import frame_freq
    from forecast.diagnostics.diagnosis import diagnose
    from forecast.diagnostics.readings import driver_reading
    from forecast.ingest.frame import driver_columns

    names = list(drivers) if drivers is not None else driver_columns(df)
    if not names:
        raise DataError(
            "The frame has no driver columns; read the file with drivers (--drivers COL,...)."
        )
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise DataError(f"Drivers {missing} are not columns of the frame.")
    if diagnoses is None:
        diagnoses = diagnose(df[["unique_id", "ds", "y"]].copy())
    by_id = {d.unique_id: d for d in diagnoses}
    freq = frame_freq(df)
    known = known_in_advance or {}
    out: dict[str, list[DriverAnalysis]] = {}
    per_day = steps_per_day(freq)
    for uid, g in df.groupby("unique_id", sort=True):
        g = g.sort_values("ds")
        diag = by_id.get(str(uid))
        day = None
        if per_day is not None:
            day = daily_means(g, ["y", *names])
            if len(day) < MIN_DAYS:
                day = None
        results = []
        for name in names:
            try:
                results.append(
                    analyse_driver(
                        g["y"].to_numpy(),
                        g[name].to_numpy(),
                        name=name,
                        target=str(uid),
                        freq=freq,
                        season=diag.seasonal_period if diag else None,
                        d_target=diag.ndiffs if diag else None,
                        known_in_advance=known.get(name, False),
                        nlags=nlags,
                        alpha=alpha,
                    )
                )
                if day is not None:
                    a = results[-1]
                    _weak_to_none(a)
                    a.daily = analyse_driver(
                        day["y"].to_numpy(),
                        day[name].to_numpy(),
                        name=name,
                        target=str(uid),
                        freq="D",
                        season=7,
                        known_in_advance=known.get(name, False),
                        alpha=alpha,
                    )
                    a.reading = driver_reading(a, freq=freq, alpha=alpha)
            except DataError as exc:
                raise DataError(f"Series '{uid}', driver '{name}': {exc}") from exc
        out[str(uid)] = results
    return out
