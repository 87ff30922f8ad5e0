"""Shared test set-up: small data factories, one torch thread, a temporary FORECAST_HOME."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

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


@pytest.fixture
def seasonal_frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture
def data_dir() -> Path:
    return DATA
