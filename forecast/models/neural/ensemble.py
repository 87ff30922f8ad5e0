"""The recurrent ensemble: the median of recurrent nets that see the data differently.

Seed ensembles (``n_seeds``) of one network gain little, because members trained on the same
windows make the same errors (per-series sMAPE of two seeds correlates at 0.99 on M3 monthly).
Members that see the series with and without the seasonal adjustment err differently (~0.97), and
their median is the most accurate forecaster of the workbench on M3 monthly: 13.20 sMAPE for
{GRU, LSTM} × {classical adjustment, none}, against 13.44 for the best single LSTM and 13.83 for
Theta (``benchmarks/m3.py --models ensemble``).

:class:`RecurrentEnsemble` fits one member per (cell, adjustment) pair, each a global model of
:mod:`forecast.models.neural.recurrent` (or the ESN), and takes medians of their forecasts, interval
bounds and in-sample residuals. It saves to a model folder (safetensors + JSON) holding one
sub-folder per member (each a model folder of its own); loading never unpickles. Its members are
the registry's member models (``model_names(member=True)``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import DataError, SpecError
from forecast.models.base import (
    RESIDUAL_COLUMNS,
    Forecaster,
    Progress,
    ShouldStop,
    check_fitted,
    check_horizon,
    check_level,
)

__all__ = ["RecurrentEnsemble"]


class RecurrentEnsemble(Forecaster):
    """Median of global recurrent forecasters, one per (cell, seasonal adjustment) pair.

    Parameters
    ----------
    horizon : int or None
        Steps the members' direct heads are trained for; None: the first ``predict(h)``.
    cells : sequence of str
        Member models, the registry's member models (rnn, lstm, gru, bilstm, esn); default
        GRU and LSTM.
    adjustments : sequence of str
        ``deseasonalize`` setting of each member ("auto", "classical", "stl", "none"); every
        cell is trained once per adjustment. Default: with and without the seasonal adjustment.
    input_size, epochs, hidden_size : int or None
        Passed to every member that takes them (None: the member's default); one that no
        member takes (``epochs`` with ESN members only) is refused.
    seed : int
        Seed of every member (they differ by what they see, not by seed).
    season_length : int or None
        Seasonal period; None: from the frequency.
    threads : int or None
        ``torch.set_num_threads`` while training and predicting.
    device : str or None
        Torch device of the members that take one; None: CUDA when available.

    Notes
    -----
    Training costs the sum of the members' (four recurrent nets by default): 179 s on 2 CPU
    threads for the 1,428 M3 monthly series (13.21 sMAPE), seconds for a few short series.
    """

    name = "ensemble"
    #: As its members (recurrent nets and the ESN), which take the drivers by their own
    #: default (``drivers="regression"``: known drivers by dynamic regression, observed-only
    #: ones as input channels).
    drivers_accepted = ("known", "observed")
    label = "Recurrent ensemble (GRU + LSTM, with and without seasonal adjustment)"
    scope = "global"
    neural = True
    memory = True
    min_length = 3
    reapplies = True
    _fitted_attr = "members_"

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
    def _member_specs(self) -> list[tuple[str, dict]]:
        cells = [self.cells] if isinstance(self.cells, str) else list(self.cells)
        adjustments = (
            [self.adjustments] if isinstance(self.adjustments, str) else list(self.adjustments)
        )
        if not cells or not adjustments:
            raise SpecError("ensemble: cells and adjustments must each name at least one.")
        from forecast.models.registry import model_class, model_names

        members = model_names(member=True)
        unknown = [c for c in cells if c not in members]
        if unknown:
            raise SpecError(
                f"ensemble: unknown member model(s) {unknown}; choose from {list(members)}."
            )
        if self.horizon is not None:
            check_horizon(self.horizon)
        shared = {
            "horizon": self.horizon,
            "input_size": self.input_size,
            "seed": self.seed,
            "season_length": self.season_length,
            "threads": self.threads,
        }
        optional = {"epochs": self.epochs, "hidden_size": self.hidden_size, "device": self.device}
        optional = {k: v for k, v in optional.items() if v is not None}
        for key in optional:
            if not any(key in model_class(c).param_names() for c in cells):
                raise SpecError(
                    f"ensemble: no member ({', '.join(cells)}) takes {key}; leave it empty."
                )
        specs = []
        for cell in cells:
            takes = model_class(cell).param_names()
            extra = {k: v for k, v in optional.items() if k in takes}
            for adjustment in adjustments:
                specs.append((cell, {**shared, **extra, "deseasonalize": adjustment}))
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
        from forecast.models.registry import make_model

        specs = self._member_specs()
        vars(self).pop("members_", None)
        members = [make_model(cell, **params) for cell, params in specs]
        labels = [f"{cell} ({params['deseasonalize']})" for cell, params in specs]
        for k, (member, label) in enumerate(zip(members, labels, strict=True)):
            member.fit(
                df,
                progress=self._sub_progress(progress, k, len(specs), label),
                should_stop=should_stop,
            )
        self.labels_ = labels
        self.members_ = members
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

    def predict(
        self, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
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
        frames = [m.predict(h, level=level, X_future=X_future) for m in self.members_]
        out = frames[0][["unique_id", "ds"]].copy()
        out["model"] = self.name
        for col in ("yhat", "lo", "hi"):
            out[col] = np.median(np.stack([f[col].to_numpy(dtype=float) for f in frames]), axis=0)
        return out.reset_index(drop=True)

    @property
    def drivers_(self) -> list[str]:
        """The drivers the members were fitted with."""
        check_fitted(self, "members_")
        return list(getattr(self.members_[0], "drivers_", []))

    def effects(self) -> pd.DataFrame:
        """The drivers' estimated effects (the members share one regression per series; empty
        when the members read the drivers as channels)."""
        check_fitted(self, "members_")
        return self.members_[0].effects()

    def forecast_from(self, df: pd.DataFrame, h: int, level: float = 80) -> pd.DataFrame:
        """Median of the members' forecasts of the series of ``df`` from their last windows
        (see :meth:`forecast.models.neural.windowed.WindowedForecaster.forecast_from`)."""
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
        :meth:`forecast.models.neural.recurrent.RecurrentForecaster.effective_memory`): ``lag``,
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
    def _fitted_state(self, folder: Path) -> tuple[dict, dict]:
        """One sub-folder per member (``member0`` ...), each written by the member's ``save``."""
        members = []
        for k, member in enumerate(self.members_):
            member.save(Path(folder) / f"member{k}")
            members.append({"folder": f"member{k}", "model": member.name, "label": self.labels_[k]})
        return {"members": members}, {}

    def _restore_state(self, fitted: dict, arrays: dict, folder: Path) -> None:
        from forecast.models.registry import model_class, model_names

        specs = fitted.get("members") or []
        if not specs:
            raise DataError(f"'{folder}': the ensemble file lists no members.")
        members = []
        for spec in specs:
            name, sub = spec.get("model"), str(spec.get("folder"))
            if name not in model_names(member=True) or Path(sub).name != sub:
                raise DataError(f"'{folder}': member {spec!r} is not a recurrent model folder.")
            members.append(model_class(name).load(Path(folder) / sub))
        self.labels_ = [spec["label"] for spec in specs]
        self.ids_ = list(members[0].ids_)
        self.n_params_ = {u: 0 for u in self.ids_}
        self.last_ds_ = members[0].last_ds_
        self.members_ = members

    @classmethod
    def _upgrade_config(cls, config: dict) -> dict:
        config = super()._upgrade_config(config)
        if config.get("version") == 0:  # the first ensemble folders kept "members" on top
            config = {**config, "fitted": {"members": config.get("members")}}
        return config
