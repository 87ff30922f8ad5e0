"""``forecast diagnose FILE``: autocorrelation, stationarity and seasonality of every series."""

from __future__ import annotations

from typing import Annotated

import typer

from forecast.cli.common import fail, print_json
from forecast.cli.options import (
    AsJson,
    CsvFile,
    Reading,
    reading_options,
)
from forecast.diagnostics.pvalues import pvalue_text

NLags = Annotated[
    int | None,
    typer.Option(
        "--nlags",
        help="ACF/PACF lags (default: 3 seasonal periods or 20, at most n/4 but always the "
        "seasonal lag; never n/2 or more).",
    ),
]
#: ``--fill`` here also says what the analysis does with the gaps that "none" leaves.
DiagnoseFill = Annotated[
    str,
    typer.Option(
        "--fill",
        help="Gap policy when reading: none, interpolate or ffill (gaps left by 'none' are "
        "interpolated for the analysis only).",
    ),
]


#: Up to this many series the table has one column per series, beyond it one row per series.
WIDE_MAX_SERIES = 5


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _order(o: dict) -> str:
    p, d, q = o["order"]
    text = f"({p},{d},{q})"
    big_p, big_d, big_q, m = o["seasonal_order"]
    return text + (f"({big_p},{big_d},{big_q})[{m}]" if m else "")


@reading_options(fill=DiagnoseFill)
def diagnose(
    file: CsvFile,
    reading: Reading = Reading(),
    nlags: NLags = None,
    as_json: AsJson = False,
) -> None:
    """Diagnose every series of FILE: ACF/PACF, Ljung-Box, ADF/KPSS, seasonality, window; with
    --drivers, which lags of each driver move it (raw and prewhitened CCF, Granger)."""
    from forecast.diagnostics import diagnose as run_diagnosis
    from forecast.errors import ForecastError

    if nlags is not None and nlags < 1:
        fail(f"--nlags {nlags} is not a positive number of lags; pass e.g. --nlags 24.")
    df, report = reading.load(file)
    lag_analyses: dict = {}
    try:
        frame = df[["unique_id", "ds", "y"]].copy()
        frame.attrs["labels"] = dict(report.labels or {})  # each series named by its label
        results = run_diagnosis(frame, nlags=nlags)
        if report.drivers:
            from forecast.diagnostics.driver_lags import analyse_drivers

            lag_analyses = analyse_drivers(
                df,
                results,
                drivers=[d.name for d in report.drivers],
                known_in_advance={d.name: d.known_in_advance for d in report.drivers},
            )
    except ForecastError as exc:
        fail(str(exc))
    from forecast.diagnostics.readings import drivers_summary

    for d in results:
        analyses = lag_analyses.get(d.unique_id, [])
        d.readings.extend(a.reading for a in analyses)
        summary = drivers_summary(analyses, freq=d.freq)
        if summary:
            d.readings.append(summary)
    if as_json:
        series = []
        for d in results:
            obj = d.to_dict()
            if report.drivers:
                obj["drivers"] = [a.to_dict() for a in lag_analyses.get(d.unique_id, [])]
            series.append(obj)
        print_json({"series": series})
        return
    _print_tables(file, results)
    if lag_analyses:
        _print_drivers(lag_analyses)


def _print_tables(file: str, results: list) -> None:
    """The summary table (series as columns when few, as rows when many), then the readings."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Diagnosis of {file}")
    rows = {
        "points": lambda d: str(d.n_obs),
        "frequency": lambda d: d.freq or "-",
        "seasonal period": lambda d: _fmt(d.seasonal_period),
        "ACF at lag 1": lambda d: _fmt(d.acf[1] if len(d.acf) > 1 else None, 2),
        "significant ACF lags": lambda d: f"{len(d.significant_lags)} of {d.nlags}",
        "Ljung-Box p (last lag)": lambda d: pvalue_text(
            d.ljung_box[-1]["pvalue"] if d.ljung_box else None, missing="-"
        ),
        "ADF p": lambda d: pvalue_text(d.adf["pvalue"], missing="-"),
        "KPSS p": lambda d: pvalue_text(
            d.kpss["pvalue"], bound=d.kpss.get("pvalue_bound"), missing="-"
        ),
        "ndiffs / nsdiffs": lambda d: f"{d.ndiffs} / {d.nsdiffs}",
        "trend strength": lambda d: _fmt(d.trend_strength, 2),
        "seasonal strength": lambda d: _fmt(d.seasonal_strength, 2),
        "suggested window": lambda d: str(d.suggested_window),
        "ARIMA start": lambda d: _order(d.suggested_arima_order),
    }
    if len(results) <= WIDE_MAX_SERIES:  # one column per series
        table.add_column("")
        for d in results:
            table.add_column(d.name, overflow="fold")
        for name, get in rows.items():
            table.add_row(name, *(get(d) for d in results))
    else:  # one row per series
        table.add_column("series")
        for name in rows:
            table.add_column(name, overflow="fold")
        for d in results:
            table.add_row(d.name, *(get(d) for get in rows.values()))
    console.print(table)
    for d in results:
        console.print(f"\n[bold]{d.name}[/]", highlight=False)
        for line in d.readings:
            console.print(f"- {line}", highlight=False)


def _print_drivers(lag_analyses: dict) -> None:
    """One table per series: each driver's lead, significant lags and Granger p-value."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for uid, analyses in lag_analyses.items():
        table = Table(title=f"Drivers of {uid}")
        for name in (
            "driver",
            "known in advance",
            "lead",
            "significant lags",
            "r at lead",
            "Granger p",
            "relation",
        ):
            table.add_column(name, overflow="fold")
        for a in analyses:
            # a sub-daily pair has a second row: the same analysis on daily means (lags in days)
            for label, b in ((a.name, a), (f"{a.name} (daily means)", a.daily)):
                if b is None:
                    continue
                lead_r = b.prewhitened_ccf[b.lags.index(b.lead)] if b.lead is not None else None
                table.add_row(
                    label,
                    "yes" if b.known_in_advance else "no",
                    _fmt(b.lead),
                    ", ".join(str(k) for k in b.significant_lags) or "-",
                    _fmt(lead_r, 2),
                    pvalue_text(b.granger_p, missing="-"),
                    b.relation,
                )
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("diagnose")(diagnose)
