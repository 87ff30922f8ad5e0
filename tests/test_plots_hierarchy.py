"""The hierarchy sunburst: one node per series of the nested levels, sizes that add up."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.plots import hierarchy_figure, nested_parents
from forecast.run.hierarchy import build_hierarchy, parse_levels


def keyed(n: int = 8) -> pd.DataFrame:
    ds = pd.date_range("2020-01-01", periods=n, freq="MS")
    rows = [
        pd.DataFrame(
            {
                "unique_id": f"{s} / {g}",
                "ds": ds,
                "y": np.arange(n) + 10.0 * k,
                "state": s,
                "gender": g,
            }
        )
        for k, (s, g) in enumerate([("A", "F"), ("A", "M"), ("B", "F"), ("B", "M")])
    ]
    df = pd.concat(rows, ignore_index=True)
    df.attrs["freq"] = "MS"
    return df


def test_nested_parents_follow_the_key_order_and_skip_grouped_levels():
    h = build_hierarchy(keyed(), parse_levels("all", ["state", "gender"]))
    tree = nested_parents(h.keys, ["state", "gender"]).set_index("unique_id")
    assert "F" not in tree.index  # the gender level is grouped, not nested under state
    assert tree.loc["total", "parent"] == ""
    assert tree.loc["A", "parent"] == "total"
    assert tree.loc["B / M", "parent"] == "B" and tree.loc["B / M", "label"] == "M"


def test_sunburst_sizes_add_up_and_colour_is_skill():
    h = build_hierarchy(keyed(), [(), ("state",)])
    future = h.frame.groupby("unique_id").tail(3).assign(model="ets", yhat=lambda d: d["y"])
    by_series = pd.DataFrame({"unique_id": h.keys["unique_id"], "mase": 1.0, "skill": 0.25})
    fig = hierarchy_figure(h.keys, ["state", "gender"], future, by_series, model="ets")
    trace = fig.data[0]
    size = dict(zip(trace.ids, trace.values, strict=True))
    assert len(trace.ids) == 7
    assert size["total"] == size["A"] + size["B"]
    assert size["A"] == size["A / F"] + size["A / M"]
    assert size["A / M"] == future.loc[future["unique_id"] == "A / M", "yhat"].sum()
    assert trace.branchvalues == "total"
    assert set(np.asarray(trace.marker.colors)) == {0.25}
