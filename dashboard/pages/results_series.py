"""Results page, per series: the sortable, filterable table of every series (paged on the
server, so 10,000 series stay quick) and, for runs with levels, the hierarchy's sunburst.

Clicking a row of the table opens that series' charts (it sets the page's series picker).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dash_table, dcc, html, no_update
from dash.dash_table.Format import Format, Scheme
from dash.exceptions import PreventUpdate

from dashboard.components import (
    TABLE_CELL_STYLE,
    card,
    empty_figure,
    error_alert,
    figure,
    log,
    plot,
    table_records,
    user_message,
)
from dashboard.job_results import (
    download_by_series,
    load_result,
    run_summary,
    series_frame,
    series_table_labels,
)
from forecast.errors import ForecastError
from forecast.run.by_series import BY_SERIES_COLUMNS
from forecast.run.table_page import table_page

__all__ = ["register", "series_cards", "series_page", "table_view", "with_labels"]

#: Rows per page of the per-series table.
PAGE_SIZE = 15
LABELS = {
    "unique_id": "series",
    "label": "label",
    "level": "level",
    "model": "recommended",
    "mase": "MASE",
    "skill": "skill vs snaive",
    "coverage": "interval coverage",
    "residual_verdict": "residual verdict",
    "best_model": "best single model",
    "best_mase": "its MASE",
}
FORMATS = {
    "mase": Format(precision=3, scheme=Scheme.fixed),
    "best_mase": Format(precision=3, scheme=Scheme.fixed),
    "skill": Format(precision=0, scheme=Scheme.percentage),
    "coverage": Format(precision=0, scheme=Scheme.percentage),
}


def key_names(frame: pd.DataFrame) -> list[str]:
    """The key columns of a per-series table (after its own columns, before ``level``)."""
    return [c for c in frame.columns if c not in BY_SERIES_COLUMNS and c not in ("level", "label")]


def with_labels(frame: pd.DataFrame, labels: dict | None) -> pd.DataFrame:
    """The per-series table with a ``label`` column after ``unique_id`` when the file labels
    its series (the table then names each series as every chart title does:
    :func:`forecast.ingest.series_names.series_name`); unchanged without labels, and for a
    table that carries its labels already (``leaderboard_by_series.csv`` of a run that kept
    them: :func:`forecast.run.outputs.by_series_labels`)."""
    if not labels or "unique_id" not in frame.columns or "label" in frame.columns:
        return frame
    out = frame.copy()
    out.insert(1, "label", out["unique_id"].astype(str).map(labels).fillna(""))
    return out


def shown_columns(frame: pd.DataFrame) -> list[str]:
    """The table's columns, in order: the series, its label, keys and level, then the scores."""
    keys = key_names(frame)
    label = ["label"] if "label" in frame.columns else []
    head = ["unique_id", *label, *keys, *(["level"] if "level" in frame.columns else [])]
    rest = ["model", "mase", "skill", "coverage", "residual_verdict", "best_model", "best_mase"]
    return [c for c in head + rest if c in frame.columns]


def series_page(
    frame: pd.DataFrame,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    sort_by: list[dict] | None = None,
    query: str | None = None,
) -> tuple[list[dict], int, int]:
    """One page of the per-series table (:func:`forecast.run.table_page.table_page`), its rows
    as JSON-ready records each with ``id`` = its series."""
    part, pages, rows = table_page(frame, page, page_size, sort_by, query)
    part = part[shown_columns(frame)]
    records = table_records(part)
    for record, uid in zip(records, part["unique_id"].astype(str), strict=True):
        record["id"] = uid
    return records, pages, rows


def table_view(
    job_id: str,
    page: int = 0,
    size: int = PAGE_SIZE,
    sort_by: list[dict] | None = None,
    query: str | None = None,
) -> tuple[list[dict], list[dict], int, str]:
    """What the per-series table shows of a job: one page's records, the columns, the number of
    pages and the count line (``"148 of 148 series"``).

    Raises
    ------
    SpecError
        Unknown job (or someone else's), or a job that is not done.
    """
    frame = series_frame(job_id)
    if frame is None:
        return [], [], 1, "This job ran before per-series tables existed."
    frame = with_labels(frame, series_table_labels(job_id, frame))
    records, pages, rows = series_page(frame, page, size or PAGE_SIZE, sort_by, query)
    note = f"{rows:,} of {len(frame):,} series" + (" (filtered)" if query else "")
    return records, _columns(frame), pages, note


def _first_page(job_id: str | None) -> tuple[list[dict], list[dict], int, str | None]:
    """The table's first page for the layout of ``/results?job=ID``: drawn with the page, before
    any callback (empty without a job, or for one the callbacks will explain)."""
    if not job_id:
        return [], [], 1, None
    try:
        return table_view(job_id)
    except ForecastError:
        return [], [], 1, None
    except Exception:
        log.exception("per-series table of %s failed", job_id)
        return [], [], 1, None


