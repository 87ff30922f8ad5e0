"""Scenarios: the recommended forecast again, with other future values of the drivers.

A run with known drivers stores their future (``future_drivers.csv``), every fitted model's
file and, for ``auto``, its members per series with the drivers (``summary.json``;
:mod:`forecast.run.outputs`). A scenario edits that future — cell by cell
(:func:`edited_future`) or a shift per driver, ``"+2"`` (added) or ``"+10 %"`` (scaled,
:func:`apply_shifts`) — and :func:`scenario_forecast` forecasts again from the stored models,
without a new job: each per-series member that uses the drivers forecasts the series with the
edited future — the stored fit of that history predicting (a model holding just the series asked
for), or re-applied to the series' history (what ``forecast predict MODEL FILE --drivers ...``
does with a file holding those future rows; the same numbers, ``tests/test_jobs_drivers.py``); a network
that uses them (which ``forecast predict`` cannot re-fit on a file with drivers) keeps its stored
forecast with the drivers' regression part exchanged for the new future's when it takes them by
regression only (the same thing: they enter only through that part), and otherwise (input
channels) forecasts from its stored fit with the new future; a
member without drivers keeps its stored forecast; the members are combined by ``auto``'s rule.
The interval is the baseline's, moved with the point forecast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from forecast.errors import DataError, SpecError

__all__ = [
    "ScenarioPlan",
    "apply_shifts",
    "edited_future",
    "load_models",
    "parse_shift",
    "scenario_forecast",
    "scenario_plan",
]

_SHIFT = re.compile(r"^\s*([+-]?)\s*(\d+(?:[.,]\d*)?|[.,]\d+)\s*(%?)\s*$")


def parse_shift(text, driver: str = "the driver") -> tuple[str, float] | None:
    """A shift as people type it: ``"+2"``, ``"-1.5"`` (added) or ``"+10 %"`` (scaled).

    Parameters
    ----------
    text : str, number or None
        The shift; empty or None: no shift.
    driver : str
        The driver's name, for the message.

    Returns
    -------
    ("add", amount) or ("scale", fraction) or None
        ``("scale", 0.1)`` for ``"+10 %"``.

    Raises
    ------
    DataError
        Not a number with an optional sign and ``%``.

    Examples
    --------
    >>> parse_shift("+2"), parse_shift("-10 %"), parse_shift("")
    (('add', 2.0), ('scale', -0.1), None)
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if not np.isfinite(text):
            raise DataError(f"Shift of {driver}: {text!r} is not a finite number.")
        return ("add", float(text))
    match = _SHIFT.match(str(text))
    if not match:
        raise DataError(
            f"Shift of {driver}: {str(text)!r} is not a shift; write +2 to add 2 to every future "
            "value, or +10 % to raise them by a tenth."
        )
    sign, number, percent = match.groups()
    value = float(number.replace(",", ".")) * (-1.0 if sign == "-" else 1.0)
    return ("scale", value / 100.0) if percent else ("add", value)


def apply_shifts(future: pd.DataFrame, shifts: Mapping[str, object]) -> pd.DataFrame:
    """``future`` with each driver's shift applied to all its rows.

    Parameters
    ----------
    future : DataFrame
        ``unique_id, ds, <drivers>``.
    shifts : mapping of str to str
        Driver -> shift text (:func:`parse_shift`); empty ones are skipped.

    Returns
    -------
    DataFrame
        A copy; ``x + a`` for ``"+a"``, ``x * (1 + p)`` for ``"+p %"``.

    Raises
    ------
    DataError
        A bad shift, or a shift of a column the future does not hold.
    """
    out = future.copy()
    for driver, text in (shifts or {}).items():
        shift = parse_shift(text, driver)
        if shift is None:
            continue
        if driver not in out.columns:
            raise DataError(
                f"Shift of {driver}: the scenario has no driver of that name; it has "
                f"{', '.join(c for c in out.columns if c not in ('unique_id', 'ds'))}."
            )
        kind, amount = shift
        values = out[driver].astype(float)
        out[driver] = values + amount if kind == "add" else values * (1.0 + amount)
    return out


