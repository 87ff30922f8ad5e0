"""One training loop for every torch model of the workbench.

:func:`train_module` fits an ``nn.Module`` mapping input windows ``(B, L)`` to outputs ``(B, K)``:
AdamW, a one-cycle learning-rate schedule, gradient-norm clipping (on by default: exploding
gradients are the classic failure of plain RNNs), early stopping on a validation tail with the
best weights restored, fixed seeds and deterministic algorithms, ``torch.set_num_threads``
honoured (and restored afterwards), CUDA when present, and ``progress`` / ``should_stop``
callables checked between epochs (``Cancelled`` is raised when asked to stop).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from forecast.errors import Cancelled, SpecError

__all__ = [
    "TrainConfig",
    "TrainResult",
    "pick_device",
    "predict_module",
    "torch_session",
    "train_module",
]

Progress = Callable[[int, int, str], None]
ShouldStop = Callable[[], bool]


@dataclass
class TrainConfig:
    """Settings of :func:`train_module`.

    Attributes
    ----------
    epochs : int
        Maximum number of passes (of at most ``max_windows`` windows each).
    batch_size : int
        Windows per gradient step (smaller when an epoch would otherwise make fewer than ten
        steps, never below 16).
    lr : float
        Peak learning rate of the one-cycle schedule (``schedule="onecycle"``) or the constant
        rate (``"constant"``), or the start of a cosine decay (``"cosine"``).
    weight_decay : float
        AdamW decoupled weight decay.
    patience : int
        Epochs without validation improvement before stopping (0: never stop early).
    clip : float or None
        Maximum global gradient norm; None or 0 disables clipping.
    loss : {"mae", "mse", "huber", "masked_mae"}
        Training loss on normalised targets ("masked_mae": MAE over the finite targets, for
        NaN-padded targets of short series).
    schedule : {"onecycle", "cosine", "constant"}
    max_windows : int or None
        Windows sampled (without replacement) per epoch; None uses all of them.
    max_seconds : float or None
        Stop after the first epoch that ends past this wall time (the best weights so far are
        kept, as with early stopping); None: no limit.
    """

    epochs: int = 20
    batch_size: int = 512
    lr: float = 3e-3
    weight_decay: float = 1e-4
    patience: int = 5
    clip: float | None = 1.0
    loss: str = "mae"
    schedule: str = "onecycle"
    max_windows: int | None = None
    max_seconds: float | None = None


@dataclass
class TrainResult:
    """What a training run did.

    Attributes
    ----------
    train_loss, val_loss : list of float
        Mean loss per epoch (``val_loss`` empty without validation data).
    best_epoch : int
        1-based epoch whose weights were kept.
    epochs_run : int
    seconds : float
        Wall time of the loop.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    epochs_run: int = 0
    seconds: float = 0.0


