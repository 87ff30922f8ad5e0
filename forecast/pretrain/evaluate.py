"""Zero-shot scores of pretrained weights on the M3 half kept out of the corpus.

The forecasts come from :class:`~forecast.models.neural.pretrained.Pretrained` itself (the product's
code path), one model over all series of a subset; each series is treated on its own, so this
equals forecasting every series from its own file. Metrics as in the M3 literature: sMAPE
(0–200) and MASE (in-sample seasonal naive scale).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from forecast.evaluation.metrics import mase_by_series, smape_by_series
from forecast.pretrain.corpus import M3_PERIODS, m3_series

__all__ = ["FREQS", "m3_frame", "mase", "smape", "zero_shot_scores"]

#: M3 subset -> pandas frequency used to date its series.
FREQS = {"monthly": "MS", "quarterly": "QS", "yearly": "YS", "other": "D"}


def m3_frame(train: list[np.ndarray], freq: str, ids: list[str] | None = None) -> pd.DataFrame:
    """Long frame of series dated ``freq`` steps ending at 2000-01-01 (dates are arbitrary)."""
    frames = []
    for i, x in enumerate(train):
        ds = pd.date_range(end="2000-01-01", periods=len(x), freq=freq)
        frames.append(pd.DataFrame({"unique_id": ids[i] if ids else str(i), "ds": ds, "y": x}))
    df = pd.concat(frames, ignore_index=True)
    df.attrs["freq"] = freq
    return df


#: Per-series sMAPE (0–200), shape (n_series,), for arrays (n_series, h): the library's metric.
smape = smape_by_series
#: Per-series MASE, shape (n_series,): MAE / in-sample seasonal-naive MAE (lag m, or 1).
mase = mase_by_series


def zero_shot_scores(
    weights: str | None, subset: str, *, limit: int | None = None, model: str = "pretrained"
) -> dict:
    """Mean sMAPE and MASE of ``model`` on the held-out half of an M3 subset.

    Parameters
    ----------
    weights : str or None
        Weights JSON (None: the packaged one).
    subset : {"monthly", "quarterly"}
    limit : int, optional
        First N held-out series only.
    model : {"pretrained", "finetuned"}

    Returns
    -------
    dict
        ``series``, ``smape``, ``mase``, ``seconds_per_series``.
    """
    from forecast.models import make_model

    ids, train, test, h = m3_series(subset, "held_out")
    if limit:
        ids, train, test = ids[:limit], train[:limit], test[:limit]
    df = m3_frame(train, FREQS[subset], ids)
    start = time.perf_counter()
    est = make_model(model, weights=weights).fit(df)
    fc = est.predict(h)
    seconds = time.perf_counter() - start
    yhat = np.stack([fc.loc[fc["unique_id"] == u, "yhat"].to_numpy() for u in ids])
    y = np.stack(test)
    return {
        "series": len(ids),
        "smape": float(np.mean(smape(y, yhat))),
        "mase": float(np.nanmean(mase(train, y, yhat, M3_PERIODS[subset]))),
        "seconds_per_series": seconds / len(ids),
    }
