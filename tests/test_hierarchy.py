"""Aggregate levels, coherent forecasts, the level columns of the outputs, the per-series table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.errors import DataError, SpecError
from forecast.models.base import FORECAST_COLUMNS as FORECAST_COLUMNS_
from forecast.run.hierarchy import (
    TOTAL,
    attach_keys,
    build_hierarchy,
    key_columns,
    parse_levels,
)
from forecast.run.pipeline import run_forecast
from forecast.run.reconcile import (
    COMBINATION,
    METHODS,
    check_method,
    coherence_error,
    combination_members,
    reconcile_forecasts,
)
from forecast.run.reconcile_auto import AUTO_CANDIDATES, AUTO_MARGIN, choose_method


def keyed_frame(
    states=("NSW", "VIC"), genders=("Female", "Male"), n: int = 48, seed: int = 0
) -> pd.DataFrame:
    """Monthly series keyed by state and gender, seasonal with noise (readable unique_id)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2015-01-01", periods=n, freq="MS")
    t = np.arange(n)
    frames = []
    for i, s in enumerate(states):
        for j, g in enumerate(genders):
            level = 40 + 10 * i + 5 * j
            y = level + 8 * np.sin(2 * np.pi * t / 12 + i) + rng.normal(0, 2, n)
            frames.append(
                pd.DataFrame({"unique_id": f"{s} / {g}", "ds": ds, "y": y, "state": s, "gender": g})
            )
    df = pd.concat(frames, ignore_index=True)
    df.attrs["freq"] = "MS"
    return df


def test_key_columns_are_the_text_columns_beside_unique_id():
    df = keyed_frame()
    assert key_columns(df) == ["state", "gender"]
    df.attrs["keys"] = ["gender"]
    assert key_columns(df) == ["gender"]
    df.attrs["keys"] = []  # read_csv's word: one key, the other text columns are labels
    assert key_columns(df) == []


def test_parse_levels_names_all_and_errors():
    keys = ["state", "gender", "legal"]
    assert parse_levels("state,state/gender,total", keys) == [(), ("state",), ("state", "gender")]
    assert parse_levels("gender/state", keys) == [("state", "gender")]  # key order of the frame
    assert parse_levels("all", ["state", "gender"]) == [(), ("state",), ("gender",)]
    assert parse_levels(None, keys) == [] and parse_levels("", keys) == []
    with pytest.raises(SpecError, match="'region'"):
        parse_levels("region", keys)
    with pytest.raises(SpecError, match="--id-col"):
        parse_levels("total", [])


def test_levels_are_sums_of_the_bottom_series():
    df = keyed_frame()
    h = build_hierarchy(df, parse_levels("all", ["state", "gender"]))
    assert list(h.tags) == [TOTAL, "state", "gender", "state/gender"]
    wide = h.frame.pivot(index="ds", columns="unique_id", values="y")
    bottom = df.pivot(index="ds", columns="unique_id", values="y")
    np.testing.assert_allclose(wide["total"], bottom.sum(axis=1))
    np.testing.assert_allclose(wide["NSW"], bottom["NSW / Female"] + bottom["NSW / Male"])
    np.testing.assert_allclose(wide["Male"], bottom["NSW / Male"] + bottom["VIC / Male"])
    # S: one row per series, identity at the bottom; keys: what a row is grouped by
    assert h.S.shape == (1 + 2 + 2 + 4, 1 + 4)
    np.testing.assert_array_equal(h.S.iloc[-4:, 1:].to_numpy(), np.eye(4))
    keys = h.keys.set_index("unique_id")
    assert keys.loc["NSW", "level"] == "state" and pd.isna(keys.loc["NSW", "gender"])
    assert keys.loc["Male", "gender"] == "Male" and pd.isna(keys.loc["Male", "state"])
    assert keys.loc["total", ["state", "gender"]].isna().all()
    assert keys.loc["VIC / Male", "level"] == "state/gender"


def test_a_level_that_groups_like_another_is_kept_once():
    df = keyed_frame()
    df["region"] = df["state"] + "-" + df["gender"]  # one region per bottom series
    h = build_hierarchy(df, [("state",), ("region",), ("state", "region")])
    assert list(h.tags) == ["state", "state/gender/region"]


def test_missing_key_value_is_a_clear_error():
    df = keyed_frame()
    df.loc[5, "state"] = None
    with pytest.raises(DataError, match="Key column 'state' is empty in row 6"):
        build_hierarchy(df, [()])


