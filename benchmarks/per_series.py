"""Per-series work on every core, and the specification searched once: old and new, same run.

Run:  make install-bench && nice -n 10 .venv/bin/python benchmarks/per_series.py \
          [--series 100] [--parts cores,arima,dask,accuracy] [--accuracy-series 40]

Parts (each prints a table; every row of a table is measured in the same run, so a machine
shared with other work slows them alike — the load average is printed beside each table):

- ``cores``: the default ``forecast run FILE --horizon 18`` on ``--series`` M3 monthly series
  (a fixed sample, seed 0) in one long CSV, with ``--workers 1`` and with the default (every
  available core). ``cores used`` = CPU seconds of the command (main process + its pool's
  workers, ``RUSAGE_SELF`` / ``RUSAGE_CHILDREN``) / wall seconds: on a machine other work keeps
  busy it measures our share, not our parallelism, so the table adds the cores the same CPU
  seconds would use on an idle 2-core machine, ``(main + pool) / (main + pool / 2)`` (the
  main process waits while the pool fits: that is how the run is built).
- ``arima``: ``forecast run --models snaive,arima`` on the same file: today (``--workers 1
  --search every``: the orders searched at each of the 3 origins and again for the refit, one
  core), the new default (every core, ``--search twice``: searched on the oldest origin,
  re-estimated at the later two, searched again for the future) and ``--search once`` (the
  future re-estimated too). Wall time as a ratio to today's, and the mean MASE of arima's
  future forecasts against the M3 test set. ``idle-machine wall`` is ``main + pool / 2`` CPU
  seconds as a ratio to today's (the wall time on an idle 2-core machine, by the same rule).
- ``dask``: the new default's pipeline on a Dask ``LocalCluster`` of 2 single-threaded workers
  (``run_forecast(..., executor=client.get_executor())``, in this process: the file is read
  here), against today's run of the ``arima`` part.
- ``accuracy``: the single-series benchmark's M3 samples (``benchmarks/single_series.py``
  defaults: 40 monthly and 40 quarterly series, seed 0), each series as its own run: the
  future forecasts of ``arima`` and ``ets`` with the specification searched once (on the oldest
  origin's training data, re-estimated on the whole history: ``--search once``) and searched
  again on the whole history (today's, and the default ``--search twice``, whose future
  forecasts are those of ``every`` by construction), mean MASE and sMAPE against the test set.

Metrics from ``benchmarks/competition.py`` (the library's; MASE with the in-sample
seasonal-naive scale).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from competition import SUBSET_FREQS as SUBSETS
from competition import load_m3, mase, sample, smape

ROOT = Path(__file__).resolve().parent.parent
H = 18


def _load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def write_long(train: list[np.ndarray], path: Path, freq: str = "MS") -> None:
    """The series as one long CSV ``id, ds, y`` (all starting 1950-01)."""
    frames = [
        pd.DataFrame(
            {
                "id": f"m{i:04d}",
                "ds": pd.date_range("1950-01-01", periods=len(x), freq=freq),
                "y": x,
            }
        )
        for i, x in enumerate(train)
    ]
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)


#: ``forecast run ARGS`` in a process that, on exit, writes its own CPU seconds and those of its
#: worker processes to the file named by ``$CPU_OUT``.
WRAP = """
import os, resource, sys
from forecast.cli import main
sys.argv = ["forecast", "run", *sys.argv[1:]]
try:
    main()
finally:
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    with open(os.environ["CPU_OUT"], "w") as fh:
        fh.write(f"{me.ru_utime + me.ru_stime} {kids.ru_utime + kids.ru_stime}")
