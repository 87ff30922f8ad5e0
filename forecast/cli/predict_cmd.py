"""``forecast predict MODEL FILE --horizon H``: apply a saved model to a new CSV."""

from __future__ import annotations

from typing import Annotated

import typer

from forecast.cli.common import fail, print_json, write_csvs
from forecast.cli.options import (
    AsJson,
    Horizon,
    Level,
    OutFolder,
    Reading,
    reading_options,
)
from forecast.errors import ForecastError


@reading_options()
def predict(
    model: Annotated[
        str,
        typer.Argument(help="Saved model folder, or a job's model-files zip (every model in it)."),
    ],
    file: Annotated[str, typer.Argument(help="CSV file (wide or long) to forecast.")],
    horizon: Horizon,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Only these models of a zip, comma-separated (e.g. lstm)."),
    ] = None,
    level: Level = 80,
    out: OutFolder = "forecast-predict",
    reading: Reading = Reading(),
    as_json: AsJson = False,
) -> None:
    """Forecast every series of FILE with a saved model, from each series' last window.

    Global models (rnn, lstm, gru, bilstm, esn, ensemble, pretrained, finetuned) forecast any
    series of the frequency they were trained on (the pretrained one: any frequency) that is at
    least as long as their input window; arima re-applies each series' fitted orders. Writes
    OUT/forecasts.csv (unique_id, ds, model, yhat, lo, hi). A model saved with drivers needs
    them in FILE (--drivers) with their future: rows after each series' last value (or --future).
    """
    import pandas as pd

    from forecast.models.saved import apply_saved, open_saved

    df, report = reading.load(file)
    x_future = reading.drivers_future(report)
    names = [n.strip() for n in name.split(",") if n.strip()] if name else None
    try:
        models = open_saved(model, names)
        frames = [apply_saved(m, df, horizon, level, x_future) for m in models.values()]
    except ForecastError as exc:
        fail(str(exc))
    forecasts = pd.concat(frames, ignore_index=True)
    path = write_csvs(out, {"forecasts.csv": forecasts})["forecasts.csv"]
    summary = {
        "models": list(models),
        "series": int(df["unique_id"].nunique()),
        "horizon": horizon,
        "level": level,
        "forecasts": str(path),
    }
    if as_json:
        print_json(summary)
        return
    typer.echo(f"{', '.join(models)}: {summary['series']} series x {horizon} steps; wrote {path}")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("predict")(predict)
