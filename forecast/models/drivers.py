"""Drivers in and out of a model: the history's driver values, the future's, and the regression.

The estimator contract with drivers (see :mod:`forecast.models.base`):

- ``fit(df)`` with ``df = unique_id, ds, y, <drivers>``; the drivers are
  :func:`forecast.ingest.frame.driver_columns` of ``df``, known in advance unless named observed
  only (:func:`forecast.ingest.frame.observed_drivers`);
- ``predict(h, level=80, X_future=None)`` with ``X_future`` a long frame ``unique_id, ds,
  <known drivers>`` covering the ``h`` steps after each series' last timestamp. A model that uses
  known-in-advance drivers refuses a missing, short, gapped or non-numeric ``X_future`` with a
  :class:`~forecast.errors.DataError` saying what is missing and where.

:class:`LinearDrivers` is the regression half of "dynamic regression" (Hyndman &
Athanasopoulos, *FPP*, ch. 10): ``y`` on the drivers with AR(1) errors (feasible GLS), series
by series; a univariate model forecasts what the regression leaves and the forecast adds
``X_future @ coef`` back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.calendar.frequency import future_dates
from forecast.errors import DataError
from forecast.ingest.frame import driver_columns, known_drivers, observed_drivers

__all__ = [
    "METHOD",
    "METHODS",
    "LinearDrivers",
    "fit_drivers",
    "future_drivers",
    "history_drivers",
]


#: How :meth:`LinearDrivers.fit` estimates the drivers' effect: ``"ar1"`` (levels, AR(1) errors),
#: ``"diff"`` (first differences when the regression's residuals need them, KPSS), ``"arima"``
#: (statsforecast's AutoARIMA with the drivers: regression with ARIMA errors).
METHODS = ("ar1", "diff", "arima")
METHOD = "ar1"

_ARIMA_CACHE: dict[tuple, LinearDrivers | None] = {}


def _arima_effects(y: np.ndarray, X: np.ndarray, m: int) -> LinearDrivers | None:
    """The drivers' coefficients of a regression with ARIMA errors (None where it fails)."""
    import hashlib

    key = (hashlib.sha1(y.tobytes() + X.tobytes()).hexdigest(), X.shape, int(m))
    if key in _ARIMA_CACHE:
        return _ARIMA_CACHE[key]
    from forecast.models.statistical.arima_fits import StatsforecastFit

    m_eff = m if 1 < m <= 24 and len(y) >= 2 * m + 2 else 1
    out = None
    try:
        fit = StatsforecastFit.fit(y, m_eff, X=X)
        if fit.takes_drivers:
            coef, se = fit.effects()
            if len(coef) == X.shape[1] and np.isfinite(coef).all():
                intercept = float(np.mean(y - X @ coef))
                out = LinearDrivers(np.r_[intercept, coef], np.r_[np.nan, se])
    except Exception:  # collinear or constant drivers: the caller's fallback
        out = None
    if len(_ARIMA_CACHE) > 64:
        _ARIMA_CACHE.clear()
    _ARIMA_CACHE[key] = out
    return out


def fit_drivers(df: pd.DataFrame, accepted: Sequence[str]) -> list[str]:
    """The drivers of ``df`` a model with capability ``accepted`` uses (known ones only for
    ``("known",)``, observed-only ones too for ``("known", "observed")``), in frame order.

    Parameters
    ----------
    df : DataFrame
        The frame given to ``fit``.
    accepted : sequence of {"known", "observed"}
        The model class's ``drivers_accepted``.

    Returns
    -------
    list of str
    """
    known = set(known_drivers(df)) if "known" in accepted else set()
    observed = set(observed_drivers(df)) if "observed" in accepted else set()
    return [c for c in driver_columns(df) if c in known or c in observed]


