"""Is there structure left in a model's residuals? R's ``checkresiduals`` with a plain verdict.

:func:`residual_check` runs, on the in-sample one-step-ahead residuals of one series:

- Ljung-Box at lags 10 and ``2m`` (each capped at ``n/5``), degrees of freedom reduced by the
  number of fitted ARMA parameters; the two p-values are combined by Bonferroni
  (``p = min(1, k * min p_i)``), so the false-alarm rate on white noise stays at or below
  ``alpha`` (measured ≈ 4% at ``alpha = 0.05``, see ``tests/test_residuals.py``);
- the residual ACF with the white-noise band ``±z / sqrt(n)``;
- Jarque–Bera normality and a one-sample t-test of mean zero;
- a verdict in words: ``"no autocorrelation left"`` or ``"structure left at lags 1, 12 — the
  model missed the seasonal pattern"``.

:func:`combine_checks` folds the checks of many series into one per model (Bonferroni over
series), as the leaderboard needs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.stattools import acf

from forecast.diagnostics.prepare import unit_scale
from forecast.diagnostics.pvalues import pvalue_text

__all__ = ["ResidualCheck", "combine_checks", "ljung_box_lags", "residual_check"]


@dataclass
class ResidualCheck:
    """Outcome of :func:`residual_check` for one series (JSON-ready through :meth:`to_dict`).

    Attributes
    ----------
    n : int
        Number of finite residuals used.
    white : bool or None
        True when no autocorrelation is detected (None: too few residuals to test).
    pvalue : float
        Bonferroni-combined Ljung-Box p-value over ``ljung_box`` lags (NaN if untested).
    verdict : str
        One sentence for people.
    ljung_box : list of dict
        ``{"lag", "stat", "pvalue", "dof"}`` per tested lag.
    lags, acf : list
        Residual autocorrelation at lags 1..K.
    band : float
        Half-width of the white-noise band (``z / sqrt(n)``).
    significant_lags : list of int
        Lags whose ACF leaves the band.
    outside_lags : list of int
        Significant lags up to the largest Ljung-Box lag: while any is listed the verdict never
        says "no autocorrelation left", even when Ljung-Box finds none jointly.
    mean, mean_pvalue : float
        Residual mean and the t-test p-value of mean zero.
    jarque_bera_pvalue : float
        Normality p-value; ``normal`` and ``mean_zero`` are the tests' decisions at ``alpha``.
    """

    n: int
    white: bool | None
    pvalue: float
    verdict: str
    m: int = 1
    fitted_params: int = 0
    alpha: float = 0.05
    ljung_box: list[dict] = field(default_factory=list)
    lags: list[int] = field(default_factory=list)
    acf: list[float] = field(default_factory=list)
    band: float = float("nan")
    significant_lags: list[int] = field(default_factory=list)
    outside_lags: list[int] = field(default_factory=list)
    mean: float = float("nan")
    mean_pvalue: float = float("nan")
    mean_zero: bool | None = None
    jarque_bera_pvalue: float = float("nan")
    normal: bool | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict (NaN stays float NaN; ``print_json`` writes it as null)."""
        return asdict(self)


