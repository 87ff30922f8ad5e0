"""Data page, what was inferred: the card with the reading's facts (file, columns, frequency,
series, gaps, format), the drivers' roles and future rows, the notes on reading and the table of
series."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard.components import card, data_table
from forecast.calendar.frequency import freq_words, season_length

__all__ = ["inferred_card"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def inferred_card(df: pd.DataFrame, report, filename: str) -> html.Div:
    """The "What was inferred" card: the reading's facts, the drivers' roles, the notes on
    reading, the table of series and the way on to the diagnostics.

    Parameters
    ----------
    df : DataFrame
        The long frame read (``unique_id, ds, y``).
    report : forecast.ingest.reader.ReadReport
        What the reader inferred (columns, frequency, format, drivers, repairs).
    filename : str
        The file's name as the user gave it.
    """
    from forecast.ingest.reader import series_summary

    rows = series_summary(df, report)
    keys = list(rows[0].get("keys", {})) if rows else []
    series = pd.DataFrame([{**r.pop("keys", {}), **r} for r in rows])
    series["start"] = series["start"].str[:10]
    series["end"] = series["end"].str[:10]
    m = season_length(report.freq)
    delim = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(
        report.delimiter, report.delimiter
    )
    facts = [
        ("File", filename),
        ("Time column", report.time_col),
        ("Value columns", ", ".join(report.value_cols)),
        (
            "Series key columns" if len(report.keys) > 1 else "Series id column",
            ", ".join(report.keys) or "— (wide file)",
        ),
        ("Frequency", f"{freq_words(report.freq)} ({report.freq}, season length {m})"),
        ("Series", f"{len(series)} · {int(series['n_obs'].sum())} observations"),
        ("Gaps", f"{int(series['gaps'].sum())} ({report.fill})"),
        ("Format", f"{delim}-separated, {report.encoding}, decimal '{report.decimal}'"),
    ]
    items = [
        html.Div(
            [html.Dt(k, className="col-sm-4"), html.Dd(v, className="col-sm-8 mb-1")],
            className="row",
        )
        for k, v in facts
    ]
    repairs = [html.Li(r) for r in report.repairs]
    body = [
        html.Dl(items, id="inferred-summary", className="mb-2"),
        _roles(report) if report.drivers else None,
        html.Details(
            [html.Summary(_plural(len(repairs), "note") + " on reading"), html.Ul(repairs)],
            id="inferred-notes",
        )
        if repairs
        else None,
        html.Small(
            "Filter the series by their keys: type in the box under a column's name "
            "(e.g. a value of " + " or ".join(f"'{k}'" for k in keys) + ").",
            className="text-muted d-block mb-1",
        )
        if keys
        else None,
        data_table(
            "series-table",
            series,
            page_size=8,
            sortable=True,
            filter_action="native" if keys else "none",
        ),
        dcc.Link(
            dbc.Button("Next: diagnostics →", color="primary", className="mt-3"),
            href="/diagnostics",
        ),
    ]
    return card("What was inferred", body)


def _roles(report) -> html.Div:
    """The drivers the reader found: role, known in advance, future rows, gaps; the future rows."""
    roles = pd.DataFrame(
        [
            {
                "column": d.name,
                "role": "driver",
                "source": d.source,
                "known in advance": "yes" if d.known_in_advance else "no (observed only)",
                "future rows": d.future_rows,
                "gaps": d.gaps,
                "filled": d.filled,
            }
            for d in report.drivers
        ]
    )
    targets = pd.DataFrame(
        [{"column": c, "role": "target", "source": "file"} for c in report.value_cols]
    )
    table = pd.concat([targets, roles], ignore_index=True).fillna("")
    future = report.future.head(12).copy()
    if len(future):
        future["ds"] = (
            pd.DatetimeIndex(future["ds"]).strftime("%Y-%m-%d %H:%M").str.replace(" 00:00", "")
        )
    return html.Div(
        [
            html.H6("Roles", className="mt-2"),
            data_table("roles-table", table, page_size=12),
            html.H6(
                f"Future rows ({len(report.future)}: the drivers' values after the last target "
                "value)",
                className="mt-2",
            ),
            data_table("future-table", future.round(4), page_size=6)
            if len(future)
            else html.Small(
                "None: no driver has values after the last target value.",
                className="text-muted d-block",
            ),
        ],
        id="roles",
        className="mb-2",
    )