def history_drivers(df: pd.DataFrame, names: Sequence[str], *, model: str) -> dict[str, np.ndarray]:
    """Per series, the driver values over the history.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y, <names>`` sorted by series then time.
    names : sequence of str
        Driver columns.
    model : str
        Model name for messages.

    Returns
    -------
    dict of str to ndarray of shape (n_i, len(names))

    Raises
    ------
    DataError
        A driver value is missing or infinite.
    """
    names = list(names)
    values = df[names].to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise DataError(
            f"{model}: driver '{names[col]}' has {int(bad[:, col].sum())} missing or infinite "
            f"values in the history (first in series '{df['unique_id'].iloc[row]}' at "
            f"{df['ds'].iloc[row]}); fill them (fill='interpolate' or 'ffill' when reading) "
            "or drop the driver."
        )
    out = {}
    codes = df["unique_id"].astype(str).to_numpy()
    for uid in pd.unique(codes):
        out[str(uid)] = values[codes == uid]
    return out


def future_drivers(
    X_future: pd.DataFrame | None,
    names: Sequence[str],
    last_ds: dict[str, pd.Timestamp],
    freq: str,
    h: int,
    *,
    model: str,
) -> dict[str, np.ndarray]:
    """Per series, the known drivers over the ``h`` steps after its last timestamp.

    Parameters
    ----------
    X_future : DataFrame or None
        Long frame ``unique_id, ds, <names>``; rows beyond the ``h`` steps are ignored.
    names : sequence of str
        Known-in-advance drivers the model was fitted with.
    last_ds : dict of str to Timestamp
        Last training timestamp per series.
    freq : str
        Offset alias of the series.
    h : int
        Horizon in steps.
    model : str
        Model name for messages.

    Returns
    -------
    dict of str to ndarray of shape (h, len(names))

    Raises
    ------
    DataError
        ``X_future`` missing, lacking a driver column or ``unique_id``/``ds``, holding
        non-numeric or missing values, or not covering every step of every series.
    """
    names = list(names)
    listed = ", ".join(names)
    if X_future is None:
        raise DataError(
            f"{model} was fitted with the known-in-advance drivers {listed}; pass their future "
            f"values for the {h} steps after each series' end (X_future: unique_id, ds, {listed})."
        )
    missing = [c for c in ("unique_id", "ds", *names) if c not in X_future.columns]
    if missing:
        raise DataError(
            f"{model}: the future drivers lack column(s) {', '.join(missing)}; the model was "
            f"fitted with {listed} and needs each over the {h} forecast steps."
        )
    for c in names:
        if not (
            pd.api.types.is_numeric_dtype(X_future[c]) or pd.api.types.is_bool_dtype(X_future[c])
        ):
            raise DataError(
                f"{model}: future driver '{c}' is not numeric (e.g. {X_future[c].iloc[0]!r}); "
                "give numbers."
            )
    frame = X_future.assign(
        unique_id=X_future["unique_id"].astype(str), ds=pd.to_datetime(X_future["ds"])
    )
    if frame.duplicated(["unique_id", "ds"]).any():
        dup = frame.loc[frame.duplicated(["unique_id", "ds"])].iloc[0]
        raise DataError(
            f"{model}: the future drivers hold {dup['ds']} twice for series "
            f"'{dup['unique_id']}'; give one row per series and time."
        )
    indexed = frame.set_index(["unique_id", "ds"])[names]
    out = {}
    for uid, last in last_ds.items():
        dates = future_dates(pd.Timestamp(last), h, freq)
        keys = pd.MultiIndex.from_arrays([[str(uid)] * h, dates])
        rows = indexed.reindex(keys)
        values = rows.to_numpy(dtype=float)
        gone = ~np.isfinite(values)
        if gone.any():
            step, col = (int(v[0]) for v in np.nonzero(gone))
            have = int(np.isfinite(values).all(axis=1).sum())
            raise DataError(
                f"{model}: the future of driver '{names[col]}' for series '{uid}' has no value "
                f"at {dates[step]} (step {step + 1} of {h}; {have} of {h} steps complete); "
                f"give every known driver for each of the {h} steps after {pd.Timestamp(last)}."
            )
        out[str(uid)] = values
    return out