def _fitted(h, horizon: int = 6, windows: int = 2):
    """ETS on every series of ``h``: future forecasts, in-sample fitted values, backtest."""
    from forecast.models import make_model
    from forecast.run.backtest import backtest

    model = make_model("ets").fit(h.frame)
    base = model.predict(horizon, level=80)
    insample = h.frame.merge(model.residuals_, on=["unique_id", "ds"])
    insample["fitted"] = insample["y"] - insample["resid"]
    bt = backtest(["ets"], h.frame, horizon, windows, level=80)
    return base, insample, bt


def test_reconciled_forecasts_add_up_with_every_method():
    h = build_hierarchy(keyed_frame(), [(), ("state",)])
    base, insample, bt = _fitted(h)
    assert coherence_error(base, h.S) > 1e-3  # base forecasts of the levels do not add up
    for method in METHODS:
        rec = reconcile_forecasts(base, h.S, h.tags, method, 80, insample, bt)
        assert coherence_error(rec, h.S) < 1e-6, method
        assert (rec["lo"] < rec["yhat"]).all() and (rec["yhat"] < rec["hi"]).all(), method
        assert not np.allclose(rec["yhat"], base["yhat"]), method  # each one moved something
    bu = reconcile_forecasts(base, h.S, h.tags, "bottom_up", 80).set_index(["unique_id", "ds"])
    bottom = base[base["unique_id"].str.contains(" / ")].set_index(["unique_id", "ds"])
    np.testing.assert_allclose(bu.loc[bottom.index, "yhat"], bottom["yhat"])  # bottom kept


def test_combination_is_the_mean_of_its_members_and_coherent():
    h = build_hierarchy(keyed_frame(seed=3), [(), ("state",)])
    base, insample, _ = _fitted(h)
    assert combination_members(h.S, h.tags) == COMBINATION == ("top_down", "mint_shrink")
    members = [reconcile_forecasts(base, h.S, h.tags, m, 80, insample) for m in COMBINATION]
    mixed = reconcile_forecasts(base, h.S, h.tags, "combination", 80, insample)
    assert list(mixed.columns) == list(base.columns) and len(mixed) == len(base)
    assert coherence_error(mixed, h.S) < 1e-6
    key = ["unique_id", "ds"]
    by_hand = (
        members[0].set_index(key)[["yhat", "lo", "hi"]]
        + members[1].set_index(key)[["yhat", "lo", "hi"]].loc[members[0].set_index(key).index]
    ) / 2
    got = mixed.set_index(key)[["yhat", "lo", "hi"]].loc[by_hand.index]
    np.testing.assert_allclose(got.to_numpy(), by_hand.to_numpy(), rtol=1e-12)
    total = mixed.set_index(key).loc["total", "yhat"].to_numpy()
    one = [f.set_index(key).loc["total", "yhat"].to_numpy() for f in members]
    np.testing.assert_allclose(total, (one[0] + one[1]) / 2)  # e.g. the total
    assert not np.allclose(one[0], one[1])  # the members differ: the mean is not one of them
    with pytest.raises(DataError, match="in-sample fitted values"):
        reconcile_forecasts(base, h.S, h.tags, "combination", 80, None)


def test_top_down_keeps_the_total_and_splits_it_by_the_base_proportions():
    h = build_hierarchy(keyed_frame(seed=5), [(), ("state",)])
    base, _, _ = _fitted(h)
    rec = reconcile_forecasts(base, h.S, h.tags, "top_down", 80)
    b = base.pivot(index="ds", columns="unique_id", values="yhat")
    r = rec.pivot(index="ds", columns="unique_id", values="yhat")
    np.testing.assert_allclose(r["total"], b["total"], rtol=1e-12)  # the total as forecast
    np.testing.assert_allclose(r["NSW"] / r["total"], b["NSW"] / (b["NSW"] + b["VIC"]))
    share = b["VIC / Male"] / (b["VIC / Female"] + b["VIC / Male"])
    np.testing.assert_allclose(r["VIC / Male"] / r["VIC"], share)
    # its intervals are the base intervals moved with the forecast (same widths)
    width = (rec["hi"] - rec["lo"]).to_numpy()
    np.testing.assert_allclose(width, (base["hi"] - base["lo"]).to_numpy())