def edited_future(records: Sequence[Mapping], original: pd.DataFrame) -> pd.DataFrame:
    """The scenario's future from the rows of an edited table, every cell checked.

    Parameters
    ----------
    records : sequence of dict
        Rows of the editable table: ``unique_id``, ``ds`` and one cell per driver (numbers, or
        text as typed).
    original : DataFrame
        ``unique_id, ds, <drivers>`` as stored (the rows the table was built from).

    Returns
    -------
    DataFrame
        ``unique_id, ds, <drivers>`` in the order of ``original``, floats.

    Raises
    ------
    DataError
        A row added or removed, a cell emptied, or a cell that is not a number (the message
        names the driver, the series, the date and the stored value).
    """
    drivers = [c for c in original.columns if c not in ("unique_id", "ds")]
    if len(records) != len(original):
        raise DataError(
            f"The scenario table has {len(records)} rows, the drivers' future {len(original)}; "
            "edit the values only (reload the job to start again)."
        )
    out = original.copy()
    for i, (row, (_, stored)) in enumerate(zip(records, original.iterrows(), strict=True)):
        for driver in drivers:
            cell = row.get(driver)
            where = f"{driver} on {pd.Timestamp(stored['ds']):%Y-%m-%d %H:%M}".replace(" 00:00", "")
            where += f" (series {stored['unique_id']}, row {i + 1})"
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                raise DataError(
                    f"{where} is empty; give a number (it was {float(stored[driver]):g})."
                )
            try:
                value = (
                    float(str(cell).strip().replace(",", "."))
                    if isinstance(cell, str)
                    else (float(cell))
                )
            except (TypeError, ValueError):
                raise DataError(
                    f"{where}: {str(cell)!r} is not a number; give a number such as "
                    f"{float(stored[driver]):g}."
                ) from None
            if not np.isfinite(value):
                raise DataError(f"{where}: {cell!r} is not a finite number.")
            out.iat[i, out.columns.get_loc(driver)] = value
    return out.astype({d: float for d in drivers})


class ScenarioPlan:
    """How the forecast of each series is made again: members, rule, weights, the baseline.

    Attributes
    ----------
    members : dict of str to list of (str, float)
        Series -> ``[(model, backtest MAE), ...]`` (one model, MAE NaN, without ``auto``).
    rule : str
        ``auto``'s rule (``mean`` for one model).
    baseline : DataFrame
        ``unique_id, ds, yhat, lo, hi``: the forecast the scenario departs from.
    """

    def __init__(self, members: dict, rule: str, baseline: pd.DataFrame) -> None:
        self.members = members
        self.rule = rule
        self.baseline = baseline

    @property
    def models(self) -> list[str]:
        """Every model any series needs, in first-use order."""
        return list(dict.fromkeys(m for chosen in self.members.values() for m, _ in chosen))


def scenario_plan(run) -> ScenarioPlan:
    """The members and baseline of a stored run's scenario (:class:`ScenarioPlan`).

    With ``auto`` compared with and without the drivers, every series is re-forecast by ``auto``
    with the drivers (its members then), departing from that forecast — the recommended one
    where ``auto`` kept the drivers. Otherwise each series by its recommended model.

    Parameters
    ----------
    run : forecast.run.outputs.StoredRun

    Raises
    ------
    SpecError
        The run had no known drivers, or its recommended model used none.
    """
    drivers = run.drivers
    if not drivers.get("known") or run.future_drivers is None:
        raise SpecError(
            "This run had no driver with a known future, so there is no scenario to edit; run "
            "a job with drivers whose future rows are in the file."
        )
    fc = run.forecasts
    cols = ["unique_id", "ds", "yhat", "lo", "hi"]
    members_with = drivers.get("members_with") or {}
    if members_with and run.drivers_forecasts is not None:
        mae = drivers.get("backtest_mae_with") or {}
        members = {
            str(u): [(m, float((mae.get(u) or {}).get(m, np.nan))) for m in names]
            for u, names in members_with.items()
        }
        base = run.drivers_forecasts
        base = base[base["drivers"] == "with"][cols]
        chosen = {
            u for u, v in (drivers.get("per_series") or {}).items() if v.get("choice") == "with"
        }
        stored = fc[(fc["model"] == "auto") & fc["unique_id"].astype(str).isin(chosen)][cols]
        base = pd.concat(
            [base[~base["unique_id"].astype(str).isin(chosen)], stored], ignore_index=True
        )
        return ScenarioPlan(members, str(drivers.get("rule") or "mean"), base)
    rec = run.summary.get("recommended") or {}
    per = rec.get("per_series") or {}
    used = set(drivers.get("used_by") or [])
    members, parts = {}, []
    for uid in pd.unique(fc["unique_id"].astype(str)):
        model = per.get(uid, rec.get("model"))
        if model not in used:
            continue
        members[uid] = [(model, float("nan"))]
        part = fc[(fc["unique_id"].astype(str) == uid) & (fc["model"] == model)]
        parts.append(part[cols])
    if not members:
        raise SpecError(
            "The recommended forecast of this run uses no driver, so a scenario would not change "
            f"it; the models that used them: {', '.join(sorted(used)) or 'none'}."
        )
    return ScenarioPlan(members, "mean", pd.concat(parts, ignore_index=True))


