"""What a forecasting job is asked to do: :class:`JobSpec`, stored as JSON so any job re-runs exactly.

A spec names its dataset by content (the SHA-256 of the uploaded bytes) and by the stored copy
(``$FORECAST_HOME/datasets/<sha256>.csv``), records how to read it (column mapping, gap policy,
frequency) and every setting of :func:`forecast.run.pipeline.run_forecast`. Building one checks every
field; a bad value raises :class:`forecast.errors.SpecError` naming the field and the fix.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from forecast.errors import ForecastError, SpecError
from forecast.run.defaults import DEFAULT_MODELS, DEFAULT_WINDOWS, SEARCH

__all__ = ["BOUNDS", "FILL_POLICIES", "JobSpec"]

#: Gap policies accepted by :func:`forecast.ingest.reader.read_csv`.
FILL_POLICIES = ("none", "interpolate", "ffill")

#: Inclusive (least, most) of the sizes a job may ask for: the spec's own fields and the
#: models' parameters of these names (in ``model_params``, nested ones such as a hybrid's
#: ``nn_params`` included). Past them a job would only tie up a worker for days or exhaust its
#: memory (a horizon of 1e9 steps, 1e9 epochs, a 100,000-wide hidden layer).
BOUNDS: dict[str, tuple[int, int]] = {
    "horizon": (1, 10_000),
    "holdout": (0, 100_000),
    "backtest_windows": (0, 50),
    "windows": (0, 50),
    "epochs": (1, 1_000),
    "hidden_size": (1, 1_024),
    "num_layers": (1, 8),
    "input_size": (1, 10_000),
    "reservoir_size": (1, 5_000),
    "batch_size": (1, 65_536),
    "n_seeds": (1, 20),
    "max_windows": (1, 1_000_000),
    "val_windows": (0, 100_000),
    "patience": (0, 1_000),
    "season_length": (1, 10_000),
    "max_season": (1, 10_000),
    "washout": (0, 10_000),
    "min_input": (1, 10_000),
    "top_k": (1, 20),
    "threads": (1, 64),
    "workers": (1, 64),
}


def _check_bound(name: str, value: Any, where: str) -> None:
    """Raise ValueError when ``value`` of the bounded ``name`` is outside :data:`BOUNDS`."""
    if name not in BOUNDS or value is None or isinstance(value, bool):
        return
    least, most = BOUNDS[name]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(
            f"{where} must be a whole number from {least:,} to {most:,}, got {value!r}".lstrip()
        )
    if not least <= value <= most:
        raise ValueError(f"{where} must be from {least:,} to {most:,}, got {value:,}".lstrip())


def _check_param_bounds(params: Any, where: str) -> None:
    """:func:`_check_bound` on every bounded name in ``params`` (nested dicts included)."""
    if not isinstance(params, dict):
        return
    for key, value in params.items():
        if isinstance(value, dict):
            _check_param_bounds(value, f"{where}.{key}")
        else:
            _check_bound(str(key), value, f"{where}.{key}")


def _readable(exc: ValidationError) -> str:
    """One sentence per pydantic error: ``field: what is wrong``."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ())) or "spec"
        msg = str(err.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        parts.append(f"{where}: {msg}")
    return "Invalid job spec — " + "; ".join(parts)


class JobSpec(BaseModel):
    """Everything needed to run (and re-run) one forecasting job.

    Attributes
    ----------
    dataset_hash : str
        SHA-256 hex digest (64 characters) of the dataset file's bytes.
    dataset_path : str
        Path of the stored copy (see :meth:`forecast.jobs.JobStore.save_dataset`).
    filename : str
        Original file name, for display.
    time_col, id_col : str or None
        Column mapping passed to :func:`forecast.ingest.reader.read_csv` (None: detected);
        several key columns are joined with ``,`` (``"state,gender,legal"``; a list is accepted).
    value_cols : list of str or None
        Value columns (None: every numeric column). A comma-separated string is accepted.
    fill : {"none", "interpolate", "ffill"}
        Gap policy.
    freq : str or None
        Offset alias (None: inferred).
    horizon : int
        Forecast horizon in steps, 1 to 10,000 (sizes are bounded: see :data:`BOUNDS`).
    models : list of str
        Model short names (see :mod:`forecast.models.registry`), at least one, no repeats.
    holdout : int
        Trailing steps per series held out and scored, >= 0.
    backtest_windows : int
        Rolling-origin windows, >= 0.
    epochs : int or None
        Training epochs of the models that train by epochs, 1 to 1,000 (None: their defaults); refused
        when none of ``models`` does.
    seed : int
        Random seed, >= 0.
    level : float
        Prediction-interval level in percent, 0 < level < 100.
    model_params : dict of str to dict
        Per-model hyperparameters; every key must be one of ``models``, and every parameter
        one that model takes.
    levels : str or None
        Aggregate levels of the key columns (``"state,state/gender,total"`` or ``"all"``; see
        :func:`forecast.run.hierarchy.parse_levels`); None: the series as read.
    reconcile : str
        With ``levels``: ``auto`` (the default), ``none`` or a method of
        :data:`forecast.run.reconcile.METHODS` (``bottom_up``, ``top_down``, ``ols``,
        ``wls_struct``, ``wls_var``, ``mint_shrink``, ``mint_backtest``, ``combination``).
    drivers : list of str or None
        Driver columns read beside the target (``forecast run --drivers``; a comma-separated
        string is accepted), or ``["all"]``: every other numeric column (needs ``value_cols``).
        Rows after a series' last value that hold driver values are their known future.
    observed_only : list of str
        Drivers whose future rows are not to be used (not known in advance); each one of
        ``drivers``.
    calendar : bool
        Add calendar drivers (``--calendar``).
    holidays : str or None
        Country code of a public-holiday driver (``--holidays``: ``AU``, ``AU-VIC``).
    workers : int or None
        Processes the per-series models fit their series and backtest windows on in this job,
        1 to 64 (1: all in the job's own process; the forecasts are the same for any number);
        None: the worker's setting (``forecast worker --pool-workers``). Ignored when the
        worker fans out over a Dask cluster (the cluster's workers run the series).
    search : {"once", "twice", "every"}
        When ARIMA orders and the ETS model are searched per series
        (:data:`forecast.run.backtest.SEARCH_MODES`; ``forecast run --search``).

    Raises
    ------
    SpecError
        On construction, when any field is invalid.

    Examples
    --------
    >>> spec = JobSpec(dataset_hash="0" * 64, dataset_path="x.csv", horizon=12, models=["snaive"])
    >>> JobSpec.from_json(spec.to_json()) == spec
    True
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    dataset_hash: str
    dataset_path: str
    filename: str = ""
    time_col: str | None = None
    value_cols: list[str] | None = None
    id_col: str | None = None
    fill: str = "none"
    freq: str | None = None
    horizon: int
    models: list[str] = list(DEFAULT_MODELS)
    holdout: int = 0
    backtest_windows: int = DEFAULT_WINDOWS
    epochs: int | None = None
    seed: int = 0
    level: float = 80.0
    model_params: dict[str, dict[str, Any]] = {}
    levels: str | None = None
    reconcile: str = "auto"
    drivers: list[str] | None = None
    observed_only: list[str] = []
    calendar: bool = False
    holidays: str | None = None
    workers: int | None = None
    search: str = SEARCH

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise SpecError(_readable(exc)) from None

    @field_validator("dataset_hash")
    @classmethod
    def _check_hash(cls, v: str) -> str:
        v = v.strip().lower()
        if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
            raise ValueError(
                "must be the 64-character SHA-256 hex digest of the dataset; store the file "
                "with JobStore.save_dataset to get it"
            )
        return v

    @field_validator("dataset_path")
    @classmethod
    def _check_path(cls, v: str) -> str:
        if not str(v).strip():
            raise ValueError("is empty; give the path of the stored dataset copy")
        return str(v)

    @field_validator("value_cols", mode="before")
    @classmethod
    def _split_values(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [c.strip() for c in v.split(",") if c.strip()]
            return v or None
        return v

    @field_validator("id_col", mode="before")
    @classmethod
    def _join_keys(cls, v: Any) -> Any:
        """Several key columns as a list are kept joined with ``,`` (as ``--id-col`` takes them)."""
        if isinstance(v, (list, tuple)):
            names = [str(c).strip() for c in v if str(c).strip()]
            return ",".join(names) or None
        if isinstance(v, str) and not v.strip():
            return None
        return v

    @field_validator("fill")
    @classmethod
    def _check_fill(cls, v: str) -> str:
        if v not in FILL_POLICIES:
            raise ValueError(f"'{v}' is not a gap policy; use one of {', '.join(FILL_POLICIES)}")
        return v

    @field_validator("freq")
    @classmethod
    def _check_freq(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        import pandas as pd

        try:
            pd.tseries.frequencies.to_offset(v)
        except ValueError:
            raise ValueError(
                f"'{v}' is not a pandas offset alias (try MS, QS, YS, W-SUN, D, h)"
            ) from None
        return v

    @field_validator("horizon")
    @classmethod
    def _check_horizon(cls, v: int) -> int:
        if v < 1:
            raise ValueError(f"must be a positive number of steps, got {v}")
        _check_bound("horizon", v, "")
        return v

    @field_validator("holdout", "backtest_windows", "seed")
    @classmethod
    def _check_non_negative(cls, v: int, info) -> int:
        if v < 0:
            raise ValueError(f"must be 0 or more, got {v}")
        _check_bound(info.field_name, v, "")
        return v

    @field_validator("epochs")
    @classmethod
    def _check_epochs(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError(f"must be at least 1 (or left empty for the defaults), got {v}")
        _check_bound("epochs", v, "")
        return v

    @field_validator("model_params")
    @classmethod
    def _check_sizes(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for model, params in v.items():
            _check_param_bounds(params, str(model))
        return v

    @field_validator("level")
    @classmethod
    def _check_level(cls, v: float) -> float:
        if not 0 < v < 100:
            raise ValueError(f"is a percentage between 0 and 100, got {v}")
        return float(v)

    @field_validator("levels", mode="before")
    @classmethod
    def _check_levels(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            v = ",".join(str(x) for x in v)
        if v is None or not str(v).strip():
            return None
        return ",".join(p.strip() for p in str(v).split(",") if p.strip())

    @field_validator("reconcile")
    @classmethod
    def _check_reconcile(cls, v: str) -> str:
        from forecast.run.reconcile import check_method

        try:
            return check_method(v)
        except SpecError as exc:
            raise ValueError(str(exc).rstrip(".")) from None

    @field_validator("drivers", "observed_only", mode="before")
    @classmethod
    def _split_drivers(cls, v: Any, info) -> Any:
        """A comma-separated string or a list; names stripped, empty ones dropped."""
        if v is None:
            return None if info.field_name == "drivers" else []
        if isinstance(v, str):
            v = v.split(",")
        if not isinstance(v, (list, tuple)):
            return v
        names = [str(c).strip() for c in v if str(c).strip()]
        if len(set(names)) < len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise ValueError(f"'{twice}' is listed twice; name each driver once")
        if info.field_name == "drivers":
            if "all" in names and len(names) > 1:
                raise ValueError("'all' takes every other numeric column: give it alone")
            return names or None
        return names

    @field_validator("holidays", mode="before")
    @classmethod
    def _check_holidays(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if not isinstance(v, str):
            return v
        from forecast.calendar.drivers import parse_holidays

        try:
            country, subdiv = parse_holidays(v)
        except ForecastError as exc:
            raise ValueError(str(exc).removeprefix(f"--holidays {v}: ").rstrip(".")) from None
        return country + (f"-{subdiv}" if subdiv else "")

    @model_validator(mode="after")
    def _check_drivers(self) -> JobSpec:
        drivers = list(self.drivers or [])
        if drivers == ["all"] and not self.value_cols:
            raise ValueError(
                "drivers 'all' takes every numeric column but the target: name the target in "
                "value_cols too"
            )
        clash = [d for d in drivers if d in (self.value_cols or [])]
        if clash:
            raise ValueError(
                f"drivers: {', '.join(clash)} is also a value column; a column is either the "
                "target or a driver"
            )
        if drivers != ["all"]:
            stray = [d for d in self.observed_only if d not in drivers]
            if stray:
                raise ValueError(
                    f"observed_only: {', '.join(stray)} is not one of the drivers "
                    f"({', '.join(drivers) or 'none given'}); add it to drivers or drop it"
                )
        return self

    @field_validator("workers", mode="before")
    @classmethod
    def _check_workers(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(
                f"must be a whole number of processes from 1 to {BOUNDS['workers'][1]} "
                f"(1: none besides the job's own; empty: the worker's --pool-workers), got {v!r}"
            )
        _check_bound("workers", v, "")
        return int(v)

    @field_validator("search")
    @classmethod
    def _check_search(cls, v: str) -> str:
        from forecast.run.backtest import check_search

        try:
            return check_search(str(v).strip().lower())
        except SpecError as exc:
            raise ValueError(str(exc).removeprefix("search ").rstrip(".")) from None

    @field_validator("models", mode="before")
    @classmethod
    def _check_models(cls, v: Any) -> Any:
        from forecast.models.registry import check_model_list

        if not isinstance(v, (str, list, tuple)):
            return v
        try:
            return check_model_list(v)
        except SpecError as exc:
            raise ValueError(str(exc).rstrip(".")) from None

    @model_validator(mode="after")
    def _check_params(self) -> JobSpec:
        from forecast.models.registry import check_model_params, check_run_options

        try:
            check_model_params(self.model_params, self.models)
            check_run_options(self.models, epochs=self.epochs)
        except SpecError as exc:
            raise ValueError(str(exc).rstrip(".")) from None
        return self

    @classmethod
    def validate(cls, data: dict[str, Any] | str | JobSpec) -> JobSpec:  # type: ignore[override]
        """Build a spec from a dict, a JSON string or a spec, raising :class:`SpecError`.

        Parameters
        ----------
        data : dict, str or JobSpec
            Field values, or their JSON text.

        Returns
        -------
        JobSpec

        Raises
        ------
        SpecError
            Invalid JSON or an invalid field.
        """
        if isinstance(data, JobSpec):
            return cls(**data.model_dump())
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise SpecError(f"Invalid job spec — not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise SpecError(
                f"Invalid job spec — expected an object of fields, got {type(data).__name__}."
            )
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> JobSpec:
        """Parse the JSON text written by :meth:`to_json` (raises :class:`SpecError`)."""
        return cls.validate(text)

    def to_json(self) -> str:
        """JSON text of every field (what the store keeps)."""
        return self.model_dump_json()

    def run_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`forecast.run.pipeline.run_forecast` (without the frame)."""
        return {
            "horizon": self.horizon,
            "models": tuple(self.models),
            "holdout": self.holdout,
            "backtest_windows": self.backtest_windows,
            "epochs": self.epochs,
            "seed": self.seed,
            "level": self.level,
            "model_params": {k: dict(v) for k, v in self.model_params.items()} or None,
            "levels": self.levels,
            "reconcile": self.reconcile,
            "search": self.search,
        }

    def read_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`forecast.ingest.reader.read_csv` (without the source)."""
        return {
            "time_col": self.time_col,
            "value_cols": self.value_cols,
            "id_col": self.id_col,
            "freq": self.freq,
            "fill": self.fill,
            "drivers": list(self.drivers) if self.drivers else None,
            "calendar": self.calendar,
            "holidays": self.holidays,
        }

    @property
    def has_drivers(self) -> bool:
        """Whether the job reads drivers (named, calendar or holidays)."""
        return bool(self.drivers or self.calendar or self.holidays)
