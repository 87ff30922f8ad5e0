"""Drivers in the data model: roles, future rows, ``--future``, calendar columns, every bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.calendar.drivers import calendar_columns, calendar_drivers
from forecast.cli import app
from forecast.errors import DataError
from forecast.ingest.frame import driver_columns, known_drivers, observed_drivers
from forecast.ingest.reader import read_csv, read_text

runner = CliRunner()


def daily_csv(n: int = 10, future: int = 3, *, gap_at: int | None = None) -> str:
    """``date, Demand, Temp, WorkDay`` for ``n`` days, then ``future`` rows of drivers only."""
    lines = ["date,Demand,Temp,WorkDay"]
    days = pd.date_range("2024-01-01", periods=n + future, freq="D")
    for i, day in enumerate(days):
        demand = "" if i >= n else f"{100 + 2 * i}"
        temp = "" if i == gap_at else f"{20 + i % 5}"
        lines.append(f"{day.date()},{demand},{temp},{int(day.dayofweek < 5)}")
    return "\n".join(lines) + "\n"


def long_csv() -> str:
    """A long file ``month, State, Takings, CPI`` whose CPI varies per state; two future rows."""
    lines = ["month,State,Takings,CPI"]
    for state, base in (("NSW", 10.0), ("VIC", 20.0)):
        for i, month in enumerate(pd.date_range("2020-01-01", periods=8, freq="MS")):
            takings = f"{base + i}" if i < 6 else ""
            lines.append(f"{month.strftime('%Y-%m')},{state},{takings},{base / 10 + 0.1 * i}")
    return "\n".join(lines) + "\n"


def test_drivers_ride_beside_the_target_and_future_rows_come_apart():
    df, report = read_text(daily_csv(), value_cols="Demand", drivers="Temp,WorkDay")
    assert list(df.columns) == ["unique_id", "ds", "y", "Temp", "WorkDay"]
    assert driver_columns(df) == ["Temp", "WorkDay"]
    assert len(df) == 10 and df["y"].tolist() == [100.0 + 2 * i for i in range(10)]
    assert df["Temp"].dtype == np.float64 and df["Temp"].tolist()[:3] == [20.0, 21.0, 22.0]
    fut = report.future
    assert list(fut.columns) == ["unique_id", "ds", "Temp", "WorkDay"]
    assert fut["ds"].tolist() == list(pd.date_range("2024-01-11", periods=3, freq="D"))
    assert [d.name for d in report.drivers] == ["Temp", "WorkDay"]
    assert all(d.known_in_advance and d.future_rows == 3 for d in report.drivers)


def test_without_drivers_the_frame_keeps_three_columns_and_says_what_it_ignored():
    df, report = read_text(daily_csv(), value_cols="Demand")
    assert list(df.columns) == ["unique_id", "ds", "y"] and len(df) == 10
    assert report.drivers == [] and report.future.empty
    assert any("Ignored numeric columns ['Temp', 'WorkDay']" in r for r in report.repairs)
    assert not any("non-numeric" in r for r in report.repairs)


def test_drivers_all_takes_every_other_numeric_column_and_names_the_rest_targets():
    df, _ = read_text(daily_csv(), value_cols="Demand", drivers="all")
    assert driver_columns(df) == ["Temp", "WorkDay"]
    # drivers named, target not: the other numeric columns are the targets
    df, report = read_text(daily_csv(future=0), drivers="WorkDay")
    assert report.value_cols == ["Demand", "Temp"] and sorted(df["unique_id"].unique()) == [
        "Demand",
        "Temp",
    ]
    assert driver_columns(df) == ["WorkDay"]


def test_an_observed_only_driver_has_no_future_values():
    text = daily_csv(future=0) + "2024-01-11,,,1\n2024-01-12,,,1\n"
    df, report = read_text(text, value_cols="Demand", drivers="Temp,WorkDay")
    facts = {d.name: d for d in report.drivers}
    assert facts["WorkDay"].known_in_advance and facts["WorkDay"].future_rows == 2
    assert not facts["Temp"].known_in_advance and facts["Temp"].future_rows == 0
    assert report.future["Temp"].isna().all() and len(report.future) == 2
    assert observed_drivers(df) == ["Temp"] and known_drivers(df) == ["WorkDay"]


def test_a_long_file_has_drivers_per_series():
    df, report = read_text(long_csv(), value_cols="Takings", drivers="CPI")
    assert sorted(df["unique_id"].unique()) == ["NSW", "VIC"]
    nsw = df[df["unique_id"] == "NSW"]
    vic = df[df["unique_id"] == "VIC"]
    assert nsw["CPI"].iloc[0] == pytest.approx(1.0) and vic["CPI"].iloc[0] == pytest.approx(2.0)
    assert len(report.future) == 4 and report.drivers[0].future_rows == 2
    assert report.future.groupby("unique_id")["CPI"].first().round(2).tolist() == [1.6, 2.6]


def test_a_separate_future_file_is_read_with_the_same_columns(tmp_path):
    future = tmp_path / "future.csv"
    future.write_text("date,Demand,Temp,WorkDay\n2024-01-11,,30,1\n2024-01-12,,31,0\n")
    _, report = read_text(
        daily_csv(future=0), value_cols="Demand", drivers="Temp,WorkDay", future=str(future)
    )
    assert report.future["Temp"].tolist() == [30.0, 31.0]
    assert all(d.known_in_advance and d.future_rows == 2 for d in report.drivers)


@pytest.mark.parametrize(
    "future_text,message",
    [
        ("date,Temp\n2024-01-11,30\n", "lacks ['WorkDay']"),
        ("date,Temp,WorkDay,Price\n2024-01-11,30,1,2\n", "has columns ['Price']"),
        ("date,Demand,Temp,WorkDay\n2024-01-11,5,30,1\n", "holds a value of the target"),
        ("date,Temp,WorkDay\n2024-01-12,30,1\n", "have a gap: no row for 2024-01-11"),
        ("date,Temp,WorkDay\n2024-01-05,30,1\n", "is not after the last observed value"),
    ],
)
def test_a_future_file_that_does_not_fit_is_refused(tmp_path, future_text, message):
    future = tmp_path / "future.csv"
    future.write_text(future_text)
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_text(
            daily_csv(future=0), value_cols="Demand", drivers="Temp,WorkDay", future=str(future)
        )


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"value_cols": "Demand", "drivers": "Note"}, "Driver 'Note' is not numeric: line 2"),
        ({"value_cols": "Demand", "drivers": "Temp,Temp"}, "named twice"),
        ({"value_cols": "Demand", "drivers": "Demand"}, "both as the target"),
        ({"value_cols": "Demand", "drivers": "Rain"}, "Driver 'Rain' is not in the file"),
        ({"value_cols": "Demand", "drivers": "date"}, "is the time column"),
        ({"drivers": "all"}, "needs the target named"),
    ],
)
def test_bad_driver_names_are_refused_with_what_to_do(kwargs, message):
    text = "date,Demand,Temp,Note\n2024-01-01,1,2,a\n2024-01-02,2,3,b\n2024-01-03,3,4,c\n"
    with pytest.raises(DataError, match=message):
        read_text(text, **kwargs)


def test_future_rows_off_the_frequency_or_with_gaps_are_refused():
    base = daily_csv(future=0)
    with pytest.raises(DataError, match="have a gap: no row for 2024-01-12"):
        read_text(
            base + "2024-01-11,,30,1\n2024-01-13,,30,1\n", value_cols="Demand", drivers="Temp"
        )
    weeks = pd.date_range("2024-01-07", periods=6, freq="W-SUN")
    weekly = "date,y,x\n" + "".join(f"{d.date()},{i},{i}\n" for i, d in enumerate(weeks))
    with pytest.raises(DataError, match="future row at 2024-02-12 does not continue the W-SUN"):
        read_text(weekly + "2024-02-12,,7\n", drivers="x")
    with pytest.raises(DataError, match="values on 1 of the 2 future rows"):
        read_text(
            base + "2024-01-11,,30,1\n2024-01-12,,,1\n", value_cols="Demand", drivers="Temp,WorkDay"
        )


def test_a_driver_missing_in_the_history_says_where_and_which_policy_filled_it():
    text = daily_csv(gap_at=4)
    with pytest.raises(DataError, match=r"missing in 1 cell of the history .*2024-01-05"):
        read_text(text, value_cols="Demand", drivers="Temp")
    df, report = read_text(text, value_cols="Demand", drivers="Temp", fill="interpolate")
    assert df["Temp"].iloc[4] == pytest.approx((23 + 20) / 2)
    fact = report.drivers[0]
    assert (fact.gaps, fact.filled, fact.fill) == (1, 1, "interpolate")
    assert any("filled by linear interpolation" in r for r in report.repairs)
    df, _ = read_text(text, value_cols="Demand", drivers="Temp", fill="ffill")
    assert df["Temp"].iloc[4] == 23.0


@pytest.mark.parametrize(
    "freq,columns",
    [
        ("30min", ["hour", "dayofweek"]),
        ("h", ["hour", "dayofweek"]),
        ("D", ["dayofweek", "month"]),
        ("W-SUN", ["month"]),
        ("MS", ["month"]),
        ("QS-OCT", ["quarter"]),
        ("YS", []),
    ],
)
def test_calendar_columns_apply_to_the_frequency(freq, columns):
    assert calendar_columns(freq) == columns


def test_calendar_and_holiday_drivers_for_hourly_daily_and_monthly_data():
    hourly = pd.date_range("2024-12-24 22:00", periods=4, freq="h")
    cal = calendar_drivers(hourly, "h", holidays="AU")
    assert cal["hour"].tolist() == [22.0, 23.0, 0.0, 1.0]
    assert cal["dayofweek"].tolist() == [1.0, 1.0, 2.0, 2.0]
    assert cal["holiday"].tolist() == [0.0, 0.0, 1.0, 1.0]  # Christmas Day
    half = calendar_drivers(pd.date_range("2024-01-01", periods=2, freq="30min"), "30min")
    assert half["hour"].tolist() == [0.0, 0.5]
    # Melbourne Cup day (first Tuesday of November) is a holiday in Victoria only
    cup = pd.DatetimeIndex(["2024-11-05"])
    assert calendar_drivers(cup, "D", calendar=False, holidays="AU-VIC")["holiday"].item() == 1.0
    assert calendar_drivers(cup, "D", calendar=False, holidays="AU-NSW")["holiday"].item() == 0.0
    months = pd.date_range("2024-01-01", periods=12, freq="MS")
    monthly = calendar_drivers(months, "MS", holidays="AU")
    assert monthly["month"].tolist() == [float(m) for m in range(1, 13)]
    # national holidays per month: Jan 1 + Australia Day 26 Jan; Christmas + Boxing Day
    assert monthly["holiday"].iloc[0] == 2.0 and monthly["holiday"].iloc[11] == 2.0


def test_read_csv_adds_calendar_drivers_to_the_history_and_the_future():
    df, report = read_text(
        daily_csv(), value_cols="Demand", drivers="Temp", calendar=True, holidays="AU"
    )
    assert driver_columns(df) == ["Temp", "dayofweek", "month", "holiday"]
    assert df["holiday"].iloc[0] == 1.0 and df["holiday"].iloc[1:].sum() == 0.0
    assert report.future["dayofweek"].tolist() == [3.0, 4.0, 5.0]  # 11-13 Jan 2024: Thu-Sat
    facts = {d.name: d for d in report.drivers}
    assert facts["holiday"].source == "holidays" and facts["holiday"].known_in_advance


def test_calendar_drivers_without_file_drivers():
    df, report = read_text(daily_csv(future=0), value_cols="Demand", calendar=True)
    assert driver_columns(df) == ["dayofweek", "month"] and report.future.empty


@pytest.mark.parametrize("spec,message", [("XX", "not a country"), ("AU-ZZ", "no sub-region")])
def test_unknown_holiday_calendars_are_refused(spec, message):
    with pytest.raises(DataError, match=message):
        read_text(daily_csv(future=0), value_cols="Demand", holidays=spec)


def test_report_to_dict_is_json_ready_with_drivers():
    _, report = read_text(daily_csv(), value_cols="Demand", drivers="Temp")
    payload = json.loads(json.dumps(report.to_dict(), default=str))
    assert payload["future_rows"] == 3
    assert payload["drivers"][0] == {
        "role": "driver",
        "name": "Temp",
        "source": "file",
        "known_in_advance": True,
        "future_rows": 3,
        "gaps": 0,
        "filled": 0,
        "fill": "none",
    }


def test_inspect_reports_each_driver(tmp_path):
    path = tmp_path / "demand.csv"
    path.write_text(daily_csv())
    result = runner.invoke(
        app, ["inspect", str(path), "--value-col", "Demand", "--drivers", "all", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [d["name"] for d in payload["drivers"]] == ["Temp", "WorkDay"]
    assert payload["drivers"][0]["known_in_advance"] is True
    assert payload["drivers"][0]["future_rows"] == 3 and payload["report"]["future_rows"] == 3
    table = runner.invoke(app, ["inspect", str(path), "--value-col", "Demand", "--drivers", "all"])
    assert table.exit_code == 0 and "known in" in table.stdout and "WorkDay" in table.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--drivers", "Temp,Temp"], "named twice"),
        (["--drivers", "Demand"], "both as the target"),
        (["--drivers", "Temp", "--holidays", "XX"], "not a country"),
        (["--drivers", "Temp", "--future", "missing.csv"], "Cannot read the future file"),
    ],
)
def test_inspect_bad_driver_input_exits_2_with_one_error_line(tmp_path, args, message):
    path = tmp_path / "demand.csv"
    path.write_text(daily_csv())
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, ["inspect", str(path), "--value-col", "Demand", *args, "--json"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_inspect_reads_a_future_file(tmp_path):
    path = tmp_path / "demand.csv"
    path.write_text(daily_csv(future=0))
    future = tmp_path / "weather.csv"
    future.write_text("date,Temp,WorkDay\n2024-01-11,30,1\n2024-01-12,31,0\n")
    args = ["inspect", str(path), "--value-col", "Demand", "--drivers", "Temp,WorkDay"]
    result = runner.invoke(app, [*args, "--future", str(future), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["report"]["future_rows"] == 2
    assert all(d["known_in_advance"] and d["future_rows"] == 2 for d in payload["drivers"])
    future.write_text("date,Temp\n2024-01-11,30\n")
    bad = runner.invoke(app, [*args, "--future", str(future)])
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: The future file's columns do not match")


def test_read_csv_from_bytes_with_drivers():
    df, _ = read_csv(daily_csv(future=0).encode(), value_cols="Demand", drivers=["Temp"])
    assert driver_columns(df) == ["Temp"]
