"""Data page, first look: the packaged pretrained model's zero-shot forecast of the dataset's
first series, ready as soon as the file is read (no training)."""

from __future__ import annotations

from dash import dcc, html

from dashboard import datasets
from dashboard.components import card, log, user_message
from forecast.errors import ForecastError

__all__ = ["first_look"]


def first_look(data: dict | None, budget_s: float | None = None):
    """A card with the pretrained model's zero-shot forecast of the dataset's first series and
    its 80 % interval (no training: ready as soon as the file is read), or None.

    Parameters
    ----------
    data : dict or None
        The dataset store content.
    budget_s : float, optional
        Longest wait for a big file's first reading (None: as long as it takes).

    Returns
    -------
    Component or None
        None when there is no readable dataset (or it is still being read); a short note when
        the pretrained model cannot forecast it (e.g. a frequency its corpus did not cover).
    """
    if not data or not data.get("hash"):
        return None
    try:
        df, report = datasets.load_frame_within(
            data["hash"], datasets.Overrides.from_dict(data.get("overrides")), budget_s
        )
    except Exception:  # still reading (the poll asks again), or an error the summary reports
        return None
    from dashboard.pages.run import default_horizon
    from forecast.models.neural.pretrained import Pretrained
    from forecast.plots import forecast_figure

    uid = str(df["unique_id"].iloc[0])
    part = df[df["unique_id"].astype(str) == uid].reset_index(drop=True)
    part.attrs["freq"] = report.freq
    h = default_horizon(report.freq, len(part))
    try:
        fc = Pretrained().fit(part).predict(h, level=80)
    except Exception as exc:  # a first look must never break the page
        if not isinstance(exc, ForecastError):
            log.exception("first look at %s failed", data["hash"])
        return card("First look", html.Small(f"No pretrained forecast: {user_message(exc)}"))
    from forecast.ingest.series_names import series_name

    name = series_name(uid, report.labels)
    fig = forecast_figure(part, fc, unique_id=uid, level=80, tail=max(5 * h, 48), name=name)
    return card(
        f"First look: pretrained forecast of {name}",
        [
            dcc.Graph(id="first-look-graph", figure=fig, config={"displayModeBar": False}),
            html.Small(
                f"The packaged pretrained GRU forecasts the next {h} steps with an 80 % "
                "interval, zero-shot (no training on this file). Run a job to backtest it "
                "against the other models.",
                className="text-muted",
            ),
        ],
    )
