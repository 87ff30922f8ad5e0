"""forecast.ingest.reader.read_csv on a corpus of good and bad CSV files, and on the bundled data."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import DataError
from forecast.ingest.reader import read_csv, series_summary

CORPUS = Path(__file__).parent / "csv_corpus"
STEP = [1.5, 2.5, 3.5, 4.5]
DAYS = pd.date_range("2021-01-01", periods=4, freq="D")

# file -> (unique ids, first series' ds, first series' y, freq, report checks)
GOOD = {
    "comma_iso_daily.csv": (["value"], DAYS, STEP, "D", {"delimiter": ","}),
    "semicolon_decimal_comma.csv": (
        ["Umsatz"],
        DAYS,
        STEP,
        "D",
        {"delimiter": ";", "decimal": ","},
    ),
    "tab_separated.csv": (["value"], DAYS, STEP, "D", {"delimiter": "\t"}),
    "pipe_separated.csv": (["value"], DAYS, STEP, "D", {"delimiter": "|"}),
    "index_column_first.csv": (["value"], DAYS, STEP, "D", {"time_col": "date"}),
    "dayfirst_slashes.csv": (
        ["value"],
        pd.date_range("2020-12-30", periods=4, freq="D"),
        STEP,
        "D",
        {"dayfirst": True},
    ),
    "european_thousands.csv": (
        ["Wert"],
        pd.date_range("2021-01-01", periods=4, freq="MS"),
        [1234.5, 2345.5, 3456.5, 4567.5],
        "MS",
        {"decimal": ",", "thousands": "."},
    ),
    "us_thousands_quoted.csv": (
        ["value"],
        pd.date_range("2021-01-01", periods=4, freq="MS"),
        [1234.5, 2345.5, 3456.5, 4567.5],
        "MS",
        {"decimal": ".", "thousands": ","},
    ),
    "integer_years.csv": (["value"], pd.date_range("2001", periods=4, freq="YS"), STEP, "YS", {}),
    "quarters.csv": (
        ["value"],
        pd.date_range("1959-01-01", periods=4, freq="QS"),
        STEP,
        "QS-OCT",
        {},
    ),
    "year_month.csv": (
        ["value"],
        pd.date_range("2001-03-01", periods=4, freq="MS"),
        STEP,
        "MS",
        {},
    ),
    "na_text.csv": (["value"], DAYS, [1.5, np.nan, 3.5, 4.5], "D", {}),
    "gap_missing_row.csv": (
        ["value"],
        pd.date_range("2021-01-01", periods=5, freq="D"),
        [1.5, 2.5, np.nan, 4.5, 5.5],
        "D",
        {},
    ),
    "unsorted.csv": (["value"], DAYS, STEP, "D", {}),
    "exact_duplicate_rows.csv": (["value"], DAYS, STEP, "D", {"dropped_rows": 1}),
    "wide_two_series.csv": (["a", "b"], DAYS, STEP, "D", {"value_cols": ["a", "b"]}),
    "long_two_series.csv": (["x", "y"], DAYS, STEP, "D", {"id_col": "store"}),
    "month_end_dates.csv": (
        ["value"],
        pd.date_range("2021-01-31", periods=4, freq="ME"),
        STEP,
        "ME",
        {},
    ),
    "weekly_sundays.csv": (
        ["value"],
        pd.date_range("2021-01-03", periods=4, freq="W-SUN"),
        STEP,
        "W-SUN",
        {},
    ),
    "hourly.csv": (["value"], pd.date_range("2021-01-01", periods=4, freq="h"), STEP, "h", {}),
    "crlf_line_endings.csv": (["value"], DAYS, STEP, "D", {}),
    "extra_text_column.csv": (["value"], DAYS, STEP, "D", {"value_cols": ["value"]}),
    "utf8_bom.csv": (["value"], DAYS, STEP, "D", {"encoding": "utf-8-sig", "time_col": "date"}),
    "latin1.csv": (["Temperatur °C"], DAYS, STEP, "D", {"encoding": "latin-1", "decimal": ","}),
    # US-locale and spreadsheet exports
    "us_monthly_excel_export.csv": (
        ["Sales"],
        pd.date_range("2016-01-01", periods=14, freq="MS"),
        [100.0 + 10 * i for i in range(14)],
        "MS",
        {"dayfirst": False, "ambiguous_dates": False},
    ),
    "us_monthly_one_year_ambiguous.csv": (
        ["Sales"],
        pd.date_range("2016-01-01", periods=6, freq="MS"),
        [1.5, 2.5, 3.5, 4.5, 5.5, 6.5],
        "MS",
        {"dayfirst": False, "ambiguous_dates": True},
    ),
    "us_weekly_export.csv": (
        ["Units Sold"],
        pd.date_range("2021-01-03", periods=6, freq="W-SUN"),
        [1.5, 2.5, 3.5, 4.5, 5.5, 6.5],
        "W-SUN",
        {"dayfirst": False},
    ),
    "excel_trailing_columns_footer.csv": (
        ["Sales"],
        pd.date_range("2021-01-31", periods=4, freq="ME"),
        [1200.0, 1350.5, 980.0, 1410.25],
        "ME",
        {"dayfirst": False, "thousands": ",", "dropped_rows": 1},
    ),
    "units_row.csv": (
        ["rain", "temperature"],
        DAYS,
        [0.0, 0.5, 1.0, 1.5],
        "D",
        {"value_cols": ["temperature", "rain"], "dropped_rows": 1},
    ),
    "total_row.csv": (
        ["value"],
        pd.date_range("2001", periods=4, freq="YS"),
        STEP,
        "YS",
        {"dropped_rows": 1},
    ),
    "quoted_thousands_us_dates.csv": (
        ["Revenue"],
        pd.date_range("2021-01-31", periods=4, freq="ME"),
        [1234567.89, -2500.0, 12000.0, 999.5],
        "ME",
        {"thousands": ",", "decimal": ".", "dayfirst": False},
    ),
    "dst_offsets_hourly_fall.csv": (  # UTC: regular through the repeated local hour
        ["load_mw"],
        pd.date_range("2021-10-30 22:00", periods=6, freq="h"),
        [1.5, 2.5, 3.5, 4.5, 5.5, 6.5],
        "h",
        {"utc_offsets": "utc"},
    ),
    "dst_offsets_daily_spring.csv": (  # local midnight kept: in UTC the change moves it
        ["visits"],
        pd.date_range("2021-03-26", periods=6, freq="D"),
        [1.5, 2.5, 3.5, 4.5, 5.5, 6.5],
        "D",
        {"utc_offsets": "wall"},
    ),
}

# file -> sentences (parts) the report's repairs must carry
REPORT_LINES = {
    "us_monthly_excel_export.csv": [
        "Read dates in 'Date' as month-first (mm/dd/yyyy): every date reads both ways",
        "100% of steps are one MS step",
    ],
    "us_monthly_one_year_ambiguous.csv": [
        "The dates in 'Date' are ambiguous",
        "(month-first: MS, day-first: D)",
        "Read month-first (mm/dd/yyyy), the coarser step MS",
    ],
    "us_weekly_export.csv": ["as month-first (mm/dd/yyyy): '01/17/2021' has a second field"],
    "quoted_thousands_us_dates.csv": ["as month-first (mm/dd/yyyy): '1/31/2021'"],
    "excel_trailing_columns_footer.csv": [
        "Dropped 3 empty columns ('Unnamed: 2', 'Unnamed: 3', 'Unnamed: 4').",
        "Dropped 1 row after the data (from line 7: 'Source: sales ledger, all regions')",
    ],
    "units_row.csv": ["Dropped the units row under the header (line 2: °C, mm)."],
    "total_row.csv": ["Dropped the summary row 'Total' (line 6)"],
    "dst_offsets_hourly_fall.csv": [
        "Converted timestamps with UTC offsets to UTC (+01:00, +02:00 in 'timestamp'; "
        "e.g. '2021-10-31T00:00:00+02:00' is 2021-10-30 22:00:00 UTC)."
    ],
    "dst_offsets_daily_spring.csv": [
        "Kept the local wall-clock time of the timestamps with UTC offsets in 'date' "
        "(+01:00, +02:00)",
        "local time is regular (D)",
    ],
    "dayfirst_slashes.csv": ["as day-first (dd/mm/yyyy): '30/12/2020' has a first field above 12"],
}

# file -> (error words that must all appear in the message, case-insensitive)
BAD = {
    "empty.csv": ["empty"],
    "whitespace_only.csv": ["empty"],
    "header_only.csv": ["header", "no data rows"],
    "no_time_column.csv": ["no column holds dates", "time_col"],
    "no_numeric_column.csv": ["no column holds numbers", "comment"],
    "text_in_numbers.csv": ["'value'", "line 3", "'abc'", "not a number"],
    "conflicting_duplicates.csv": ["duplicate timestamp", "2021-01-02", "different values"],
    "too_short.csv": ["2 observed values", "at least 3"],
    "irregular_times.csv": ["off the d grid", "irregular"],
    "binary_zip.csv": ["not text"],
    "utf16.csv": ["utf-16"],
    "mixed_day_month_order.csv": ["mix day-first ('13/01/2021')", "month-first ('01/14/2021')"],
    # naive local times through the autumn DST change: the repeated hour cannot be told apart
    "dst_fallback_without_offsets.csv": ["duplicate timestamp 2021-10-31 02:00:00", "[3.5, 4.5]"],
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_corpus_file_gives_exact_frame(name):
    ids, ds, y, freq, checks = GOOD[name]
    df, report = read_csv(CORPUS / "good" / name)
    assert list(df.columns) == ["unique_id", "ds", "y"]
    assert sorted(df["unique_id"].unique()) == ids
    first = df[df["unique_id"] == ids[0]]
    pd.testing.assert_index_equal(
        pd.DatetimeIndex(first["ds"]), pd.DatetimeIndex(ds), check_names=False
    )
    np.testing.assert_allclose(first["y"].to_numpy(), y, equal_nan=True)
    assert report.freq == freq
    assert df.attrs["freq"] == freq
    for key, value in checks.items():
        assert getattr(report, key) == value, key


@pytest.mark.parametrize("name", sorted(REPORT_LINES))
def test_good_corpus_file_says_how_it_was_read(name):
    _, report = read_csv(CORPUS / "good" / name)
    text = "\n".join(report.repairs)
    for part in REPORT_LINES[name]:
        assert part in text, (part, report.repairs)


def test_corpus_lists_every_file():
    assert sorted(p.name for p in (CORPUS / "good").glob("*.csv")) == sorted(GOOD)
    assert sorted(p.name for p in (CORPUS / "bad").glob("*.csv")) == sorted(BAD)


def test_calendar_regularity_counts_calendar_steps():
    from forecast.calendar.frequency import calendar_regularity

    assert calendar_regularity(pd.date_range("2016-01-01", periods=13, freq="MS")) == (1.0, "MS")
    assert calendar_regularity(pd.date_range("2016-01-31", periods=13, freq="ME")) == (1.0, "ME")
    assert calendar_regularity(pd.date_range("2021-01-04", periods=15, freq="B")) == (1.0, "B")
    assert (
        calendar_regularity(
            pd.date_range("2016-01-15", periods=6, freq="MS") + pd.Timedelta(days=14)
        )[0]
        == 1.0
    )
    days = pd.to_datetime([f"2016-01-{d:02d}" for d in range(1, 13)] + ["2017-01-01"])
    assert calendar_regularity(days) == (11 / 12, "D")
    assert calendar_regularity(days, "MS")[0] == 0.0
    assert calendar_regularity(days[:2]) == (0.0, None)


def test_ambiguous_dates_follow_the_frequency_asked_for():
    path = CORPUS / "good" / "us_monthly_one_year_ambiguous.csv"
    df, report = read_csv(path, freq="D")  # the override: these were January 1st to 6th
    assert report.freq == "D" and report.dayfirst is True and not report.ambiguous_dates
    assert df["ds"].tolist() == list(pd.date_range("2016-01-01", periods=6, freq="D"))
    assert any("the frequency D asked for fits this reading" in r for r in report.repairs)


def test_us_export_of_six_years_reads_as_72_months():
    months = pd.date_range("2016-01-01", periods=72, freq="MS")
    text = "Date,Sales\n" + "".join(
        f"{d.month}/{d.day}/{d.year},{i}\n" for i, d in enumerate(months)
    )
    df, report = read_csv(text.encode())
    assert report.freq == "MS" and len(df) == 72 and report.gaps == {"Sales": 0}
    assert df["ds"].tolist() == list(months)


def test_summary_label_kept_when_it_names_a_series():
    rows = "".join(f"{uid},2021-01-0{d},{d}\n" for d in range(1, 5) for uid in ("Total", "x"))
    df, _ = read_csv(("region,date,sales\n" + rows).encode())
    assert sorted(df["unique_id"].unique()) == ["Total", "x"]


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_corpus_file_gives_clear_data_error(name):
    with pytest.raises(DataError) as info:
        read_csv(CORPUS / "bad" / name)
    message = str(info.value).lower()
    for word in BAD[name]:
        assert word.lower() in message, (word, message)


def test_frame_invariants_hold_for_bundled_data(data_dir):
    expected = {
        "air_passengers.csv": (1, 144, "MS"),
        "co2_weekly.csv": (1, 2284, "W-SAT"),
        "sunspots_yearly.csv": (1, 309, "YS"),
        "us_macro_quarterly.csv": (5, 203, "QS-OCT"),
    }
    for name, (n_series, n_obs, freq) in expected.items():
        df, report = read_csv(data_dir / name)
        assert df["unique_id"].nunique() == n_series
        assert df.groupby("unique_id").size().eq(n_obs).all(), name
        assert report.freq == freq
        assert df["ds"].dtype == "datetime64[ns]" and df["y"].dtype == "float64"
        assert not df.duplicated(["unique_id", "ds"]).any()
        assert df.equals(df.sort_values(["unique_id", "ds"], ignore_index=True))


def test_co2_gaps_are_reported_and_filled_only_by_policy(data_dir):
    raw, report = read_csv(data_dir / "co2_weekly.csv")
    assert report.gaps == {"co2": 59} and raw["y"].isna().sum() == 59
    filled, report = read_csv(data_dir / "co2_weekly.csv", fill="interpolate")
    assert report.missing_filled == {"co2": 59} and not filled["y"].isna().any()
    assert any("interpolation" in r for r in report.repairs)
    # interpolation only touches the gaps
    observed = raw["y"].notna()
    np.testing.assert_array_equal(raw.loc[observed, "y"], filled.loc[observed, "y"])


def test_ffill_policy_carries_the_last_value():
    df, report = read_csv(CORPUS / "good" / "gap_missing_row.csv", fill="ffill")
    assert df["y"].tolist() == [1.5, 2.5, 2.5, 4.5, 5.5]
    assert report.fill == "ffill" and report.missing_filled == {"value": 1}


def test_source_can_be_bytes_path_string_or_file_object():
    path = CORPUS / "good" / "comma_iso_daily.csv"
    frames = [
        read_csv(path)[0],
        read_csv(str(path))[0],
        read_csv(path.read_bytes())[0],
        read_csv(io.BytesIO(path.read_bytes()))[0],
        read_csv(io.StringIO(path.read_text()))[0],
    ]
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other)


def test_explicit_columns_and_frequency_override_detection():
    text = b"when,id,a,b\n2021-01-01,x,1,10\n2021-01-02,x,2,20\n2021-01-03,x,3,30\n"
    df, report = read_csv(text, time_col="when", value_cols=["b"])
    assert report.value_cols == ["b"] and df["y"].tolist() == [10, 20, 30]
    with pytest.raises(DataError, match="'nope' is not in the file"):
        read_csv(text, time_col="nope")
    with pytest.raises(DataError, match="not a pandas offset alias"):
        read_csv(text, freq="fortnightly")


def test_size_limit_is_configurable():
    path = CORPUS / "good" / "comma_iso_daily.csv"
    with pytest.raises(DataError, match="limit"):
        read_csv(path, max_bytes=10)
    with pytest.raises(DataError, match="limit"):
        read_csv(path.read_bytes(), max_bytes=10)


def test_missing_file_and_bad_fill_policy():
    with pytest.raises(DataError, match="File not found"):
        read_csv("/no/such/file.csv")
    with pytest.raises(DataError, match="gap policy"):
        read_csv(CORPUS / "good" / "comma_iso_daily.csv", fill="zero")


def test_series_summary_counts_rows_after_filling():
    df, report = read_csv(CORPUS / "good" / "gap_missing_row.csv", fill="interpolate")
    (summary,) = series_summary(df, report)
    assert summary == {
        "unique_id": "value",
        "n_obs": 5,
        "freq": "D",
        "start": "2021-01-01T00:00:00",
        "end": "2021-01-05T00:00:00",
        "gaps": 1,
        "missing_filled": 1,
    }


def test_mid_month_dates_snap_to_month_start():
    text = b"date,v\n2021-01-15,1\n2021-02-15,2\n2021-03-15,3\n2021-04-15,4\n"
    df, report = read_csv(text)
    assert report.freq == "MS"
    assert df["ds"].dt.day.eq(1).all()
    assert any("start of each" in r for r in report.repairs)