def load_models(run, names: Sequence[str]) -> dict:
    """The stored run's saved models of ``names`` (safetensors + JSON; nothing unpickled).

    Raises
    ------
    SpecError
        A model whose file the run did not keep.
    """
    from forecast.models.saved import load_saved_model

    missing = [n for n in names if n not in run.models]
    if missing:
        raise SpecError(
            f"This run kept no model file of {', '.join(missing)}, which the scenario needs; "
            "re-run the job to get them."
        )
    return {n: load_saved_model(run.models[n]) for n in names}


def _network_predict(model, run, x, wanted, horizon: int, level: float) -> pd.DataFrame:
    """A network's forecast of ``wanted`` from its stored fit, the other series' future as
    stored (its ``predict`` needs every series it was trained on)."""
    stored = run.future_drivers.assign(unique_id=run.future_drivers["unique_id"].astype(str))
    full = pd.concat([stored[~stored["unique_id"].isin(wanted)], x], ignore_index=True)
    fc = model.predict(horizon, level=level, X_future=full)
    return fc[fc["unique_id"].astype(str).isin(wanted)].reset_index(drop=True)


def _network(model, name, stored, before, after, wanted, used) -> pd.DataFrame | None:
    """A network taking its drivers by regression only: its stored forecast with the drivers'
    part exchanged (None when it takes any as input channels: it forecasts afresh then)."""
    if getattr(model, "channels_", None) is not None or not getattr(model, "linear_", None):
        return None
    return _moved(model, name, stored, before, after, wanted, used)


def _moved(model, name, stored, before, after, wanted, used) -> pd.DataFrame:
    """A model's stored forecast with its drivers' part for ``after`` instead of ``before``.

    Every model here that uses drivers adds their regression part (``X_future @ coef``) to a
    forecast made without them (:class:`forecast.models.drivers.LinearDrivers`), so exchanging
    that part is the forecast the model makes for the new future (a network cannot re-fit on a
    file: ``forecast predict`` refuses it)."""
    linear = getattr(model, "linear_", None) or {}
    parts = []
    for uid in wanted:
        if uid not in linear:
            raise SpecError(
                f"The scenario cannot forecast again with {name}: its file holds no regression "
                f"on the drivers for series {uid}; run a job with the new drivers instead."
            )
        rows = stored[(stored["model"] == name) & (stored["unique_id"] == uid)].sort_values("ds")
        old = before[before["unique_id"].astype(str) == uid].sort_values("ds")[used]
        new = after[after["unique_id"] == uid].sort_values("ds")[used]
        n = len(rows)
        delta = linear[uid].effect(new.to_numpy(float)[:n]) - linear[uid].effect(
            old.to_numpy(float)[:n]
        )
        parts.append(
            rows.assign(yhat=rows["yhat"] + delta, lo=rows["lo"] + delta, hi=rows["hi"] + delta)
        )
    return pd.concat(parts, ignore_index=True)


