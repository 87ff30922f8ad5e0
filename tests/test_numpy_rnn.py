"""The numpy forward pass of the recurrent network: equal to torch's, used by ``pretrained``
without importing torch, and the weights parsed once per process."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import DATA

from forecast.ingest.reader import read_csv
from forecast.models.neural.numpy_rnn import NumpyRecurrentNet
from forecast.models.neural.pretrained import Pretrained, torch_network
from forecast.models.neural.pretrained_io import read_pretrained
from forecast.models.neural.recurrent import RecurrentNet
from forecast.models.neural.training import predict_module


def _architecture(cell, layers, skip, L=10, hidden=6, H=4) -> dict:
    return {
        "cell": cell,
        "input_size": L,
        "hidden_size": hidden,
        "num_layers": layers,
        "horizon": H,
        "skip": skip,
    }


@pytest.mark.parametrize(
    ("cell", "layers", "skip"),
    [("gru", 1, True), ("gru", 2, False), ("lstm", 1, True), ("lstm", 2, True), ("rnn", 1, True)],
)
def test_numpy_forward_equals_torch(cell, layers, skip):
    torch.manual_seed(3)
    arch = _architecture(cell, layers, skip)
    net = RecurrentNet(cell, 10, 6, layers, 0.0, False, 4, skip).eval()
    for p in net.parameters():  # weights large enough for saturated gates to count
        torch.nn.init.normal_(p, std=0.8)
    state = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    X = np.random.default_rng(0).normal(scale=2.0, size=(37, 10))
    ours = NumpyRecurrentNet(arch, state)(X)
    theirs = predict_module(net, X)
    assert ours.shape == (37, 4)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert np.abs(ours).max() > 1  # not a trivially small output


def test_many_windows_are_encoded_in_batches_with_the_same_outputs():
    from forecast.models.neural.numpy_rnn import BATCH_WINDOWS

    torch.manual_seed(4)
    arch = _architecture("gru", 2, True)
    net = RecurrentNet("gru", 10, 6, 2, 0.0, False, 4, True).eval()
    state = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    numpy_net = NumpyRecurrentNet(arch, state)
    X = np.random.default_rng(1).normal(size=(2 * BATCH_WINDOWS + 7, 10))
    together = numpy_net(X)
    one_by_one = np.concatenate([numpy_net(X[i : i + 1]) for i in range(len(X))])
    assert together.shape == (len(X), 4)
    np.testing.assert_allclose(together, one_by_one, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(together, predict_module(net, X), atol=1e-5)


def test_numpy_net_refuses_state_that_does_not_fit():
    arch = _architecture("gru", 1, True)
    net = RecurrentNet("gru", 10, 6, 1, 0.0, False, 4, True)
    state = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    with pytest.raises(
        ValueError, match=r"rnn.weight_ih_l0 has shape \(18, 1\), expected \(21, 1\)"
    ):
        NumpyRecurrentNet({**arch, "hidden_size": 7}, state)
    with pytest.raises(ValueError, match=r"missing \['skip.bias'\]"):
        NumpyRecurrentNet(arch, {k: v for k, v in state.items() if k != "skip.bias"})
    with pytest.raises(ValueError, match="unknown cell"):
        NumpyRecurrentNet({**arch, "cell": "tcn"}, state)
    with pytest.raises(ValueError, match=r"shape \(n, 10\)"):
        NumpyRecurrentNet(arch, state)(np.zeros((2, 9)))


def _torch_twin(model: Pretrained) -> Pretrained:
    """The fitted model with its numpy network replaced by the torch one (same weights)."""
    twin = copy.copy(model)
    nets = [torch_network(model.architecture_, m.state) for m in model.members_]
    twin.members_ = [lambda X, net=net: predict_module(net, X) for net in nets]
    twin._residuals = None
    return twin


def test_shipped_weights_forecast_every_bundled_sample_as_torch_does():
    for path in sorted(Path(DATA).glob("*.csv")):
        df, _ = read_csv(path, fill="interpolate")
        model = Pretrained().fit(df)
        twin = _torch_twin(model)
        ours, theirs = model.predict(30), twin.predict(30)
        tol = {"rtol": 1e-5, "atol": 1e-6 * float(df["y"].abs().mean()), "err_msg": path.name}
        for col in ("yhat", "lo", "hi"):
            np.testing.assert_allclose(ours[col], theirs[col], **tol)
        np.testing.assert_allclose(
            model.residuals_["resid"].dropna(), twin.residuals_["resid"].dropna(), **tol
        )


def test_weights_are_parsed_once_and_a_changed_file_is_still_refused(tmp_path):
    from test_pretrained import _copy_weights

    from forecast.errors import DataError
    from forecast.models.neural.pretrained_io import DEFAULT_WEIGHTS

    path = _copy_weights(str(DEFAULT_WEIGHTS), tmp_path)
    a = read_pretrained(path)[1]
    b = read_pretrained(path)[1]
    assert a["calibration"] is b["calibration"]  # parsed once
    assert not a["calibration"].flags.writeable  # nobody can change the shared arrays
    blob = bytearray(path.with_suffix(".safetensors").read_bytes())
    blob[-3] ^= 0x01
    path.with_suffix(".safetensors").write_bytes(bytes(blob))
    with pytest.raises(DataError, match="changed or damaged"):
        read_pretrained(path)


_NO_TORCH = """
import atexit, runpy, sys
atexit.register(lambda: print("TORCH" if "torch" in sys.modules else "NO TORCH"))
sys.argv = ["forecast", "run", {csv!r}, "--horizon", "12", "--models", "pretrained,snaive",
            "--out", {out!r}]
runpy.run_module("forecast", run_name="__main__")
"""


def test_a_cli_run_with_pretrained_never_imports_torch(tmp_path):
    code = _NO_TORCH.format(csv=str(Path(DATA) / "air_passengers.csv"), out=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=DATA.parent, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "NO TORCH"
    assert (tmp_path / "forecasts.csv").is_file()
