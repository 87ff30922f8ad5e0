"""Do two revisions print the same CLI outputs on the bundled samples? (timings aside)

Runs ``forecast run FILE --json --out DIR``, ``forecast diagnose FILE --json`` and
``forecast inspect FILE --json`` on every ``data/*.csv`` with the code of each checkout (its
folder on ``PYTHONPATH``, the same interpreter), then compares the JSON printed, every CSV
written to ``--out`` (its columns and cells) and every JSON file written there
(``summary.json``, ``diagnostics.json``). Timings (``fit_seconds``, keys ending in
``seconds``) and the paths of the out folder are masked; nothing else is.

Usage::

    git worktree add /tmp/base b447dfc
    nice -n 10 .venv/bin/python benchmarks/same_outputs.py /tmp/base .

Prints one row per (file, command): ``same`` or the first differences, then the keys and files
only the new revision has (``added:``, a compatible extension, by their path), and exits 1 when
anything differs. ``--cache DIR`` keeps each checkout's outputs (keyed by its commit) so a second
comparison against the same base does not run it again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
#: ``forecast run`` options per sample: a year of monthly / weekly / quarterly data, ten years of
#: yearly data; the weekly file has gaps, filled as the run asks.
RUN_OPTIONS = {
    "air_passengers.csv": ["--horizon", "12"],
    "co2_weekly.csv": ["--horizon", "52", "--fill", "interpolate"],
    "sunspots_yearly.csv": ["--horizon", "10"],
    "us_macro_quarterly.csv": ["--horizon", "8"],
}
MASK = "<masked>"


def _commit(checkout: Path) -> str:
    out = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return out + ("-dirty" if dirty else "")


def _mask(obj, out_dir: str):
    """Timings and the out folder masked, recursively."""
    if isinstance(obj, dict):
        return {k: MASK if k.endswith("seconds") else _mask(v, out_dir) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mask(v, out_dir) for v in obj]
    if isinstance(obj, str) and out_dir and out_dir in obj:
        return obj.replace(out_dir, "<out>")
    return obj


def run_checkout(checkout: Path, samples: list[Path], models: str | None) -> dict:
    """Every command's JSON and CSVs of one checkout: ``{(file, command): payload}``."""
    env = dict(os.environ, PYTHONPATH=str(checkout), OMP_NUM_THREADS="1")
    outputs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="same-outputs-") as tmp:
        env["FORECAST_HOME"] = str(Path(tmp) / "home")
        for sample in samples:
            out_dir = str(Path(tmp) / sample.stem)
            options = RUN_OPTIONS.get(sample.name, ["--horizon", "12"])
            commands = {
                "run": ["run", str(sample), *options, "--json", "--out", out_dir],
                "diagnose": ["diagnose", str(sample), "--json"],
                "inspect": ["inspect", str(sample), "--json"],
            }
            if models:
                commands["run"] += ["--models", models]
            for name, args in commands.items():
                proc = subprocess.run(
                    [sys.executable, "-m", "forecast", *args],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=checkout,
                )
                payload: dict = {"rc": proc.returncode}
                try:
                    payload["json"] = _mask(json.loads(proc.stdout), out_dir)
                except json.JSONDecodeError:
                    payload["stdout"] = proc.stdout
                    payload["stderr"] = proc.stderr[-2000:]
                if name == "run":
                    csvs = {}
                    for path in sorted(Path(out_dir).glob("*.csv")):
                        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
                        frame = frame.drop(columns=[c for c in frame if c.endswith("seconds")])
                        csvs[path.name] = {
                            "columns": list(frame.columns),
                            "rows": frame.to_numpy().tolist(),
                        }
                    payload["csv"] = csvs
                    payload["out_json"] = {  # summary.json, diagnostics.json
                        path.name: _mask(json.loads(path.read_text()), out_dir)
                        for path in sorted(Path(out_dir).glob("*.json"))
                    }
                outputs[f"{sample.name} {name}"] = payload
                print(
                    f"  {checkout.name or checkout}: {sample.name} {name} rc={proc.returncode}",
                    file=sys.stderr,
                    flush=True,
                )
    return outputs


#: Where key order is not compared: the JSON files of the out folder, which programs read as
#: objects (the order of the printed JSON is compared).
UNORDERED = ("/out_json",)


def differences(a, b, where: str = "", limit: int = 5) -> tuple[list[str], list[str]]:
    """The first ``limit`` paths where two JSON-like values differ, and the keys (JSON keys,
    CSV files) only the new one has: a compatible extension, listed but not a difference.
    Key order counts, except below :data:`UNORDERED`."""
    found: list[str] = []
    added: list[str] = []

    def walk(x, y, path):
        if len(found) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            ordered = not path.startswith(UNORDERED)
            if ordered and [k for k in x if k in y] != [k for k in y if k in x]:
                found.append(f"{path}: keys in another order")
            for key in list(dict.fromkeys([*x, *y])):
                if key not in y:
                    found.append(f"{path}/{key}: gone in new")
                elif key not in x:
                    added.append(f"{path}/{key}")
                else:
                    walk(x[key], y[key], f"{path}/{key}")
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                found.append(f"{path}: {len(x)} items vs {len(y)}")
                return
            for i, (u, v) in enumerate(zip(x, y, strict=True)):
                walk(u, v, f"{path}[{i}]")
        elif x != y and not (x != x and y != y):  # NaN == NaN here
            found.append(f"{path}: {str(x)[:80]!r} vs {str(y)[:80]!r}")

    walk(a, b, where)
    return found, added


def _added_paths(added: list[str]) -> list[str]:
    """Added keys by path, once each: a key added to every row of a list is named once
    (``json/leaderboard[*]/width``)."""
    return list(dict.fromkeys(re.sub(r"\[\d+\]", "[*]", a).lstrip("/") for a in added))


def outputs_of(checkout: Path, samples, models, cache: Path | None) -> dict:
    """Outputs of a checkout, from the cache when its commit (clean) was run before."""
    commit = _commit(checkout)
    key = f"{commit}-{models or 'default'}.json"
    if cache is not None and not commit.endswith("-dirty") and (cache / key).exists():
        return json.loads((cache / key).read_text())
    outputs = run_checkout(checkout, samples, models)
    if cache is not None and not commit.endswith("-dirty"):
        cache.mkdir(parents=True, exist_ok=True)
        (cache / key).write_text(json.dumps(outputs))
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="checkout of the base revision")
    parser.add_argument("new", type=Path, help="checkout of the new revision")
    parser.add_argument("--models", default=None, help="--models of forecast run (default: its)")
    parser.add_argument("--samples", default=str(ROOT / "data" / "*.csv"))
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args(argv)
    pattern = Path(args.samples)
    samples = sorted(pattern.parent.glob(pattern.name))
    base = outputs_of(args.base.resolve(), samples, args.models, args.cache)
    new = outputs_of(args.new.resolve(), samples, args.models, args.cache)
    print(f"| file command | base {_commit(args.base)} vs new {_commit(args.new)} |")
    print("|---|---|")
    same = True
    for key in base:
        diff, added = differences(base[key], new.get(key, {}))
        same &= not diff
        text = "same" if not diff else "; ".join(diff)
        if added:
            text += " (added: " + ", ".join(_added_paths(added)) + ")"
        print(f"| {key} | {text} |")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
