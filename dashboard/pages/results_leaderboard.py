"""The Results page's backtest leaderboard: one row per model, sortable, numbers kept numeric."""

from __future__ import annotations

import pandas as pd
from dash.dash_table.Format import Format, Scheme, Symbol

from dashboard.components import data_table
from forecast.diagnostics.pvalues import pvalue_text
from forecast.evaluation.leaderboard import LABELS, SHOWN_COLUMNS

#: How the leaderboard's numbers read (the cells stay numbers, so sorting stays numeric):
#: shares as percentages next to the nominal level, errors to 4 significant digits.
_SIGNIFICANT4 = Format(precision=4, scheme=Scheme.decimal_or_exponent)
LEADERBOARD_FORMATS = {
    "mae": _SIGNIFICANT4,
    "rmse": _SIGNIFICANT4,
    "smape": Format(precision=2, scheme=Scheme.fixed),
    "mase": Format(precision=3, scheme=Scheme.fixed),
    "skill": Format(precision=0, scheme=Scheme.percentage),
    "coverage": Format(precision=0, scheme=Scheme.percentage),
    "heldout_coverage": Format(precision=0, scheme=Scheme.percentage),
    "level": Format(precision=0, scheme=Scheme.fixed).symbol(Symbol.yes).symbol_suffix("%"),
    "fit_seconds": Format(precision=2, scheme=Scheme.fixed),
}


def leaderboard_view(board: pd.DataFrame, recommended: str | None = None):
    """The sortable leaderboard table (the recommended model highlighted)."""
    cols = [c for c in SHOWN_COLUMNS if c in board.columns]
    frame = board[cols].sort_values("rank") if "rank" in cols else board[cols]
    # columns with nothing in them are left out: errors when none failed, MAE and RMSE when the
    # run had several series (each in its own units: never averaged across series)
    empty = [c for c in ("error", "mae", "rmse", "heldout_coverage") if c in frame.columns]
    frame = frame.drop(columns=[c for c in empty if frame[c].isna().all()])
    if "ljung_box_pvalue" in frame.columns:  # the one rule: never '0.0', '< 1e-300' instead
        frame = frame.assign(
            ljung_box_pvalue=[pvalue_text(p, digits=2) for p in frame["ljung_box_pvalue"]]
        )
    table = data_table(
        "leaderboard-table",
        frame,
        sortable=True,
        page_size=12,
        style_data_conditional=[
            {
                "if": {"filter_query": "{rank} = 1"},
                "fontWeight": "600",
            },
            {
                "if": {"filter_query": f'{{model}} = "{recommended}"'},
                "backgroundColor": "#e7f1ff",
            },
        ],
    )
    table.columns = [
        {"name": LABELS.get(c, c), "id": c}
        | (
            {"type": "numeric", "format": LEADERBOARD_FORMATS[c]}
            if c in LEADERBOARD_FORMATS
            else {}
        )
        for c in frame.columns
    ]
    return table
