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


LABELLED = {"CEU0500000001": "Total Private", "CEU1000000001": "Mining and Logging"}


def test_one_helper_names_a_series():
    from forecast.ingest.series_names import frame_labels, series_name

    assert series_name("CEU0500000001", LABELLED) == "Total Private · CEU0500000001"
    assert series_name("other", LABELLED) == "other"
    assert series_name(7, None) == "7"
    assert frame_labels(None) == {} and frame_labels(pd.DataFrame()) == {}


def test_every_chart_title_of_a_series_names_it_by_its_label(tmp_path):
    from forecast.diagnostics import diagnose
    from forecast.plots import (
        acf_figure,
        backtest_figure,
        forecast_figure,
        lag_scatter_figure,
        residual_figure,
        series_figure,
        stl_figure,
    )

    df, _report = read_csv(_employment_like(tmp_path), fill="interpolate")
    uid, name = "CEU0500000001", "Total Private · CEU0500000001"
    assert df.attrs["labels"] == LABELLED
    diag = next(d for d in diagnose(df, horizon=3) if d.unique_id == uid)
    assert diag.label == "Total Private" and diag.name == name
    assert diag.to_dict()["label"] == "Total Private"
    fc = pd.DataFrame(
        {
            "unique_id": uid,
            "ds": pd.date_range("1942-01-01", periods=3, freq="MS"),
            "model": "naive",
            "yhat": 1.0,
            "lo": 0.0,
            "hi": 2.0,
        }
    )
    bt = fc.assign(window=0, cutoff=pd.Timestamp("1941-12-01"), y=1.0)
    resid = pd.DataFrame({"unique_id": uid, "ds": df["ds"][:36], "resid": np.ones(36)})
    resid.attrs["labels"] = LABELLED
    titles = {
        "series": series_figure(df, uid).layout.title.text,
        "acf": acf_figure(diag).layout.title.text,
        "pacf": acf_figure(diag.to_dict(), kind="pacf").layout.title.text,
        "forecast": forecast_figure(df, fc, unique_id=uid).layout.title.text,
        "backtest": backtest_figure(df, bt, unique_id=uid).layout.title.text,
        "residuals": residual_figure(resid, {}, unique_id=uid, model="naive").layout.title.text,
        "lags": lag_scatter_figure(diag.values, name=diag.name).layout.title.text,
    }
    if diag.seasonal_period:
        titles["stl"] = stl_figure(diag).layout.title.text
    assert all(name in t for t in titles.values()), titles
    both = series_figure(df)  # every series: the legend names each by its label
    assert {t.name for t in both.data} == {f"{v} · {k}" for k, v in LABELLED.items()}
    # without labels a series is named by its id, as before
    plain = df.copy()
    plain.attrs.pop("labels")
    assert series_figure(plain, uid).layout.title.text == f"Series {uid}"


def test_the_dashboard_names_each_series_by_its_label(tmp_path):
    from dashboard import datasets
    from dashboard.pages import diagnostics as diag_page
    from dashboard.pages import run as run_page
    from dashboard.pages.results_series import series_page, shown_columns, with_labels

    raw = _employment_like(tmp_path).read_bytes()
    data = {
        "hash": datasets.save_dataset(raw, "employment.csv"),
        "filename": "employment.csv",
        "overrides": {"fill": "interpolate"},
    }
    options, first = diag_page.series_options(data)
    assert options == [
        {"label": "Total Private · CEU0500000001", "value": "CEU0500000001"},
        {"label": "Mining and Logging · CEU1000000001", "value": "CEU1000000001"},
    ]
    figures = diag_page.page_content(data, first)["figures"]
    for graph in ("diag-series-fig", "diag-lagscatter", "diag-acf", "diag-pacf"):
        assert "Total Private · CEU0500000001" in figures[graph]["layout"]["title"]["text"], graph
    # the Run page reads its window off the shortest series, and names it
    d = run_page.defaults(data)
    assert d["window_series"] == "Mining and Logging · CEU1000000001"
    # the per-series table of the Results page: a label column beside the series
    frame = pd.DataFrame({"unique_id": list(LABELLED), "model": "snaive", "mase": [1.0, 2.0]})
    table = with_labels(frame, LABELLED)
    assert shown_columns(table)[:2] == ["unique_id", "label"]
    records, _, _ = series_page(table)
    assert {r["unique_id"]: r["label"] for r in records} == LABELLED
    assert with_labels(frame, {}) is frame  # no labels: the table as it was
