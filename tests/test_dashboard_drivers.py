"""Drivers in the dashboard, called directly: the Data page's roles and the Drivers section."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import datasets
from dashboard import diagnostics_drivers as diag_page
from dashboard.pages import data as data_page
from forecast.ingest.frame import observed_drivers


def _text(component) -> str:
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_text(c) for c in component)
    out = _text(getattr(component, "children", None))
    data = getattr(component, "data", None)
    if isinstance(data, list):
        out += " " + " ".join(str(v) for row in data for v in row.values())
    return out


def demand_csv(n: int = 150, future: int = 4) -> bytes:
    """Daily demand driven by the same day's temperature; the last rows hold drivers only."""
    rng = np.random.default_rng(0)
    temp = np.zeros(n + future)
    for t in range(1, n + future):
        temp[t] = 0.7 * temp[t - 1] + rng.normal()
    workday = (np.arange(n + future) % 7 < 5).astype(float)
    demand = 50 + 3 * temp[:n] + 2 * workday[:n] + rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2023-01-02", periods=n + future, freq="D").strftime("%Y-%m-%d"),
            "Demand": np.r_[demand.round(3), [np.nan] * future],
            "Temperature": temp.round(3),
            "WorkDay": workday,
        }
    )
    return frame.to_csv(index=False).encode()


def test_overrides_keep_their_old_dict_and_carry_the_driver_roles():
    assert datasets.Overrides.from_dict({"fill": "ffill"}).to_dict() == {
        "time_col": None,
        "value_cols": [],
        "id_col": None,
        "freq": None,
        "fill": "ffill",
    }
    ov = datasets.Overrides.from_dict(
        {
            "drivers": ["Temperature"],
            "observed_only": "Temperature",
            "calendar": True,
            "holidays": " AU ",
        }
    )
    assert (ov.drivers, ov.observed_only, ov.calendar, ov.holidays) == (
        ("Temperature",),
        ("Temperature",),
        True,
        "AU",
    )
    assert datasets.Overrides.from_dict(ov.to_dict()) == ov


def test_data_page_shows_roles_and_future_rows():
    digest = datasets.save_dataset(demand_csv(), "demand.csv")
    store = {
        "hash": digest,
        "filename": "demand.csv",
        "overrides": {
            "value_cols": ["Demand"],
            "drivers": ["Temperature", "WorkDay"],
            "holidays": "AU",
        },
    }
    out = data_page.render(store)
    assert out[0] is None
    text = _text(out[1])
    assert "Roles" in text and "Future rows (4" in text
    assert "Demand target" in text and "Temperature driver file yes" in text
    assert "holiday driver holidays yes" in text
    assert out[12] == ["Temperature", "WorkDay"]  # the drivers' dropdown value
    assert [o["value"] for o in out[13]] == ["Temperature", "WorkDay", "holiday"]
    assert out[15] == [] and out[16] == "AU"


def test_applying_drivers_takes_them_out_of_the_targets():
    current = {"hash": "x", "filename": "demand.csv", "overrides": {}}
    out = data_page.choose_dataset(
        "ov-apply",
        None,
        {"value_cols": ["Demand", "Temperature", "WorkDay"], "drivers": ["Temperature"]},
        current,
    )
    assert out["overrides"]["value_cols"] == ["Demand", "WorkDay"]
    assert out["overrides"]["drivers"] == ["Temperature"]


def test_marking_a_driver_observed_only_drops_its_future():
    digest = datasets.save_dataset(demand_csv(), "demand.csv")
    ov = {
        "value_cols": ["Demand"],
        "drivers": ["Temperature", "WorkDay"],
        "observed_only": ["Temperature"],
    }
    df, report = datasets.load_frame(digest, ov)
    facts = {d.name: d for d in report.drivers}
    assert not facts["Temperature"].known_in_advance and facts["WorkDay"].known_in_advance
    assert report.future["Temperature"].isna().all()
    assert observed_drivers(df) == ["Temperature"]


def test_drivers_section_draws_both_ccfs_the_scatter_and_the_reading():
    digest = datasets.save_dataset(demand_csv(), "demand.csv")
    store = {
        "hash": digest,
        "filename": "demand.csv",
        "overrides": {"value_cols": ["Demand"], "drivers": ["Temperature", "WorkDay"]},
    }
    note, options, value, raw, pw, scatter, facts = diag_page.driver_views(store, "Demand", None)
    assert note is None and value == "Temperature"
    assert [o["value"] for o in options] == ["Temperature", "WorkDay"]
    assert "raw CCF" in raw.layout.title.text and "prewhitened CCF" in pw.layout.title.text
    assert len(pw.data[2].x) == len(raw.data[2].x) >= 25
    assert "Temperature(t)" in scatter.layout.title.text  # the lead is 0: the same day
    text = _text(facts)
    assert "Temperature moves Demand in the same day" in text and "Granger p" in text
    other = diag_page.driver_views(store, "Demand", "WorkDay")
    assert other[2] == "WorkDay"


def test_drivers_section_without_drivers_says_where_to_name_them():
    digest = datasets.save_dataset(demand_csv(), "demand.csv")
    store = {"hash": digest, "filename": "demand.csv", "overrides": {"value_cols": ["Demand"]}}
    note, options, *_ = diag_page.driver_views(store, "Demand", None)
    assert "No drivers" in _text(note) and options == []
