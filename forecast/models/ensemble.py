"""The recurrent ensemble: the median of recurrent nets that see the data differently.

Seed ensembles (``n_seeds``) of one network gain little, because members trained on the same
windows make the same errors (per-series sMAPE of two seeds correlates at 0.99 on M3 monthly).
Members that see the series with and without the seasonal adjustment err differently (~0.97), and
their median is the most accurate forecaster of the workbench on M3 monthly: 13.20 sMAPE for
{GRU, LSTM} × {classical adjustment, none}, against 13.44 for the best single LSTM and 13.83 for
Theta (``benchmarks/m3.py --models ensemble``).

:class:`RecurrentEnsemble` fits one member per (cell, adjustment) pair, each a global model of
:mod:`forecast.models.recurrent` (or the ESN), and takes medians of their forecasts, interval
bounds and in-sample residuals. It saves to a folder holding one sub-folder per member (each
safetensors + JSON) and a ``config.json``; loading never unpickles.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import DataError, SpecError
from forecast.models.base import RESIDUAL_COLUMNS, check_fitted, check_horizon, check_level

__all__ = ["MEMBER_CELLS", "RecurrentEnsemble"]

#: Models that may be members.
MEMBER_CELLS = ("rnn", "lstm", "gru", "bilstm", "esn")

Progress = Callable[[int, int, str], None]
ShouldStop = Callable[[], bool]


class RecurrentEnsemble:
    """Median of global recurrent forecasters, one per (cell, seasonal adjustment) pair.

    Parameters
    ----------
    horizon : int or None
        Steps the members' direct heads are trained for; None: the first ``predict(h)``.
    cells : sequence of str
        Member models, from :data:`MEMBER_CELLS`; default GRU and LSTM.
    adjustments : sequence of str
        ``deseasonalize`` setting of each member ("auto", "classical", "stl", "none"); every
        cell is trained once per adjustment. Default: with and without the seasonal adjustment.
    input_size, epochs, hidden_size : int or None
        Passed to every member (None: the member's default; ``hidden_size`` is ignored by
        the ESN).
    seed : int
        Seed of every member (they differ by what they see, not by seed).
    season_length : int or None
        Seasonal period; None: from the frequency.
    threads : int or None
        ``torch.set_num_threads`` while training and predicting.
    device : str or None
        Torch device; None: CUDA when available.

    Notes
    -----
    Training costs the sum of the members' (four recurrent nets by default): 179 s on 2 CPU
    threads for the 1,428 M3 monthly series (13.21 sMAPE), seconds for a few short series.
    """

    name = "ensemble"

    def __init__(
        self,
        *,
        horizon: int | None = None,
        cells: tuple[str, ...] | list[str] = ("gru", "lstm"),
        adjustments: tuple[str, ...] | list[str] = ("auto", "none"),
        input_size: int | None = None,
        epochs: int | None = None,
        hidden_size: int | None = None,
        seed: int = 0,
        season_length: int | None = None,
        threads: int | None = None,
        device: str | None = None,
    ) -> None:
        self.horizon = horizon
        self.cells = cells
        self.adjustments = adjustments
        self.input_size = input_size
        self.epochs = epochs
        self.hidden_size = hidden_size
        self.seed = seed
        self.season_length = season_length
        self.threads = threads
        self.device = device

    # ------------------------------------------------------------------ parameters
    def get_params(self) -> dict:
        """Hyperparameters as given to ``__init__`` (JSON-ready: sequences become lists)."""
        sig = inspect.signature(type(self).__init__)
        params = {k: getattr(self, k) for k in sig.parameters if k != "self"}
        params["cells"] = list(params["cells"])
        params["adjustments"] = list(params["adjustments"])
        return params

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"RecurrentEnsemble({args})"

    def _member_specs(self) -> list[tuple[str, dict]]:
        cells = [self.cells] if isinstance(self.cells, str) else list(self.cells)
        adjustments = (
            [self.adjustments] if isinstance(self.adjustments, str) else list(self.adjustments)
        )
        if not cells or not adjustments:
            raise SpecError("ensemble: cells and adjustments must each name at least one.")
        unknown = [c for c in cells if c not in MEMBER_CELLS]
        if unknown:
            raise SpecError(
                f"ensemble: unknown member model(s) {unknown}; choose from {list(MEMBER_CELLS)}."
            )
        if self.horizon is not None:
            check_horizon(self.horizon)
        shared = {
            "horizon": self.horizon,
            "input_size": self.input_size,
            "seed": self.seed,
            "season_length": self.season_length,
            "threads": self.threads,
            "device": self.device,
        }
        if self.epochs is not None:
            shared["epochs"] = self.epochs
        specs = []
        for cell in cells:
            for adjustment in adjustments:
                params = {**shared, "deseasonalize": adjustment}
                if self.hidden_size is not None and cell != "esn":
                    params["hidden_size"] = self.hidden_size
                specs.append((cell, params))
        return specs

    # ------------------------------------------------------------------ fit / predict
    def fit(
        self,
        df: pd.DataFrame,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ):
        """Fit every member on ``df``.

        Parameters
        ----------
        df : DataFrame
            Long frame ``unique_id, ds, y`` without NaN.
        progress : callable, optional
            ``progress(step, total, message)`` as the members train (message names the member).
        should_stop : callable, optional
            Checked between epochs; :class:`~forecast.errors.Cancelled` is raised when True.

        Returns
        -------
        self

        Raises
        ------
        DataError, SpecError
            As the members raise them (bad data, bad parameters, a window too long).
        """
        from forecast.models import make_model

        specs = self._member_specs()
        self.members_ = [make_model(cell, **params) for cell, params in specs]
        labels = [f"{cell} ({params['deseasonalize']})" for cell, params in specs]
        for k, (member, label) in enumerate(zip(self.members_, labels, strict=True)):
            member.fit(
                df,
                progress=self._sub_progress(progress, k, len(specs), label),
                should_stop=should_stop,
            )
        self.labels_ = labels
        first = self.members_[0]
        self.ids_ = list(first.ids_)
        self.n_params_ = {u: 0 for u in self.ids_}
        self.last_ds_ = first.last_ds_
        return self

    @staticmethod
    def _sub_progress(progress: Progress | None, index: int, count: int, label: str):
        if progress is None:
            return None

        def sub(step: int, total: int, message: str) -> None:
            progress(
                index * total + step,
                count * total,
                f"member {index + 1}/{count} {label}: {message}",
            )

        return sub

    def predict(self, h: int, level: float = 80) -> pd.DataFrame:
        """Median forecast and interval bounds of the members.

        Parameters
        ----------
        h : int
            Horizon in steps.
        level : float
            Interval level in percent (each member's split-conformal interval; the bounds are
            the members' median bounds).

        Returns
        -------
        DataFrame
            ``unique_id, ds, model, yhat, lo, hi`` with ``h`` rows per series.
        """
        h = check_horizon(h)
        level = check_level(level)
        check_fitted(self, "members_")
        frames = [m.predict(h, level=level) for m in self.members_]
        out = frames[0][["unique_id", "ds"]].copy()
        out["model"] = self.name
        for col in ("yhat", "lo", "hi"):
            out[col] = np.median(np.stack([f[col].to_numpy(dtype=float) for f in frames]), axis=0)
        return out.reset_index(drop=True)

    def forecast_from(self, df: pd.DataFrame, h: int, level: float = 80) -> pd.DataFrame:
        """Median of the members' forecasts of the series of ``df`` from their last windows
        (see :meth:`forecast.models.windowed.WindowedForecaster.forecast_from`)."""
        check_fitted(self, "members_")
        frames = [m.forecast_from(df, h, level=level) for m in self.members_]
        out = frames[0][["unique_id", "ds"]].copy()
        out["model"] = self.name
        for col in ("yhat", "lo", "hi"):
            out[col] = np.median(np.stack([f[col].to_numpy(dtype=float) for f in frames]), axis=0)
        return out.reset_index(drop=True)

    @property
    def residuals_(self) -> pd.DataFrame:
        """In-sample one-step residuals of the median fitted values: the median of the
        members' residuals (``unique_id, ds, resid``; NaN where a member has none)."""
        check_fitted(self, "members_")
        frames = [m.residuals_ for m in self.members_]
        out = frames[0][["unique_id", "ds"]].copy()
        # NaN (no residual) wherever a member has none: np.median propagates it
        out["resid"] = np.median(
            np.stack([f["resid"].to_numpy(dtype=float) for f in frames]), axis=0
        )
        return out[RESIDUAL_COLUMNS].reset_index(drop=True)

    def effective_memory(self, df: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
        """Mean over the recurrent members of their effective memory (see
        :meth:`forecast.models.recurrent.RecurrentForecaster.effective_memory`): ``lag``,
        ``importance`` and ``share``. Members of another window length or without the method
        (the ESN) are left out."""
        check_fitted(self, "members_")
        mems = [
            m.effective_memory(df, **kwargs)
            for m in self.members_
            if hasattr(m, "effective_memory")
        ]
        if not mems:
            raise SpecError("ensemble: no member has an effective memory (all are ESNs).")
        size = len(mems[0])
        mems = [m for m in mems if len(m) == size]
        importance = np.mean([m["importance"].to_numpy() for m in mems], axis=0)
        total = importance.sum()
        return pd.DataFrame(
            {
                "lag": mems[0]["lag"].to_numpy(),
                "importance": importance,
                "share": importance / total if total > 0 else importance,
            }
        )

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Save to a folder: ``config.json`` plus one sub-folder per member (``member0`` ...),
        each written by the member's own ``save``; never pickles.

        Parameters
        ----------
        path : str or Path
            Folder to write.
        """
        check_fitted(self, "members_")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        members = []
        for k, member in enumerate(self.members_):
            member.save(folder / f"member{k}")
            members.append({"folder": f"member{k}", "model": member.name, "label": self.labels_[k]})
        config = {"model": self.name, "params": self.get_params(), "members": members}
        (folder / "config.json").write_text(json.dumps(config, indent=1))

    @classmethod
    def load(cls, path):
        """Load an ensemble written by :meth:`save`; it predicts exactly what the saved one did.

        Parameters
        ----------
        path : str or Path
            The folder.

        Returns
        -------
        RecurrentEnsemble

        Raises
        ------
        DataError
            Not a saved ensemble, or a member folder missing.
        """
        from forecast.models import make_model

        folder = Path(path)
        try:
            config = json.loads((folder / "config.json").read_text())
        except (OSError, ValueError) as exc:
            raise DataError(f"'{path}' is not a saved model folder ({exc}).") from None
        if config.get("model") != cls.name:
            raise DataError(f"'{path}' holds a '{config.get('model')}' model, not {cls.__name__}.")
        model = make_model(cls.name, **config["params"])
        members = []
        for spec in config["members"]:
            if spec["model"] not in MEMBER_CELLS or Path(spec["folder"]).name != spec["folder"]:
                raise DataError(f"'{path}': member {spec!r} is not a recurrent model folder.")
            klass = type(make_model(spec["model"]))
            members.append(klass.load(folder / spec["folder"]))
        model.members_ = members
        model.labels_ = [spec["label"] for spec in config["members"]]
        model.ids_ = list(members[0].ids_)
        model.n_params_ = {u: 0 for u in model.ids_}
        model.last_ds_ = members[0].last_ds_
        return model