def series_cards(job_id: str | None = None) -> list:
    """The page's per-series table and hierarchy cards (the hierarchy hidden without levels).

    With ``job_id`` (the job in the page's URL) the table's first page is in the layout itself:
    it is drawn with the page, not after the job picker's and the table's callbacks.
    """
    data, columns, pages, note = _first_page(job_id)
    table = dash_table.DataTable(
        id="series-table",
        columns=columns,
        data=data,
        page_count=pages,
        page_current=0,
        page_size=PAGE_SIZE,
        page_action="custom",
        sort_action="custom",
        sort_mode="multi",
        sort_by=[],
        filter_action="custom",
        filter_query="",
        style_table={"overflowX": "auto"},
        style_cell={**TABLE_CELL_STYLE, "cursor": "pointer"},
        style_header={"fontWeight": "600", "backgroundColor": "#f1f3f5"},
        style_data_conditional=[
            {"if": {"filter_query": "{skill} < 0"}, "backgroundColor": "#fff4e5"},
        ],
    )
    return [
        card(
            "Per series: worst first (sort by a header, filter under it, click a row for its chart)",
            [
                html.Div(
                    [
                        html.Span(note, id="series-count", className="small text-muted me-2"),
                        dbc.Button(
                            "Per-series CSV",
                            id="dl-by-series-btn",
                            size="sm",
                            color="outline-primary",
                        ),
                        dcc.Download(id="dl-by-series"),
                    ],
                    className="mb-1",
                ),
                table,
            ],
        ),
        html.Div(
            card(
                "The hierarchy: each level's forecast and skill",
                [
                    html.Div(id="results-hierarchy-note", className="small mb-1"),
                    figure("results-hierarchy"),
                ],
            ),
            id="results-hierarchy-card",
            style={"display": "none"},
        ),
    ]


def _columns(frame: pd.DataFrame) -> list[dict]:
    return [
        {"name": LABELS.get(c, c), "id": c}
        | ({"type": "numeric", "format": FORMATS[c]} if c in FORMATS else {})
        for c in shown_columns(frame)
    ]


def reconciliation_note(evidence: dict, model: str | None) -> str:
    """How the levels were made coherent, in words (from the run's hierarchy evidence)."""
    if not evidence:
        return ""
    if evidence.get("method") == "none":
        return "Not reconciled (--reconcile none): the levels' forecasts need not add up."
    chosen = evidence.get("chosen") or {}
    method = chosen.get(model) if model else None
    names = {
        "bottom_up": "bottom-up",
        "top_down": "top-down",
        "ols": "MinTrace (OLS)",
        "wls_struct": "MinTrace (structural)",
        "wls_var": "MinTrace (variances)",
        "mint_shrink": "MinTrace (shrink)",
        "mint_backtest": "MinTrace (backtest errors)",
    }
    members = evidence.get("combination") or ["top_down", "mint_shrink"]
    names["combination"] = f"combination ({' + '.join(names.get(m, m) for m in members)})"
    if method is None:
        return "; ".join(f"{m}: {names.get(v, v)}" for m, v in chosen.items())
    text = f"{model}'s forecasts add up across levels: reconciled {names.get(method, method)}"
    table = (evidence.get("backtest_mase") or {}).get(model)
    if table:
        parts = ", ".join(f"{names.get(k, k)} {v:.3f}" for k, v in table.items())
        if method == "combination" and evidence.get("margin") is not None:
            text += (
                f"; no method was more than {evidence['margin']:.0%} lower on the backtest "
                f"(MASE over levels: {parts})"
            )
        else:
            text += f", the lower backtest MASE over levels ({parts})"
    if evidence.get("note"):
        text += f". {evidence['note']}"
    return text + "."


def hierarchy_view(job_id: str | None):
    """The sunburst of a job with levels, the card's style (hidden without levels) and the
    reconciliation in words."""
    hidden = {"display": "none"}
    if not job_id:
        return empty_figure(""), hidden, None
    frame = series_frame(job_id)
    if frame is None or "level" not in frame.columns or frame["level"].nunique() < 2:
        return empty_figure(""), hidden, None
    keys = key_names(frame)
    result = load_result(job_id)
    summary = run_summary(job_id)
    model = (summary.get("recommended") or {}).get("model")
    fig = plot(
        "hierarchy_figure",
        frame[["unique_id", *keys, "level"]],
        keys,
        result.forecasts,
        frame,
        model=model,
    )
    return fig, {}, reconciliation_note(summary.get("hierarchy") or {}, model)


def register(app) -> None:
    """Attach the per-series callbacks to ``app``."""

    @app.callback(
        Output("series-table", "data"),
        Output("series-table", "columns"),
        Output("series-table", "page_count"),
        Output("series-count", "children"),
        Input("results-job", "value"),
        Input("series-table", "page_current"),
        Input("series-table", "page_size"),
        Input("series-table", "sort_by"),
        Input("series-table", "filter_query"),
        # not on the page's first drawing: the layout holds the URL's job's first page already
        prevent_initial_call=True,
    )
    def _page(job_id, page, size, sort_by, query):
        if not job_id:
            return [], [], 1, None
        try:
            return table_view(job_id, page, size, sort_by, query)
        except Exception:
            log.exception("per-series table of %s failed", job_id)
            return [], [], 1, "The per-series table could not be read."

    @app.callback(
        Output("results-series", "value", allow_duplicate=True),
        Input("series-table", "active_cell"),
        State("results-series", "value"),
        prevent_initial_call=True,
    )
    def _open(cell, current):
        uid = (cell or {}).get("row_id")
        if not uid or uid == current:
            raise PreventUpdate
        return uid

    @app.callback(
        Output("results-hierarchy", "figure"),
        Output("results-hierarchy-card", "style"),
        Output("results-hierarchy-note", "children"),
        Input("results-job", "value"),
    )
    def _hierarchy(job_id):
        try:
            return hierarchy_view(job_id)
        except Exception:
            log.exception("hierarchy figure of %s failed", job_id)
            return empty_figure(""), {"display": "none"}, None

    @app.callback(
        Output("dl-by-series", "data"),
        Output("results-alert", "children", allow_duplicate=True),
        Input("dl-by-series-btn", "n_clicks"),
        State("results-job", "value"),
        prevent_initial_call=True,
    )
    def _download(_n, job_id):
        if not job_id:
            raise PreventUpdate
        try:
            return download_by_series(job_id), no_update
        except Exception as exc:
            return no_update, error_alert(user_message(exc))
