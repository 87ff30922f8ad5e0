"""``python -m forecast.pretrain``: build the corpus, pretrain, score zero-shot, write weights.

Example
-------
``nice -n 10 python -m forecast.pretrain --out forecast/models/weights/pretrained.json``
(needs ``make install-bench`` for M3). ``--tiny`` runs end to end in seconds (no M3, a few
synthetic series, one epoch) for tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields

from forecast.errors import ForecastError


def _parser() -> argparse.ArgumentParser:
    from forecast.pretrain.train import PretrainConfig

    p = argparse.ArgumentParser(
        prog="python -m forecast.pretrain", description=__doc__.splitlines()[0]
    )
    p.add_argument("--out", required=True, help="weights JSON to write (.safetensors beside it)")
    p.add_argument("--synthetic", type=int, default=20000, help="synthetic series (default 20000)")
    p.add_argument("--no-m3", action="store_true", help="leave M3 out of the corpus")
    p.add_argument("--no-eval", action="store_true", help="skip the zero-shot scores")
    p.add_argument(
        "--eval-limit", type=int, default=None, help="held-out series per subset to score"
    )
    p.add_argument("--tiny", action="store_true", help="smoke run: no M3, 40 synthetic, 1 epoch")
    for f in fields(PretrainConfig):
        kind = {"bool": lambda s: s.lower() in {"1", "true", "yes"}}.get(str(f.type))
        kind = kind or {"int": int, "float": float, "str": str}.get(str(f.type).split(" ")[0], str)
        if f.name == "threads":
            kind = int
        p.add_argument(f"--{f.name.replace('_', '-')}", type=kind, default=None)
    return p


def main(argv: list[str] | None = None) -> int:
    from forecast.pretrain.corpus import build_corpus
    from forecast.pretrain.evaluate import zero_shot_scores
    from forecast.pretrain.train import PretrainConfig, pretrain, save_weights

    args = _parser().parse_args(argv)
    overrides = {
        f.name: getattr(args, f.name)
        for f in fields(PretrainConfig)
        if getattr(args, f.name) is not None
    }
    if args.tiny:
        overrides = {"epochs": 1, "windows_per_epoch": 512, "hidden_size": 8, **overrides}
        args.synthetic, args.no_m3, args.no_eval = 40, True, True
    cfg = PretrainConfig(**overrides)
    try:
        corpus = build_corpus(n_synthetic=args.synthetic, seed=cfg.seed, m3=not args.no_m3)
        print(f"corpus: {len(corpus)} series", file=sys.stderr)

        def progress(step: int, total: int, message: str) -> None:
            print(message, file=sys.stderr, flush=True)

        result = pretrain(corpus, cfg, progress=progress)
        extra = {
            "corpus": {
                "m3": None
                if args.no_m3
                else "training parts (.x) of M3 yearly and other, and of the half of M3 monthly "
                "and quarterly not held out (forecast.pretrain.corpus.held_out_ids)",
                "bundled": "data/*.csv",
                "synthetic": {"series": args.synthetic, "seed": cfg.seed},
                "never": "M3 test parts, M1, Tourism",
            }
        }
        path = save_weights(args.out, result, cfg, extra)
        if not args.no_eval:
            scores = {
                s: zero_shot_scores(str(path), s, limit=args.eval_limit)
                for s in ("monthly", "quarterly")
            }
            extra["zero_shot_held_out"] = scores
            path = save_weights(args.out, result, cfg, extra)
            print(json.dumps(scores, indent=2))
    except ForecastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({result.seconds:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
