"""Series read for people: a long file's constant text column is the series' label, blanks
before a series starts are said in plain words, frequencies read in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.calendar.frequency import freq_words
from forecast.ingest.reader import read_csv


def _employment_like(tmp_path):
    """Two monthly series in a long file as fpp3's us_employment: Series_ID, Title, blanks
    before the younger series starts, one gap inside it."""
    months = pd.period_range("1939-01", periods=36, freq="M").strftime("%Y %b")
    rows = []
    for sid, title, start, level in (
        ("CEU0500000001", "Total Private", 0, 25000.0),
        ("CEU1000000001", "Mining and Logging", 12, 900.0),
    ):
        for i, month in enumerate(months):
            value = "" if i < start else f"{level + 10 * i:.1f}"
            if sid == "CEU1000000001" and i == 20:
                value = "NA"
            rows.append({"Month": month, "Series_ID": sid, "Title": title, "Employed": value})
    path = tmp_path / "employment.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_constant_text_column_becomes_the_series_label(tmp_path):
    df, report = read_csv(_employment_like(tmp_path), fill="interpolate")
    assert report.keys == ["Series_ID"]
    assert report.labels == {
        "CEU0500000001": "Total Private",
        "CEU1000000001": "Mining and Logging",
    }
    said = " ".join(report.repairs)
    assert "'Title' is constant within each series: read as the series' label" in said
    assert "Ignored non-numeric columns" not in said  # Title is used, not ignored
    # the 12 blanks before the younger series starts are not gaps; the NA inside it is
    assert "12 blank cells before a series starts or after it ends, left out" in said
    assert "1 missing cells inside series ('NA'), read as gaps" in said
    assert "(empty)" not in said
    assert df.groupby("unique_id").size().to_dict() == {"CEU0500000001": 36, "CEU1000000001": 24}
    assert np.isfinite(df["y"]).all()


def test_a_text_column_that_varies_within_a_series_is_no_label(tmp_path):
    path = _employment_like(tmp_path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table["Title"] = [f"note {i % 3}" for i in range(len(table))]
    table.to_csv(path, index=False)
    _df, report = read_csv(path, fill="interpolate")
    assert report.labels == {}
    assert "Ignored non-numeric columns ['Title']." in report.repairs


def test_frequencies_read_in_words():
    assert freq_words("QS-OCT") == "quarterly"
    assert freq_words("MS") == "monthly"
    assert freq_words("W-SUN") == "weekly (Sundays)"
    assert freq_words("B") == "business-daily"
    assert freq_words("15min") == "every 15 minutes"
    assert freq_words(None) == "unknown"
    assert freq_words("odd") == "odd"  # no words: the alias itself


def test_the_answer_names_each_series_by_its_label(tmp_path):
    from forecast.run.pipeline import run_forecast

    df, _report = read_csv(_employment_like(tmp_path), fill="interpolate")
    result = run_forecast(df, horizon=3, models="snaive,drift", backtest_windows=2)
    rec = result.recommended
    assert rec["labels"] == {
        "CEU0500000001": "Total Private",
        "CEU1000000001": "Mining and Logging",
    }
    assert rec["verdicts"]["CEU0500000001"].startswith(
        f"Use {rec['per_series']['CEU0500000001']} for 'Total Private · CEU0500000001'"
    )