def pick_device(device: str | None = None) -> torch.device:
    """``device`` if given, else CUDA when available, else CPU."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextmanager
def torch_session(seed: int | None, threads: int | None = None) -> Iterator[None]:
    """Seed torch, enable deterministic algorithms and set threads; restore them on exit.

    Parameters
    ----------
    seed : int or None
        Seed of torch's global generators (CPU and CUDA); None leaves them alone (prediction).
    threads : int or None
        ``torch.set_num_threads`` for the duration; None keeps the current setting.
    """
    prev_threads = torch.get_num_threads()
    prev_det = torch.are_deterministic_algorithms_enabled()
    prev_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    if seed is not None:
        torch.manual_seed(int(seed))
    if threads:
        torch.set_num_threads(int(threads))
    _set_deterministic(True, warn_only=True)
    try:
        yield
    finally:
        _set_deterministic(prev_det, warn_only=prev_warn)
        torch.set_num_threads(prev_threads)


def _set_deterministic(mode: bool, *, warn_only: bool) -> None:
    """``torch.use_deterministic_algorithms``, without the import of ``torch._inductor`` that
    its first call makes (2.3 s, for a compiler this project never uses) unless inductor is
    already loaded; the flag set is the same."""
    setter = getattr(torch._C, "_set_deterministic_algorithms", None)
    if setter is None or "torch._inductor.config" in sys.modules:
        torch.use_deterministic_algorithms(mode, warn_only=warn_only)
    else:
        setter(mode, warn_only=warn_only)


class MaskedL1Loss(nn.Module):
    """Mean absolute error over the finite targets only (NaN marks a target that does not
    exist, e.g. past the end of a short series); 0 when a batch has none."""

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        mask = torch.isfinite(target)
        if not bool(mask.any()):
            return pred.sum() * 0.0
        return (pred[mask] - target[mask]).abs().mean()


_LOSSES = {
    "mae": nn.L1Loss,
    "mse": nn.MSELoss,
    "huber": lambda: nn.HuberLoss(delta=0.1),
    "masked_mae": MaskedL1Loss,
}


def train_module(
    module: nn.Module,
    X: np.ndarray,
    Y: np.ndarray,
    X_val: np.ndarray | None = None,
    Y_val: np.ndarray | None = None,
    *,
    config: TrainConfig | None = None,
    seed: int = 0,
    device: torch.device | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    weights: np.ndarray | None = None,
) -> TrainResult:
    """Train ``module`` in place on windows and keep the best weights.

    Parameters
    ----------
    module : nn.Module
        Maps a float32 tensor ``(B, L)`` to ``(B, K)``.
    X : ndarray, shape (n, L)
        Training inputs (normalised).
    Y : ndarray, shape (n, K)
        Training targets (normalised).
    X_val, Y_val : ndarray, shapes (m, L) and (m, K), optional
        Validation tail for early stopping; without it every epoch runs and the last weights stay.
    config : TrainConfig, optional
    seed : int
        Seed of the window shuffling (torch's own seed is set by :func:`torch_session`).
    device : torch.device, optional
        Where to train; default :func:`pick_device`.
    progress : callable, optional
        ``progress(epoch, epochs, message)`` after every epoch.
    should_stop : callable, optional
        Checked before every epoch; when it returns True, :class:`Cancelled` is raised.
    weights : ndarray, shape (n,), optional
        Sampling weights of the training windows (non-negative, not all zero): each epoch then
        draws its windows with replacement in proportion to them. None: every window once per
        epoch, in random order.

    Returns
    -------
    TrainResult

    Raises
    ------
    SpecError
        No training windows, or an unknown loss/schedule.
    Cancelled
        ``should_stop()`` returned True.
    """
    cfg = config or TrainConfig()
    if len(X) == 0:
        raise SpecError(
            "No training windows: the series are too short for this window and horizon."
        )
    if cfg.loss not in _LOSSES:
        raise SpecError(f"loss must be one of {sorted(_LOSSES)}, got {cfg.loss!r}.")
    if cfg.schedule not in {"onecycle", "cosine", "constant"}:
        raise SpecError(
            f"schedule must be 'onecycle', 'cosine' or 'constant', got {cfg.schedule!r}."
        )
    if cfg.epochs < 1:
        raise SpecError(f"epochs must be at least 1, got {cfg.epochs}.")
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(X),) or not np.all(np.isfinite(weights)):
            raise SpecError(f"weights must be {len(X)} finite numbers, one per window.")
        if np.any(weights < 0) or not weights.sum() > 0:
            raise SpecError("weights must be non-negative and not all zero.")
        probs = torch.as_tensor(weights / weights.sum())
    dev = device or pick_device()
    module.to(dev)
    xt = torch.as_tensor(X, dtype=torch.float32, device=dev)
    yt = torch.as_tensor(Y, dtype=torch.float32, device=dev)
    has_val = X_val is not None and len(X_val) > 0
    if has_val:
        xv = torch.as_tensor(X_val, dtype=torch.float32, device=dev)
        yv = torch.as_tensor(Y_val, dtype=torch.float32, device=dev)
    loss_fn = _LOSSES[cfg.loss]()
    per_epoch = len(X) if not cfg.max_windows else min(len(X), int(cfg.max_windows))
    # small data: shrink batches so every epoch still makes about ten optimiser steps
    batch = int(min(cfg.batch_size, max(16, per_epoch // 10)))
    steps = math.ceil(per_epoch / batch)
    opt = torch.optim.AdamW(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = _scheduler(opt, cfg, steps)
    gen = torch.Generator().manual_seed(int(seed))
    result = TrainResult()
    best = math.inf
    best_state = None
    bad = 0
    start = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        if should_stop is not None and should_stop():
            raise Cancelled(f"training stopped by request before epoch {epoch}")
        module.train()
        if weights is None:
            order = torch.randperm(len(X), generator=gen)[:per_epoch].to(dev)
        else:
            order = torch.multinomial(probs, per_epoch, replacement=True, generator=gen).to(dev)
        total = 0.0
        for b in range(steps):
            idx = order[b * batch : (b + 1) * batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(module(xt[idx]), yt[idx])
            loss.backward()
            if cfg.clip:
                nn.utils.clip_grad_norm_(module.parameters(), cfg.clip)
            opt.step()
            if sched is not None:
                sched.step()
            total += float(loss.detach()) * len(idx)
        result.train_loss.append(total / per_epoch)
        result.epochs_run = epoch
        message = f"epoch {epoch}/{cfg.epochs} train loss {result.train_loss[-1]:.4f}"
        if has_val:
            val = _evaluate(module, xv, yv, loss_fn, 4096)
            result.val_loss.append(val)
            message += f" val loss {val:.4f}"
            if val < best - 1e-6:
                best, bad, result.best_epoch = val, 0, epoch
                best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            else:
                bad += 1
        else:
            result.best_epoch = epoch
        if progress is not None:
            progress(epoch, cfg.epochs, message)
        if has_val and cfg.patience and bad >= cfg.patience:
            break
        if cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds:
            break
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    result.seconds = time.perf_counter() - start
    return result


def _scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig, steps: int):
    if cfg.schedule == "onecycle" and cfg.epochs * steps >= 10:
        return torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=cfg.lr, epochs=cfg.epochs, steps_per_epoch=steps, pct_start=0.25
        )
    if cfg.schedule in {"cosine", "onecycle"}:  # one-cycle needs a few steps to warm up
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs * steps)
    return None


@torch.no_grad()
def _evaluate(module: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn, batch: int) -> float:
    module.eval()
    total = 0.0
    for b in range(0, len(x), batch):
        total += float(loss_fn(module(x[b : b + batch]), y[b : b + batch])) * len(x[b : b + batch])
    return total / len(x)


@torch.no_grad()
def predict_module(module: nn.Module, X: np.ndarray, *, batch: int = 4096) -> np.ndarray:
    """Outputs of a trained module for inputs ``X`` (n, L), as float64 (n, K), in eval mode."""
    module.eval()
    dev = next(module.parameters()).device
    out = []
    for b in range(0, len(X), batch):
        xb = torch.as_tensor(X[b : b + batch], dtype=torch.float32, device=dev)
        out.append(module(xb).double().cpu().numpy())
    if not out:
        return np.zeros((0, 0))
    return np.concatenate(out)
