"""A run's outputs on disk: one writer (``forecast run`` and jobs alike), one reader.

:func:`write_run` turns a :class:`forecast.run.result.RunResult` into the files of one folder;
:func:`read_run` turns those files (and, for a job, the tables its store keeps) back into one
:class:`StoredRun`, which is all the dashboard, the API and ``forecast jobs show`` read. The
files, each named in :data:`RUN_FILES`:

- ``forecasts.csv`` — ``unique_id, ds, model, yhat, lo, hi`` of every model that succeeded;
- ``leaderboard.csv`` — one row per model
  (:data:`forecast.evaluation.leaderboard.LEADERBOARD_COLUMNS` first);
- ``backtest.csv`` — every model's backtest forecasts beside the actuals
  (:data:`forecast.run.defaults.BACKTEST_COLUMNS`; header only without a backtest);
- ``leaderboard_by_series.csv`` — one row per series (:mod:`forecast.run.by_series`; header
  only when the run has none), then the key columns and ``level`` when the data has keys, and
  ``label`` when the file labels its series (empty for an aggregate level's series);
- ``residuals.csv`` — in-sample residuals ``model, unique_id, ds, resid``;
- ``summary.json`` — the run's one JSON document (:func:`run_document`, what
  ``forecast run --json`` prints): the leaderboard, the answer (``recommended``, ``verdict``,
  ``notes``, ``auto``), ``level``, ``horizon``, ``holdout``, ``evaluation``,
  ``backtest_windows``, every model's ``residual_checks`` and the paths of the tables;
- ``diagnostics.json`` — what the pages show beside the models, measured once by the run:
  ``acf`` (per series, the training data's autocorrelations, lag 0 first) and ``memory`` (per
  model with an effective memory, ``lag, importance, share`` records, or ``{"error": why}``);
- ``model-NAME/`` — each fitted model's file (safetensors + JSON, :meth:`Forecaster.save`);

and, for a run with drivers (:data:`DRIVER_FILES`; their roles, ``auto``'s choice with or
without them per series, both backtest MASEs, the estimated effects and ``auto``'s members with
them are in ``summary.json`` under ``drivers``):

- ``drivers_forecasts.csv`` — ``auto``'s future with and without the drivers for every series
  (``unique_id, ds, drivers, yhat, lo, hi``, ``drivers`` ``with`` or ``without``; header only
  when the run did not compare them);
- ``future_drivers.csv`` — the known drivers' future the models were given
  (``unique_id, ds, <drivers>``; header only without known drivers).

Tables are written by one CSV writer, :func:`forecast.safe_csv.to_csv_for_people` (text cells
that a spreadsheet would run as formulas are neutralised); the reader gives them back as the run
had them (:func:`forecast.safe_csv.restore_formulas`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast.errors import ForecastError
from forecast.jsonable import to_jsonable
from forecast.run.defaults import BACKTEST_COLUMNS

__all__ = [
    "DRIVERS_FORECAST_COLUMNS",
    "DRIVER_FILES",
    "RESIDUAL_COLUMNS",
    "RUN_FILES",
    "StoredRun",
    "by_series_labels",
    "history_acf",
    "read_run",
    "run_document",
    "write_run",
]

log = logging.getLogger(__name__)

#: The files of a run folder, by role.
RUN_FILES = {
    "forecasts": "forecasts.csv",
    "leaderboard": "leaderboard.csv",
    "backtest": "backtest.csv",
    "by_series": "leaderboard_by_series.csv",
    "residuals": "residuals.csv",
    "summary": "summary.json",
    "diagnostics": "diagnostics.json",
}
#: The files of a run with drivers, by role (written only when the run had drivers).
DRIVER_FILES = {
    "drivers_forecasts": "drivers_forecasts.csv",
    "future_drivers": "future_drivers.csv",
}
#: Columns of ``drivers_forecasts.csv``.
DRIVERS_FORECAST_COLUMNS = ["unique_id", "ds", "drivers", "yhat", "lo", "hi"]
#: Columns of ``residuals.csv``.
RESIDUAL_COLUMNS = ["model", "unique_id", "ds", "resid"]
#: Prefix of a model file's artifact name (``model:arima``) and folder (``model-arima``).
MODEL_PREFIX = "model:"

CsvWriter = Callable[[pd.DataFrame, Path], None]


def _to_csv(frame: pd.DataFrame, path: Path) -> None:
    """The one CSV writer of run outputs: for people (formulas neutralised), no index."""
    from forecast.safe_csv import to_csv_for_people

    to_csv_for_people(frame, path, index=False)


def history_acf(history: pd.DataFrame, m: int = 1, min_lags: int = 0) -> dict[str, list[float]]:
    """Autocorrelations of every series of the training data, lag 0 first.

    Parameters
    ----------
    history : DataFrame
        Long frame ``unique_id, ds, y``; gaps are interpolated for the analysis only.
    m : int
        Seasonal period in steps (sets the default number of lags,
        :func:`forecast.diagnostics.autocorr.default_nlags`).
    min_lags : int
        At least this many lags (the longest input window of a model with a memory), capped at
        half the series.

    Returns
    -------
    dict of str to list of float
        ``unique_id`` -> ACF values of shape (nlags + 1,); series too short or constant are left
        out.
    """
    from forecast.diagnostics.autocorr import autocorrelation, default_nlags
    from forecast.diagnostics.prepare import prepare_values

    out: dict[str, list[float]] = {}
    for uid, part in history.groupby("unique_id", sort=False):
        try:
            prep = prepare_values(part["y"].to_numpy(dtype=float))
        except ForecastError:
            continue
        n = len(prep.values)
        k = min(max(default_nlags(n, m if m > 1 else None), int(min_lags)), n // 2 - 1)
        if prep.constant or k < 1:
            continue
        out[str(uid)] = [float(v) for v in autocorrelation(prep.values, k).acf]
    return out


def _memories(result) -> dict[str, object]:
    """Effective memory of every fitted model that has one (records, or ``{"error": why}``)."""
    out: dict[str, object] = {}
    for name, model in (result.fitted or {}).items():
        if not getattr(type(model), "memory", False) or not hasattr(model, "effective_memory"):
            continue
        try:
            frame = model.effective_memory(result.history)
        except ForecastError as exc:  # e.g. an ensemble of ESNs only: nothing to measure
            out[name] = {"error": str(exc)}
            continue
        except Exception as exc:  # a figure must not cost the result
            log.exception("effective memory of %s failed", name)
            out[name] = {"error": f"effective memory not measured ({type(exc).__name__}: {exc})"}
            continue
        out[name] = frame.to_dict(orient="records")
    return out


def _residual_frame(residuals: Mapping[str, pd.DataFrame | None]) -> pd.DataFrame:
    parts = {m: r for m, r in (residuals or {}).items() if r is not None}
    if not parts:
        return pd.DataFrame(columns=RESIDUAL_COLUMNS)
    return pd.concat(parts, names=["model", None]).reset_index(0)


def by_series_labels(table: pd.DataFrame, labels: Mapping | None) -> pd.DataFrame:
    """The per-series table with a ``label`` column last when the file labels its series.

    Parameters
    ----------
    table : DataFrame
        One row per series (``unique_id`` first, then its scores, keys and ``level``).
    labels : mapping of str to str, optional
        ``unique_id`` -> label (a run's ``recommended["labels"]``).

    Returns
    -------
    DataFrame
        ``table`` unchanged without labels (or when it has a ``label`` already); else a copy
        with ``label`` appended (empty where a series has none, e.g. an aggregate level's).
    """
    if not labels or "unique_id" not in table.columns or "label" in table.columns:
        return table
    names = {str(k): str(v) for k, v in labels.items()}
    return table.assign(label=table["unique_id"].astype(str).map(names).fillna(""))


def _driver_tables(result) -> dict[str, pd.DataFrame]:
    """``drivers_forecasts`` and ``future_drivers`` of a run with drivers."""
    parts = [
        frame[["unique_id", "ds", "yhat", "lo", "hi"]].assign(drivers=label)
        for label, frame in (
            ("with", getattr(result, "with_drivers", None)),
            ("without", getattr(result, "baseline", None)),
        )
        if frame is not None
    ]
    compared = (
        pd.concat(parts, ignore_index=True)[DRIVERS_FORECAST_COLUMNS]
        if parts
        else pd.DataFrame(columns=DRIVERS_FORECAST_COLUMNS)
    )
    future = getattr(result, "x_future", None)
    if future is None:
        future = pd.DataFrame(columns=["unique_id", "ds"])
    return {"drivers_forecasts": compared, "future_drivers": future}


def _records(frame: pd.DataFrame) -> list[dict]:
    """A table as records: timestamps as ISO text (seconds), the rest as it is."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out.to_dict(orient="records")


def _leaderboard_records(board: pd.DataFrame) -> list[dict]:
    """One record per model: the ``--json`` keys first, in their published order
    (:data:`forecast.evaluation.leaderboard.JSON_KEYS`, None where a column is missing), then
    the board's other columns."""
    from forecast.evaluation.leaderboard import JSON_KEYS

    extra = [c for c in board.columns if c not in JSON_KEYS]
    return [
        {**{key: row.get(key) for key in JSON_KEYS}, **{key: row[key] for key in extra}}
        for row in _records(board)
    ]


def _evaluation(board: pd.DataFrame) -> str:
    """What the leaderboard was scored on (``"backtest of 3 windows"``; ``"none"``)."""
    if "evaluation" in board and board["evaluation"].notna().any():
        return str(board["evaluation"].dropna().iloc[0])
    return "none"


def run_document(result, files: Mapping[str, str] | None = None) -> dict:
    """The run's one JSON document: ``forecast run --json``, ``summary.json`` and
    :meth:`forecast.run.result.RunResult.to_json` are this.

    Parameters
    ----------
    result : forecast.run.result.RunResult
    files : mapping of str to str, optional
        The written run's files (what :func:`write_run` returns, by file name). With them the
        tables are named by their file; without them (a result not written) they are inline.

    Returns
    -------
    dict
        Plain JSON types (:func:`forecast.jsonable.to_jsonable`), keys in this order:

        - ``leaderboard``: one record per model, the ``--json`` keys first
          (:data:`forecast.evaluation.leaderboard.JSON_KEYS`), then the board's other columns;
        - ``forecasts``: the path of ``forecasts.csv``; not written: the records of
          ``unique_id, ds, model, yhat, lo, hi`` (``ds`` ISO text), then ``actuals``: the
          held-out records ``unique_id, ds, y`` or None;
        - ``leaderboard_csv``: the path of ``leaderboard.csv`` (written only);
        - ``level`` (percent), ``horizon`` and ``holdout`` (steps), ``evaluation`` (what the
          leaderboard was scored on, ``"none"`` when nothing was);
        - ``recommended``, ``verdict``, ``notes`` (:meth:`RunResult.summary`);
        - ``backtest``: the path of ``backtest.csv``; not written: the per-window, per-series
          scores (records, None without a backtest);
        - ``backtest_windows``, ``auto``;
        - ``leaderboard_by_series``: the path of ``leaderboard_by_series.csv`` (written only);
        - ``hierarchy`` (with levels) and ``drivers`` (with drivers);
        - ``residual_checks``: model -> its residual check.
    """
    board = result.leaderboard
    summary = result.summary()
    if files is not None:
        path = {role: str(files[name]) for role, name in RUN_FILES.items() if name in files}
        tables = {"forecasts": path["forecasts"], "leaderboard_csv": path["leaderboard"]}
        backtest: dict = {"backtest": path["backtest"]}
        by_series: dict = {"leaderboard_by_series": path["by_series"]}
    else:
        actuals = result.actuals
        tables = {
            "forecasts": _records(result.forecasts),
            "actuals": None if actuals is None else _records(actuals),
        }
        scores = result.backtest
        backtest = {"backtest": None if scores is None else _records(scores)}
        by_series = {}
    return to_jsonable(
        {
            "leaderboard": _leaderboard_records(board),
            **tables,
            "level": result.level,
            "horizon": result.horizon,
            "holdout": result.holdout,
            "evaluation": _evaluation(board),
            "recommended": summary["recommended"],
            "verdict": summary["verdict"],
            "notes": summary["notes"],
            **backtest,
            "backtest_windows": summary["backtest_windows"],
            "auto": summary["auto"],
            **by_series,
            **{key: summary[key] for key in ("hierarchy", "drivers") if key in summary},
            "residual_checks": result.residual_checks,
        }
    )


def write_run(
    result,
    folder: str | Path,
    *,
    to_csv: CsvWriter | None = None,
    memory: bool = True,
) -> tuple[dict[str, str], list[str]]:
    """Write every output of one run into ``folder`` (created).

    Parameters
    ----------
    result : forecast.run.result.RunResult
    folder : str or Path
        The run's folder (``forecast run --out``, a job's artifact folder).
    to_csv : callable, optional
        ``to_csv(frame, path)`` writing one table; default
        :func:`forecast.safe_csv.to_csv_for_people` without the index.
    memory : bool
        Measure the effective memory of the models that have one (a gradient pass through each
        network, which imports torch); without it ``diagnostics.json`` holds ``memory: {}``.

    Returns
    -------
    files : dict of str to str
        Artifact name -> path: the names of :data:`RUN_FILES` (``forecasts.csv`` …) and
        ``model:NAME`` for each model file.
    problems : list of str
        Model files that could not be saved (the rest is written all the same).

    Raises
    ------
    OSError
        The folder or a file cannot be written.
    """
    write = to_csv or _to_csv
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    from forecast.run.by_series import BY_SERIES_COLUMNS

    bt = result.backtest_forecasts
    by_series = getattr(result, "by_series", None)
    if by_series is not None:
        labels = (getattr(result, "recommended", None) or {}).get("labels")
        by_series = by_series_labels(by_series, labels)
    tables = {
        "forecasts": result.forecasts,
        "leaderboard": result.leaderboard,
        "backtest": bt if bt is not None else pd.DataFrame(columns=BACKTEST_COLUMNS),
        "by_series": by_series
        if by_series is not None
        else pd.DataFrame(columns=BY_SERIES_COLUMNS),
        "residuals": _residual_frame(result.residuals),
    }
    files: dict[str, str] = {}
    for role, frame in tables.items():
        path = folder / RUN_FILES[role]
        write(frame, path)
        files[RUN_FILES[role]] = str(path)
    if getattr(result, "drivers", None):
        for role, frame in _driver_tables(result).items():
            path = folder / DRIVER_FILES[role]
            write(frame, path)
            files[DRIVER_FILES[role]] = str(path)
    memories = _memories(result) if memory else {}
    widest = max(
        (len(v) for v in memories.values() if isinstance(v, list)),
        default=0,
    )
    diagnostics = {"acf": history_acf(result.history, result.m, widest), "memory": memories}
    for role, payload in (("summary", run_document(result, files)), ("diagnostics", diagnostics)):
        path = folder / RUN_FILES[role]
        path.write_text(json.dumps(to_jsonable(payload), indent=1))
        files[RUN_FILES[role]] = str(path)
    problems: list[str] = []
    for name, model in (result.fitted or {}).items():
        if not hasattr(model, "save"):
            continue
        target = folder / f"model-{name}"
        try:
            saved = model.save(target)
        except Exception as exc:  # a model that cannot be saved must not cost the result
            problems.append(f"model file of {name} not saved ({type(exc).__name__}: {exc})")
            continue
        files[f"{MODEL_PREFIX}{name}"] = str(saved or target)
    return files, problems


@dataclass
class StoredRun:
    """One run's outputs as written by :func:`write_run`, read back.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per model.
    forecasts : DataFrame
        ``unique_id, ds, model, yhat, lo, hi``.
    actuals, history : DataFrame or None
        The held-out part and the training part (long frames; kept by a job's store).
    residual_checks : dict
        Model -> JSON-ready residual check.
    level : float or None
        Interval level of ``lo`` / ``hi`` in percent.
    summary : dict
        ``summary.json`` (``{}`` for runs written before it existed).
    backtest : DataFrame or None
        The backtest forecasts beside the actuals; None without a backtest.
    by_series : DataFrame or None
        One row per series (``leaderboard_by_series.csv``); None when not stored.
    residuals : DataFrame
        ``model, unique_id, ds, resid`` (empty when not stored).
    acf : dict of str to list of float
        ``unique_id`` -> ACF of the training data, lag 0 first (``{}`` when not stored).
    memory : dict
        Model -> ``lag, importance, share`` frame, or the reason it is missing (str).
    models : dict of str to Path
        Model -> its saved file's folder (those still on disk).
    files : dict of str to str
        Every artifact name -> path, as written.
    drivers_forecasts : DataFrame or None
        ``unique_id, ds, drivers, yhat, lo, hi``: ``auto`` with and without the drivers (None
        for a run without drivers, or one that did not compare them).
    future_drivers : DataFrame or None
        ``unique_id, ds, <drivers>``: the known drivers' future the models were given.
    """

    leaderboard: pd.DataFrame
    forecasts: pd.DataFrame
    actuals: pd.DataFrame | None
    history: pd.DataFrame | None
    residual_checks: dict
    level: float | None
    summary: dict = field(default_factory=dict)
    backtest: pd.DataFrame | None = None
    by_series: pd.DataFrame | None = None
    residuals: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"model": [], "unique_id": [], "ds": pd.to_datetime([]), "resid": []}
        )
    )
    acf: dict = field(default_factory=dict)
    memory: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    drivers_forecasts: pd.DataFrame | None = None
    future_drivers: pd.DataFrame | None = None

    @property
    def drivers(self) -> dict:
        """``summary.json``'s ``drivers`` (roles, choice per series, MASEs, effects; ``{}``
        for a run without drivers)."""
        return dict(self.summary.get("drivers") or {})

    @property
    def artifacts(self) -> dict:
        """Artifact name -> path (the name jobs have always used)."""
        return self.files

    def series_acf(self, uid: str | None) -> list[float] | None:
        """The stored ACF of one series (the first series when ``uid`` is None), or None."""
        if not self.acf:
            return None
        key = str(uid) if uid is not None else next(iter(self.acf))
        return self.acf.get(key)

    def model_memory(self, model: str) -> pd.DataFrame | str | None:
        """The stored effective memory of ``model``: a frame, the reason it is missing, or
        None when the run did not store one."""
        value = self.memory.get(model)
        if value is None or isinstance(value, (pd.DataFrame, str)):
            return value
        return None


