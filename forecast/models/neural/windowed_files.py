"""What the model file of a windowed forecaster holds: its series, transforms and members.

:class:`WindowedFiles` is the persistence half of
:class:`~forecast.models.neural.windowed.WindowedForecaster`: the training series (values,
lengths, timestamps as int64 ns), their seasonal components, the split-conformal calibration
errors, each member's arrays (``member{k}.{name}``) and the fitted metadata, written as
safetensors + JSON by :meth:`forecast.models.base.Forecaster.save` and read back so that the
loaded model predicts exactly what the saved one did. The drivers' part is
:mod:`forecast.models.neural.windowed_drivers`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.calendar.seasonal_adjustment import seasonal_method
from forecast.models.neural.windows import SeriesTransform

__all__ = ["WindowedFiles"]


class WindowedFiles:
    """Save/load of the windowed forecasters' fitted state; see the module docstring.

    Subclasses give ``_member_arrays(member)`` and ``_member_from_arrays(arrays)``.
    """

    def _series_state(self, folder) -> tuple[dict, dict[str, np.ndarray]]:
        """The training series (values, lengths, timestamps as int64 ns), their seasonal
        components, the conformal calibration errors and each member's arrays
        (``member{k}.{name}``), plus the fitted metadata."""
        arrays = {
            "values": np.concatenate(self.values_).astype(np.float64),
            "lengths": np.array([len(v) for v in self.values_], dtype=np.int64),
            "ds": np.concatenate(
                [np.asarray(d, dtype="datetime64[ns]").astype(np.int64) for d in self.ds_]
            ),
            "seasonal": np.concatenate(self.transform_.seasonal).astype(np.float64),
            "calibration": self.calibration_.astype(np.float64),
        }
        for k, member in enumerate(self.members_):
            for key, arr in self._member_arrays(member).items():
                arrays[f"member{k}.{key}"] = arr
        fitted = {
            "freq": self.freq_,
            "ids": self.ids_,
            "last_ds": [self.last_ds_[u].isoformat() for u in self.ids_],
            "season_length": self.season_length_,
            "horizon": self.horizon_,
            "input_size": self.input_size_,
            "log": self.transform_.log,
            "period": self.transform_.period,
            "deseasonalized": self.deseasonalized_,
            "n_members": len(self.members_),
            "n_train_windows": self.n_train_windows_,
            "n_val_windows": self.n_val_windows_,
            "normalize": self.normalize_,
            "architecture": getattr(self, "architecture_", None),
        }
        return fitted, arrays

    def _restore_series(self, fitted, arrays, folder) -> None:
        cuts = np.cumsum(arrays["lengths"])[:-1]
        if fitted.get("architecture"):  # models whose network is described by their file
            self.architecture_ = dict(fitted["architecture"])
        # the normalisation in use (a pretrained model's comes from its weights file)
        self.normalize_ = fitted.get("normalize") or self.normalize
        self.freq_ = fitted["freq"]
        self.ids_ = list(fitted["ids"])
        self.values_ = np.split(arrays["values"], cuts)
        self.ds_ = [d.astype("datetime64[ns]") for d in np.split(arrays["ds"], cuts)]
        self.season_length_ = int(fitted["season_length"])
        self.horizon_ = int(fitted["horizon"])
        self.input_size_ = int(fitted["input_size"])
        self.n_train_windows_ = int(fitted["n_train_windows"])
        self.n_val_windows_ = int(fitted["n_val_windows"])
        self.n_params_ = {u: 0 for u in self.ids_}
        self.transform_ = SeriesTransform(
            log=bool(fitted["log"]),
            period=int(fitted["period"]),
            seasonal=list(np.split(arrays["seasonal"], cuts)),
        )
        self.calibration_ = arrays["calibration"]
        # files written before "classical" existed store a bool (True meant STL)
        self.deseasonalized_ = seasonal_method(fitted["deseasonalized"])
        members = []
        for k in range(int(fitted["n_members"])):
            prefix = f"member{k}."
            part = {key[len(prefix) :]: v for key, v in arrays.items() if key.startswith(prefix)}
            members.append(self._member_from_arrays(part))
        self.members_ = members
        self._residuals = None
        self.last_ds_ = {
            u: pd.Timestamp(t) for u, t in zip(self.ids_, fitted["last_ds"], strict=True)
        }