def ljung_box_lags(n: int, m: int, fitted_params: int = 0) -> list[int]:
    """Lags at which Ljung-Box is run: 10 and ``2m``, each capped at ``n // 5``.

    Lags not above ``fitted_params`` (no degrees of freedom left) are dropped.

    Parameters
    ----------
    n : int
        Number of residuals.
    m : int
        Seasonal period (1: non-seasonal, only lag 10).
    fitted_params : int
        Number of fitted ARMA parameters.

    Returns
    -------
    list of int
        Sorted distinct lags (possibly empty for very short series).
    """
    cap = max(n // 5, 1)
    wanted = [10] if m <= 1 else [10, 2 * m]
    lags = sorted({min(lag, cap) for lag in wanted})
    return [lag for lag in lags if lag > fitted_params and lag < n]


def _verdict_tail(significant: list[int], acf_values, m: int) -> str:
    """What the pattern of significant lags suggests the model missed, in words."""
    reasons = []
    run = 0
    while run + 1 in significant:
        run += 1
    seasonal = (
        m > 1
        and (m in significant or 2 * m in significant)
        and len(acf_values) >= m
        and abs(acf_values[m - 1]) >= abs(acf_values[m - 2])
    )
    if run >= 5:
        reasons.append("a trend or slowly moving level (try differencing or drift)")
    elif run >= 1:
        reasons.append("short-term dependence (an AR or MA term)")
    if seasonal:
        reasons.append("the seasonal pattern")
    if not reasons:
        one = len(significant) <= 1
        return f"correlation at {'this lag' if one else 'these lags'} is unexplained"
    return "the model missed " + " and ".join(reasons)


def residual_check(
    residuals,
    m: int = 1,
    fitted_params: int = 0,
    *,
    alpha: float = 0.05,
    nlags: int | None = None,
) -> ResidualCheck:
    """Check one series' residuals for autocorrelation, bias and normality.

    Parameters
    ----------
    residuals : array-like of shape (n,)
        In-sample one-step-ahead residuals; NaNs (e.g. the first ``m`` of seasonal naive) are
        dropped.
    m : int
        Seasonal period in steps.
    fitted_params : int
        Number of fitted ARMA parameters (p + q + P + Q), subtracted from the Ljung-Box dof.
    alpha : float
        Significance level of every test.
    nlags : int, optional
        Lags of the reported ACF; default ``max(10, 2m)`` capped at ``n - 1``.

    Returns
    -------
    ResidualCheck

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> residual_check(rng.normal(size=200), m=12).verdict.startswith("no autocorrelation")
    True
    """
    r = np.asarray(residuals, dtype=float)
    r = r[np.isfinite(r)]
    n = len(r)
    m = max(int(m or 1), 1)
    base = ResidualCheck(
        n=n,
        white=None,
        pvalue=float("nan"),
        verdict="",
        m=m,
        fitted_params=int(fitted_params),
        alpha=alpha,
    )
    if n < 8 or np.allclose(r, r[0] if n else 0.0):
        base.verdict = (
            f"too few residuals to check ({n})"
            if n < 8
            else "residuals are constant; nothing to test"
        )
        return base
    base.mean = float(np.mean(r))
    r = r * unit_scale(r)  # exact; keeps squares of huge or tiny residuals finite and non-zero
    k = min(nlags or max(10, 2 * m), n - 1)
    values = np.clip(acf(r, nlags=k, fft=True)[1:], -1.0, 1.0)  # clipping only undoes rounding
    band = float(stats.norm.ppf(1 - alpha / 2) / np.sqrt(n))
    base.lags = list(range(1, k + 1))
    base.acf = [float(v) for v in values]
    base.band = band
    base.significant_lags = [lag for lag, v in zip(base.lags, values, strict=True) if abs(v) > band]
    base.mean_pvalue = float(stats.ttest_1samp(r, 0.0).pvalue)
    base.mean_zero = bool(base.mean_pvalue >= alpha)
    base.jarque_bera_pvalue = float(stats.jarque_bera(r).pvalue)
    base.normal = bool(base.jarque_bera_pvalue >= alpha)

    lb_lags = ljung_box_lags(n, m, int(fitted_params))
    if not lb_lags:
        base.verdict = (
            f"too few residuals ({n}) for a Ljung-Box test with {fitted_params} parameters"
        )
        return base
    table = acorr_ljungbox(r, lags=lb_lags, model_df=int(fitted_params))
    for lag, row in zip(lb_lags, table.itertuples(), strict=True):
        base.ljung_box.append(
            {
                "lag": int(lag),
                "stat": float(row.lb_stat),
                "pvalue": float(row.lb_pvalue),
                "dof": int(lag - fitted_params),
            }
        )
    pmin = min(row["pvalue"] for row in base.ljung_box)
    base.pvalue = float(min(1.0, len(base.ljung_box) * pmin))
    base.white = bool(base.pvalue >= alpha)
    lags = [str(row["lag"]) for row in base.ljung_box]
    lag_text = ("lag " if len(lags) == 1 else "lags ") + ", ".join(lags)
    outside = [lag for lag in base.significant_lags if lag <= max(lb_lags)]
    base.outside_lags = outside
    if base.white and not outside:
        base.verdict = (
            f"no autocorrelation left (Ljung-Box p {_p_clause(base.pvalue)} at {lag_text})"
        )
    elif base.white:
        where = ("lag " if len(outside) == 1 else "lags ") + ", ".join(map(str, outside[:6]))
        base.verdict = (
            f"little autocorrelation left: Ljung-Box finds none jointly (p {_p_clause(base.pvalue)}"
            f" at {lag_text}), but the residual ACF leaves its band at {where}"
        )
    else:
        shown = sorted(base.significant_lags, key=lambda lag: -abs(values[lag - 1]))[:6] or [
            base.ljung_box[0]["lag"]
        ]
        shown = sorted(shown)
        where = ("lag " if len(shown) == 1 else "lags ") + ", ".join(map(str, shown))
        tail = _verdict_tail(base.significant_lags, values, m)
        base.verdict = f"structure left at {where} — {tail} (Ljung-Box p {_p_clause(base.pvalue)})"
    if base.mean_zero is False:
        base.verdict += f"; residual mean {base.mean:.3g} is not zero (biased forecasts)"
    if base.normal is False:
        base.verdict += "; residuals are not normal, so normal intervals may be off"
    return base


def combine_checks(checks: dict[str, ResidualCheck], *, alpha: float = 0.05) -> dict:
    """Fold per-series checks into one model-level summary (Bonferroni over series).

    Parameters
    ----------
    checks : dict of str to ResidualCheck
        One check per series.
    alpha : float
        Family-wise significance level.

    Returns
    -------
    dict
        JSON-ready: ``pvalue`` (min over series of the series p-value times the number of
        tested series, capped at 1), ``white``, ``verdict``, ``n_series``, ``n_white``, the
        worst series' ``unique_id``, ``acf``, ``lags``, ``band`` and ``ljung_box`` table, and
        ``series`` (uid -> the full per-series dict).
    """
    tested = {uid: c for uid, c in checks.items() if c.white is not None}
    out: dict = {
        "n_series": len(checks),
        "n_white": sum(bool(c.white) for c in tested.values()),
        "series": {uid: c.to_dict() for uid, c in checks.items()},
    }
    if not tested:
        first = next(iter(checks.values()), None)
        out.update(
            pvalue=float("nan"),
            white=None,
            verdict=first.verdict if first else "no residuals",
            unique_id=next(iter(checks), None),
            lags=[],
            acf=[],
            band=float("nan"),
            ljung_box=[],
        )
        return out
    worst_uid = min(tested, key=lambda uid: tested[uid].pvalue)
    worst = tested[worst_uid]
    pvalue = float(min(1.0, len(tested) * worst.pvalue))
    white = bool(pvalue >= alpha)
    if len(checks) == 1:
        verdict = worst.verdict
    elif white:
        banded = [uid for uid, c in tested.items() if c.outside_lags]
        verdict = (
            f"no autocorrelation left in any of {len(tested)} series (combined p "
            f"{_p_clause(pvalue)})"
            if not banded
            else f"Ljung-Box finds no autocorrelation in any of {len(tested)} series (combined p "
            f"{_p_clause(pvalue)}), but in {len(banded)} the residual ACF leaves its band at a "
            "tested lag"
        )
    else:
        verdict = (
            f"{len(tested) - out['n_white']} of {len(tested)} series keep structure; worst "
            f"'{worst_uid}': {worst.verdict}"
        )
    out.update(
        pvalue=pvalue,
        white=white,
        verdict=verdict,
        unique_id=worst_uid,
        lags=worst.lags,
        acf=worst.acf,
        band=worst.band,
        ljung_box=worst.ljung_box,
    )
    return out


def _p_clause(p: float) -> str:
    """``= 0.0312`` or ``< 1e-300`` (an underflowed p-value is never written as 0)."""
    text = pvalue_text(p)
    return text if text.startswith("<") else f"= {text}"
