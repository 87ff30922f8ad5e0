"""What the drivers did in a run, in numbers and words: their effects and the backtest gain.

Read from a run's stored ``drivers`` summary (``summary.json``, :mod:`forecast.run.outputs`):

- :func:`effects_table` — per model and series, each driver's estimated effect on the target
  (the regression's coefficient, in the target's units per unit of the driver) with its 95 %
  interval from the coefficient's standard error (``coef ± 1.96 se``);
- :func:`gain_sentence` — ``"Using Temperature and WorkDay cut the backtest error by 31 %"``,
  from the backtest MASE of ``auto`` with and without the drivers;
- :func:`assumption_sentence` — the backtest's perfect-knowledge assumption in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "EFFECT_COLUMNS",
    "Z95",
    "assumption_sentence",
    "effects_table",
    "gain",
    "gain_sentence",
]

#: Normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054
#: Columns of :func:`effects_table`.
EFFECT_COLUMNS = ["model", "unique_id", "driver", "coef", "se", "lo95", "hi95", "units"]


def _names(drivers: dict) -> list[str]:
    return list(drivers.get("known") or drivers.get("observed") or [])


def _joined(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def effects_table(drivers: dict) -> pd.DataFrame:
    """Every stored driver effect with its 95 % interval and units.

    Parameters
    ----------
    drivers : dict
        A run's ``drivers`` summary; ``effects`` maps a model to records ``unique_id, driver,
        coef, se``.

    Returns
    -------
    DataFrame
        :data:`EFFECT_COLUMNS`: ``coef`` in the target's units per unit of the driver, ``lo95``
        and ``hi95`` = ``coef ∓ 1.96 se`` (NaN where the standard error is unknown), ``units``
        ``"per unit of <driver>"``; empty when no model estimated an effect.
    """
    rows = [
        {"model": str(model), **record}
        for model, records in (drivers.get("effects") or {}).items()
        for record in records or []
    ]
    if not rows:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    frame = pd.DataFrame(rows)
    frame["unique_id"] = frame["unique_id"].astype(str)
    coef = pd.to_numeric(frame["coef"], errors="coerce")
    se = pd.to_numeric(frame["se"], errors="coerce")
    frame = frame.assign(
        coef=coef,
        se=se,
        lo95=coef - Z95 * se,
        hi95=coef + Z95 * se,
        units="per unit of " + frame["driver"].astype(str),
    )
    return frame[EFFECT_COLUMNS].reset_index(drop=True)


def gain(drivers: dict, uid: str | None = None) -> tuple[float, float, float] | None:
    """``(mase_with, mase_without, cut)`` of ``auto``'s backtest, for one series or the mean
    over series (``cut`` = 1 - with / without; negative when the drivers raised the error);
    None when the run did not compare them."""
    per = drivers.get("per_series") or {}
    if uid is not None:
        per = {str(uid): per[str(uid)]} if str(uid) in per else {}
    if not per:
        return None
    with_ = float(np.nanmean([float(v["mase_with"]) for v in per.values()]))
    without = float(np.nanmean([float(v["mase_without"]) for v in per.values()]))
    if not (np.isfinite(with_) and np.isfinite(without)) or without <= 0:
        return None
    return with_, without, 1.0 - with_ / without


def gain_sentence(drivers: dict, uid: str | None = None) -> str:
    """The drivers' effect on ``auto``'s backtest error in one sentence ('' when not compared).

    Examples
    --------
    >>> gain_sentence({"known": ["Temperature", "WorkDay"],
    ...                "per_series": {"Demand": {"choice": "with", "mase_with": 0.69,
    ...                                           "mase_without": 1.0}}}, "Demand")
    'Using Temperature and WorkDay cut the backtest error by 31 % (MASE 0.690 with them, 1.000 without); auto uses them for Demand.'
    """
    numbers = gain(drivers, uid)
    names = _names(drivers)
    if numbers is None or not names:
        return ""
    with_, without, cut = numbers
    verb = "cut" if cut > 0 else "raised"
    text = (
        f"Using {_joined(names)} {verb} the backtest error by {100 * abs(cut):.0f} % "
        f"(MASE {with_:.3f} with them, {without:.3f} without)"
    )
    per = drivers.get("per_series") or {}
    if uid is not None and str(uid) in per:
        uses = per[str(uid)].get("choice") == "with"
        text += f"; auto {'uses them' if uses else 'leaves them out'} for {uid}."
    else:
        used = sum(1 for v in per.values() if v.get("choice") == "with")
        text += f"; auto uses them for {used} of {len(per)} series."
    return text


def assumption_sentence(drivers: dict) -> str:
    """The backtest's assumption about the known drivers' future ('' without known drivers).

    Examples
    --------
    >>> assumption_sentence({"known": ["Temperature"]})
    'The backtest assumes the future Temperature is known (it used the actual values); with forecast values expect more error.'
    """
    known = list(drivers.get("known") or [])
    if not known:
        return ""
    verb = "is" if len(known) == 1 else "are"
    return (
        f"The backtest assumes the future {_joined(known)} {verb} known (it used the actual "
        "values); with forecast values expect more error."
    )
