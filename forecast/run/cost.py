"""What a job will cost before it runs: its duration from the data and the models.

A job fits every model once per backtest window and once on the whole history
(:func:`forecast.run.pipeline.run_forecast`), seasonal naive too as the reference. A model
fitted per series pays one fit per series each time; a global (neural) model one fit over the
whole frame. One fit costs ``a + b * n / 100`` CPU seconds for ``n`` points
(:data:`FIT_COST`, measured by ``benchmarks/job_cost.py`` on this project's machine; figures in
``benchmarks/README.md``), and each (model, series) adds the checks and scores of the run
(:data:`PER_SERIES_OVERHEAD`). A model with a history cap (``max_history="auto"``: ets, stheta,
arima) is costed on the points it fits, at most its cap at the data's season
(:func:`forecast.models.history_cap.history_cap`; with drivers at least
:data:`~forecast.models.history_cap.DRIVERS_CAP_POINTS`). On a busy machine a job gets a share of the cores: the estimate
is multiplied by the load per core when that exceeds 1, and the per-series models' part
divided by the processes their fits fan out over (a job's runner uses every core).

:func:`estimate_job` returns the estimate with its parts per model, and, above
:data:`WARN_SECONDS`, the cheaper model set that fits under it (the most expensive models left
out first, seasonal naive and ``auto`` kept while ``auto`` has a candidate).
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from forecast.models.history_cap import DRIVERS_CAP_POINTS, history_cap
from forecast.models.registry import model_class

__all__ = [
    "FIT_COST",
    "PER_SERIES_OVERHEAD",
    "WARN_SECONDS",
    "JobCost",
    "duration_text",
    "estimate_job",
    "eta_seconds",
]

#: CPU seconds of one fit + predict: ``(a, b)`` of ``a + b * n / 100`` for ``n`` points (per
#: series for per-series models, the whole frame for global ones). Measured by
#: ``benchmarks/job_cost.py`` (fastest of 2, one thread).
FIT_COST: dict[str, tuple[float, float]] = {
    "naive": (0.0023, 0.0),
    "snaive": (0.0026, 0.0),
    "drift": (0.0024, 0.0),
    "ets": (0.0088, 0.0487),
    "theta": (0.0038, 0.0140),
    "stheta": (0.0046, 0.0015),
    "dotheta": (0.0038, 0.0140),  # as theta (not measured)
    "ces": (0.0088, 0.0487),  # as ets (not measured)
    "mstl": (0.0088, 0.0487),  # as ets (not measured)
    "arima": (0.0272, 0.3339),
    "pretrained": (0.0099, 0.0005),
    "auto": (0.0, 0.0),
}
#: A neural model the table does not list: seconds per fit over the frame (its epochs of
#: training dominate).
GLOBAL_DEFAULT = (20.0, 0.05)
#: Seconds each (model, series) adds per fit round: residual check, scores per window,
#: calibration (a seasonal-naive-only run of 148 series x 200 points, 3 windows: 1.45 CPU s in
#: all, 0.0024 s per series and round with the fits).
PER_SERIES_OVERHEAD = 0.002
#: Reading the data and writing the job, once.
JOB_OVERHEAD = 1.0
#: Above this many seconds the Run page warns and suggests a cheaper set.
WARN_SECONDS = 60.0


@dataclass
class JobCost:
    """An estimate of a job's duration.

    Attributes
    ----------
    seconds : float
        Expected wall seconds (CPU seconds times ``busy``, the per-series models' divided by the
        processes they fan out over).
    per_model : dict
        Model -> expected wall seconds of its fits.
    busy : float
        Load per core the estimate was multiplied by (1 on an idle machine).
    fits : int
        Model fits of the job (series x (windows + 1) per per-series model).
    cheaper : list of str or None
        A model set under :data:`WARN_SECONDS`, when the job is above it and one exists.
    cheaper_seconds : float or None
        Its estimate.
    """

    seconds: float
    per_model: dict = field(default_factory=dict)
    busy: float = 1.0
    fits: int = 0
    cheaper: list | None = None
    cheaper_seconds: float | None = None

    @property
    def warn(self) -> bool:
        """Whether the job is expected to take longer than :data:`WARN_SECONDS`."""
        return self.seconds > WARN_SECONDS

    def text(self) -> str:
        """The estimate in words (what the Run page shows)."""
        parts = sorted(self.per_model.items(), key=lambda kv: -kv[1])
        big = [f"{m} {duration_text(s)}" for m, s in parts if s >= 1.0][:4]
        out = f"Estimated duration: about {duration_text(self.seconds)}"
        if big:
            out += f" ({', '.join(big)})"
        out += f"; {self.fits:,} model fits."
        if self.busy > 1.05:
            out += f" The machine is busy: counted ×{self.busy:.1f} for the load."
        if self.warn:
            if self.cheaper:
                out += (
                    f" That is over a minute: {', '.join(self.cheaper)} would take about "
                    f"{duration_text(self.cheaper_seconds or 0.0)}."
                )
            else:
                out += " That is over a minute: fewer backtest windows or series would help."
        return out


def duration_text(seconds: float) -> str:
    """``"40 s"``, ``"3 min"``, ``"1 h 20 min"``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _fit_seconds(name: str, points: float) -> float:
    a, b = FIT_COST.get(name) or (GLOBAL_DEFAULT if _global(name) else FIT_COST["ets"])
    return a + b * points / 100.0


