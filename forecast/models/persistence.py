"""Model files without pickle: safetensors for arrays, JSON for everything else.

A saved model is a folder holding ``config.json`` (class, hyperparameters, fitted metadata) and
``weights.safetensors`` (named arrays: network weights, training series, calibration residuals).
Loading parses JSON and reads raw tensors; nothing is ever unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from forecast.errors import DataError

__all__ = ["FORMAT", "read_model_files", "write_model_files"]

#: Format tag written into every config.
FORMAT = "forecast-workbench/model"
_CONFIG = "config.json"
_WEIGHTS = "weights.safetensors"


def write_model_files(path: str | Path, config: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write a model folder.

    Parameters
    ----------
    path : str or Path
        Folder to create (or overwrite the two files in).
    config : dict
        JSON-ready configuration.
    arrays : dict of str to ndarray
        Named arrays of any shape; stored contiguous, dtype preserved.

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    body = {"format": FORMAT, "version": 1, **config}
    (folder / _CONFIG).write_text(json.dumps(body, indent=2, sort_keys=True))
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(folder / _WEIGHTS))
    return folder


def read_model_files(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a model folder written by :func:`write_model_files`.

    Parameters
    ----------
    path : str or Path
        The folder.

    Returns
    -------
    config : dict
    arrays : dict of str to ndarray

    Raises
    ------
    DataError
        Missing files or a folder that is not a Forecast Workbench model.
    """
    folder = Path(path)
    cfg_path, w_path = folder / _CONFIG, folder / _WEIGHTS
    if not cfg_path.is_file() or not w_path.is_file():
        raise DataError(
            f"'{folder}' is not a saved model: expected {_CONFIG} and {_WEIGHTS} inside it; "
            "save one with model.save(path)."
        )
    try:
        config = json.loads(cfg_path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{cfg_path} is not valid JSON ({exc}); the model file is damaged."
        ) from exc
    if config.get("format") != FORMAT:
        raise DataError(
            f"{cfg_path} is not a Forecast Workbench model (format {config.get('format')!r})."
        )
    return config, load_file(str(w_path))
