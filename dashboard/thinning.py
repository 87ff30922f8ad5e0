"""Figures made light for the browser: long traces thinned to a min/max envelope, the page's margins.

Every point sent to the browser costs transfer, JSON parsing and SVG drawing; the statistics
always use every point, the figures draw at most a few thousand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "DISPLAY_POINTS",
    "LAG_DISPLAY_POINTS",
    "MARGIN",
    "STL_DISPLAY_POINTS",
    "display_frame",
    "roomy",
    "thin_figure",
]

#: Most points drawn per trace in the series, STL and lag-scatter figures; longer traces are
#: thinned for display (the statistics always use every point). Every point sent to the browser
#: costs transfer, JSON parsing and SVG drawing, so this is kept small.
DISPLAY_POINTS = 2000
#: Points drawn per STL panel (four panels share the figure).
STL_DISPLAY_POINTS = 1000
#: Points drawn per lag-scatter panel (each marker is an SVG node: the costliest to draw).
LAG_DISPLAY_POINTS = 500
#: Margins (pixels) of the page's figures: room for the axis titles and tick labels, so that
#: plotly's automargin rarely has to push them and draw each figure a second time (the default
#: 50 px bottom is 3 px short of the x-axis title: every figure was drawn twice, ~40% of the
#: browser's drawing time).
MARGIN = {"l": 70, "r": 20, "t": 60, "b": 60}


def display_frame(df: pd.DataFrame, uid: str, max_points: int = DISPLAY_POINTS) -> pd.DataFrame:
    """One series of a long frame thinned for drawing: min and max of equal buckets.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y``.
    uid : str
        Series to keep.
    max_points : int
        Most rows returned (keeps every row of shorter series).

    Returns
    -------
    DataFrame
        Rows of ``uid`` in time order; at most ``max_points`` of them, each bucket of
        ``2 n / max_points`` rows represented by its lowest and highest value (the envelope
        of the series survives).
    """
    part = df.loc[df["unique_id"] == uid]
    n = len(part)
    if n <= max_points:
        return part
    out = part.iloc[_envelope_index(part["y"].to_numpy(dtype=float), max_points)]
    out.attrs = dict(df.attrs)
    return out


def _envelope_index(y: np.ndarray, max_points: int) -> np.ndarray:
    """Positions keeping the min and max of ``max_points // 2`` equal buckets of ``y``."""
    n = len(y)
    buckets = np.arange(n) * (max_points // 2) // n
    frame = pd.DataFrame({"b": buckets, "y": np.nan_to_num(y, nan=np.nanmean(y))})
    grouped = frame.groupby("b")["y"]
    return np.union1d(grouped.idxmin().to_numpy(), grouped.idxmax().to_numpy())


def thin_figure(fig, max_points: int = DISPLAY_POINTS):
    """Thin every long scatter trace of ``fig`` in place for drawing; return ``fig``.

    Lines keep the min/max envelope of equal buckets (see :func:`display_frame`); marker-only
    traces (scatter clouds) keep evenly spaced points. Traces of ``max_points`` or fewer points
    are left as they are.
    """
    for trace in fig.data:
        if trace.type not in ("scatter", "scattergl") or trace.y is None or trace.x is None:
            continue
        n = len(trace.y)
        if n <= max_points or len(trace.x) != n:
            continue
        mode = trace.mode or "lines"
        if "lines" in mode:
            keep = _envelope_index(np.asarray(trace.y, dtype=float), max_points)
        else:
            keep = np.unique(np.linspace(0, n - 1, max_points).astype(int))
        x, y = np.asarray(trace.x), np.asarray(trace.y)
        trace.update(x=x[keep], y=y[keep])
    return fig


def roomy(fig):
    """Give ``fig`` the page's :data:`MARGIN` (in place) and return it."""
    fig.update_layout(margin=MARGIN)
    return fig
