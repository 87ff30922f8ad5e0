"""The forward pass of a :class:`~forecast.models.neural.recurrent.RecurrentNet` in numpy, without torch.

Zero-shot forecasts of the packaged pretrained network need no gradients, and importing torch
costs seconds (about 3 s of a 3 s single-file run), so :class:`NumpyRecurrentNet` evaluates the
same network from its state arrays (the ``state_dict`` of a unidirectional ``RecurrentNet``:
``rnn.weight_ih_l{k}``, ``rnn.weight_hh_l{k}``, ``rnn.bias_ih_l{k}``, ``rnn.bias_hh_l{k}``,
``head.weight``, ``head.bias`` and, with a skip path, ``skip.weight``, ``skip.bias``) with
torch's equations and gate order (GRU: reset, update, new; LSTM: input, forget, cell, output;
RNN: tanh). It computes in float64; torch's float32 forward agrees to about 1e-6
(``tests/test_numpy_rnn.py``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["GATES", "NumpyRecurrentNet", "state_shapes"]

#: Gate blocks stacked in a cell's weight matrices.
GATES = {"gru": 3, "lstm": 4, "rnn": 1}


def state_shapes(
    cell: str, input_size: int, hidden_size: int, num_layers: int, outputs: int, skip: bool
) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every state array of a unidirectional ``RecurrentNet``.

    Parameters
    ----------
    cell : {"gru", "lstm", "rnn"}
    input_size : int
        Window length ``L`` (the skip path's width).
    hidden_size, num_layers : int
    outputs : int
        Steps emitted per call.
    skip : bool

    Returns
    -------
    dict of str to tuple
    """
    g = GATES[cell] * hidden_size
    shapes: dict[str, tuple[int, ...]] = {}
    for k in range(num_layers):
        shapes[f"rnn.weight_ih_l{k}"] = (g, 1 if k == 0 else hidden_size)
        shapes[f"rnn.weight_hh_l{k}"] = (g, hidden_size)
        shapes[f"rnn.bias_ih_l{k}"] = (g,)
        shapes[f"rnn.bias_hh_l{k}"] = (g,)
    shapes["head.weight"] = (outputs, hidden_size)
    shapes["head.bias"] = (outputs,)
    if skip:
        shapes["skip.weight"] = (outputs, input_size)
        shapes["skip.bias"] = (outputs,)
    return shapes


#: Windows encoded at once by :meth:`NumpyRecurrentNet.__call__`. :meth:`~NumpyRecurrentNet.encode`
#: holds every step's gate inputs and outputs of its windows, about ``8 L (G + 1) H`` bytes per
#: window (100 KB for the pretrained GRU: L = 48, H = 64, G = 3), so the in-sample residuals of
#: 1,000 series of 60 points (60,000 windows) took 6 GB in one piece; batches of 1,024 take
#: about 150 MB, whatever the number of series. Each window's result does not depend on the
#: others in its batch.
BATCH_WINDOWS = 1024


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # the logistic function, without overflow


class NumpyRecurrentNet:
    """A trained recurrent encoder plus linear head, evaluated with numpy.

    Parameters
    ----------
    architecture : dict
        ``cell``, ``input_size``, ``hidden_size``, ``num_layers``, ``horizon`` (outputs per
        call) and ``skip``, as in the pretrained weights config.
    state : dict of str to ndarray
        The network's state arrays (see the module docstring), kept as given (float32).

    Raises
    ------
    ValueError
        An unknown cell, or state arrays missing, extra or of the wrong shape (the message
        names the first).

    Notes
    -----
    ``net(X)`` takes windows ``X`` of shape (n, L) and returns (n, outputs), float64.
    """

    def __init__(self, architecture: dict, state: dict[str, np.ndarray]) -> None:
        cell = architecture["cell"]
        if cell not in GATES:
            raise ValueError(f"unknown cell {cell!r}; expected one of {sorted(GATES)}")
        self.cell = cell
        self.input_size = int(architecture["input_size"])
        self.hidden_size = int(architecture["hidden_size"])
        self.num_layers = int(architecture["num_layers"])
        self.outputs = int(architecture["horizon"])
        self.skip = bool(architecture["skip"])
        expected = state_shapes(
            cell, self.input_size, self.hidden_size, self.num_layers, self.outputs, self.skip
        )
        missing = sorted(set(expected) - set(state))
        extra = sorted(set(state) - set(expected))
        if missing or extra:
            raise ValueError(f"state arrays missing {missing}, unexpected {extra}")
        for key, shape in expected.items():
            if tuple(np.shape(state[key])) != shape:
                raise ValueError(f"{key} has shape {tuple(np.shape(state[key]))}, expected {shape}")
        self.state = {k: np.asarray(state[k]) for k in expected}
        self._w = {k: v.astype(np.float64) for k, v in self.state.items()}

    def encode(self, X: np.ndarray) -> np.ndarray:
        """Final hidden state of the top layer, shape (n, hidden_size)."""
        seq = np.asarray(X, dtype=np.float64)[:, :, None]  # (n, L, 1)
        n, steps = seq.shape[0], seq.shape[1]
        H = self.hidden_size
        for k in range(self.num_layers):
            w_ih, w_hh = self._w[f"rnn.weight_ih_l{k}"], self._w[f"rnn.weight_hh_l{k}"]
            b_ih, b_hh = self._w[f"rnn.bias_ih_l{k}"], self._w[f"rnn.bias_hh_l{k}"]
            gx = seq @ w_ih.T + b_ih  # (n, L, G*H): input contributions of every step at once
            h = np.zeros((n, H))
            c = np.zeros((n, H))
            outs = np.empty((n, steps, H))
            for t in range(steps):
                gh = h @ w_hh.T + b_hh
                xt = gx[:, t]
                if self.cell == "gru":
                    r = _sigmoid(xt[:, :H] + gh[:, :H])
                    z = _sigmoid(xt[:, H : 2 * H] + gh[:, H : 2 * H])
                    cand = np.tanh(xt[:, 2 * H :] + r * gh[:, 2 * H :])
                    h = (1.0 - z) * cand + z * h
                elif self.cell == "lstm":
                    a = xt + gh
                    i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H : 2 * H])
                    g, o = np.tanh(a[:, 2 * H : 3 * H]), _sigmoid(a[:, 3 * H :])
                    c = f * c + i * g
                    h = o * np.tanh(c)
                else:
                    h = np.tanh(xt + gh)
                outs[:, t] = h
            seq = outs
        return seq[:, -1].copy()  # a view would keep every step's states alive

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.input_size:
            raise ValueError(f"windows must have shape (n, {self.input_size}), got {X.shape}")
        if len(X) == 0:
            return np.zeros((0, self.outputs))
        encoded = np.concatenate(
            [self.encode(X[i : i + BATCH_WINDOWS]) for i in range(0, len(X), BATCH_WINDOWS)]
        )
        out = encoded @ self._w["head.weight"].T + self._w["head.bias"]
        if self.skip:
            out = out + X @ self._w["skip.weight"].T + self._w["skip.bias"]
        return out
