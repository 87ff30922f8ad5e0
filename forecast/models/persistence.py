"""Model files without pickle: safetensors for arrays, JSON for everything else.

A saved model is a folder holding ``config.json`` (class, hyperparameters, fitted metadata) and
``weights.safetensors`` (named arrays: network weights, training series, calibration residuals).
Loading parses JSON and reads raw tensors; nothing is ever unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from safetensors.numpy import load_file, save_file

from forecast.errors import DataError
from forecast.seasonal import seasonal_method
from forecast.windows import SeriesTransform

__all__ = ["FORMAT", "load_windowed", "read_model_files", "save_windowed", "write_model_files"]

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


def save_windowed(model, path: str | Path) -> Path:
    """Write a fitted :class:`~forecast.models.windowed.WindowedForecaster` to a folder.

    The arrays hold the training series (values, lengths, timestamps as int64 ns), their
    seasonal components, the conformal calibration errors and each member's weights
    (``member{k}.{name}``); the config holds the class name, hyperparameters and fitted metadata.

    Parameters
    ----------
    model : WindowedForecaster
        A trained model.
    path : str or Path
        Folder to write.

    Returns
    -------
    Path
    """
    arrays = {
        "values": np.concatenate(model.values_).astype(np.float64),
        "lengths": np.array([len(v) for v in model.values_], dtype=np.int64),
        "ds": np.concatenate(
            [np.asarray(d, dtype="datetime64[ns]").astype(np.int64) for d in model.ds_]
        ),
        "seasonal": np.concatenate(model.transform_.seasonal).astype(np.float64),
        "calibration": model.calibration_.astype(np.float64),
    }
    for k, member in enumerate(model.members_):
        for key, arr in model._member_arrays(member).items():
            arrays[f"member{k}.{key}"] = arr
    config = {
        "model": model.name,
        "params": model.get_params(),
        "fitted": {
            "freq": model.freq_,
            "ids": model.ids_,
            "last_ds": [model.last_ds_[u].isoformat() for u in model.ids_],
            "season_length": model.season_length_,
            "horizon": model.horizon_,
            "input_size": model.input_size_,
            "log": model.transform_.log,
            "period": model.transform_.period,
            "deseasonalized": model.deseasonalized_,
            "n_members": len(model.members_),
            "n_train_windows": model.n_train_windows_,
            "n_val_windows": model.n_val_windows_,
            "normalize": model.normalize,
            "architecture": getattr(model, "architecture_", None),
        },
    }
    return write_model_files(path, config, arrays)


def load_windowed(cls: type, path: str | Path):
    """Rebuild a model written by :func:`save_windowed`.

    Parameters
    ----------
    cls : type
        The class ``load`` was called on; the saved model must be an instance of it.
    path : str or Path
        The folder.

    Returns
    -------
    WindowedForecaster
        Ready to predict; ``residuals_`` are recomputed on first use.

    Raises
    ------
    DataError
        Not a saved model, or a model of another class.
    """
    from forecast.models import make_model

    config, arrays = read_model_files(path)
    model = make_model(config["model"], **config["params"])
    if not isinstance(model, cls):
        raise DataError(f"'{path}' holds a '{config['model']}' model, not {cls.__name__}.")
    fitted = config["fitted"]
    cuts = np.cumsum(arrays["lengths"])[:-1]
    model.freq_ = fitted["freq"]
    model.ids_ = list(fitted["ids"])
    model.values_ = np.split(arrays["values"], cuts)
    model.ds_ = [d.astype("datetime64[ns]") for d in np.split(arrays["ds"], cuts)]
    model.last_ds_ = {
        u: pd.Timestamp(t) for u, t in zip(model.ids_, fitted["last_ds"], strict=True)
    }
    model.season_length_ = int(fitted["season_length"])
    model.horizon_ = int(fitted["horizon"])
    model.input_size_ = int(fitted["input_size"])
    model.n_train_windows_ = int(fitted["n_train_windows"])
    model.n_val_windows_ = int(fitted["n_val_windows"])
    model.n_params_ = {u: 0 for u in model.ids_}
    model.transform_ = SeriesTransform(
        log=bool(fitted["log"]),
        period=int(fitted["period"]),
        seasonal=list(np.split(arrays["seasonal"], cuts)),
    )
    model.calibration_ = arrays["calibration"]
    model.normalize = fitted.get("normalize", model.normalize)
    if fitted.get("architecture"):
        model.architecture_ = dict(fitted["architecture"])
    # files written before "classical" existed store a bool (True meant STL)
    model.deseasonalized_ = seasonal_method(fitted["deseasonalized"])
    members = []
    for k in range(int(fitted["n_members"])):
        prefix = f"member{k}."
        part = {key[len(prefix) :]: v for key, v in arrays.items() if key.startswith(prefix)}
        members.append(model._member_from_arrays(part))
    model.members_ = members
    model._residuals = None
    model._pending = (None, None)
    return model
