"""Pretraining: corpus windows, one global recurrent network, shipped weights files.

:func:`pretrain` turns every corpus series into normalised windows exactly as
:class:`~forecast.models.neural.pretrained.Pretrained` treats a series at forecast time (log when
positive, classical seasonal adjustment at the series' period, inputs left-padded, targets
NaN-padded, level of the last season removed), trains one
:class:`~forecast.models.neural.recurrent.RecurrentNet` with :func:`forecast.models.neural.training.train_module`
(masked MAE, each series weighing the same, real and synthetic series in fixed shares), keeps
the weights of the best validation epoch, and records the validation errors for conformal
intervals. :func:`save_weights` writes them with :func:`~forecast.models.neural.pretrained_io.write_pretrained`.
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from forecast.errors import SpecError
from forecast.models.neural.pretrained import network_from_config
from forecast.models.neural.pretrained_io import write_pretrained
from forecast.models.neural.training import TrainConfig, TrainResult, torch_session, train_module
from forecast.models.neural.windows import SeriesTransform, normalize_windows, padded_windows
from forecast.pretrain.corpus import CorpusSeries

__all__ = [
    "SCRIPT_VERSION",
    "PretrainConfig",
    "PretrainResult",
    "corpus_windows",
    "pretrain",
    "save_weights",
]

#: Version of the pretraining recipe, recorded in the weights config.
SCRIPT_VERSION = "1"


@dataclass
class PretrainConfig:
    """Settings of one pretraining run.

    Attributes
    ----------
    cell : {"gru", "lstm", "rnn"}
    hidden_size, num_layers : int
    input_size : int
        Input window ``L`` (shorter histories are left-padded).
    horizon : int
        Steps the head emits (``H``; requests are truncated, longer ones fed back).
    skip : bool
        Linear path from the window to the outputs.
    deseasonalize : {"classical", "none"}
        Seasonal adjustment of each series at its period before windowing.
    normalize : {"season", "last", "mean"}
        Level removed from each window.
    windows_per_series : int
        Cuts drawn per series (the latest always included).
    real_share : float
        Share of the sampling weight given to real (non-synthetic) series.
    epochs, windows_per_epoch, batch_size, lr, weight_decay, patience : training settings
    val_share : float
        Share of the series held out (whole) for early stopping and calibration.
    loss_weight : {"none", "mase"}
        How much each window's error counts: the same for every window of a series
        ("none"), or divided by its series' in-sample seasonal-naive error in the network's
        units ("mase": the mean absolute error then approximates MASE, the score the
        forecasts are judged by; weights clipped to their 5–95 % range).
    seed : int
    threads : int or None
        Torch threads (1 by default: on a shared 2-core machine one thread ran a GRU step
        faster than two).
    max_minutes : float or None
        Stop training after the epoch that ends past this many minutes (best weights kept).
    """

    cell: str = "gru"
    hidden_size: int = 64
    num_layers: int = 1
    input_size: int = 48
    horizon: int = 24
    skip: bool = True
    deseasonalize: str = "classical"
    normalize: str = "season"
    windows_per_series: int = 32
    real_share: float = 0.5
    epochs: int = 30
    windows_per_epoch: int = 100_000
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-5
    patience: int = 6
    val_share: float = 0.03
    loss_weight: str = "none"
    seed: int = 0
    threads: int | None = 1
    max_minutes: float | None = None

    def architecture(self) -> dict:
        """The ``architecture`` block of the weights config."""
        return {
            "cell": self.cell,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "input_size": self.input_size,
            "horizon": self.horizon,
            "skip": self.skip,
        }

    def inputs(self) -> dict:
        """The ``input`` block of the weights config."""
        return {"log": "auto", "deseasonalize": self.deseasonalize, "normalize": self.normalize}


@dataclass
class PretrainResult:
    """The trained network and what the run did.

    Attributes
    ----------
    net : RecurrentNet
    calibration : ndarray, shape (n_val, H)
        |target - forecast| of full-horizon validation windows, normalised space.
    train : TrainResult
    n_series, n_windows : dict
        Counts by source group ("real", "synthetic").
    seconds : float
    """

    net: torch.nn.Module
    calibration: np.ndarray
    train: TrainResult
    n_series: dict = field(default_factory=dict)
    n_windows: dict = field(default_factory=dict)
    seconds: float = 0.0


def corpus_windows(
    corpus: list[CorpusSeries],
    cfg: PretrainConfig,
    rng: np.random.Generator,
    *,
    full_targets: bool = False,
    last_only: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalised windows of every corpus series.

    Parameters
    ----------
    corpus : list of CorpusSeries
    cfg : PretrainConfig
    rng : numpy Generator
        Draws the cuts.
    full_targets : bool
        Only windows with all ``H`` targets (validation).
    last_only : bool
        One window per series: the latest cut.

    Returns
    -------
    X : ndarray, shape (n, L), float32
    Y : ndarray, shape (n, H), float32 (NaN where a short series has no target)
    series : ndarray of int, shape (n,)
        Index in ``corpus`` of each window.
    scale : ndarray, shape (n,)
        Mean absolute seasonal-naive error of the window's series, in the window's
        normalised units (lag ``period``, or 1 when the series is shorter than two seasons):
        the MASE denominator of that window.
    """
    xs, ys, ss, cs = [], [], [], []
    L, H = cfg.input_size, cfg.horizon
    for i, item in enumerate(corpus):
        y = np.asarray(item.values, dtype=float)
        m = int(item.period)
        method = cfg.deseasonalize if m > 1 else "none"
        tr = SeriesTransform.fit([y], log="auto", period=m, deseasonalize=method)
        z = tr.forward([y])
        w = padded_windows(
            z,
            L,
            H,
            min_input=min(4, len(y) - 1),
            max_per_series=1 if last_only else cfg.windows_per_series,
            full_targets=full_targets,
            rng=rng,
        )
        if len(w) == 0:
            continue
        Xn, Yn, _, scl = normalize_windows(
            w.X, w.Y, method=cfg.normalize, period=m, scale=not tr.log
        )
        xs.append(Xn.astype(np.float32))
        ys.append(Yn.astype(np.float32))
        ss.append(np.full(len(Xn), i, dtype=np.int64))
        cs.append(_naive_error(np.log(y) if tr.log else y, m) / scl[:, 0])
    if not xs:
        raise SpecError("The corpus yields no windows; give series of at least 5 points.")
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ss), np.concatenate(cs)


