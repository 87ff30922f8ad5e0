"""Layout pieces shared by the pages: cards, empty states, alerts, tables and error guards."""

from __future__ import annotations

import logging
import math

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import dash_table, dcc, html

import forecast.plots.style  # noqa: F401 - plotly_white as the default template
from forecast.errors import ForecastError

__all__ = [
    "FRIENDLY_ERROR",
    "TABLE_CELL_STYLE",
    "card",
    "data_table",
    "empty_figure",
    "empty_state",
    "error_alert",
    "figure",
    "plot",
    "plotly_preload",
    "table_records",
    "user_message",
]

log = logging.getLogger("dashboard")

#: What a user sees when something unexpected fails (details go to the server log).
FRIENDLY_ERROR = (
    "Something went wrong on our side while preparing this view; the details are in the "
    "server log. Try again, or pick another file."
)


def user_message(exc: BaseException) -> str:
    """The message to show for an exception: ours verbatim, anything else a friendly line."""
    if isinstance(exc, ForecastError):
        return str(exc)
    return FRIENDLY_ERROR


def error_alert(message: str, *, color: str = "danger", id: str | None = None) -> dbc.Alert:
    """A dismissable alert holding one message (never a traceback)."""
    kwargs = {"id": id} if id else {}
    return dbc.Alert(message, color=color, dismissable=True, className="mb-2", **kwargs)


def card(title: str, body, *, footer=None, class_name: str = "mb-3") -> dbc.Card:
    """A titled card."""
    parts = [dbc.CardHeader(html.H2(title, className="h6 mb-0")), dbc.CardBody(body)]
    if footer is not None:
        parts.append(dbc.CardFooter(footer))
    return dbc.Card(parts, className=class_name)


def empty_state(message: str, *, link: tuple[str, str] | None = None) -> html.Div:
    """A muted placeholder saying what to do next (e.g. "upload a CSV or pick a sample")."""
    children: list = [html.P(message, className="mb-1")]
    if link is not None:
        children.append(dcc.Link(link[0], href=link[1]))
    return html.Div(children, className="empty-state text-muted p-4 text-center")


def empty_figure(message: str = "") -> go.Figure:
    """A blank figure with a centred note (for figures that cannot be drawn yet)."""
    fig = go.Figure()
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        annotations=[
            {"text": message, "showarrow": False, "font": {"size": 14, "color": "#6c757d"}}
        ]
        if message
        else [],
    )
    return fig


#: What a graph shows until its callback fills it: a blank plot as a plain dict (no template), so
#: page layouts stay small and cheap to build (a templated empty figure is ~6 kB of JSON).
_PLACEHOLDER = {
    "data": [],
    "layout": {
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    },
}


def figure(id, fig: go.Figure | None = None, *, height: int = 420) -> dcc.Loading:
    """A graph of a fixed height (pixels) and the container's width, with a loading indicator."""
    graph = dcc.Graph(
        id=id,
        figure=fig if fig is not None else _PLACEHOLDER,
        config={"displaylogo": False, "responsive": True},
        style={"height": f"{height}px"},
    )
    return dcc.Loading(graph, type="default", delay_show=200)


def _cell(value):
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.4g}")
    if isinstance(value, pd.Timestamp):
        return value.isoformat()[:19]
    return value


#: The cells of every table of the dashboard (the page's font, compact, long text wrapped).
TABLE_CELL_STYLE = {
    "fontFamily": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    "fontSize": "0.85rem",
    "padding": "4px 8px",
    "textAlign": "left",
    "maxWidth": "28rem",
    "whiteSpace": "normal",
}


def table_records(frame: pd.DataFrame) -> list[dict]:
    """Rows of a frame as JSON-ready records (floats to 4 significant digits, NaN as empty)."""
    return [{k: _cell(v) for k, v in row.items()} for row in frame.to_dict("records")]


def data_table(
    id, frame: pd.DataFrame | None = None, *, sortable: bool = False, page_size=10, **kwargs
) -> dash_table.DataTable:
    """A compact DataTable showing ``frame`` (columns from the frame)."""
    frame = frame if frame is not None else pd.DataFrame()
    return dash_table.DataTable(
        id=id,
        columns=[{"name": str(c), "id": str(c)} for c in frame.columns],
        data=table_records(frame),
        sort_action="native" if sortable else "none",
        page_size=page_size,
        style_table={"overflowX": "auto"},
        style_cell=TABLE_CELL_STYLE,
        style_header={"fontWeight": "600", "backgroundColor": "#f1f3f5"},
        **kwargs,
    )


def plot(name: str, /, *args, **kwargs) -> go.Figure:
    """Call the figure function ``forecast.plots.<name>``; a note if it is not available yet.

    Parameters
    ----------
    name : str
        Function name in :mod:`forecast.plots` (e.g. ``"acf_figure"``).
    *args, **kwargs
        Passed through (a figure's own ``name`` keyword included: ``name`` here is
        positional only).
    """
    import forecast.plots as plots

    fn = getattr(plots, name, None)
    if fn is None:
        return empty_figure(f"This figure ({name}) is not available in this version.")
    return fn(*args, **kwargs)


#: What the hidden preload graph draws: dated lines, markers, a band, two panels (a plain dict:
#: no template, a few hundred bytes of the Data page's layout).
_PRELOAD_FIGURE = {
    "data": [
        {
            "type": "scatter",
            "mode": "lines",
            "x": ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"],
            "y": [1, 3, 2, 4],
        },
        {"type": "scatter", "fill": "toself", "x": [1, 2, 2, 1], "y": [0, 0, 1, 1]},
        {
            "type": "scatter",
            "mode": "markers",
            "x": [1, 2, 3],
            "y": [2, 1, 3],
            "xaxis": "x2",
            "yaxis": "y2",
        },
    ],
    "layout": {
        "xaxis": {"domain": [0, 0.45], "title": {"text": "date"}},
        "xaxis2": {"domain": [0.55, 1], "anchor": "y2"},
        "yaxis2": {"anchor": "x2"},
        "showlegend": False,
    },
}


def plotly_preload() -> dcc.Graph:
    """A hidden graph for the Data page, the first page most visits open: it makes the browser
    fetch and compile plotly.js (~4.8 MB) while that page is open, instead of when the first page
    with figures is (~0.5-1 s), and draws the kinds of traces the pages use once, so that their
    code is already optimised by the browser when the first real figures come.

    It is not in the app's shell: a link straight to another page (``/results?job=ID``) would
    then compile plotly.js before that page's own content is even requested, delaying its
    tables behind a figure nobody sees.
    """
    return dcc.Graph(
        id="plotly-preload",
        figure=_PRELOAD_FIGURE,
        config={"staticPlot": True},
        style={
            "position": "absolute",
            "left": "-10000px",
            "width": "600px",
            "height": "400px",
            "visibility": "hidden",
        },
    )
