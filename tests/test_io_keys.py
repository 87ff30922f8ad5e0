"""Several key columns: inference, explicit ``id_col``, missing keys, and every front door."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.errors import DataError, SpecError
from forecast.ingest.columns import infer_keys, split_keys
from forecast.ingest.reader import read_csv, series_summary
from forecast.jobs.spec import JobSpec

STATES, GENDERS, LEGAL = ["ACT", "NSW", "VIC"], ["Female", "Male"], ["Remanded", "Sentenced"]
KEYS = ["state", "gender", "legal"]


def prison_like(quarters: int = 8, *, drop: tuple | None = None) -> pd.DataFrame:
    """A long quarterly file keyed by three columns (12 series), values 100*i + step."""
    rows = []
    periods = pd.period_range("2005Q1", periods=quarters, freq="Q")
    for i, (s, g, leg) in enumerate(itertools.product(STATES, GENDERS, LEGAL)):
        for step, q in enumerate(periods):
            if drop == (s, g, leg, step):
                continue
            rows.append((s, g, leg, str(q), 100 * i + step))
    return pd.DataFrame(rows, columns=[*KEYS, "t", "count"])


def _bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_three_key_columns_are_inferred_and_kept_beside_a_readable_id():
    df, report = read_csv(_bytes(prison_like()))
    assert report.keys == KEYS and report.id_col == "state,gender,legal"
    assert list(df.columns) == ["unique_id", "ds", "y", *KEYS]
    assert df.attrs["keys"] == KEYS and report.freq == "QS-OCT"
    assert df["unique_id"].nunique() == 12 and len(df) == 96
    first = df[df["unique_id"] == "ACT / Female / Remanded"]
    assert first["y"].tolist() == [float(s) for s in range(8)]
    assert (first[KEYS].drop_duplicates().to_numpy() == [["ACT", "Female", "Remanded"]]).all()
    last = df[df["unique_id"] == "VIC / Male / Sentenced"]
    assert last["y"].iloc[0] == 1100.0
    assert all(isinstance(v, str) for v in df[KEYS].to_numpy().ravel())
    assert any("'state', 'gender', 'legal' as the series keys" in r for r in report.repairs)


def test_explicit_keys_as_text_or_list_give_the_same_frame():
    raw = _bytes(prison_like())
    inferred, _ = read_csv(raw)
    text, report = read_csv(raw, id_col="state, gender,legal")
    listed, _ = read_csv(raw, id_col=KEYS)
    pd.testing.assert_frame_equal(text, inferred)
    pd.testing.assert_frame_equal(listed, inferred)
    assert report.keys == KEYS and not any("series keys" in r for r in report.repairs)


def test_keys_in_another_order_change_the_id_not_the_values():
    df, report = read_csv(_bytes(prison_like()), id_col="gender,state,legal")
    assert report.keys == ["gender", "state", "legal"]
    assert "Female / ACT / Remanded" in set(df["unique_id"])
    assert list(df.columns[3:]) == ["gender", "state", "legal"]


def test_too_few_keys_named_is_a_duplicate_error_that_names_the_fix():
    with pytest.raises(
        DataError, match=r"in series 'ACT'.*all its key columns, e.g. 'state,gender'"
    ):
        read_csv(_bytes(prison_like()), id_col="state")


def test_one_id_column_suffices_and_a_column_that_says_the_same_is_no_key():
    """Like us_employment: Series_ID and Title each identify a series; the id-like name wins."""
    months = pd.date_range("2000-01-01", periods=6, freq="MS").strftime("%Y %b")
    rows = [
        (m, sid, title, float(k * 10 + j))
        for k, (sid, title) in enumerate([("CEU1", "Mining"), ("CEU2", "Retail")])
        for j, m in enumerate(months)
    ]
    raw = _bytes(pd.DataFrame(rows, columns=["Month", "Series_ID", "Title", "Employed"]))
    df, report = read_csv(raw)
    assert report.keys == ["Series_ID"] and report.id_col == "Series_ID"
    assert list(df.columns) == ["unique_id", "ds", "y"] and df.attrs["keys"] == []
    assert sorted(df["unique_id"].unique()) == ["CEU1", "CEU2"]
    assert report.labels == {"CEU1": "Mining", "CEU2": "Retail"}  # Title: a label, not a key


def test_the_fewest_series_break_a_tie_between_key_sets():
    """A free-text column unique per row also makes rows unique, but gives a series per row."""
    table = pd.DataFrame(
        {
            "t": ["1", "1", "2", "2"],
            "note": ["a", "b", "c", "d"],
            "region": ["n", "s", "n", "s"],
            "y": ["1", "2", "3", "4"],
        }
    )
    assert infer_keys(table, table["t"], ["note", "region"], ["y"]) == ["region"]
    assert infer_keys(table, table["t"], ["note"], ["y"]) == ["note"]
    dup = table.assign(region=["n", "n", "n", "n"], note=["a", "a", "b", "b"])
    assert infer_keys(dup, dup["t"], ["region", "note"], ["y"]) is None


def test_exact_duplicate_rows_do_not_defeat_inference():
    frame = prison_like()
    frame = pd.concat([frame, frame.iloc[:3]], ignore_index=True)
    df, report = read_csv(_bytes(frame))
    assert report.keys == KEYS and report.dropped_rows == 3 and len(df) == 96


@pytest.mark.parametrize("token", ["", "NA", "null"])
def test_a_key_column_with_missing_values_is_refused_clearly(token):
    frame = prison_like()
    frame.loc[[5, 9], "gender"] = token
    raw = frame.to_csv(index=False, na_rep="").encode()
    shown = token or "empty"
    with pytest.raises(
        DataError,
        match=rf"Column 'gender' \(series key\) is missing on line 7 \({shown}; 2 such rows\)"
        r"\. Fill in the series key, or drop those rows\.",
    ):
        read_csv(raw, id_col=KEYS)


def test_an_empty_single_id_is_still_refused():
    raw = b"date,store,y\n2021-01-01,a,1\n2021-01-01,,2\n2021-01-02,a,3\n2021-01-02,b,4\n"
    with pytest.raises(DataError, match=r"Column 'store' \(series id\) is missing on line 3"):
        read_csv(raw, id_col="store")


def test_named_keys_must_exist_and_not_be_the_time_column():
    raw = _bytes(prison_like())
    with pytest.raises(DataError, match=r"Column 'sex' is not in the file"):
        read_csv(raw, id_col="state,sex")
    with pytest.raises(DataError, match=r"'t' is the time column"):
        read_csv(raw, id_col="state,t")
    with pytest.raises(DataError, match="name a column twice"):
        read_csv(raw, id_col="state,state")
    assert split_keys(["a,b", "c"], "a,b") == ["a,b"]  # a header that holds a comma


@pytest.mark.parametrize("fill,expected", [("none", None), ("interpolate", 603.0)])
def test_grid_points_inserted_in_a_gap_carry_their_keys(fill, expected):
    frame = prison_like(drop=("NSW", "Male", "Remanded", 3))
    df, report = read_csv(_bytes(frame), fill=fill)
    part = df[df["unique_id"] == "NSW / Male / Remanded"].reset_index(drop=True)
    assert len(part) == 8 and report.gaps["NSW / Male / Remanded"] == 1
    assert part[KEYS].drop_duplicates().values.tolist() == [["NSW", "Male", "Remanded"]]
    if expected is None:
        assert np.isnan(part["y"].iloc[3])
    else:
        assert part["y"].iloc[3] == expected
    assert df[KEYS].notna().all().all()


def test_several_value_columns_with_keys():
    frame = prison_like().assign(capacity=lambda f: f["count"] * 2)
    df, report = read_csv(_bytes(frame))
    assert report.keys == KEYS and report.value_cols == ["count", "capacity"]
    assert df["unique_id"].nunique() == 24
    cap = df[df["unique_id"] == "ACT / Male / Remanded:capacity"]
    assert cap["y"].tolist() == [2.0 * (200 + s) for s in range(8)]
    assert (cap["state"] == "ACT").all()


def test_series_summary_carries_the_key_values():
    df, report = read_csv(_bytes(prison_like()))
    rows = series_summary(df, report)
    assert rows[0]["keys"] == {"state": "ACT", "gender": "Female", "legal": "Remanded"}
    wide, wide_report = read_csv(b"month,a,b\n2020-01,1,2\n2020-02,3,4\n2020-03,5,6\n")
    assert "keys" not in series_summary(wide, wide_report)[0] and wide_report.keys == []


def test_cli_inspect_json_and_bad_key_column(tmp_path):
    path = tmp_path / "prison.csv"
    path.write_bytes(_bytes(prison_like()))
    runner = CliRunner()
    result = runner.invoke(app, ["inspect", str(path), "--id-col", "state,gender,legal", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["report"]["keys"] == KEYS
    assert payload["report"]["id_col"] == "state,gender,legal"
    assert payload["series"][0]["unique_id"] == "ACT / Female / Remanded"
    bad = runner.invoke(app, ["inspect", str(path), "--id-col", "state,sex"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: Column 'sex' is not in the file")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_cli_run_keeps_the_readable_ids(tmp_path):
    path = tmp_path / "prison.csv"
    path.write_bytes(_bytes(prison_like(quarters=16)))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(path), "--horizon", "2", "--models", "snaive", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    forecasts = pd.read_csv(out / "forecasts.csv")
    assert forecasts["unique_id"].nunique() == 12
    assert "VIC / Male / Sentenced" in set(forecasts["unique_id"])


def test_job_spec_takes_keys_as_a_list_or_text():
    base = {"dataset_hash": "0" * 64, "dataset_path": "x.csv", "horizon": 4}
    listed = JobSpec(**base, id_col=["state", " gender", "legal"])
    assert listed.id_col == "state,gender,legal"
    assert listed.read_kwargs()["id_col"] == "state,gender,legal"
    assert JobSpec(**base, id_col="").id_col is None
    assert JobSpec.from_json(listed.to_json()) == listed
    with pytest.raises(SpecError):
        JobSpec(**base, id_col=3)