def _naive_error(y: np.ndarray, period: int) -> float:
    """Mean absolute seasonal-naive error of ``y`` (lag ``period``; 1 when the series is
    shorter than two seasons)."""
    lag = period if len(y) > 2 * period else 1
    return float(np.mean(np.abs(y[lag:] - y[:-lag]))) if len(y) > lag else 0.0


def _is_synthetic(item: CorpusSeries) -> bool:
    return item.source.startswith("synthetic/")


def pretrain(corpus: list[CorpusSeries], cfg: PretrainConfig, *, progress=None) -> PretrainResult:
    """Train the global network on the corpus.

    Parameters
    ----------
    corpus : list of CorpusSeries
    cfg : PretrainConfig
    progress : callable, optional
        ``progress(epoch, epochs, message)``.

    Returns
    -------
    PretrainResult

    Raises
    ------
    SpecError
        An empty corpus or bad settings.
    """
    if not corpus:
        raise SpecError("The corpus is empty.")
    start = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(corpus))
    n_val = max(1, round(cfg.val_share * len(corpus))) if len(corpus) > 1 else 0
    val_items = [corpus[i] for i in order[:n_val]]
    train_items = [corpus[i] for i in order[n_val:]] or val_items
    X, Y, series, scale = corpus_windows(train_items, cfg, rng)
    Xv, Yv, _, _ = (
        corpus_windows(val_items, cfg, rng, full_targets=True, last_only=True)
        if val_items
        else (X[:0], Y[:0], None, None)
    )
    synthetic = np.array([_is_synthetic(train_items[i]) for i in range(len(train_items))])
    counts = np.bincount(series, minlength=len(train_items)).astype(float)
    weights = 1.0 / counts[series]
    is_syn = synthetic[series]
    if cfg.loss_weight == "mase":
        positive = scale[scale > 0]
        low, high = np.percentile(positive, [5, 95]) if len(positive) else (1.0, 1.0)
        weights /= np.clip(scale, low, high)
    elif cfg.loss_weight != "none":
        raise SpecError(f"loss_weight must be 'none' or 'mase', got {cfg.loss_weight!r}.")
    if is_syn.any() and (~is_syn).any():
        weights[~is_syn] *= cfg.real_share / weights[~is_syn].sum()
        weights[is_syn] *= (1 - cfg.real_share) / weights[is_syn].sum()
    train_cfg = TrainConfig(
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        patience=cfg.patience,
        loss="masked_mae",
        schedule="onecycle",
        max_windows=cfg.windows_per_epoch,
        max_seconds=None if cfg.max_minutes is None else 60.0 * cfg.max_minutes,
    )
    with torch_session(cfg.seed, cfg.threads):
        net = network_from_config(cfg.architecture())
        result = train_module(
            net, X, Y, Xv, Yv, config=train_cfg, seed=cfg.seed, progress=progress, weights=weights
        )
        net = net.cpu().eval()
        with torch.no_grad():
            pred = (
                net(torch.as_tensor(Xv, dtype=torch.float32)).double().numpy() if len(Xv) else None
            )
    calibration = np.abs(Yv - pred) if pred is not None else np.zeros((1, cfg.horizon))
    return PretrainResult(
        net=net,
        calibration=calibration,
        train=result,
        n_series={
            "real": int(sum(not _is_synthetic(c) for c in corpus)),
            "synthetic": int(sum(_is_synthetic(c) for c in corpus)),
            "validation": len(val_items),
        },
        n_windows={"train": len(X), "validation": len(Xv)},
        seconds=time.perf_counter() - start,
    )


def save_weights(path, result: PretrainResult, cfg: PretrainConfig, extra: dict | None = None):
    """Write the weights files for ``result`` (see
    :func:`forecast.models.neural.pretrained_io.write_pretrained`).

    Parameters
    ----------
    path : str or Path
        The JSON path.
    result : PretrainResult
    cfg : PretrainConfig
    extra : dict, optional
        More config keys (corpus description, scores).

    Returns
    -------
    Path
    """
    arrays = {f"net.{k}": v.detach().cpu().numpy() for k, v in result.net.state_dict().items()}
    arrays["calibration"] = result.calibration
    config = {
        "architecture": cfg.architecture(),
        "input": cfg.inputs(),
        "periods": sorted({1, 4, 7, 12, 24, 52}),
        "seed": cfg.seed,
        "script_version": SCRIPT_VERSION,
        "settings": asdict(cfg),
        "training": {
            "epochs_run": result.train.epochs_run,
            "best_epoch": result.train.best_epoch,
            "best_val_loss": min(result.train.val_loss) if result.train.val_loss else None,
            "seconds": round(result.seconds, 1),
            "series": result.n_series,
            "windows": result.n_windows,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        **(extra or {}),
    }
    return write_pretrained(path, arrays, config)