"""


def run_cli(args: list[str], root: Path | None = None) -> dict:
    """Run ``forecast run ...`` (the code under ``root``, default this checkout): wall seconds, CPU seconds of the command (``main``) and of its
    worker processes (``pool``), ``cores`` = CPU / wall, and ``idle_cores``, the cores it would
    use on an idle 2-core machine if the main process waits while the pool works (it does: a
    fit on the pool blocks the run): (main + pool) / (main + pool / 2)."""
    with tempfile.NamedTemporaryFile(suffix=".cpu") as out:
        env = {**os.environ, "PYTHONPATH": str(root or ROOT), "CPU_OUT": out.name}
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", WRAP, *args], capture_output=True, text=True, env=env
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"forecast run failed: {proc.stderr[-2000:]}")
        main, pool = (float(v) for v in Path(out.name).read_text().split())
    cpu = main + pool
    return {
        "wall": wall,
        "cpu": cpu,
        "main": main,
        "pool": pool,
        "cores": cpu / wall,
        "idle_cores": cpu / (main + pool / 2),
    }


def future_mase(folder: Path, model: str, train, test, ids) -> tuple[float, float]:
    """Mean MASE and sMAPE of one model's future forecasts in ``folder/forecasts.csv``."""
    fc = pd.read_csv(folder / "forecasts.csv")
    fc = fc[fc["model"] == model]
    yhat = np.asarray([fc.loc[fc["unique_id"] == uid, "yhat"].to_numpy()[:H] for uid in ids])
    return mase(train, test, yhat, 12), smape(test, yhat)


def part_cores(path: Path, tmp: Path) -> None:
    print(f"\n### default `forecast run` on {N_SERIES} monthly series, h = {H} ({_load()})\n")
    print(
        "| workers | wall s | CPU s: main + pool | cores used (this load) "
        "| cores on an idle 2-core machine |"
    )
    print("|---|---|---|---|---|")
    for label, extra in (("1", ["--workers", "1"]), ("default (all cores)", [])):
        out = tmp / f"cores-{len(extra)}"
        r = run_cli([str(path), "--horizon", str(H), "--out", str(out), *extra])
        print(
            f"| {label} | {r['wall']:.1f} | {r['main']:.1f} + {r['pool']:.1f} | "
            f"{r['cores']:.2f} | {r['idle_cores']:.2f} |",
            flush=True,
        )
    print(f"\n({_load()} after)")


def part_arima(path: Path, tmp: Path, train, test, ids) -> float:
    print(
        f"\n### `forecast run --models snaive,arima` on {N_SERIES} monthly series, h = {H} "
        f"({_load()})\n"
    )
    print(
        "| run | wall s | x today | CPU s: main + pool | cores used | idle-machine wall, "
        "x today | arima MASE | arima sMAPE |"
    )
    print("|---|---|---|---|---|---|---|---|")
    runs = (
        ("today: --workers 1 --search every", ["--workers", "1", "--search", "every"]),
        ("default: all cores, --search twice", []),
        ("all cores, --search once", ["--search", "once"]),
    )
    today = today_idle = None
    for label, extra in runs:
        out = tmp / f"arima-{'-'.join(extra) or 'default'}"
        args = [str(path), "--horizon", str(H), "--models", "snaive,arima", "--out", str(out)]
        r = run_cli([*args, *extra])
        today = today or r["wall"]
        idle = r["main"] + r["pool"] / 2
        today_idle = today_idle or idle
        m, s = future_mase(out, "arima", train, test, ids)
        print(
            f"| {label} | {r['wall']:.1f} | {r['wall'] / today:.2f} | {r['main']:.1f} + "
            f"{r['pool']:.1f} | {r['cores']:.2f} | {idle / today_idle:.2f} | {m:.4f} | "
            f"{s:.3f} |",
            flush=True,
        )
    print(f"\n({_load()} after)")
    return today


def part_dask(path: Path, train, test, ids, today: float | None) -> None:
    from distributed import Client, LocalCluster

    from forecast.ingest.reader import read_csv
    from forecast.run.pipeline import run_forecast

    print(f"\n### the same on a Dask LocalCluster of 2 workers ({_load()})\n")
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
    with cluster, Client(cluster) as client:
        start = time.perf_counter()
        df, _report = read_csv(path, id_col="id")
        result = run_forecast(df, horizon=H, models="snaive,arima", executor=client.get_executor())
        wall = time.perf_counter() - start
    fc = result.forecasts[result.forecasts["model"] == "arima"]
    yhat = np.asarray([fc.loc[fc["unique_id"] == uid, "yhat"].to_numpy()[:H] for uid in ids])
    ratio = f"{wall / today:.2f}" if today else "-"
    print("| run | wall s | x today (CLI, one core, above) | arima MASE | arima sMAPE |")
    print("|---|---|---|---|---|")
    print(
        f"| Dask, 2 workers, default (--search twice) | {wall:.1f} | {ratio} | "
        f"{mase(train, test, yhat, 12):.4f} | {smape(test, yhat):.3f} |"
    )
    print(f"\n({_load()} after; the cluster's start is not counted)")


