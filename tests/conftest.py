"""Shared test set-up: small data factories, one torch thread, a temporary FORECAST_HOME, and the
job store on both backends (SQLite, and a throwaway PostgreSQL server: :mod:`pgcluster`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pgcluster import create_database, missing, running_cluster

os.environ.setdefault("OMP_NUM_THREADS", "1")

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(autouse=True)
def _forecast_home(tmp_path, monkeypatch):
    """Every test gets its own FORECAST_HOME so nothing leaks between tests or into the repo."""
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path / "forecast-home"))


def make_frame(
    n: int = 96,
    *,
    freq: str = "MS",
    series: int = 1,
    season: int = 12,
    trend: float = 0.5,
    noise: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A long frame of seasonal series with trend and noise (factory for tests)."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(series):
        t = np.arange(n)
        y = 50 + 10 * k + trend * t + 10 * np.sin(2 * np.pi * t / season) + rng.normal(0, noise, n)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"s{k}",
                    "ds": pd.date_range("2000-01-01", periods=n, freq=freq),
                    "y": y,
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df.attrs["freq"] = freq
    return df


def make_driver_frame(
    n: int = 80,
    h: int = 6,
    *,
    series: int = 2,
    freq: str = "MS",
    effect: float = 5.0,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Series that move with a driver ``x`` (``effect`` units of y per unit of x) plus a 0/1
    flag ``flag`` (3 units): returns ``(history, future, actuals)`` — the ``n`` observed rows
    with both drivers, the ``h`` future rows of the drivers (``unique_id, ds, x, flag``) and the
    future ``y`` (``unique_id, ds, y``)."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(series):
        t = np.arange(n + h)
        x = rng.normal(0, 1, n + h)
        flag = (rng.random(n + h) < 0.3).astype(float)
        level = 40 + 10 * k + np.cumsum(rng.normal(0, 0.3, n + h))
        y = level + effect * x + 3 * flag + 4 * np.sin(2 * np.pi * t / 12)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"s{k}",
                    "ds": pd.date_range("2000-01-01", periods=n + h, freq=freq),
                    "y": y,
                    "x": x,
                    "flag": flag,
                }
            )
        )
    full = pd.concat(frames, ignore_index=True)
    step = full.groupby("unique_id").cumcount()
    history = full[step < n].reset_index(drop=True)
    future = full.loc[step >= n, ["unique_id", "ds", "x", "flag"]].reset_index(drop=True)
    actuals = full.loc[step >= n, ["unique_id", "ds", "y"]].reset_index(drop=True)
    history.attrs["freq"] = freq
    return history, future, actuals


@pytest.fixture
def seasonal_frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def pg_cluster():
    """URL of a private PostgreSQL server for the whole session (stopped afterwards).

    Without PostgreSQL the tests that need it skip, except when ``CI`` is set: then they fail.
    """
    reason = missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the PostgreSQL tests must run in CI: {reason}")
        pytest.skip(reason)
    try:
        with running_cluster() as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A fresh, empty PostgreSQL database of the session's server."""
    return create_database(pg_cluster)


#: The two store backends, as parameters: ``pytest -m postgres`` selects the PostgreSQL ones.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> str:
    """SQLAlchemy URL of an empty job store: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return request.getfixturevalue("pg_url")