def test_crossed_levels_have_no_top_down_and_the_combination_uses_ols():
    from forecast.run.reconcile import is_tree

    crossed = build_hierarchy(keyed_frame(), parse_levels("all", ["state", "gender"]))
    nested = build_hierarchy(keyed_frame(), [(), ("state",)])
    no_total = build_hierarchy(keyed_frame(), [("state",)])
    assert is_tree(nested.S, nested.tags)
    assert not is_tree(crossed.S, crossed.tags) and not is_tree(no_total.S, no_total.tags)
    assert combination_members(crossed.S, crossed.tags) == ("ols", "mint_shrink")
    assert combination_members(nested.S, nested.tags, backtest=False) == COMBINATION
    base, insample, _ = _fitted(crossed)
    with pytest.raises(DataError, match="levels that nest"):
        reconcile_forecasts(base, crossed.S, crossed.tags, "top_down", 80)
    rec = reconcile_forecasts(base, crossed.S, crossed.tags, "combination", 80, insample)
    assert coherence_error(rec, crossed.S) < 1e-6
    # a run asked for top_down on crossed levels says so and reconciles with the combination
    result = run_forecast(
        keyed_frame(), horizon=4, models="snaive", levels="all", reconcile="top_down",
        backtest_windows=1,
    )  # fmt: skip
    ev = result.hierarchy
    assert ev["chosen"] == {"snaive": "combination"} and ev["combination"] == ["ols", "mint_shrink"]
    assert "levels that nest" in ev["fallback"]["snaive"]
    detail = result.leaderboard.set_index("model").loc["snaive", "detail"]
    assert "reconciled across levels by combination (not top_down:" in detail


def test_mint_backtest_weighs_by_the_backtest_errors_never_a_window_by_its_own():
    from forecast.run.reconcile import reconcile_backtest

    h = build_hierarchy(keyed_frame(seed=7), [(), ("state",)])
    base, insample, bt = _fitted(h, windows=3)
    with pytest.raises(DataError, match="backtest"):
        reconcile_forecasts(base, h.S, h.tags, "mint_backtest", 80)
    # a total whose backtest errors are tiny beside its parts' is trusted: it barely moves
    exact = bt.copy()
    total = exact["unique_id"] == "total"
    exact.loc[total, "y"] = exact.loc[total, "yhat"] + 1e-3 * np.sin(np.arange(total.sum()))
    rec = reconcile_forecasts(base, h.S, h.tags, "mint_backtest", 80, backtest=exact)
    moved = rec.set_index(["unique_id", "ds"])["yhat"] - base.set_index(["unique_id", "ds"])["yhat"]
    assert (
        moved.loc["total"].abs().max()
        < 0.01 * moved.drop(index="total", level="unique_id").abs().max()
    )
    assert coherence_error(rec, h.S) < 1e-6
    # on the backtest, window w is reconciled with the other windows' errors only
    one = reconcile_backtest(bt, h.S, h.tags, "mint_backtest", 80, insample)
    changed = bt.copy()
    last = changed["window"] == changed["window"].max()
    changed.loc[last, "y"] = changed.loc[last, "y"] * 1.3 + 5  # only the last window's actuals
    two = reconcile_backtest(changed, h.S, h.tags, "mint_backtest", 80, insample)
    own = one["window"] == one["window"].max()
    np.testing.assert_allclose(one.loc[own, "yhat"], two.loc[own, "yhat"], rtol=1e-10)
    assert not np.allclose(one.loc[~own, "yhat"], two.loc[~own, "yhat"])
    for _, part in one.groupby("window"):
        assert coherence_error(part, h.S) < 1e-6


def test_auto_keeps_the_combination_unless_a_method_is_clearly_better():
    assert choose_method({"base": 1.0, "ols": 0.91, "combination": 1.0}) == "combination"
    assert choose_method({"base": 1.0, "ols": 0.89, "combination": 1.0}) == "ols"
    assert choose_method({"base": 1.0, "ols": 0.96, "combination": 1.0}, margin=0.0) == "ols"
    assert choose_method({"base": 0.5, "ols": 0.9, "mint_shrink": np.nan}) == "ols"  # no combo
    with pytest.raises(DataError, match="could be scored"):
        choose_method({"base": 1.0, "ols": np.nan})


def test_check_method():
    assert check_method("MinT-Shrink") == "mint_shrink"
    assert check_method("WLS-struct") == "wls_struct"
    assert check_method("combination") == "combination"
    assert check_method("Top-Down") == "top_down"
    assert check_method("mint-backtest") == "mint_backtest"
    with pytest.raises(SpecError, match="bottom_up, top_down, ols, wls_struct, wls_var"):
        check_method("wls")


