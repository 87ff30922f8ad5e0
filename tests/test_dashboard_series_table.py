"""The Results page's per-series table: filtering, sorting and paging on the server."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.pages.results_series import (
    reconciliation_note,
    series_page,
    shown_columns,
    with_labels,
)
from forecast.run.table_page import filter_frame


def table(n: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """A per-series table of ``n`` series keyed by store and product."""
    rng = np.random.default_rng(seed)
    mase = rng.gamma(2.0, 0.5, n)
    frame = pd.DataFrame(
        {
            "unique_id": [f"S{i % 100:03d} / P{i // 100:03d}" for i in range(n)],
            "model": rng.choice(["auto", "ets", "snaive"], n),
            "mase": mase,
            "skill": 1 - mase / rng.gamma(2.0, 0.6, n),
            "coverage": rng.uniform(0.5, 1.0, n),
            "residuals_white": rng.random(n) > 0.3,
            "residual_verdict": "no autocorrelation left",
            "best_model": "ets",
            "best_mase": mase * 0.9,
            "evaluation": "backtest of 3 windows",
            "store": [f"S{i % 100:03d}" for i in range(n)],
            "product": [f"P{i // 100:03d}" for i in range(n)],
            "level": "store/product",
        }
    )
    return frame.sort_values("mase", ascending=False, ignore_index=True)


def test_filter_terms_numbers_and_text():
    frame = table(2_000)
    assert len(filter_frame(frame, "{mase} > 1")) == int((frame["mase"] > 1).sum())
    assert len(filter_frame(frame, "{mase} s>= 1.5")) == int((frame["mase"] >= 1.5).sum())
    both = filter_frame(frame, "{mase} > 1 && {model} = auto")
    assert len(both) == int(((frame["mase"] > 1) & (frame["model"] == "auto")).sum())
    assert set(filter_frame(frame, "{store} icontains s00")["store"]) == {
        f"S00{i}" for i in range(10)
    }
    assert len(filter_frame(frame, '{unique_id} contains "P001"')) == 100
    assert len(filter_frame(frame, "{skill} < 0")) == int((frame["skill"] < 0).sum())
    assert filter_frame(frame, "{nope} > 1").equals(frame)  # unknown column: ignored
    assert filter_frame(frame, None).equals(frame)


def test_paging_10000_series_on_the_server():
    frame = table()
    records, pages, rows = series_page(frame, page=0, page_size=15)
    assert (pages, rows, len(records)) == (667, 10_000, 15)
    assert [r["id"] for r in records] == list(frame["unique_id"][:15])  # worst first
    assert list(records[0]) == [*shown_columns(frame), "id"]
    assert shown_columns(frame)[:4] == ["unique_id", "store", "product", "level"]
    last, _, _ = series_page(frame, page=666, page_size=15)
    assert len(last) == 10_000 - 666 * 15
    beyond, _, _ = series_page(frame, page=9999, page_size=15)
    assert beyond == last  # a page past the end shows the last
    # sorted by the server, several columns
    by, _, _ = series_page(
        frame,
        sort_by=[
            {"column_id": "model", "direction": "asc"},
            {"column_id": "mase", "direction": "asc"},
        ],
    )
    ordered = frame.sort_values(["model", "mase"], kind="stable")
    assert [r["id"] for r in by] == list(ordered["unique_id"][:15])
    # filtered then paged
    records, pages, rows = series_page(frame, query="{store} = S042", page_size=15)
    assert rows == 100 and pages == 7 and all(r["store"] == "S042" for r in records)


def test_reconciliation_in_words():
    evidence = {
        "method": "auto",
        "chosen": {"ets": "mint_shrink"},
        "backtest_mase": {"ets": {"base": 0.91, "bottom_up": 0.88, "mint_shrink": 0.86}},
    }
    assert reconciliation_note(evidence, "ets") == (
        "ets's forecasts add up across levels: reconciled MinTrace (shrink), the lower backtest "
        "MASE over levels (base 0.910, bottom-up 0.880, MinTrace (shrink) 0.860)."
    )
    evidence = {
        "method": "auto",
        "margin": 0.1,
        "combination": ["top_down", "mint_shrink"],
        "chosen": {"ets": "combination"},
        "backtest_mase": {"ets": {"base": 0.91, "top_down": 0.88, "combination": 0.87}},
    }
    assert reconciliation_note(evidence, "ets") == (
        "ets's forecasts add up across levels: reconciled combination (top-down + MinTrace "
        "(shrink)); no method was more than 10% lower on the backtest (MASE over levels: base "
        "0.910, top-down 0.880, combination (top-down + MinTrace (shrink)) 0.870)."
    )
    evidence["combination"] = ["ols", "mint_shrink"]  # levels that cross: ols for top-down
    assert "reconciled combination (MinTrace (OLS) + MinTrace (shrink))" in reconciliation_note(
        evidence, "ets"
    )
    assert reconciliation_note({"method": "none"}, "ets").startswith("Not reconciled")
    assert reconciliation_note({}, "ets") == ""


def test_the_label_shows_once_after_the_series_with_keys_and_level():
    """A per-series CSV that carries ``label`` (written by the run) shows it once, after the
    series and before its keys and level; one without gets it from the job's labels."""
    frame = table(30)
    labels = {uid: f"shop {uid[:4]}" for uid in frame["unique_id"]}
    written = frame.assign(label=frame["unique_id"].map(labels))  # as the run writes it: last
    for shown in (with_labels(written, labels), with_labels(frame, labels)):
        assert shown_columns(shown)[:5] == ["unique_id", "label", "store", "product", "level"]
        assert list(shown.columns).count("label") == 1
        records, _, _ = series_page(shown, page_size=5)
        assert [r["label"] for r in records] == [labels[r["id"]] for r in records]
    assert with_labels(frame, {}) is frame