def scenario_forecast(
    run,
    future: pd.DataFrame,
    models: Mapping[str, object],
    plan: ScenarioPlan | None = None,
    series: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Forecast again with the scenario's future drivers, from the run's stored models.

    Parameters
    ----------
    run : forecast.run.outputs.StoredRun
        A done job's result (its history holds the drivers).
    future : DataFrame
        ``unique_id, ds, <known drivers>``: the edited future (same rows as
        ``run.future_drivers``).
    models : mapping of str to model
        Loaded models (:func:`load_models` of ``plan.models``).
    plan : ScenarioPlan, optional
        Default :func:`scenario_plan` of ``run``.
    series : sequence of str, optional
        Only these series (all of the plan when None).

    Returns
    -------
    DataFrame
        ``unique_id, ds, yhat, lo, hi, baseline``: the scenario's forecast, its interval (the
        baseline's, moved with ``yhat``) and the baseline's ``yhat``.

    Raises
    ------
    DataError
        The future misses a driver or a step.
    SpecError
        A member that cannot forecast again (a network without its drivers' regression for a
        series).
    """
    from forecast.models.base import FORECAST_COLUMNS
    from forecast.models.per_series import PerSeriesForecaster
    from forecast.models.saved import apply_saved
    from forecast.run.combination import combine

    plan = plan or scenario_plan(run)
    drivers = run.drivers
    freq = drivers.get("freq")
    level = float(run.level or 80)
    horizon = int(run.summary.get("horizon") or future.groupby("unique_id").size().max())
    uids = [str(u) for u in (series if series is not None else plan.members)]
    uids = [u for u in uids if u in plan.members]
    history = run.history
    history = history.assign(unique_id=history["unique_id"].astype(str))
    future = future.assign(unique_id=future["unique_id"].astype(str))
    stored = run.forecasts.assign(unique_id=run.forecasts["unique_id"].astype(str))
    frames = []
    for name in plan.models:
        wanted = [u for u in uids if name in {m for m, _ in plan.members[u]}]
        if not wanted:
            continue
        model = models[name]
        used = list(getattr(model, "drivers_", None) or [])
        if not used:  # the drivers do not reach it: its forecast stays as stored
            part = stored[(stored["model"] == name) & stored["unique_id"].isin(wanted)]
            frames.append(part[FORECAST_COLUMNS])
            continue
        frame = history[history["unique_id"].isin(wanted)].reset_index(drop=True)
        frame.attrs["freq"] = freq
        x = future[future["unique_id"].isin(wanted)].reset_index(drop=True)
        if isinstance(model, PerSeriesForecaster):
            if set(getattr(model, "fits_", None) or {}) == set(wanted):
                # the stored fits are of this very history: forecast with them at once
                fc = model.predict(horizon, level=level, X_future=x)
            else:  # some of its series: re-applied to them, as `forecast predict` does
                fc = apply_saved(model, frame, horizon, level, x)
        else:  # a network: its stored fit forecasts with the new future (every series it holds)
            fc = _network(model, name, stored, run.future_drivers, x, wanted, used)
            fc = fc if fc is not None else _network_predict(model, run, x, wanted, horizon, level)
        frames.append(fc.assign(model=name)[FORECAST_COLUMNS])
    forecasts = pd.concat(frames, ignore_index=True)
    combined = combine(forecasts, {u: plan.members[u] for u in uids}, plan.rule)
    combined = combined.assign(ds=pd.to_datetime(combined["ds"]).astype("datetime64[ns]"))
    base = plan.baseline.assign(
        unique_id=plan.baseline["unique_id"].astype(str),
        ds=pd.to_datetime(plan.baseline["ds"]).astype("datetime64[ns]"),
    )
    out = combined[["unique_id", "ds", "yhat"]].merge(
        base[["unique_id", "ds", "yhat", "lo", "hi"]].rename(columns={"yhat": "baseline"}),
        on=["unique_id", "ds"],
        how="left",
    )
    shift = out["yhat"] - out["baseline"]
    out["lo"] = out["lo"] + shift
    out["hi"] = out["hi"] + shift
    return out[["unique_id", "ds", "yhat", "lo", "hi", "baseline"]]