class LinearDrivers:
    """Regression of one series on its drivers (with an intercept), errors AR(1).

    Estimated by feasible GLS (Cochrane–Orcutt): least squares, the lag-1 autocorrelation
    ``rho`` of its residuals, least squares again on the quasi-differences ``y_t - rho y_{t-1}``
    and ``x_t - rho x_{t-1}``, three rounds. A forecastable series has autocorrelated errors
    around the regression; plain least squares in levels then weighs the drivers badly
    (``rho`` near 1 is regression on first differences, ``rho`` 0 plain least squares).

    Parameters
    ----------
    coef : ndarray of shape (k + 1,)
        Intercept first, then one coefficient per driver (units of ``y`` per unit of driver).
    se : ndarray of shape (k + 1,)
        Their standard errors (NaN where the design is rank-deficient).
    rho : float
        The errors' lag-1 autocorrelation used in the last round (0 ... 0.99).
    """

    def __init__(self, coef: np.ndarray, se: np.ndarray, rho: float = 0.0) -> None:
        self.coef = np.asarray(coef, dtype=float)
        self.se = np.asarray(se, dtype=float)
        self.rho = float(rho)

    @staticmethod
    def _ols(y: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        coef, _res, rank, _sv = np.linalg.lstsq(design, y, rcond=None)
        se = np.full(len(coef), np.nan)
        dof = len(y) - rank
        if rank == design.shape[1] and dof > 0:
            resid = y - design @ coef
            sigma2 = float(resid @ resid) / dof
            cov = sigma2 * np.linalg.pinv(design.T @ design)
            se = np.sqrt(np.clip(np.diag(cov), 0, None))
        return coef, se

    @classmethod
    def _ar1(cls, y: np.ndarray, design: np.ndarray, rounds: int) -> LinearDrivers:
        """Feasible GLS with AR(1) errors on ``y`` (n,) and ``design`` (n, k + 1)."""
        coef, se = cls._ols(y, design)
        rho = 0.0
        if len(y) < design.shape[1] + 4:
            return cls(coef, se, rho)
        for _ in range(rounds):
            e = y - design @ coef
            denom = float(e[:-1] @ e[:-1])
            rho = float(np.clip((e[1:] @ e[:-1]) / denom, 0.0, 0.99)) if denom > 0 else 0.0
            quasi = design[1:] - rho * design[:-1]
            coef, se = cls._ols(y[1:] - rho * y[:-1], quasi)
            if not np.isfinite(coef).all():
                return cls(*cls._ols(y, design), 0.0)
        return cls(coef, se, rho)

    @classmethod
    def fit(
        cls, y: np.ndarray, X: np.ndarray, rounds: int = 3, *, m: int = 1, method: str | None = None
    ) -> LinearDrivers:
        """Estimate on ``y`` of shape (n,) and ``X`` of shape (n, k); ``m`` the season (steps),
        ``method`` one of :data:`METHODS` (default :data:`METHOD`)."""
        y = np.asarray(y, dtype=float)
        X = np.asarray(X, dtype=float).reshape(len(y), -1)
        design = np.column_stack([np.ones(len(y)), X])
        method = METHOD if method is None else method
        if method == "arima":
            fitted = _arima_effects(y, X, m)
            if fitted is not None:
                return fitted
            method = "diff"
        if method == "diff" and len(y) >= design.shape[1] + 8:
            from forecast.diagnostics.stationarity import ndiffs

            coef, _se = cls._ols(y, design)
            if np.isfinite(coef).all() and ndiffs(y - design @ coef, max_d=1) == 1:
                lin = cls._ar1(
                    np.diff(y), np.column_stack([design[1:, :1], np.diff(X, axis=0)]), rounds
                )
                if np.isfinite(lin.coef).all():
                    lin.coef[0] = float(np.mean(y - X @ lin.coef[1:]))
                    return lin
        return cls._ar1(y, design, rounds)

    def effect(self, X: np.ndarray) -> np.ndarray:
        """The drivers' part of ``y`` for ``X`` of shape (n, k): ``X @ coef[1:]``, shape (n,).

        The intercept stays with the series, so what the drivers leave keeps the level (and
        sign) of ``y`` for the univariate model that forecasts it."""
        return np.asarray(X, dtype=float) @ self.coef[1:]
