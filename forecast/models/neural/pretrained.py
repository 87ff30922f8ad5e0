"""The pretrained recurrent forecaster, zero-shot (``pretrained``) and fine-tuned (``finetuned``).

One global recurrent network, pretrained on M3 training parts, the bundled series and
synthetic series (``python -m forecast.pretrain``; docs/pretrained.md), ships with the package
(:mod:`forecast.models.neural.pretrained_io`). Each series is treated as in pretraining: log when every
value is positive, classical seasonal adjustment at the frequency's period, the last
``input_size`` points (left-padded with the first value when the series is shorter), level
removed (the mean of the last season). The network emits a fixed horizon ``H``, truncated for
shorter requests; longer ones are reached by feeding forecasts back. Intervals are
split-conformal, from the pretraining validation errors.

- :class:`Pretrained` trains nothing: ``fit`` stores the series; any series of a frequency the
  corpus covered is forecast from its last window.
- :class:`Finetuned` starts from the same weights and trains on the given series (the last
  points of each held out for early stopping), with a small learning rate.

Both are :class:`~forecast.models.neural.windowed.WindowedForecaster`s: residual checks, effective
memory and safetensors model files work as for the other recurrent models. Forecasts run the
network in numpy (:class:`~forecast.models.neural.numpy_rnn.NumpyRecurrentNet`), so a run whose only
network is ``pretrained`` never imports torch (about 3 s of a single-file run); torch is
imported for fine-tuning and for effective memory (input gradients) only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.calendar.seasonal_adjustment import seasonal_method
from forecast.errors import DataError, SpecError
from forecast.models.base import check_horizon
from forecast.models.neural.numpy_rnn import NumpyRecurrentNet
from forecast.models.neural.pretrained_io import member_states, read_pretrained
from forecast.models.neural.windowed import WindowedForecaster
from forecast.models.neural.windows import (
    SeriesTransform,
    WindowSet,
    normalize_windows,
    pad_left,
    padded_windows,
)

if TYPE_CHECKING:
    from forecast.models.neural.recurrent import RecurrentNet

__all__ = ["Finetuned", "Pretrained", "network_from_config", "torch_network"]

#: Fewest real input points of a one-step residual window.
_MIN_INPUT = 4


def network_from_config(architecture: dict) -> RecurrentNet:
    """The (untrained) torch network an ``architecture`` dict describes (see
    :func:`forecast.models.neural.pretrained_io.write_pretrained`); imports torch."""
    from forecast.models.neural.recurrent import RecurrentNet

    return RecurrentNet(
        architecture["cell"],
        int(architecture["input_size"]),
        int(architecture["hidden_size"]),
        int(architecture["num_layers"]),
        0.0,
        False,
        int(architecture["horizon"]),
        bool(architecture["skip"]),
    )


def torch_network(architecture: dict, state: dict[str, np.ndarray]) -> RecurrentNet:
    """The torch network of ``architecture`` holding the state arrays ``state`` (copied), in
    eval mode: for fine-tuning and input gradients; imports torch."""
    import torch

    net = network_from_config(architecture)
    net.load_state_dict(
        {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in state.items()}
    )
    return net.eval()


def numpy_network(architecture: dict, state: dict[str, np.ndarray]) -> NumpyRecurrentNet:
    """The numpy network of ``architecture`` holding ``state``.

    Raises
    ------
    DataError
        The arrays do not fit the architecture (a damaged file).
    """
    try:
        return NumpyRecurrentNet(architecture, state)
    except (ValueError, KeyError) as exc:
        raise DataError(
            f"The pretrained weights do not fit the architecture their config declares "
            f"({exc}); the files are damaged."
        ) from None


class Pretrained(WindowedForecaster):
    """Zero-shot forecasts from the packaged pretrained recurrent network.

    Parameters
    ----------
    horizon : int or None
        Accepted for the common interface; the network's own horizon is fixed (forecasts of
        any length are made).
    season_length : int or None
        Seasonal period; None: from the frequency. Must be a period the corpus covered.
    weights : str or None
        Path of a ``pretrained.json`` to use instead of the packaged one.
    threads : int or None
        ``torch.set_num_threads`` while fine-tuning and computing effective memory (forecasts
        run in numpy).
    device : str or None
        Torch device of fine-tuning (None: CUDA when available); forecasts run in numpy on
        the CPU.
    """

    name = "pretrained"
    memory = True
    label = "Pretrained GRU (zero-shot, no training)"
    #: Not an ``ensemble`` member: the ensemble gives every member a window and a seasonal
    #: adjustment of its own, while this network's are fixed by its weights.
    member = False
    any_frequency = True
    head = "direct"
    dropout = 0.0
    n_seeds = 1
    sampling = "series"
    log = "auto"
    normalize = "season"
    deseasonalize = "classical"
    refit = False
    val_windows = None
    input_size = None
    #: Seasonal periods the pretraining corpus did not hold that it still serves: on synthetic
    #: series its MASE relative to AutoETS at 5 (business days) and 8 (3-hourly) was that of the
    #: periods it was trained on, while at 2, 3 and 6 it was clearly worse, so those stay
    #: refused (``benchmarks/studies/unseen_periods/run.py``).
    untrained_periods = (5, 8)

    def __init__(
        self,
        *,
        horizon: int | None = None,
        season_length: int | None = None,
        weights: str | None = None,
        threads: int | None = None,
        device: str | None = None,
    ) -> None:
        self.horizon = horizon
        self.season_length = season_length
        self.weights = weights
        self.threads = threads
        self.device = device

    def _check_params(self) -> None:
        if self.horizon is not None:
            check_horizon(self.horizon)
        sl = self.season_length
        if sl is not None and (
            isinstance(sl, bool) or not isinstance(sl, (int, np.integer)) or sl < 1
        ):
            raise SpecError(f"{self.name}: season_length must be a positive integer, got {sl!r}.")
        if self.weights is not None and not isinstance(self.weights, str):
            raise SpecError(f"{self.name}: weights must be a path, got {self.weights!r}.")

    # ------------------------------------------------------------------ weights
    def _load_weights(self) -> list[NumpyRecurrentNet]:
        """The networks of the weights file (one, or every member of an ensemble)."""
        config, arrays = read_pretrained(self.weights)
        self.architecture_ = dict(config["architecture"])
        # the input transforms the network was trained with (learned state: the constructor
        # settings are never changed)
        self.inputs_ = dict(config["input"])
        self.weights_config_ = config
        self._shipped_calibration = np.asarray(arrays["calibration"], dtype=float)
        return [numpy_network(self.architecture_, state) for state in member_states(arrays)]

    # ------------------------------------------------------------------ members (numpy)
    def _predict_member(self, member: NumpyRecurrentNet, X: np.ndarray) -> np.ndarray:
        return member(X)

    def _member_arrays(self, member: NumpyRecurrentNet) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=np.float32) for k, v in member.state.items()}

    def _member_from_arrays(self, arrays: dict[str, np.ndarray]) -> NumpyRecurrentNet:
        return numpy_network(self.architecture_, arrays)

    def effective_memory(
        self, df: pd.DataFrame | None = None, *, max_windows: int = 2000
    ) -> pd.DataFrame:
        """How far back the network looks: mean |∂ŷ/∂x_{t−k}| by lag ``k``, as for the other
        recurrent models (:meth:`forecast.models.neural.recurrent.RecurrentForecaster.effective_memory`;
        the gradients come from a torch copy of the network, so this imports torch).

        Parameters
        ----------
        df : DataFrame, optional
            Long frame to take windows from; default the training frame.
        max_windows : int
            At most this many windows.

        Returns
        -------
        DataFrame
            ``lag``, ``importance``, ``share``.
        """
        from forecast.models.neural.recurrent import input_gradient_memory

        self._check_fitted()
        nets = [torch_network(self.architecture_, m.state) for m in self.members_]
        return input_gradient_memory(self, nets, df, max_windows=max_windows)

    # ------------------------------------------------------------------ "training"
    def _train(self, horizon, progress, should_stop) -> None:
        nets = self._load_weights()
        periods = self.weights_config_.get("periods")
        if periods:
            periods = sorted(set(periods) | set(self.untrained_periods))
        if periods and self.season_length_ not in periods:
            raise SpecError(
                f"{self.name}: the pretrained model covers seasonal periods {periods}, "
                f"not {self.season_length_} (frequency {self.freq_}); pick another model."
            )
        self.deseasonalized_ = (
            seasonal_method(self.inputs_["deseasonalize"]) if self.season_length_ > 1 else "none"
        )
        self.normalize_ = self.inputs_["normalize"]
        self.transform_ = SeriesTransform.fit(
            self.values_,
            log=self.inputs_["log"],
            period=self.season_length_,
            deseasonalize=self.deseasonalized_,
            ids=self.ids_,
        )
        self.input_size_ = int(self.architecture_["input_size"])
        self.horizon_ = int(self.architecture_["horizon"])
        self.members_ = nets
        self.calibration_ = self._shipped_calibration
        self.n_train_windows_ = 0
        self.n_val_windows_ = 0
        self._adapt(progress, should_stop)

    def _adapt(self, progress, should_stop) -> None:
        """Zero-shot: nothing to learn."""

    # ------------------------------------------------------------------ windows of any length
    _pads_inputs = True

    def _input_windows(self, z: list[np.ndarray]) -> np.ndarray:
        return np.stack([pad_left(v, self.input_size_) for v in z])

    def _one_step_windows(self, z: list[np.ndarray]):
        return padded_windows(z, self.input_size_, 1, min_input=_MIN_INPUT)

    def _memory_windows(self, z: list[np.ndarray], max_windows: int) -> np.ndarray:
        w = padded_windows(z, self.input_size_, 1, min_input=min(self.input_size_, 8))
        if len(w) == 0:
            raise SpecError(f"{self.name}: effective memory needs series of at least 9 points.")
        return w.X[-max_windows:]


def _masked_loss(net, X: np.ndarray, Y: np.ndarray) -> float | None:
    """Masked MAE of ``net`` on normalised windows, None without any."""
    if len(X) == 0:
        return None
    import torch

    from forecast.models.neural.training import MaskedL1Loss, predict_module

    net = net.cpu()
    pred = torch.as_tensor(predict_module(net, X))
    return float(MaskedL1Loss()(pred, torch.as_tensor(Y, dtype=torch.float64)))


class Finetuned(Pretrained):
    """The pretrained network trained further on the given series.

    Parameters
    ----------
    horizon, season_length, weights, device
        As for :class:`Pretrained`.
    threads : int or None
        ``torch.set_num_threads`` while fine-tuning; 1 by default (the steps are small: a CLI
        run on air passengers took 19 s with one thread against 71 s with torch's default of
        two on the busy 2-core machine).
    epochs : int
        Most passes over the series' windows (early stopping usually ends sooner).
    lr : float
        Learning rate (constant; small, to stay near the pretrained weights).
    patience : int
        Epochs without improvement on the held-out tail before stopping.
    seed : int
        Seed of the window order.
    batch_size : int
        Windows per step.
    train : {"head", "all"}
        What learns: the linear head and skip path only (default; the recurrent encoder keeps
        its pretrained weights), or every weight.
    min_input : int
        Fewest real (unpadded) input points of a training window (at most half the series'
        training part, at least 4).

    Notes
    -----
    The held-out tail decides: when no epoch forecasts it better than the pretrained weights
    did, the pretrained weights are kept (``adapted_`` is False). One short series makes a
    noisy training set, and fine-tuning every weight on it was worse than zero-shot on held-out
    M3 series (benchmarks/README.md).
    """

    name = "finetuned"
    label = "Pretrained GRU, fine-tuned on this data"
    any_frequency = False

    def __init__(
        self,
        *,
        horizon: int | None = None,
        season_length: int | None = None,
        weights: str | None = None,
        epochs: int = 10,
        lr: float = 1e-4,
        patience: int = 3,
        seed: int = 0,
        batch_size: int = 64,
        train: str = "head",
        min_input: int = 4,
        threads: int | None = 1,
        device: str | None = None,
    ) -> None:
        super().__init__(
            horizon=horizon,
            season_length=season_length,
            weights=weights,
            threads=threads,
            device=device,
        )
        self.epochs = epochs
        self.lr = lr
        self.patience = patience
        self.seed = seed
        self.batch_size = batch_size
        self.train = train
        self.min_input = min_input

    def _check_params(self) -> None:
        super()._check_params()
        for key in ("epochs", "batch_size"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise SpecError(f"{self.name}: {key} must be a positive integer, got {value!r}.")
        if self.train not in {"head", "all"}:
            raise SpecError(f"{self.name}: train must be 'head' or 'all', got {self.train!r}.")
        if not float(self.lr) > 0:
            raise SpecError(f"{self.name}: lr must be positive, got {self.lr!r}.")

    def _holdout(self, n: int) -> int:
        """Points at the end of a series of ``n`` kept for early stopping."""
        h = int(self.horizon) if self.horizon else self.horizon_
        return int(min(h, max(n // 5, 1)))

    def _adapt(self, progress, should_stop) -> None:
        from forecast.models.neural.training import TrainConfig, torch_session

        z = self.transform_.forward(self.values_)
        L, H = self.input_size_, self.horizon_
        cut = [
            self._holdout(len(v)) if len(v) - self._holdout(len(v)) > _MIN_INPUT else 0 for v in z
        ]
        parts = [
            padded_windows(
                [v[: len(v) - k]],
                L,
                H,
                min_input=max(_MIN_INPUT, min(int(self.min_input), (len(v) - k) // 2)),
            )
            for v, k in zip(z, cut, strict=True)
        ]
        train = WindowSet(
            np.concatenate([p.X for p in parts]),
            np.concatenate([p.Y for p in parts]),
            np.concatenate([np.full(len(p), i, dtype=np.int64) for i, p in enumerate(parts)]),
            np.concatenate([p.ends for p in parts]),
        )
        val_X, val_Y = [], []
        for v, k in zip(z, cut, strict=True):
            if k:
                w = padded_windows([v], L, H, min_input=len(v) - k)
                val_X.append(w.X)
                val_Y.append(w.Y)
        if len(train) == 0:
            raise DataError(f"{self.name}: the series are too short to fine-tune on.")
        scale = not self.transform_.log
        Xn, Yn, _, _ = normalize_windows(
            train.X, train.Y, method=self.normalize_, period=self.season_length_, scale=scale
        )
        if val_X:
            Xv, Yv, _, _ = normalize_windows(
                np.concatenate(val_X),
                np.concatenate(val_Y),
                method=self.normalize_,
                period=self.season_length_,
                scale=scale,
            )
        else:
            Xv, Yv = Xn[:0], Yn[:0]
        counts = np.bincount(train.series, minlength=len(z)).astype(float)
        weights = 1.0 / counts[train.series]
        config = TrainConfig(
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            lr=float(self.lr),
            weight_decay=0.0,
            patience=int(self.patience),
            loss="masked_mae",
            schedule="constant",
        )
        members, adapted = [], []
        with torch_session(int(self.seed), self.threads):
            for k, member in enumerate(self.members_):
                net, kept = self._adapt_member(
                    member, (Xn, Yn, Xv, Yv, weights), config, k, progress, should_stop
                )
                members.append(net)
                adapted.append(kept)
                if should_stop is not None and should_stop():
                    break
        self.members_ = members + self.members_[len(members) :]
        self.adapted_ = any(adapted)
        self.adapted_members_ = adapted
        self.n_train_windows_ = len(Xn)
        self.n_val_windows_ = len(Xv)

    def _adapt_member(self, member, data, config, k: int, progress, should_stop):
        """Fine-tune member ``k`` on the normalised windows; keep its pretrained weights when
        the held-out tail does not improve.

        Parameters
        ----------
        member : NumpyRecurrentNet
        data : tuple
            ``(Xn, Yn, Xv, Yv, weights)``: training windows (n, L) and targets (n, H),
            held-out-tail windows and targets, sampling weights (n,).
        config : TrainConfig
        k : int
            Member number (seeds the window order with ``seed + k``).
        progress, should_stop : callable or None
            As for ``fit``; progress counts the epochs of every member.

        Returns
        -------
        net : NumpyRecurrentNet
        adapted : bool
        """
        from forecast.models.neural.training import pick_device, train_module

        Xn, Yn, Xv, Yv, weights = data
        n_members = len(self.members_)

        def member_progress(step: int, total: int, message: str) -> None:
            if progress is not None:
                prefix = f"member {k + 1}/{n_members}: " if n_members > 1 else ""
                progress(k * total + step, n_members * total, prefix + message)

        net = torch_network(self.architecture_, member.state)
        for param in net.rnn.parameters():
            param.requires_grad_(self.train == "all")
        before = _masked_loss(net, Xv, Yv)
        start = {key: v.detach().clone() for key, v in net.state_dict().items()}
        self.train_result_ = train_module(
            net,
            Xn,
            Yn,
            Xv,
            Yv,
            config=config,
            seed=int(self.seed) + k,
            device=pick_device(self.device),
            progress=member_progress,
            should_stop=should_stop,
            weights=weights,
        )
        for param in net.parameters():
            param.requires_grad_(True)
        after = _masked_loss(net, Xv, Yv)
        adapted = bool(after < before) if before is not None else True
        if not adapted:
            net.load_state_dict(start)
        state = {key: v.detach().cpu().numpy() for key, v in net.state_dict().items()}
        return numpy_network(self.architecture_, state), adapted