def test_run_with_levels_is_coherent_and_outputs_carry_keys_and_level():
    df = keyed_frame()
    result = run_forecast(
        df, horizon=6, models="snaive,ets", levels="state,total", backtest_windows=2
    )
    fc = result.forecasts
    assert {"state", "gender", "level"} <= set(fc.columns)
    assert set(fc["level"]) == {"total", "state", "state/gender"}
    for model, part in fc.groupby("model"):
        wide = part.pivot(index="ds", columns="unique_id", values="yhat")
        bottom = wide[[c for c in wide.columns if " / " in c]]
        np.testing.assert_allclose(wide["total"], bottom.sum(axis=1), atol=1e-6)
        (
            np.testing.assert_allclose(
                wide["VIC"], wide["VIC / Female"] + wide["VIC / Male"], atol=1e-6
            ),
            model,
        )
    ev = result.hierarchy
    assert set(ev["chosen"]) == {"snaive", "ets"}
    assert set(ev["chosen"].values()) <= set(METHODS)
    assert max(ev["coherence"].values()) < 1e-6
    table = ev["backtest_mase"]["ets"]
    assert set(table) == {"base", *AUTO_CANDIDATES}
    assert ev["combination"] == list(COMBINATION) and ev["margin"] == AUTO_MARGIN
    chosen = ev["chosen"]["ets"]
    assert chosen == choose_method(table)
    if chosen != "combination":  # only a method clearly better on the backtest replaces it
        assert table[chosen] < (1 - AUTO_MARGIN) * table["combination"]
    # the backtest is reconciled too, and carries the level columns
    bt = result.backtest_forecasts
    assert {"state", "gender", "level"} <= set(bt.columns)
    one = bt[(bt["model"] == "ets") & (bt["window"] == 0)]
    wide = one.pivot(index="ds", columns="unique_id", values="yhat")
    np.testing.assert_allclose(wide["total"], wide["NSW"] + wide["VIC"], atol=1e-6)
    # an aggregate row leaves the keys it sums over empty
    nsw = fc[fc["unique_id"] == "NSW"].iloc[0]
    assert nsw["state"] == "NSW" and pd.isna(nsw["gender"]) and nsw["level"] == "state"
    assert (
        "reconciled across levels by" in result.leaderboard.set_index("model").loc["ets", "detail"]
    )
    assert result.summary()["hierarchy"]["levels"] == ["total", "state", "state/gender"]


def test_reconcile_none_keeps_the_base_forecasts():
    df = keyed_frame()
    result = run_forecast(
        df, horizon=4, models="ets", levels="total", reconcile="none", backtest_windows=1
    )
    assert result.hierarchy["chosen"] == {}
    part = result.forecasts.pivot(index="ds", columns="unique_id", values="yhat")
    assert np.abs(part["total"] - part.drop(columns="total").sum(axis=1)).max() > 1e-3


def test_one_key_sums_into_the_total_and_one_series_is_refused():
    df = keyed_frame()[["unique_id", "ds", "y"]]  # one key: the series id itself
    result = run_forecast(df, horizon=4, models="snaive", levels="total", backtest_windows=1)
    assert result.hierarchy["levels"] == ["total", "series"]
    wide = result.forecasts.pivot(index="ds", columns="unique_id", values="yhat")
    np.testing.assert_allclose(wide["total"], wide.drop(columns="total").sum(axis=1))
    one = df[df["unique_id"] == "NSW / Male"]
    with pytest.raises(SpecError, match="--id-col"):
        run_forecast(one, horizon=4, models="snaive", levels="total")


def test_per_series_table_worst_first_with_skill_against_seasonal_naive():
    df = keyed_frame()
    result = run_forecast(df, horizon=6, models="snaive,naive,ets", backtest_windows=2)
    table = result.by_series
    assert len(table) == 4 and set(table["unique_id"]) == set(df["unique_id"])
    assert table["mase"].is_monotonic_decreasing
    assert {"state", "gender", "level"} <= set(table.columns)  # keys kept without levels too
    scores = result.backtest.groupby(["unique_id", "model"])["mase"].mean()
    for row in table.to_dict("records"):
        uid, model = row["unique_id"], row["model"]
        assert row["mase"] == pytest.approx(scores[(uid, model)])
        assert row["skill"] == pytest.approx(1 - scores[(uid, model)] / scores[(uid, "snaive")])
        best = scores.loc[uid].idxmin()
        assert row["best_model"] == best and row["best_mase"] == pytest.approx(scores[(uid, best)])
        assert row["residual_verdict"]
        assert 0 <= row["coverage"] <= 1


def test_attach_keys_without_keys_is_identity():
    frame = pd.DataFrame({"unique_id": ["a"], "x": [1]})
    assert attach_keys(frame, None) is frame


