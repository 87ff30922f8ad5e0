"""Does the pretrained network forecast seasonal periods it never saw? Synthetic series, peers beside.

The packaged network was pretrained on seasonal periods 1, 4, 7, 12, 24 and 52 and refuses
others (business days 5, 3-hourly 8, 4-hourly 6, 8-hourly 3). Here it is made to forecast them:
series are drawn by the pretraining generators (``forecast.pretrain.synthetic``; a seed no
pretraining run uses) at seen and unseen periods, the last ``h`` points held out, and the
zero-shot forecasts (the network told the period) are scored beside statsforecast's AutoETS,
Theta and SeasonalNaive on the same series. Mean MASE (in-sample seasonal-naive scale).

    nice -n 10 .venv/bin/python -m benchmarks.studies.unseen_periods.run [--series 150] [--periods 3,5,6,8,4,7,12]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from forecast.pretrain.evaluate import m3_frame, mase
from forecast.pretrain.synthetic import synthetic_corpus

#: A frequency whose prior seasonal period is the key (for the dates only).
FREQ = {2: "12h", 3: "8h", 4: "QS", 5: "B", 6: "4h", 7: "D", 8: "3h", 12: "MS", 24: "h"}
#: Synthetic seed: pretraining draws from seeds 0, 1, ... (one per network).
SEED = 90_210


def unlocked_weights(folder: Path, periods: list[int]) -> str:
    """A copy of the packaged weights that accepts ``periods`` too (nothing else changed)."""
    from forecast.models.neural.pretrained_io import read_pretrained, write_pretrained

    config, arrays = read_pretrained()
    config["periods"] = sorted(set(config["periods"]) | set(periods))
    path = write_pretrained(
        folder / "unlocked.json", {k: np.array(v) for k, v in arrays.items()}, config
    )
    return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=150, help="series per period")
    parser.add_argument("--periods", default="3,5,6,8,4,7,12")
    parser.add_argument("--horizon", type=int, default=12)
    args = parser.parse_args(argv)

    from benchmarks.competition import peer_runners
    from forecast.models import make_model
    from forecast.models.neural.pretrained_io import read_pretrained

    peers = peer_runners()
    seen = set(read_pretrained()[0]["periods"])
    periods = [int(p) for p in args.periods.split(",")]
    h = args.horizon
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        weights = unlocked_weights(Path(tmp), periods)
        for m in periods:
            draws = synthetic_corpus(
                args.series, SEED + m, min_length=max(3 * m, 24) + h, max_length=200, periods=(m,)
            )
            train = [d.values[:-h] for d in draws]
            y = np.stack([d.values[-h:] for d in draws])
            ids = [f"s{i}" for i in range(len(train))]
            model = make_model("pretrained", weights=weights, season_length=m)
            fc = model.fit(m3_frame(train, FREQ[m], ids)).predict(h)
            ours = np.stack([fc.loc[fc["unique_id"] == u, "yhat"].to_numpy() for u in ids])
            scores = {"pretrained": np.nanmean(mase(train, y, ours, m))}
            for name in ("sf_autoets", "sf_theta", "sf_snaive"):
                scores[name] = np.nanmean(mase(train, y, peers[name](train, h, m, 0, 1), m))
            rows.append((m, m in seen, scores))
            print(f"period {m} done", file=sys.stderr, flush=True)
    print(f"\n{args.series} synthetic series per period, h = {h}, mean MASE\n")
    print(
        "| period | pretrained on it | pretrained | AutoETS | Theta | SeasonalNaive | pretrained / AutoETS |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for m, was_seen, s in rows:
        print(
            f"| {m} | {'yes' if was_seen else 'no'} | {s['pretrained']:.3f} | "
            f"{s['sf_autoets']:.3f} | {s['sf_theta']:.3f} | {s['sf_snaive']:.3f} | "
            f"{s['pretrained'] / s['sf_autoets']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
