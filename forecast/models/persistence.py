"""Model files without pickle: safetensors for arrays, JSON for everything else.

A saved model is a folder holding ``config.json`` and ``weights.safetensors`` (named arrays:
network weights, training series, calibration residuals...). The config is::

    {"format": "forecast-workbench/model", "version": 2,
     "model": "<registry name>", "params": {...hyperparameters...}, "fitted": {...}}

Composite models (the hybrid, the ensemble) keep their sub-models in sub-folders, each a model
folder of its own. Loading parses JSON and reads raw tensors; nothing is ever unpickled.
:meth:`forecast.models.base.Forecaster.save` and ``load`` are the only callers.

Versions: 1 (the first format: the hybrid kept its ARIMA under ``"arima"`` rather than
``"fitted"``, the ensemble wrote its ``config.json`` without format tag and without a weights
file) is still read; a version newer than :data:`VERSION` is refused with a message.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from forecast.errors import DataError

__all__ = ["FORMAT", "VERSION", "read_model_files", "write_model_files"]

#: Format tag written into every config.
FORMAT = "forecast-workbench/model"
#: Version of the layout written today.
VERSION = 2
_CONFIG = "config.json"
_WEIGHTS = "weights.safetensors"


def write_model_files(path: str | Path, config: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write a model folder.

    Parameters
    ----------
    path : str or Path
        Folder to create (or overwrite the two files in).
    config : dict
        JSON-ready configuration (``model``, ``params``, ``fitted``).
    arrays : dict of str to ndarray
        Named arrays of any shape; stored contiguous, dtype preserved (may be empty).

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    body = {"format": FORMAT, "version": VERSION, **config}
    (folder / _CONFIG).write_text(json.dumps(body, indent=2, sort_keys=True))
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(folder / _WEIGHTS))
    return folder


def read_model_files(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a model folder written by :func:`write_model_files` (or an older version).

    Parameters
    ----------
    path : str or Path
        The folder.

    Returns
    -------
    config : dict
        With ``version`` (0 for the first ensemble folders, which carried no format tag).
    arrays : dict of str to ndarray

    Raises
    ------
    DataError
        Missing files, damaged JSON, a folder that is not a Forecast Workbench model, or a
        version newer than this one reads.
    """
    folder = Path(path)
    cfg_path, w_path = folder / _CONFIG, folder / _WEIGHTS
    if not cfg_path.is_file():
        raise DataError(
            f"'{folder}' is not a saved model: expected {_CONFIG} and {_WEIGHTS} inside it; "
            "save one with model.save(path)."
        )
    try:
        config = json.loads(cfg_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{cfg_path} is not valid JSON ({exc}); the model file is damaged."
        ) from exc
    if not isinstance(config, dict):
        raise DataError(f"{cfg_path} is not a Forecast Workbench model (not a JSON object).")
    if "format" not in config and config.get("model") == "ensemble" and "members" in config:
        return {**config, "version": 0}, {}  # the first ensemble folders: no tag, no weights
    if config.get("format") != FORMAT:
        raise DataError(
            f"{cfg_path} is not a Forecast Workbench model (format {config.get('format')!r})."
        )
    version = config.get("version")
    if not isinstance(version, int) or version < 1:
        raise DataError(f"{cfg_path}: unknown model file version {version!r}; the file is damaged.")
    if version > VERSION:
        raise DataError(
            f"{cfg_path} was written by a newer Forecast Workbench (model file version "
            f"{version}, this one reads up to {VERSION}); upgrade to load it."
        )
    if not w_path.is_file():
        raise DataError(
            f"'{folder}' is not a saved model: expected {_CONFIG} and {_WEIGHTS} inside it; "
            "save one with model.save(path)."
        )
    return config, load_file(str(w_path))