def _global(name: str) -> bool:
    try:
        return model_class(name).scope == "global"
    except Exception:
        return False


def _fitted_points(name: str, season: int, drivers: bool) -> int | None:
    """The most points a per-series model fits a series on by default (None: every point)."""
    try:
        klass = model_class(name)
        default = inspect.signature(klass).parameters["max_history"].default
    except Exception:  # no such model, or no history cap
        return None
    if default != "auto":
        return None
    m = max(int(season or 1), 1)
    cap = history_cap("auto", m, points=klass.cap_points, seasons=klass.cap_seasons)
    return max(cap, DRIVERS_CAP_POINTS) if drivers else cap


def _cpu(
    lengths: Sequence[int],
    horizon: int,
    windows: int,
    models: Sequence[str],
    season: int = 1,
    drivers: bool = False,
) -> tuple[dict, int]:
    names = list(models)
    if windows and "snaive" not in names:
        names.append("snaive")  # the reference of skill is backtested in every job
    per_model: dict[str, float] = {}
    fits = 0
    for name in names:
        if name == "auto":
            per_model[name] = PER_SERIES_OVERHEAD * len(lengths)
            continue
        total = 0.0
        rounds = [(w + 1) * horizon for w in range(windows)] + [0]  # backtest cuts, then refit
        for cut in rounds:
            if _global(name):
                points = sum(max(n - cut, 1) for n in lengths)
                total += _fit_seconds(name, points)
                fits += 1
            else:
                cap = _fitted_points(name, season, drivers) or math.inf
                total += sum(_fit_seconds(name, min(max(n - cut, 1), cap)) for n in lengths)
                fits += len(lengths)
        total += PER_SERIES_OVERHEAD * len(lengths) * (windows + 1)
        per_model[name] = total
    return per_model, fits


def _busy(load: float | None, cores: int | None) -> float:
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:  # not on every platform
            load = 0.0
    cores = cores or os.cpu_count() or 1
    return max(1.0, float(load) / float(cores))


def estimate_job(
    lengths: Sequence[int],
    *,
    horizon: int,
    windows: int,
    models: Sequence[str],
    load: float | None = None,
    cores: int | None = None,
    season: int = 1,
    drivers: bool = False,
    workers: int | None = None,
) -> JobCost:
    """The expected duration of a job.

    Parameters
    ----------
    lengths : sequence of int
        Points of every series (one entry per series).
    horizon : int
        Steps forecast (each backtest window cuts this many more from the history).
    windows : int
        Backtest windows (0: none).
    models : sequence of str
        Models of the job.
    load : float, optional
        Load average to count (default: this machine's, 1 minute).
    cores : int, optional
        Cores (default: this machine's).
    season : int
        The data's season in steps (the history caps keep whole seasons; default 1).
    drivers : bool
        Whether the models are fitted with drivers (the caps keep more points).
    workers : int, optional
        Processes the per-series fits fan out over (default: ``cores``, as a job's runner
        does); a global model trains in one.

    Returns
    -------
    JobCost

    Examples
    --------
    >>> cost = estimate_job([144], horizon=12, windows=3, models=["snaive"], load=0, cores=1)
    >>> cost.fits, cost.seconds < 5
    (4, True)
    """
    busy = _busy(load, cores)
    per_model, fits = _cpu(lengths, horizon, windows, models, season, drivers)
    fan_out = max(1, min(int(workers or cores or os.cpu_count() or 1), len(lengths)))
    per_model = {m: s if _global(m) else s / fan_out for m, s in per_model.items()}
    seconds = (JOB_OVERHEAD + sum(per_model.values())) * busy
    cost = JobCost(
        seconds=seconds,
        per_model={m: s * busy for m, s in per_model.items()},
        busy=busy,
        fits=fits,
    )
    if cost.warn:
        cost.cheaper, cost.cheaper_seconds = _cheaper(
            lengths, horizon, windows, models, busy, season, drivers, fan_out
        )
    return cost


def _cheaper(
    lengths, horizon, windows, models, busy, season=1, drivers=False, fan_out=1
) -> tuple[list | None, float | None]:
    """Leave the most expensive models out, one at a time, until the job fits in a minute."""
    keep = list(models)
    per_model, _ = _cpu(lengths, horizon, windows, keep, season, drivers)
    order = sorted((m for m in keep if m not in ("snaive", "auto")), key=lambda m: -per_model[m])
    for name in order:
        candidates = [m for m in keep if m not in ("snaive", "auto", name)]
        if not candidates:
            break
        keep = [m for m in keep if m != name]
        if "auto" in keep and not candidates:
            keep.remove("auto")
        work = _cpu(lengths, horizon, windows, keep, season, drivers)[0]
        wall = sum(v if _global(m) else v / fan_out for m, v in work.items())
        seconds = (JOB_OVERHEAD + wall) * busy
        if seconds <= WARN_SECONDS:
            return keep, seconds
    return None, None


def eta_seconds(elapsed: float, done: float, total: float) -> float | None:
    """Seconds left at the pace so far (None before any step is done).

    Parameters
    ----------
    elapsed : float
        Seconds since the job started.
    done, total : float
        Steps done and steps in all.
    """
    if done <= 0 or total <= 0 or not math.isfinite(elapsed):
        return None
    return max(0.0, elapsed * (total - done) / done)
