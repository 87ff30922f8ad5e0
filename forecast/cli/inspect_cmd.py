"""``forecast inspect FILE``: what :func:`forecast.ingest.reader.read_csv` inferred and repaired."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from forecast.cli.common import print_json
from forecast.cli.options import (
    AsJson,
    CsvFile,
    Reading,
    reading_options,
)


@reading_options()
def inspect(
    file: CsvFile,
    reading: Reading = Reading(),
    as_json: AsJson = False,
) -> None:
    """Show what was inferred from FILE: columns, frequency, series, drivers, gaps and repairs."""
    from forecast.ingest.reader import series_summary

    df, report = reading.load(file)
    series = series_summary(df, report)
    payload = {
        "series": series,
        "report": {
            "delimiter": report.delimiter,
            "encoding": report.encoding,
            "time_col": report.time_col,
            "value_cols": report.value_cols,
            "id_col": report.id_col,
            "keys": report.keys,
            "decimal": report.decimal,
            "thousands": report.thousands,
            "freq": report.freq,
            "fill": report.fill,
            "dropped_rows": report.dropped_rows,
            "repairs": report.repairs,
        },
    }
    if report.drivers:  # only with --drivers/--calendar/--holidays: the contract without is kept
        payload["drivers"] = [d.to_dict() for d in report.drivers]
        payload["report"]["future_rows"] = len(report.future)
    if as_json:
        print_json(payload)
        return
    console = Console()
    delim = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}[report.delimiter]
    console.print(
        f"[bold]{file}[/]: {delim}-separated, {report.encoding}, decimal '{report.decimal}', "
        f"time column '{report.time_col}', frequency {report.freq}"
    )
    if report.keys:
        console.print(f"series keys: {', '.join(report.keys)}")
    table = Table("series", "n_obs", "freq", "start", "end", "gaps", "filled")
    for s in series:
        table.add_row(
            s["unique_id"],
            str(s["n_obs"]),
            s["freq"],
            s["start"][:19],
            s["end"][:19],
            str(s["gaps"]),
            str(s["missing_filled"]),
        )
    console.print(table)
    if report.drivers:
        drivers_table = Table(
            "driver", "role", "source", "known in advance", "future rows", "gaps", "filled", "fill"
        )
        for d in report.drivers:
            drivers_table.add_row(
                d.name,
                "driver",
                d.source,
                "yes" if d.known_in_advance else "no (observed only)",
                str(d.future_rows),
                str(d.gaps),
                str(d.filled),
                d.fill,
            )
        console.print(drivers_table)
    for line in report.repairs:
        console.print(f"- {line}")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("inspect")(inspect)
