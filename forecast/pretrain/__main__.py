"""``python -m forecast.pretrain``: build the corpus, pretrain, score zero-shot, write weights.

Example
-------
``nice -n 10 python -m forecast.pretrain --out forecast/models/neural/weights/pretrained.json``
(needs ``make install-bench`` for M3). ``--tiny`` runs end to end in seconds (no M3, a few
synthetic series, one epoch) for tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np

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
    p.add_argument(
        "--members",
        type=int,
        default=1,
        help="networks in the ensemble, seeds SEED … SEED+K-1, each with its own synthetic "
        "corpus (default 1)",
    )
    p.add_argument("--jobs", type=int, default=1, help="members trained at once (processes)")
    p.add_argument(
        "--combine",
        nargs="+",
        default=None,
        metavar="JSON",
        help="merge these single-network weights files into --out instead of training",
    )
    for f in fields(PretrainConfig):
        kind = {"bool": lambda s: s.lower() in {"1", "true", "yes"}}.get(str(f.type))
        kind = kind or {"int": int, "float": float, "str": str}.get(str(f.type).split(" ")[0], str)
        if f.name == "threads":
            kind = int
        p.add_argument(f"--{f.name.replace('_', '-')}", type=kind, default=None)
    return p


def _corpus_note(args, seed: int) -> dict:
    return {
        "m3": None
        if args.no_m3
        else "training parts (.x) of M3 yearly and other, and of the half of M3 monthly "
        "and quarterly not held out (forecast.pretrain.corpus.held_out_ids)",
        "bundled": "data/*.csv",
        "synthetic": {"series": args.synthetic, "seed": seed},
        "never": "M3 test parts, M1, Tourism",
    }


def _train_one(args, cfg, out: str, label: str = "") -> str:
    """Build the corpus of ``cfg.seed``, pretrain one network, write its weights; the path."""
    from forecast.pretrain.corpus import build_corpus
    from forecast.pretrain.train import pretrain, save_weights

    corpus = build_corpus(n_synthetic=args.synthetic, seed=cfg.seed, m3=not args.no_m3)
    print(f"{label}corpus: {len(corpus)} series", file=sys.stderr, flush=True)

    def progress(step: int, total: int, message: str) -> None:
        print(label + message, file=sys.stderr, flush=True)

    result = pretrain(corpus, cfg, progress=progress)
    save_weights(out, result, cfg, {"corpus": _corpus_note(args, cfg.seed)})
    print(f"{label}wrote {out} ({result.seconds:.0f} s)", file=sys.stderr, flush=True)
    return out


def _train_members(args, cfg, folder: Path) -> list[str]:
    """Members ``k = 0 … K−1`` with seeds ``seed + k``, ``--jobs`` at a time (processes)."""
    from concurrent.futures import ProcessPoolExecutor
    from dataclasses import replace
    from multiprocessing import get_context

    jobs = [
        (args, replace(cfg, seed=cfg.seed + k), str(folder / f"member{k}.json"), f"[{k}] ")
        for k in range(args.members)
    ]
    if args.jobs <= 1:
        return [_train_one(*job) for job in jobs]
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        return list(pool.map(_train_one, *zip(*jobs, strict=True)))


def main(argv: list[str] | None = None) -> int:
    import tempfile

    from forecast.pretrain.ensemble import combine_weights
    from forecast.pretrain.evaluate import zero_shot_scores
    from forecast.pretrain.train import PretrainConfig

    args = _parser().parse_args(argv)
    overrides = {
        f.name: getattr(args, f.name)
        for f in fields(PretrainConfig)
        if getattr(args, f.name) is not None
    }
    if args.tiny:
        overrides = {"epochs": 1, "windows_per_epoch": 512, "hidden_size": 8, **overrides}
        args.synthetic, args.no_m3, args.no_eval = 40, True, True
    if args.members < 1 or args.jobs < 1:
        print("error: --members and --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        cfg = PretrainConfig(**overrides)
        with tempfile.TemporaryDirectory(prefix="pretrain-") as tmp:
            if args.combine:
                members = list(args.combine)
            elif args.members > 1:
                members = _train_members(args, cfg, Path(tmp))
            else:
                members = [_train_one(args, cfg, args.out)]
            ensemble = bool(args.combine) or len(members) > 1
            if ensemble:
                combine_weights(members, args.out)
            if not args.no_eval:
                scores = {
                    s: zero_shot_scores(args.out, s, limit=args.eval_limit)
                    for s in ("monthly", "quarterly")
                }
                extra = {"zero_shot_held_out": scores}
                if ensemble:
                    combine_weights(members, args.out, extra)
                else:
                    _add_to_config(args.out, extra)
                print(json.dumps(scores, indent=2))
    except ForecastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if ensemble:
        print(f"wrote {args.out} ({len(members)} networks)", file=sys.stderr)
    return 0


def _add_to_config(path: str, extra: dict) -> None:
    """Rewrite a single network's weights files with more config keys."""
    from forecast.models.neural.pretrained_io import read_pretrained, write_pretrained

    config, arrays = read_pretrained(path)
    config.update(extra)
    write_pretrained(path, {k: np.array(v) for k, v in arrays.items()}, config)


if __name__ == "__main__":
    raise SystemExit(main())
