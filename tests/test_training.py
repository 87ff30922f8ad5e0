"""The shared torch training loop (forecast.models.neural.training)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from forecast.errors import Cancelled, SpecError
from forecast.models.neural.training import (
    TrainConfig,
    pick_device,
    predict_module,
    torch_session,
    train_module,
)

torch.set_num_threads(1)


def _linear_problem(n=400, L=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, L))
    w = rng.normal(size=(L, 2))
    Y = X @ w + 0.01 * rng.normal(size=(n, 2))
    return X, Y


def _fit(seed=0, **cfg):
    X, Y = _linear_problem()
    with torch_session(seed, threads=1):
        net = nn.Linear(6, 2)
        result = train_module(
            net,
            X[:300],
            Y[:300],
            X[300:],
            Y[300:],
            config=TrainConfig(**{"epochs": 15, "lr": 3e-2, **cfg}),
            seed=seed,
        )
    return net, result, X, Y


def test_training_learns_a_linear_map_and_reports_losses():
    net, result, X, Y = _fit()
    assert result.epochs_run == 15 and len(result.train_loss) == 15 == len(result.val_loss)
    assert result.train_loss[-1] < 0.2 * result.train_loss[0]
    pred = predict_module(net, X[300:])
    assert pred.shape == (100, 2) and pred.dtype == np.float64
    baseline = np.mean(np.abs(Y[300:] - Y[:300].mean(axis=0)))
    assert np.mean(np.abs(pred - Y[300:])) < 0.2 * baseline


def test_best_weights_are_restored():
    net, result, X, Y = _fit(lr=0.5, schedule="constant", patience=0)  # a noisy run
    best = int(np.argmin(result.val_loss))
    assert result.best_epoch == best + 1
    final = np.mean(np.abs(predict_module(net, X[300:]) - Y[300:]))
    assert final == pytest.approx(result.val_loss[best], rel=1e-4)


def test_early_stopping_stops_after_patience():
    _, result, _, _ = _fit(epochs=200, lr=0.3, schedule="constant", patience=2)
    assert result.epochs_run < 200
    assert result.epochs_run - result.best_epoch == 2


def test_same_seed_gives_identical_weights_and_another_seed_differs():
    a, *_ = _fit(seed=3)
    b, *_ = _fit(seed=3)
    c, *_ = _fit(seed=4)
    assert torch.equal(a.weight, b.weight)
    assert not torch.equal(a.weight, c.weight)


def test_should_stop_cancels_between_epochs_and_progress_is_reported():
    X, Y = _linear_problem()
    calls = []

    def stop_after_two():
        return len(calls) >= 2

    with pytest.raises(Cancelled, match="epoch 3"):
        train_module(
            nn.Linear(6, 2),
            X,
            Y,
            config=TrainConfig(epochs=10),
            progress=lambda step, total, msg: calls.append((step, total, msg)),
            should_stop=stop_after_two,
        )
    assert [c[:2] for c in calls] == [(1, 10), (2, 10)]
    assert "train loss" in calls[0][2]


def test_without_validation_every_epoch_runs():
    X, Y = _linear_problem()
    result = train_module(nn.Linear(6, 2), X, Y, config=TrainConfig(epochs=4, patience=1))
    assert result.epochs_run == 4 and result.best_epoch == 4 and result.val_loss == []


def test_gradient_clipping_bounds_each_update():
    X, Y = _linear_problem()
    Y = Y * 1e4  # huge gradients
    with torch_session(0, 1):
        net = nn.Linear(6, 2)
        before = net.weight.detach().clone()
        cfg = TrainConfig(
            epochs=1, lr=1e-3, clip=1.0, schedule="constant", loss="mse", weight_decay=0
        )
        train_module(net, X[:16], Y[:16], config=cfg)
    # Adam normalises step sizes, so one clipped step moves every weight by at most ~lr
    assert torch.max(torch.abs(net.weight - before)) <= 1.1e-3


def test_bad_settings_are_spec_errors():
    X, Y = _linear_problem()
    with pytest.raises(SpecError, match="No training windows"):
        train_module(nn.Linear(6, 2), X[:0], Y[:0])
    with pytest.raises(SpecError, match="loss"):
        train_module(nn.Linear(6, 2), X, Y, config=TrainConfig(loss="l7"))
    with pytest.raises(SpecError, match="schedule"):
        train_module(nn.Linear(6, 2), X, Y, config=TrainConfig(schedule="step"))


def test_torch_session_sets_and_restores_threads_and_determinism():
    before = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    with torch_session(0, threads=1):
        assert torch.get_num_threads() == 1
        assert torch.are_deterministic_algorithms_enabled()
    assert torch.get_num_threads() == before
    assert torch.are_deterministic_algorithms_enabled() == det
    assert pick_device("cpu").type == "cpu"
    assert pick_device().type in {"cpu", "cuda"}


_FRESH_SESSION = """
import sys, torch
from forecast.models.neural.training import torch_session
with torch_session(0, threads=1):
    inside = (torch.are_deterministic_algorithms_enabled(),
              torch.is_deterministic_algorithms_warn_only_enabled())
after = torch.are_deterministic_algorithms_enabled()
print(inside, after, "torch._inductor" in sys.modules)
"""


def test_torch_session_sets_determinism_without_importing_the_compiler():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _FRESH_SESSION], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["(True,", "True)", "False", "False"]


def test_sampling_weights_decide_which_windows_are_learned_from():
    # identical inputs, conflicting targets: an L1 fit learns the (weighted) median target
    X = np.zeros((400, 3))
    Y = np.r_[np.ones(100), -np.ones(300)].reshape(-1, 1)
    config = TrainConfig(epochs=30, lr=0.1, batch_size=64, schedule="constant")
    fits = {}
    for label, weights in {
        "uniform": None,
        "favour first": np.r_[np.ones(100), np.zeros(300)],
    }.items():
        with torch_session(0, threads=1):
            net = nn.Linear(3, 1)
            train_module(net, X, Y, config=config, weights=weights)
        fits[label] = float(predict_module(net, X[:1])[0, 0])
    assert fits["uniform"] == pytest.approx(-1, abs=0.1)
    assert fits["favour first"] == pytest.approx(1, abs=0.1)
    for bad, match in [
        (np.ones(5), "400 finite numbers"),
        (np.r_[np.full(399, 1.0), np.nan], "finite"),
        (np.zeros(400), "not all zero"),
        (np.r_[-1.0, np.ones(399)], "non-negative"),
    ]:
        with pytest.raises(SpecError, match=match):
            train_module(nn.Linear(3, 1), X, Y, config=config, weights=bad)


def test_a_time_limit_stops_after_the_epoch_that_passes_it():
    _, result, _, _ = _fit(epochs=50, max_seconds=0.0)
    assert result.epochs_run == 1 and result.best_epoch == 1


def test_masked_mae_trains_on_nan_padded_targets():
    X, Y = _linear_problem()
    Y = Y.copy()
    Y[::3, 1] = np.nan  # a missing second step in a third of the windows
    with torch_session(0, threads=1):
        net = nn.Linear(6, 2)
        result = train_module(
            net, X, Y, config=TrainConfig(epochs=15, lr=3e-2, loss="masked_mae"), seed=0
        )
    assert np.isfinite(result.train_loss).all()
    assert result.train_loss[-1] < 0.2 * result.train_loss[0]
