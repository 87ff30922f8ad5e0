"""The hierarchy of a run as a sunburst: each node a series, sized by its forecast, coloured by
its skill against seasonal naive."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["hierarchy_figure", "nested_parents"]

_TOTAL = "total"


def nested_parents(keys: pd.DataFrame, key_names: list[str]) -> pd.DataFrame:
    """Parent of every series of the nested levels (the total, then key-order prefixes).

    Parameters
    ----------
    keys : DataFrame
        ``unique_id``, the key columns, ``level`` (one row per series).
    key_names : list of str
        The key columns in order (the bottom level joins all of them).

    Returns
    -------
    DataFrame
        ``unique_id, parent, label, level`` for the series on the chain total → first key →
        first two keys → … → bottom; series of other (grouped) levels are left out. ``parent``
        is ``""`` for the root.
    """
    chain = ["/".join(key_names[:k]) for k in range(1, len(key_names) + 1)]
    present = [lv for lv in [_TOTAL, *chain] if lv in set(keys["level"])]
    frame = keys[keys["level"].isin(present)].copy()
    frame["unique_id"] = frame["unique_id"].astype(str)
    depth = {lv: i for i, lv in enumerate(present)}
    records = frame.to_dict("records")

    def values_of(row: dict) -> tuple:
        return tuple(row[k] if isinstance(row[k], str) else None for k in key_names)

    index = {(row["level"], values_of(row)): row["unique_id"] for row in records}
    parents, labels = [], []
    for row in records:
        lv = row["level"]
        values = values_of(row)
        parent = ""
        for up in reversed(present[: depth[lv]]):
            n = 0 if up == _TOTAL else len(up.split("/"))
            key = (up, values[:n] + (None,) * (len(key_names) - n))
            if key in index:
                parent = index[key]
                break
        filled = [v for v in values if v is not None]
        parents.append(parent)
        labels.append(filled[-1] if filled else row["unique_id"])
    frame["parent"] = parents
    frame["label"] = labels
    return frame[["unique_id", "parent", "label", "level"]].reset_index(drop=True)


def hierarchy_figure(
    keys: pd.DataFrame,
    key_names: list[str],
    forecasts: pd.DataFrame,
    by_series: pd.DataFrame | None = None,
    model: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """Sunburst of the levels: node size the sum of the future forecast, colour the skill.

    Parameters
    ----------
    keys : DataFrame
        ``unique_id``, key columns, ``level``.
    key_names : list of str
        Key columns in order.
    forecasts : DataFrame
        ``unique_id, ds, model, yhat`` (the future).
    by_series : DataFrame, optional
        Per-series table (``unique_id, mase, skill``) for the colours and hover.
    model : str, optional
        The model whose forecasts size the nodes (default: the first in ``forecasts``).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Sunburst`` trace; ``branchvalues="total"`` with each parent the sum of its
        children (coherent forecasts), the bottom sized by its own forecast (negative as 0).
    """
    tree = nested_parents(keys, key_names)
    if model is None and not forecasts.empty:
        model = str(forecasts["model"].iloc[0])
    fc = forecasts[forecasts["model"] == model]
    total = fc.assign(unique_id=fc["unique_id"].astype(str)).groupby("unique_id")["yhat"].sum()
    tree["forecast"] = tree["unique_id"].map(total).astype(float)
    # sizes: leaves their own forecast, every parent the sum of its children (so rounding never
    # makes a child larger than its parent)
    size = dict(zip(tree["unique_id"], tree["forecast"].clip(lower=0).fillna(0.0), strict=True))
    children: dict[str, list[str]] = {}
    for uid, parent in zip(tree["unique_id"], tree["parent"], strict=True):
        children.setdefault(parent, []).append(uid)

    def fill(uid: str) -> float:
        kids = children.get(uid)
        if kids:
            size[uid] = float(sum(fill(k) for k in kids))
        return size[uid]

    for root in children.get("", []):
        fill(root)
    tree["size"] = tree["unique_id"].map(size)
    if by_series is not None and not by_series.empty:
        table = by_series.assign(unique_id=by_series["unique_id"].astype(str)).set_index(
            "unique_id"
        )
        tree["skill"] = tree["unique_id"].map(table["skill"]).astype(float)
        tree["mase"] = tree["unique_id"].map(table["mase"]).astype(float)
    else:
        tree["skill"] = np.nan
        tree["mase"] = np.nan
    skill = tree["skill"].fillna(0.0)
    bound = float(max(0.2, np.nanmax(np.abs(tree["skill"].to_numpy()), initial=0.0)))
    fig = go.Figure(
        go.Sunburst(
            ids=tree["unique_id"],
            labels=tree["label"],
            parents=tree["parent"],
            values=tree["size"],
            branchvalues="total",
            marker={
                "colors": skill,
                "colorscale": "RdBu",
                "cmid": 0.0,
                "cmin": -bound,
                "cmax": bound,
                "colorbar": {"title": {"text": "skill vs<br>snaive"}, "tickformat": ".0%"},
            },
            customdata=np.stack(
                [tree["level"], tree["forecast"], tree["skill"], tree["mase"]], axis=-1
            ),
            hovertemplate=(
                "<b>%{id}</b><br>level %{customdata[0]}<br>forecast total %{customdata[1]:.4g}"
                "<br>skill %{customdata[2]:.0%}<br>MASE %{customdata[3]:.3f}<extra></extra>"
            ),
            insidetextorientation="radial",
        )
    )
    fig.update_layout(
        title=title or f"Hierarchy: {model} forecast per level (colour: skill vs seasonal naive)",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig
