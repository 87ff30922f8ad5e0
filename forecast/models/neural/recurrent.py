"""Recurrent forecasters: RNN, LSTM, GRU and a bidirectional LSTM encoder, trained globally.

One ``nn.Module`` (:class:`RecurrentNet`) covers every variant: a recurrent encoder (``cell`` in
``rnn``/``lstm``/``gru``, ``num_layers``, ``hidden_size``, ``dropout``, ``bidirectional`` — valid
because the whole input window lies in the past) read out by a linear head that emits the whole
horizon at once (``head="direct"``, the default) or one step that is fed back (``"recursive"``).
An optional linear ``skip`` from the input window to the output adds an autoregressive path.

The estimators share :class:`~forecast.models.neural.windowed.WindowedForecaster`: one model over all
series of a frame, per-window normalisation, log for positive data, optional STL
deseasonalisation, early stopping on a validation tail, ``n_seeds`` median ensembles,
split-conformal intervals and safetensors persistence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from forecast.errors import SpecError
from forecast.models.drivers import history_drivers
from forecast.models.neural.channels import DriverScaler, channel_windows, pack
from forecast.models.neural.training import (
    TrainConfig,
    pick_device,
    predict_module,
    torch_session,
    train_module,
)
from forecast.models.neural.windowed import WindowedForecaster
from forecast.models.neural.windows import make_windows, normalize_windows, split_windows

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "BiLSTM",
    "RecurrentForecaster",
    "RecurrentNet",
    "input_gradient_memory",
]

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
#: Gain of the drivers' linear paths (the driver window's skip and the known future into the
#: head): their weights are ``gain * v`` with ``v`` trained, so they move ``gain`` times faster
#: than the others under Adam — a driver's effect on a standardised scale needs weights near 1,
#: which the ~200 steps of a small frame's fit do not reach at the common learning rate.
DRIVER_GAIN = 10.0


class RecurrentNet(nn.Module):
    """Recurrent encoder over an input window plus a linear head.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    input_size : int
        Window length ``L`` (used by the skip path).
    hidden_size : int
    num_layers : int
    dropout : float
        Between stacked layers and before the head.
    bidirectional : bool
        Read the window in both directions and concatenate the final states.
    outputs : int
        Steps emitted per call (``H`` for a direct head, 1 for a recursive one).
    skip : bool
        Add a linear map from the window to the outputs (and from the driver window, with
        channels).
    channels : int
        Driver channels ``k`` read beside the target at every input step (0: none).
    known : int
        How many of them (the first ``k_known``) are known in advance: their values over the
        ``outputs`` steps reach the outputs through a causal linear map (output ``j`` sees steps
        ``1 .. j``), which is the head over the encoder state concatenated with them.

    Notes
    -----
    ``forward(x)`` takes ``x`` of shape (B, L) and returns (B, outputs); with channels ``x`` is a
    packed window (B, L + L k + outputs k_known) of :func:`forecast.models.neural.channels.pack`.
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        bidirectional: bool,
        outputs: int,
        skip: bool = True,
        channels: int = 0,
        known: int = 0,
    ) -> None:
        super().__init__()
        if cell not in _CELLS:
            raise SpecError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}.")
        self.cell = cell
        self.window, self.channels, self.known = int(input_size), int(channels), int(known)
        self.rnn = _CELLS[cell](
            1 + self.channels,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
        )
        self.dirs = 2 if bidirectional else 1
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * self.dirs, outputs)
        self.skip = nn.Linear(input_size, outputs) if skip else None
        if self.channels:
            width = input_size * self.channels
            self.skip_drivers = nn.Linear(width, outputs, bias=False) if skip else None
            if skip:
                with torch.no_grad():
                    self.skip_drivers.weight /= DRIVER_GAIN
        if self.known:
            self.future = nn.Linear(outputs * self.known, outputs, bias=False)
            with torch.no_grad():
                self.future.weight /= DRIVER_GAIN
            step = torch.arange(outputs * self.known) // self.known
            causal = (step[None, :] <= torch.arange(outputs)[:, None]).float()
            self.register_buffer("causal", causal, persistent=False)

    def _split(self, x: torch.Tensor):
        """Target window (B, L), driver window (B, L, k) or None, known future (B, K k_known)."""
        if not self.channels:
            return x, None, None
        L, k = self.window, self.channels
        return x[:, :L], x[:, L : L + L * k].reshape(len(x), L, k), x[:, L + L * k :]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Final hidden state(s) of the top layer, shape (B, hidden * directions)."""
        y, d, _ = self._split(x)
        seq = y.unsqueeze(-1) if d is None else torch.cat([y.unsqueeze(-1), d], dim=-1)
        _, state = self.rnn(seq)
        h = state[0] if self.cell == "lstm" else state
        return torch.cat(list(h[-self.dirs :]), dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, d, f = self._split(x)
        out = self.head(self.drop(self.encode(x)))
        if self.skip is not None:
            out = out + self.skip(y)
            if d is not None:
                out = out + DRIVER_GAIN * self.skip_drivers(d.reshape(len(d), -1))
        if self.known:
            out = out + nn.functional.linear(f, DRIVER_GAIN * self.future.weight * self.causal)
        return out


class RecurrentForecaster(WindowedForecaster):
    """Global recurrent forecaster (base of :class:`RNN`, :class:`LSTM`, :class:`GRU`,
    :class:`BiLSTM`).

    Parameters
    ----------
    horizon : int or None
        Steps the direct head is trained for; None: the first ``predict(h)`` decides.
    input_size : int or None
        Look-back window ``L``; None: ``forecast.diagnostics.suggested_window`` for a few
        series, else ``ceil(1.25 * max(season, horizon))``, capped by the shortest series.
    hidden_size, num_layers, dropout : int, int, float
        Encoder size.
    head : {"direct", "recursive"}
    skip : bool
        Linear autoregressive path from the window to the outputs (on by default: on M3
        monthly it lowers the LSTM's sMAPE from 14.69 to 14.15, and it lets small frames learn).
    epochs, batch_size, lr, weight_decay, patience, clip, loss, max_windows :
        Training settings (see :class:`forecast.models.neural.training.TrainConfig`).
    seed : int
        Seed of the first member; member ``k`` uses ``seed + k``.
    n_seeds : int
        Members trained with different seeds; forecasts are their median.
    season_length : int or None
        Seasonal period; None: from the frequency.
    log : bool or "auto"
        Log-transform positive data ("auto": when every value is positive).
    normalize : {"season", "last", "mean", "none"}
        Per-window level removed from inputs and targets: the mean of the last
        ``season_length`` inputs (default; the last value when there is no season), the last
        input value, the input mean, or none.
    deseasonalize : {"auto", "classical", "stl", "none"} or bool
        Seasonal component removed before windowing and added back to the forecasts. "auto"
        (default): "classical" when the series have a season — fixed seasonal indices for each
        series whose lag-``m`` autocorrelation is significant, as the Theta method does; "stl":
        STL on every series; True means "stl", False "none". With "season" levels this took the
        M3 monthly sMAPE of the LSTM from 14.00 to 13.60 and of the GRU from 13.93 to 13.73.
    sampling : {"series", "window"}
        How training windows are drawn: "series" (default) weighs every series the same, each
        window ``1 / (windows of its series)``, drawn with replacement (N-BEATS' recipe; on M3
        monthly, where 24 % of the series are short and own 3 % of the windows, the LSTM went
        from 13.60 to 13.44 sMAPE); "window": every window once per epoch.
    val_windows : int or None
        Validation windows per series (time-ordered tail); None: about 64 in total, 1 per
        series for large frames.
    refit : bool
        After early stopping, train again (same seed) on every window, validation tail
        included, for the number of epochs early stopping kept; intervals stay calibrated by
        the first fit, which never saw the tail. On by default: the most recent points matter
        most (M3 monthly LSTM with skip: 14.15 -> 14.00 sMAPE) at twice the training time.
    drivers : {"channels", "regression"}
        How known-in-advance drivers enter (:mod:`forecast.models.neural.windowed_drivers`):
        "regression" (default) — dynamic regression, the network forecasting what it leaves;
        "channels" — input channels beside the target, and over the horizon into the output
        layer. Observed-only drivers are input channels with either. Regression is the
        default by ``benchmarks/recurrent_drivers.py``: where the effect is linear (simulated,
        fpp2 insurance) its MASE was about half that of the channels.
    threads : int or None
        ``torch.set_num_threads`` during training and prediction.
    device : str or None
        Torch device; None: CUDA when available.
    """

    name = "recurrent"
    memory = True
    drivers_accepted = ("known", "observed")
    cell = "lstm"
    bidirectional = False

    def __init__(
        self,
        *,
        horizon: int | None = None,
        input_size: int | None = None,
        hidden_size: int = 32,
        num_layers: int = 1,
        dropout: float = 0.0,
        head: str = "direct",
        skip: bool = True,
        epochs: int = 20,
        batch_size: int = 512,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        patience: int = 5,
        clip: float | None = 1.0,
        loss: str = "mae",
        max_windows: int | None = None,
        seed: int = 0,
        n_seeds: int = 1,
        season_length: int | None = None,
        log: bool | str = "auto",
        normalize: str = "season",
        deseasonalize: bool | str = "auto",
        sampling: str = "series",
        val_windows: int | None = None,
        refit: bool = True,
        drivers: str = "regression",
        threads: int | None = None,
        device: str | None = None,
    ) -> None:
        self.horizon = horizon
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.head = head
        self.skip = skip
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.clip = clip
        self.loss = loss
        self.max_windows = max_windows
        self.seed = seed
        self.n_seeds = n_seeds
        self.season_length = season_length
        self.log = log
        self.normalize = normalize
        self.deseasonalize = deseasonalize
        self.sampling = sampling
        self.val_windows = val_windows
        self.refit = refit
        self.drivers = drivers
        self.threads = threads
        self.device = device

    @property
    def _recursive(self) -> bool:  # type: ignore[override]
        return self.head == "recursive"

    def _check_params(self) -> None:
        super()._check_params()
        if self.head not in {"direct", "recursive"}:
            raise SpecError(
                f"{self.name}: head must be 'direct' or 'recursive', got {self.head!r}."
            )
        for key in ("hidden_size", "num_layers", "epochs", "batch_size"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise SpecError(f"{self.name}: {key} must be a positive integer, got {value!r}.")
        if not 0 <= float(self.dropout) < 1:
            raise SpecError(f"{self.name}: dropout must be in [0, 1), got {self.dropout!r}.")
        self._drivers_mode()

    def _network(self) -> RecurrentNet:
        channels = getattr(self, "channels_", None)
        return RecurrentNet(
            self.cell,
            self.input_size_,
            int(self.hidden_size),
            int(self.num_layers),
            float(self.dropout),
            self.bidirectional,
            1 if self._recursive else self.horizon_,
            bool(self.skip),
            channels.k if channels is not None else 0,
            channels.k_known if channels is not None else 0,
        )

    def _fit_member(
        self, X, Y, X_val, Y_val, *, seed, progress, should_stop, weights=None, refit_of=None
    ):
        # the refit trains as many epochs as early stopping kept (all of them when none was)
        epochs = (refit_of or {}).get("epochs") or self.epochs
        config = TrainConfig(
            epochs=int(epochs),
            batch_size=int(self.batch_size),
            lr=float(self.lr),
            weight_decay=float(self.weight_decay),
            patience=int(self.patience),
            clip=self.clip,
            loss=self.loss,
            max_windows=self.max_windows,
        )
        with torch_session(seed, self.threads):
            net = self._network()
            result = train_module(
                net,
                X,
                Y,
                X_val,
                Y_val,
                config=config,
                seed=seed,
                device=pick_device(self.device),
                progress=progress,
                should_stop=should_stop,
                weights=weights,
            )
        return net.cpu().eval(), {"epochs": int(result.best_epoch)}

    def _predict_member(self, member: RecurrentNet, X: np.ndarray) -> np.ndarray:
        with torch_session(None, self.threads):
            return predict_module(member, X)

    def _member_arrays(self, member: RecurrentNet) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy() for k, v in member.state_dict().items()}

    def _member_from_arrays(self, arrays: dict[str, np.ndarray]) -> RecurrentNet:
        net = self._network()
        net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in arrays.items()})
        return net.eval()

    # ------------------------------------------------------------------ effective memory
    def _memory_windows(self, z: list[np.ndarray], max_windows: int) -> np.ndarray:
        """Input windows (transformed, not normalised) whose gradients measure the memory:
        the validation-tail windows, at most ``max_windows`` (the most recent), shape (n, L)."""
        windows, index = self._memory_index(z, max_windows)
        return windows.X[index]

    def _memory_channels(self, z: list[np.ndarray], dx: list[np.ndarray], max_windows: int):
        """Driver windows ``(D, F)`` of the windows of :meth:`_memory_windows` (with channels):
        shapes (n, L, k) and (n, outputs, k_known)."""
        _, index = self._memory_index(z, max_windows)
        D, F = channel_windows(dx, self.input_size_, self.horizon_)
        width = 1 if self._recursive else self.horizon_
        return D[index], F[index][:, :width, : self.channels_.k_known]

    def _memory_index(self, z: list[np.ndarray], max_windows: int):
        lengths = np.array([len(v) for v in z])
        windows = make_windows(z, self.input_size_, self.horizon_)
        if len(windows) == 0:
            raise SpecError(
                f"{self.name}: effective memory needs series of at least "
                f"{self.input_size_ + self.horizon_} points."
            )
        k = max(1, self.n_val_windows_ // max(len(self.ids_), 1))
        _, val = split_windows(windows, lengths, self.horizon_, k)
        index = val if len(val) else np.arange(len(windows))
        return windows, index[-max_windows:]

    def effective_memory(
        self, df: pd.DataFrame | None = None, *, max_windows: int = 2000
    ) -> pd.DataFrame:
        """How far back the network looks: mean |∂ŷ/∂x_{t−k}| by lag ``k``.

        The gradient of the normalised forecasts (averaged over horizon steps and members) with
        respect to each normalised input, in absolute value, averaged over validation windows
        (the last windows of each series).

        Parameters
        ----------
        df : DataFrame, optional
            Long frame to take windows from; default the training frame. Series must be at
            least ``input_size + horizon`` long.
        max_windows : int
            At most this many windows (the most recent per series first).

        Returns
        -------
        DataFrame
            ``lag`` (1 = the last input value, up to ``input_size``), ``importance`` (mean
            absolute gradient, unitless) and ``share`` (importance / sum, sums to 1).
        """
        return input_gradient_memory(self, self.members_, df, max_windows=max_windows)


def input_gradient_memory(
    model: WindowedForecaster,
    nets: list[nn.Module],
    df: pd.DataFrame | None = None,
    *,
    max_windows: int = 2000,
) -> pd.DataFrame:
    """Effective memory of a fitted windowed ``model`` whose members are the torch ``nets``
    (see :meth:`RecurrentForecaster.effective_memory`; the pretrained model, whose members
    are numpy networks, passes torch copies of them).

    Parameters
    ----------
    model : WindowedForecaster
        Fitted; gives the series, transforms, normalisation, windows (``_memory_windows``)
        and ``threads``.
    nets : list of nn.Module
        The networks to differentiate, each (n, L) -> (n, K).
    df : DataFrame, optional
        Long frame to take windows from; default the training frame.
    max_windows : int
        At most this many windows.

    Returns
    -------
    DataFrame
        ``lag``, ``importance``, ``share`` (one row per input lag).
    """
    model._check_fitted()
    channels = getattr(model, "channels_", None)
    if df is None:
        z = model.transform_.forward(model.values_)
        dx = None if channels is None else channels.scaled_history()
    else:
        from forecast.models.neural.windows import SeriesTransform, frame_to_arrays

        ids, values, _ = frame_to_arrays(df)
        tr = SeriesTransform.fit(
            values,
            log=model.transform_.log,
            period=model.transform_.period,
            deseasonalize=model.deseasonalized_,
            ids=ids,
        )
        z = tr.forward(values)
        dx = None
        if channels is not None:  # the frame's own drivers, scaled by its own statistics
            ordered = df.sort_values(["unique_id", "ds"], kind="stable")
            xs = history_drivers(ordered, channels.names, model=model.name)
            raw = [xs[u] for u in ids]
            scaler = DriverScaler.fit(raw)
            dx = [scaler.apply(i, x) for i, x in enumerate(raw)]
    Xn, _, _, _ = normalize_windows(
        model._memory_windows(z, max_windows),
        method=model.normalize_,
        period=model.season_length_,
        scale=not model.transform_.log,
    )
    if channels is not None:
        Xn = pack(Xn, *model._memory_channels(z, dx, max_windows))
    grads = np.zeros(model.input_size_)
    with torch_session(None, model.threads):
        for net in nets:
            net.eval()
            x = torch.as_tensor(Xn, dtype=torch.float32).requires_grad_(True)
            with torch.backends.cudnn.flags(enabled=False):
                out = net(x)
            out.mean(dim=1).sum().backward()
            grads += x.grad.abs().mean(dim=0).double().numpy()[: model.input_size_]
    grads /= len(nets)
    importance = grads[::-1].copy()
    total = importance.sum()
    return pd.DataFrame(
        {
            "lag": np.arange(1, model.input_size_ + 1),
            "importance": importance,
            "share": importance / total if total > 0 else importance,
        }
    )


class RNN(RecurrentForecaster):
    """Elman RNN (tanh) encoder; see :class:`RecurrentForecaster` for the parameters."""

    name = "rnn"
    label = "RNN"
    cell = "rnn"


class LSTM(RecurrentForecaster):
    """LSTM encoder; see :class:`RecurrentForecaster` for the parameters."""

    name = "lstm"
    label = "LSTM"
    cell = "lstm"


class GRU(RecurrentForecaster):
    """GRU encoder; see :class:`RecurrentForecaster` for the parameters."""

    name = "gru"
    label = "GRU"
    cell = "gru"


class BiLSTM(RecurrentForecaster):
    """Bidirectional LSTM encoder over the input window; see :class:`RecurrentForecaster`."""

    name = "bilstm"
    label = "BiLSTM"
    cell = "lstm"
    bidirectional = True