def _read_json(path: str | None) -> dict:
    if not path or not Path(path).exists():
        return {}
    return json.loads(Path(path).read_text())


def _read_csv(path: str | None, dates: list[str]) -> pd.DataFrame | None:
    """A table :func:`write_run` wrote, as the run had it (ids as text, dates parsed)."""
    from forecast.safe_csv import restore_formulas

    if not path or not Path(path).exists():
        return None
    frame = restore_formulas(pd.read_csv(path, dtype={"unique_id": str}))
    for col in dates:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    return frame


def read_run(
    files: Mapping[str, str],
    *,
    leaderboard: pd.DataFrame | None = None,
    forecasts: pd.DataFrame | None = None,
    actuals: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    residual_checks: dict | None = None,
    level: float | None = None,
) -> StoredRun:
    """Read one run's outputs back (the one reader of the dashboard, the API and the CLI).

    Parameters
    ----------
    files : mapping of str to str
        Artifact name -> path, as :func:`write_run` returned them (a job's artifacts). Files
        missing on disk read as absent (runs written before a file existed).
    leaderboard, forecasts, actuals, history, residual_checks, level : optional
        What a job's store keeps itself; each missing one is read from the files.

    Returns
    -------
    StoredRun
    """
    files = {str(k): str(v) for k, v in files.items()}
    summary = _read_json(files.get(RUN_FILES["summary"]))
    diagnostics = _read_json(files.get(RUN_FILES["diagnostics"]))
    if leaderboard is None:
        leaderboard = _read_csv(files.get(RUN_FILES["leaderboard"]), [])
    if forecasts is None:
        forecasts = _read_csv(files.get(RUN_FILES["forecasts"]), ["ds"])
    bt = _read_csv(files.get(RUN_FILES["backtest"]), ["cutoff", "ds"])
    resid = _read_csv(files.get(RUN_FILES["residuals"]), ["ds"])
    by_series = _read_csv(files.get(RUN_FILES["by_series"]), [])
    if by_series is not None:  # a missing verdict or model reads as None, as the run had it
        for col in by_series.select_dtypes(include="object").columns:
            by_series[col] = by_series[col].where(by_series[col].notna(), None)
    memory: dict = {}
    for name, value in (diagnostics.get("memory") or {}).items():
        if isinstance(value, dict) and "error" in value:
            memory[name] = str(value["error"])
        else:
            memory[name] = pd.DataFrame.from_records(value, columns=["lag", "importance", "share"])
    models = {
        name[len(MODEL_PREFIX) :]: Path(path)
        for name, path in files.items()
        if name.startswith(MODEL_PREFIX) and Path(path).exists()
    }
    compared = _read_csv(files.get(DRIVER_FILES["drivers_forecasts"]), ["ds"])
    future = _read_csv(files.get(DRIVER_FILES["future_drivers"]), ["ds"])
    if future is not None:
        future["unique_id"] = future["unique_id"].astype(str)
    out = StoredRun(
        drivers_forecasts=None if compared is None or compared.empty else compared,
        future_drivers=None if future is None or future.empty else future,
        leaderboard=leaderboard if leaderboard is not None else pd.DataFrame(),
        forecasts=forecasts if forecasts is not None else pd.DataFrame(),
        actuals=actuals,
        history=history,
        residual_checks=residual_checks
        if residual_checks is not None
        else dict(summary.get("residual_checks") or {}),
        level=level if level is not None else summary.get("level"),
        summary=summary,
        backtest=None if bt is None or bt.empty else bt,
        by_series=by_series,
        acf={str(k): [float(x) for x in v] for k, v in (diagnostics.get("acf") or {}).items()},
        memory=memory,
        models=models,
        files=files,
    )
    if resid is not None:
        resid["unique_id"] = resid["unique_id"].astype(str)
        out.residuals = resid
    return out
