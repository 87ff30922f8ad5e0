"""What one run produced: :class:`RunResult`, every output of
:func:`forecast.run.pipeline.run_forecast`.

Its tables and the run's answer are fields; :meth:`RunResult.to_json` is the run's one JSON
document (:func:`forecast.run.outputs.run_document`), and :func:`forecast.run.outputs.write_run`
writes it all into a folder. A new output of a run is a field here, written and read back there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from forecast.jsonable import to_jsonable
from forecast.run.outputs import run_document

__all__ = ["RunResult"]


@dataclass
class RunResult:
    """Everything one run produced.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per model (see :data:`forecast.evaluation.leaderboard.LEADERBOARD_COLUMNS`).
    forecasts : DataFrame
        ``unique_id, ds, model, yhat, lo, hi`` of every model that succeeded.
    actuals : DataFrame or None
        The held-out part (``unique_id, ds, y``), None without a holdout.
    history : DataFrame
        The training part.
    residual_checks : dict
        Model -> JSON-ready residual summary (:func:`forecast.evaluation.residuals.combine_checks`).
    fitted : dict
        Model -> fitted estimator.
    level : float
        Interval level in percent.
    backtest : DataFrame or None
        Per-window, per-series backtest scores (:func:`forecast.run.backtest.window_scores`).
    backtest_forecasts : DataFrame or None
        Every model's backtest forecasts beside the actuals
        (:data:`forecast.run.defaults.BACKTEST_COLUMNS`).
    backtest_windows : int
        Rolling origins actually used (fewer than asked on short series, see ``notes``).
    drivers : dict
        With drivers: their roles, the models that used them, ``auto``'s choice per series
        with or without them and why, the estimated effects (empty without drivers).
    baseline : DataFrame or None
        ``auto``'s future without the drivers (beside the recommended one), when compared.
    with_drivers : DataFrame or None
        ``auto``'s future with the drivers for every series (before its choice), when compared.
    x_future : DataFrame or None
        ``unique_id, ds, <known drivers>``: the drivers' future the models were given.
    recommended : dict
        ``{"model", "reason", "per_series", "reasons", "verdicts", "summary", "opening"}``
        (:func:`forecast.run.recommend.recommend`, then :func:`forecast.run.story.tell`).
    verdict : str
        The run's answer in words (:func:`forecast.run.story.tell`).
    notes : list of str
        Caveats of the run.
    auto : dict
        Evidence of ``auto``: rule, candidates, members and their backtest errors per series,
        the candidates' residual verdicts (empty when ``auto`` did not run).
    series_scores : DataFrame or None
        One row per (model, series) of the run's evaluation: ``mae, rmse`` (in the series'
        units), ``smape, mase, coverage, skill`` (:func:`forecast.run.story.series_scores`).
    intervals : dict
        Model -> series -> interval calibration (``scale, group, n, why, coverage,
        lowo_coverage``; :func:`forecast.evaluation.calibration.calibrate_per_series`).
    by_series : DataFrame or None
        One row per series (:func:`forecast.run.by_series.series_table`;
        ``leaderboard_by_series.csv``), with the key columns and ``level`` when the data has keys.
    keys : DataFrame or None
        ``unique_id``, the key columns, ``level`` of every series (None without key columns).
    hierarchy : dict
        Evidence of the reconciliation (:func:`forecast.run.reconcile_auto.reconcile_step`; empty
        without levels).
    m : int
        Seasonal period of the frequency in steps (1 without one).
    """

    leaderboard: pd.DataFrame
    forecasts: pd.DataFrame
    actuals: pd.DataFrame | None
    history: pd.DataFrame
    residual_checks: dict
    fitted: dict
    level: float
    horizon: int = 0
    holdout: int = 0
    backtest: pd.DataFrame | None = None
    residuals: dict = field(default_factory=dict)
    backtest_forecasts: pd.DataFrame | None = None
    backtest_windows: int = 0
    recommended: dict = field(default_factory=dict)
    verdict: str = ""
    notes: list = field(default_factory=list)
    auto: dict = field(default_factory=dict)
    series_scores: pd.DataFrame | None = None
    intervals: dict = field(default_factory=dict)
    by_series: pd.DataFrame | None = None
    keys: pd.DataFrame | None = None
    hierarchy: dict = field(default_factory=dict)
    m: int = 1
    drivers: dict = field(default_factory=dict)
    baseline: pd.DataFrame | None = None
    with_drivers: pd.DataFrame | None = None
    x_future: pd.DataFrame | None = None

    def summary(self) -> dict:
        """JSON-ready answer of the run: ``recommended``, ``verdict``, ``notes``,
        ``backtest_windows``, ``auto`` (the answer within :meth:`to_json`), ``hierarchy``
        with levels, and ``drivers`` when the data had drivers (``known``, ``observed``,
        ``used_by``, ``per_series`` with ``auto``'s choice and both backtest MASEs,
        ``reading``, ``effects``)."""
        return to_jsonable(
            {
                "recommended": self.recommended,
                "verdict": self.verdict,
                "notes": self.notes,
                "backtest_windows": self.backtest_windows,
                "auto": self.auto,
                **({"hierarchy": self.hierarchy} if self.hierarchy else {}),
                **({"drivers": self.drivers} if self.drivers else {}),
            }
        )

    def to_json(self, files: Mapping[str, str] | None = None) -> dict:
        """The run's one JSON document (:func:`forecast.run.outputs.run_document`): what
        ``forecast run --json`` prints and ``summary.json`` holds.

        Parameters
        ----------
        files : mapping of str to str, optional
            The files :func:`forecast.run.outputs.write_run` wrote for this result; with them
            ``forecasts`` and ``backtest`` are those files' paths (the document of the CLI and
            of ``summary.json``), without them records: ``forecasts``, ``actuals`` (None
            without a holdout) and ``backtest`` (the per-window scores, None without a
            backtest), timestamps as ISO text and NaN as None.
        """
        return run_document(self, files)
