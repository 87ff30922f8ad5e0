"""Our models as M3 benchmark runners (see m3.py for the runner signature).

Statistical runners (naive, snaive, arima) are added by the baselines work; neural runners
(rnn, lstm, gru, bilstm, esn, ensembles) by the recurrent work. Keep each runner a small function.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RUNNERS: dict = {}


# ----------------------------------------------------------------------------- neural (issue 4)
#: Settings of the recurrent runners on M3 (tuned on M3 monthly only).
NEURAL_PARAMS: dict = {"epochs": 20, "hidden_size": 32, "batch_size": 512}


def _long_frame(train: list[np.ndarray]) -> pd.DataFrame:
    """M3 training parts as one long frame (monthly dates; only the order matters)."""
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"{i:05d}",
                "ds": pd.date_range("2000-01-01", periods=len(x), freq="MS"),
                "y": x,
            }
        )
        for i, x in enumerate(train)
    ]
    df = pd.concat(frames, ignore_index=True)
    df.attrs["freq"] = "MS"
    return df


#: Forecasts of the neural runners in this process, so an ensemble reuses its members' runs.
_CACHE: dict = {}


def _neural(name: str, **overrides):
    """Runner for one global neural model of ours, trained on every series at once."""

    def run(train, h, m, seed, threads):
        from forecast.models import make_model

        key = (name, tuple(sorted(overrides.items())), len(train), h, m, seed)
        if key not in _CACHE:
            params = {**NEURAL_PARAMS, **overrides} if name != "esn" else dict(overrides)
            model = make_model(
                name, horizon=h, season_length=m, seed=seed, threads=threads, **params
            )
            fc = model.fit(_long_frame(train)).predict(h)
            _CACHE[key] = fc["yhat"].to_numpy().reshape(len(train), h)
        return _CACHE[key]

    return run


def _ensemble(*members: tuple[str, dict]):
    """Median of several of our neural runners (each a global model; runs already made in this
    process are reused). ``members`` are ``(model name, parameter overrides)``."""

    def run(train, h, m, seed, threads):
        preds = [_neural(n, **kw)(train, h, m, seed, threads) for n, kw in members]
        return np.median(np.stack(preds), axis=0)

    return run


#: The recurrent defaults before this round of tuning (no seasonal adjustment, last-value level,
#: every window equally likely), kept to show what each change bought.
PREVIOUS_DEFAULTS = {"deseasonalize": "none", "normalize": "last", "sampling": "window"}

RUNNERS.update(
    {
        "rnn": _neural("rnn"),
        "lstm": _neural("lstm"),
        "gru": _neural("gru"),
        "bilstm": _neural("bilstm"),
        "esn": _neural("esn"),
        "lstm_previous": _neural("lstm", **PREVIOUS_DEFAULTS),
        "gru_previous": _neural("gru", **PREVIOUS_DEFAULTS),
        "lstm_window": _neural("lstm", sampling="window"),
        "gru_window": _neural("gru", sampling="window"),
        "lstm_noseason": _neural("lstm", deseasonalize="none"),
        "gru_noseason": _neural("gru", deseasonalize="none"),
        # rule: both cells, with and without seasonal adjustment (their errors differ most)
        "ensemble": _ensemble(
            *[(n, kw) for n in ("gru", "lstm") for kw in ({}, {"deseasonalize": "none"})]
        ),
        "ensemble5": _ensemble(*[(n, {}) for n in ("rnn", "lstm", "gru", "bilstm", "esn")]),
        # seed ensemble: the LSTM with seeds 0, 1, 2 (median)
        "lstm_seeds3": _neural("lstm", n_seeds=3),
    }
)


# ----------------------------------------------------------------------------- pretrained
def _pretrained(name: str, **params):
    """Runner for the packaged pretrained GRU: ``pretrained`` zero-shot, or ``finetuned`` as
    one global model over every series (initialised from the pretrained weights)."""

    def run(train, h, m, seed, threads):
        from forecast.models import make_model

        extra = {"seed": seed, **params} if name == "finetuned" else {}
        model = make_model(name, horizon=h, season_length=m, threads=threads, **extra)
        fc = model.fit(_long_frame(train)).predict(h)
        return fc["yhat"].to_numpy().reshape(len(train), h)

    return run


RUNNERS.update(
    {
        "pretrained": _pretrained("pretrained"),
        # every weight learns, on all series at once, from the pretrained start
        "finetuned_global": _pretrained(
            "finetuned", train="all", epochs=6, lr=1e-3, batch_size=512, min_input=24, patience=2
        ),
    }
)


# ----------------------------------------------------------------------------- statistical (issue 5)
from baseline_runners import STAT_RUNNERS  # noqa: E402  (naive, snaive, drift, arima runners)

RUNNERS.update(STAT_RUNNERS)
