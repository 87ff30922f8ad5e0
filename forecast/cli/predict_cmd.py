"""``forecast predict MODEL FILE --horizon H``: apply a saved model to a new CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.common import fail, load_frame, print_json
from forecast.errors import ForecastError


def predict(
    model: Annotated[
        str,
        typer.Argument(help="Saved model folder, or a job's model-files zip (every model in it)."),
    ],
    file: Annotated[str, typer.Argument(help="CSV file (wide or long) to forecast.")],
    horizon: Annotated[int, typer.Option("--horizon", help="Steps to forecast.")],
    name: Annotated[
        str | None,
        typer.Option("--name", help="Only these models of a zip, comma-separated (e.g. lstm)."),
    ] = None,
    level: Annotated[float, typer.Option("--level", help="Prediction-interval level, %.")] = 80,
    out: Annotated[str, typer.Option("--out", help="Output folder.")] = "forecast-predict",
    time_col: Annotated[
        str | None, typer.Option("--time-col", help="Time column (detected).")
    ] = None,
    value_col: Annotated[
        str | None, typer.Option("--value-col", help="Value column(s), comma-separated (detected).")
    ] = None,
    id_col: Annotated[
        str | None, typer.Option("--id-col", help="Series id column of a long file.")
    ] = None,
    fill: Annotated[
        str, typer.Option("--fill", help="Gap policy: none, interpolate or ffill.")
    ] = "none",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Forecast every series of FILE with a saved model, from each series' last window.

    Global models (rnn, lstm, gru, bilstm, esn, ensemble, pretrained, finetuned) forecast any
    series of the frequency they were trained on (the pretrained one: any frequency) that is at
    least as long as their input window; arima re-applies each series' fitted orders. Writes
    OUT/forecasts.csv (unique_id, ds, model, yhat, lo, hi).
    """
    import pandas as pd

    from forecast.saved import apply_saved, open_saved

    df, _report = load_frame(file, time_col, value_col, id_col, fill)
    names = [n.strip() for n in name.split(",") if n.strip()] if name else None
    try:
        models = open_saved(model, names)
        frames = [apply_saved(m, df, horizon, level) for m in models.values()]
    except ForecastError as exc:
        fail(str(exc))
    forecasts = pd.concat(frames, ignore_index=True)
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "forecasts.csv"
        forecasts.to_csv(path, index=False)
    except OSError as exc:
        fail(f"cannot write to {folder}: {exc.strerror or exc}; pass a writable --out folder.")
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
