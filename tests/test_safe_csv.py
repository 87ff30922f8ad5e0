"""CSV files for people: formula cells neutralised (OWASP rule), numbers kept, CLI outputs too."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from forecast.cli import app
from forecast.safe_csv import (
    neutralise_formulas,
    neutralise_text,
    restore_formulas,
    to_csv_for_people,
)

ATTACKS = ['=HYPERLINK("http://evil.example","x")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3"]


def test_every_trigger_gets_a_quote_and_numbers_stay_numbers():
    cells = [*ATTACKS, "\tx", "\rx", "'quoted", "air", "-1.5", "+2e3", "", None, 3, 2.5]
    out = [neutralise_text(c) for c in cells]
    assert out[:6] == ["'" + c for c in [*ATTACKS, "\tx", "\rx"]]
    assert out[6] == "''quoted"  # a leading quote is doubled: restoring is exact
    assert out[7:] == ["air", "-1.5", "+2e3", "", None, 3, 2.5]


def test_frames_keep_their_numbers_and_dates_and_come_back_exactly():
    frame = pd.DataFrame(
        {
            "unique_id": [*ATTACKS, "'q", "plain"],
            "ds": pd.date_range("2020-01-01", periods=6, freq="MS"),
            "yhat": [-1.0, 2.0, -3.5, 4.0, np.nan, 6.0],
            "model": pd.Categorical(["=x", "naive", "naive", "naive", "naive", "naive"]),
        }
    ).rename(columns={"yhat": "=yhat"})
    safe = neutralise_formulas(frame)
    assert list(safe.columns) == ["unique_id", "ds", "'=yhat", "model"]
    assert safe["unique_id"].tolist() == ["'" + c for c in ATTACKS] + ["''q", "plain"]
    assert safe["model"].tolist()[0] == "'=x"
    assert safe["ds"].equals(frame["ds"]) and safe["'=yhat"].equals(frame["=yhat"])
    text = to_csv_for_people(frame, index=False)
    back = pd.read_csv(io.StringIO(text), parse_dates=["ds"])
    assert back["'=yhat"].iloc[0] == -1.0  # a number in the file, not '-1.0
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.strip('"').startswith(("=", "+", "@", "\t", "\r")), line
    restored = restore_formulas(back)
    assert restored["unique_id"].tolist() == frame["unique_id"].tolist()
    assert list(restored.columns) == list(frame.columns)


def test_cli_run_outputs_are_neutralised(tmp_path):
    t = pd.date_range("2010-01-01", periods=48, freq="MS")
    y = 100 + 10 * np.sin(2 * np.pi * np.arange(48) / 12)
    src = tmp_path / "evil.csv"
    pd.DataFrame({"month": t, ATTACKS[0]: y, "@SUM(1+1)": y * 2}).to_csv(src, index=False)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app, ["run", str(src), "--horizon", "3", "--models", "naive", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    for name in ("forecasts.csv", "backtest.csv"):
        frame = pd.read_csv(out / name, dtype={"unique_id": str})
        assert set(frame["unique_id"]) == {"'" + ATTACKS[0], "'@SUM(1+1)"}, name
        assert frame["yhat"].dtype == float
