"""``auto`` as an estimator: the recommended combination, usable on its own.

In a job, ``auto`` is built by the pipeline from the other models' backtests and refits
(:mod:`forecast.run.combination`; nothing is fitted twice). This class is the same procedure for
someone who wants the combination alone: ``fit`` backtests the candidates over rolling origins,
refits them, combines the best ``top_k`` per series and calibrates the intervals, by calling
:func:`forecast.run.pipeline.run_forecast`; ``predict`` returns the first ``h`` of the ``horizon``
steps forecast at fit time (at another interval level, the calibrated half-widths are rescaled
by the ratio of the normal quantiles). Model files hold the forecasts, the residuals and the
evidence (safetensors + JSON).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.errors import SpecError
from forecast.models.base import (
    FORECAST_COLUMNS,
    RESIDUAL_COLUMNS,
    Forecaster,
    Progress,
    ShouldStop,
    check_fitted,
    check_horizon,
    check_level,
)
from forecast.run.defaults import AUTO_DEFAULT_CANDIDATES, AUTO_RULE, AUTO_TOP_K, DEFAULT_WINDOWS

__all__ = ["Auto"]


class Auto(Forecaster):
    """Per series, the combination of the candidate models that backtest best.

    Parameters
    ----------
    horizon : int
        Steps forecast at fit time (``predict(h)`` takes ``h <= horizon``).
    candidates : sequence of str
        Models to choose from (default :data:`forecast.run.defaults.AUTO_DEFAULT_CANDIDATES`).
    top_k : int
        Members per series (default :data:`forecast.run.defaults.AUTO_TOP_K`).
    rule : {"mean", "median", "trimmed", "inverse"}
        How the members are combined (default :data:`forecast.run.defaults.AUTO_RULE`).
    windows : int
        Rolling origins of the backtest.
    level : float
        Interval level (percent) calibrated at fit time.

    Attributes
    ----------
    evidence_ : dict
        Members per series, their backtest errors, the candidates' residual verdicts.
    """

    name = "auto"
    label = "auto (combination of the best backtesters)"
    scope = "per_series"
    _fitted_attr = "forecasts_"

    def __init__(
        self,
        *,
        horizon: int = 12,
        candidates: Sequence[str] = AUTO_DEFAULT_CANDIDATES,
        top_k: int = AUTO_TOP_K,
        rule: str = AUTO_RULE,
        windows: int = DEFAULT_WINDOWS,
        level: float = 80,
    ) -> None:
        self.horizon = horizon
        self.candidates = candidates
        self.top_k = top_k
        self.rule = rule
        self.windows = windows
        self.level = level

    def fit(
        self,
        df: pd.DataFrame,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> Auto:
        """Backtest the candidates, refit them, combine the best per series.

        Returns
        -------
        self
        """
        from forecast.run.pipeline import run_forecast

        if "auto" in self.candidates:
            raise SpecError("auto: candidates cannot include auto itself.")
        # the estimator forecasts at fit time, before any future drivers exist: it takes none
        # (a job with drivers chooses with or without them per series: forecast.run.drivers)
        plain = df[["unique_id", "ds", "y"]].copy()
        plain.attrs.update({k: v for k, v in df.attrs.items() if k == "freq"})
        result = run_forecast(
            plain,
            horizon=self.horizon,
            models=[*self.candidates, "auto"],
            backtest_windows=self.windows,
            level=self.level,
            model_params={"auto": {"top_k": self.top_k, "rule": self.rule}},
            progress=progress,
            should_stop=should_stop,
        )
        row = result.leaderboard.set_index("model").loc["auto"]
        if isinstance(row["error"], str) and row["error"]:
            raise SpecError(row["error"])
        fc = result.forecasts
        self.forecasts_ = fc[fc["model"] == "auto"].reset_index(drop=True)
        self.residuals_ = result.residuals["auto"]
        self.n_params_ = {str(u): 0 for u in self.forecasts_["unique_id"].unique()}
        self.evidence_ = result.auto
        self.detail_ = row["detail"]
        return self

    def predict(
        self, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The first ``h`` steps of the combination (``h <= horizon``, ``level`` as fitted).

        Raises
        ------
        SpecError
            ``h`` beyond the fitted horizon, or a level other than the fitted one.
        """
        from forecast.models.statistical.naive import normal_quantile

        check_fitted(self, "forecasts_")
        h = check_horizon(h)
        level = check_level(level)
        if h > self.horizon:
            raise SpecError(f"auto was fitted for {self.horizon} steps; refit for h = {h}.")
        step = self.forecasts_.groupby("unique_id", sort=False).cumcount()
        out = self.forecasts_[step < h].reset_index(drop=True)
        if level != float(self.level):  # rescale the calibrated half-widths
            ratio = normal_quantile(level) / normal_quantile(self.level)
            out["lo"] = out["yhat"] - ratio * (out["yhat"] - out["lo"])
            out["hi"] = out["yhat"] + ratio * (out["hi"] - out["yhat"])
        return out

    def _fitted_state(self, folder) -> tuple[dict, dict[str, np.ndarray]]:
        fc, res = self.forecasts_, self.residuals_
        arrays = {
            "fc.values": fc[["yhat", "lo", "hi"]].to_numpy(dtype=float),
            "fc.ds": fc["ds"].to_numpy(dtype="datetime64[ns]").astype(np.int64),
            "resid.values": res["resid"].to_numpy(dtype=float),
            "resid.ds": res["ds"].to_numpy(dtype="datetime64[ns]").astype(np.int64),
        }
        fitted = {
            "fc_ids": fc["unique_id"].astype(str).tolist(),
            "resid_ids": res["unique_id"].astype(str).tolist(),
            "evidence": self.evidence_,
            "detail": self.detail_,
        }
        return fitted, arrays

    def _restore_state(self, fitted: dict, arrays: dict[str, np.ndarray], folder) -> None:
        values = arrays["fc.values"]
        self.forecasts_ = pd.DataFrame(
            {
                "unique_id": fitted["fc_ids"],
                "ds": arrays["fc.ds"].astype("datetime64[ns]"),
                "model": self.name,
                "yhat": values[:, 0],
                "lo": values[:, 1],
                "hi": values[:, 2],
            }
        )[FORECAST_COLUMNS]
        self.residuals_ = pd.DataFrame(
            {
                "unique_id": fitted["resid_ids"],
                "ds": arrays["resid.ds"].astype("datetime64[ns]"),
                "resid": arrays["resid.values"],
            }
        )[RESIDUAL_COLUMNS]
        self.n_params_ = {u: 0 for u in dict.fromkeys(fitted["fc_ids"])}
        self.evidence_ = fitted["evidence"]
        self.detail_ = fitted["detail"]

    @classmethod
    def _params_from_json(cls, params: dict) -> dict:
        out = dict(params)
        if isinstance(out.get("candidates"), list):
            out["candidates"] = tuple(out["candidates"])
        return out