def _prison_csv(path) -> None:
    """A long file keyed by three columns (state, gender, legal), quarterly."""
    rng = np.random.default_rng(1)
    quarters = pd.period_range("2005Q1", periods=28, freq="Q")
    rows = []
    for s in ("ACT", "NSW"):
        for g in ("Female", "Male"):
            for legal in ("Remanded", "Sentenced"):
                base = rng.uniform(20, 200)
                y = base * (1 + 0.1 * np.sin(np.arange(28) * np.pi / 2)) + rng.normal(0, 2, 28)
                rows += [
                    (s, g, legal, f"{q.year} Q{q.quarter}", round(v, 1))
                    for q, v in zip(quarters, y, strict=True)
                ]
    pd.DataFrame(rows, columns=["state", "gender", "legal", "t", "count"]).to_csv(path, index=False)


def test_cli_run_with_levels_writes_coherent_forecasts_with_level_columns(tmp_path):
    import json

    from typer.testing import CliRunner

    from forecast.cli import app

    src, out = tmp_path / "prison.csv", tmp_path / "out"
    _prison_csv(src)
    res = CliRunner().invoke(
        app,
        [
            "run", str(src), "--horizon", "4", "--models", "snaive,ets",
            "--id-col", "state,gender,legal", "--levels", "state,state/gender,total",
            "--backtest-windows", "2", "--out", str(out), "--json",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["hierarchy"]["levels"] == [
        "total", "state", "state/gender", "state/gender/legal",
    ]  # fmt: skip
    fc = pd.read_csv(out / "forecasts.csv", parse_dates=["ds"])
    assert list(fc.columns) == [*FORECAST_COLUMNS_, "state", "gender", "legal", "level"]
    assert fc.groupby("level")["unique_id"].nunique().to_dict() == {
        "total": 1, "state": 2, "state/gender": 4, "state/gender/legal": 8,
    }  # fmt: skip
    ets = fc[fc["model"] == "ets"]
    bottom = ets[ets["level"] == "state/gender/legal"].groupby("ds")["yhat"].sum()
    total = ets[ets["level"] == "total"].set_index("ds")["yhat"]
    np.testing.assert_allclose(total, bottom, atol=1e-6)
    row = fc[(fc["level"] == "state/gender")].iloc[0]
    assert isinstance(row["state"], str) and isinstance(row["gender"], str)
    assert pd.isna(row["legal"])
    by_series = pd.read_csv(out / "leaderboard_by_series.csv")
    assert len(by_series) == 15 and {"state", "gender", "legal", "level"} <= set(by_series)
    bt = pd.read_csv(out / "backtest.csv")
    assert "level" in bt.columns and set(bt["level"]) == set(fc["level"])


def test_job_with_levels_stores_coherent_forecasts_and_level_columns(tmp_path):
    from forecast.jobs import JobSpec, JobStore, LocalRunner

    src = tmp_path / "prison.csv"
    _prison_csv(src)
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        digest, path = store.save_dataset(src.read_bytes(), "prison.csv")
        spec = JobSpec(
            dataset_hash=digest,
            dataset_path=path,
            filename="prison.csv",
            id_col="state,gender,legal",
            horizon=4,
            models=["snaive", "ets"],
            backtest_windows=1,
            levels="state, total",
            reconcile="bottom_up",
        )
        assert spec.levels == "state,total"
        job_id = store.submit(spec)
        assert LocalRunner(store, concurrency=1).run_until_idle(timeout=120) == [job_id]
        job = store.get(job_id)
        assert job.status == "done", job.error
        result = store.result(job_id)
        fc = result.forecasts
        assert {"state", "gender", "legal", "level"} <= set(fc.columns)  # downloads carry them
        ets = fc[fc["model"] == "ets"]
        total = ets[ets["level"] == "total"].set_index("ds")["yhat"]
        states = ets[ets["level"] == "state"].groupby("ds")["yhat"].sum()
        np.testing.assert_allclose(total, states, atol=1e-6)
        by_series = pd.read_csv(result.artifacts["leaderboard_by_series.csv"])
        assert len(by_series) == 1 + 2 + 8 and "level" in by_series.columns
        import json
        from pathlib import Path

        summary = json.loads(Path(result.artifacts["summary.json"]).read_text())
        assert summary["hierarchy"]["chosen"] == {"snaive": "bottom_up", "ets": "bottom_up"}
    finally:
        store.close()


def test_spec_refuses_an_unknown_reconciliation():
    from forecast.jobs import JobSpec

    with pytest.raises(SpecError, match="reconcile"):
        JobSpec(dataset_hash="0" * 64, dataset_path="x.csv", horizon=4, reconcile="wls")