def _one_series(args) -> dict:
    """Future forecasts of arima and ets on one series: searched once vs searched again."""
    x, m, freq = args
    from forecast.models import make_model
    from forecast.run.backtest import backtest_splits, min_train
    from forecast.run.pipeline import plan_backtest

    df = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("1950-01-01", periods=len(x), freq=freq), "y": x}
    )
    df.attrs["freq"] = freq
    out = {}
    for name in ("arima", "ets"):
        h = H if m == 12 else 8
        windows, _note = plan_backtest(df, h, 3, m, min_points=min_train([make_model(name)]))
        start = time.perf_counter()
        every = make_model(name).fit(df)
        t_every = time.perf_counter() - start
        if windows:
            train0 = backtest_splits(df, h, windows)[0][1]
            once = make_model(name).fit(train0).refit(df)
        else:  # no backtest: one search on the whole history either way
            once = every
        out[name] = {
            "every": every.predict(h)["yhat"].to_numpy(),
            "once": once.predict(h)["yhat"].to_numpy(),
            "same_spec": once.model_strings_["s"] == every.model_strings_["s"],
            "t_every": t_every,
        }
    return out


def part_accuracy(n: int, workers: int) -> None:
    print(
        f"\n### specification searched once vs at every fit: single-series M3 samples "
        f"({n} monthly + {n} quarterly, seed 0; {_load()})\n"
    )
    print(
        "| subset | model | MASE every | MASE once | once / every | sMAPE every | sMAPE once "
        "| same specification |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for subset in ("monthly", "quarterly"):
        m, freq = SUBSETS[subset]
        train_all, test_all, h, _ids = load_m3(subset)
        idx = sample(len(train_all), n, 0)
        train = [train_all[i] for i in idx]
        test = np.asarray([test_all[i][:h] for i in idx], dtype=float)
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_one_series, [(x, m, freq) for x in train]))
        for name in ("arima", "ets"):
            every = np.asarray([r[name]["every"] for r in results])
            once = np.asarray([r[name]["once"] for r in results])
            me, mo = mase(train, test, every, m), mase(train, test, once, m)
            same = np.mean([r[name]["same_spec"] for r in results])
            print(
                f"| {subset} | {name} | {me:.4f} | {mo:.4f} | {mo / me:.4f} | "
                f"{smape(test, every):.3f} | {smape(test, once):.3f} | {same:.0%} |",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    global N_SERIES
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=100, help="M3 monthly series in the file.")
    parser.add_argument("--parts", default="cores,arima,dask,accuracy")
    parser.add_argument("--accuracy-series", type=int, default=40, help="Per subset.")
    parser.add_argument("--workers", type=int, default=2, help="Processes of the accuracy part.")
    args = parser.parse_args(argv)
    N_SERIES = args.series
    train_all, test_all, _h, _ids = load_m3("monthly")
    idx = sample(len(train_all), args.series, 0)
    train = [train_all[i] for i in idx]
    test = np.asarray([test_all[i][:H] for i in idx], dtype=float)
    ids = [f"m{i:04d}" for i in range(len(idx))]
    print(f"per-series benchmark: {os.cpu_count()} CPUs, affinity {len(os.sched_getaffinity(0))}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        path = tmp / "monthly.csv"
        write_long(train, path)
        today = None
        for part in args.parts.split(","):  # in the order given
            if part == "cores":
                part_cores(path, tmp)
            elif part == "arima":
                today = part_arima(path, tmp, train, test, ids)
            elif part == "dask":
                part_dask(path, train, test, ids, today)
            elif part == "accuracy":
                part_accuracy(args.accuracy_series, args.workers)
    return 0


N_SERIES = 100

if __name__ == "__main__":
    raise SystemExit(main())
