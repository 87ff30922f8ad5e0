"""Ensembles of pretrained networks: several single-network weights files merged into one.

Networks trained alike from different seeds (each seed also draws its own synthetic corpus)
err differently; the median (for two, the mean) of their forecasts is more accurate than any one
of them (benchmarks/README.md). :func:`combine_weights` writes such an ensemble: member ``k``'s
state as ``net.<k>.<name>``, the calibration errors of every member's own validation series
stacked, and a config that records each member's seed and training next to the shared
architecture and input treatment (:mod:`forecast.models.neural.pretrained_io`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.errors import DataError
from forecast.models.neural.pretrained_io import member_states, read_pretrained, write_pretrained

__all__ = ["combine_weights"]

#: Config blocks every member must share.
_SHARED = ("architecture", "input", "periods", "script_version")


def combine_weights(paths: list[str | Path], out: str | Path, extra: dict | None = None) -> Path:
    """Merge single-network weights files into one ensemble weights file.

    Parameters
    ----------
    paths : list of str or Path
        Weights JSONs of one network each, written by ``python -m forecast.pretrain``.
    out : str or Path
        The ensemble's JSON path (the safetensors file goes beside it).
    extra : dict, optional
        More config keys (scores, corpus description); they replace the first member's.

    Returns
    -------
    Path
        The JSON path.

    Raises
    ------
    DataError
        Fewer than two files, a file that is itself an ensemble, or members whose
        architecture, input treatment, periods or recipe version differ.
    """
    if len(paths) < 2:
        raise DataError("An ensemble needs at least two weights files.")
    configs, arrays = [], {}
    calibration = []
    for k, path in enumerate(paths):
        config, arr = read_pretrained(path)
        states = member_states(arr)
        if len(states) != 1:
            raise DataError(
                f"{path} is already an ensemble of {len(states)}; give single networks."
            )
        if configs:
            differ = [key for key in _SHARED if config.get(key) != configs[0].get(key)]
            if differ:
                raise DataError(f"{path} differs from {paths[0]} in {differ}; members must match.")
        configs.append(config)
        arrays.update({f"net.{k}.{name}": v for name, v in states[0].items()})
        calibration.append(np.asarray(arr["calibration"], dtype=np.float64))
    arrays["calibration"] = np.concatenate(calibration)
    first = configs[0]
    config = {key: first[key] for key in (*_SHARED, "corpus", "settings", "seed") if key in first}
    config["members"] = len(configs)
    config["member_runs"] = [
        {
            "seed": c.get("seed"),
            "training": c.get("training"),
            "corpus": c.get("corpus"),
        }
        for c in configs
    ]
    for key in ("format", "version", "weights_sha256"):
        config.pop(key, None)
    config.update(extra or {})
    return write_pretrained(out, arrays, config)
