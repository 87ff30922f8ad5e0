"""Scale-out of a forecasting run: local process pool vs Dask LocalCluster of 1 and 2 workers.

Run:  .venv/bin/python benchmarks/scale.py --series 1000 --models snaive,gru
      .venv/bin/python benchmarks/scale.py --series 100 1000 --models default --configs dask2
      .venv/bin/python benchmarks/scale.py --series 200 --models arima --configs inproc,dask1,dask2

A synthetic panel of ``--series`` monthly series (``--length`` points, trend + seasonality +
noise, one level per series) goes through :func:`forecast.run.pipeline.run_forecast` — the code a
job's process runs — once per executor configuration:

- ``inproc``: no executor, every model in this process (what a job does without ``--dask``);
- ``poolN``:  a local ``ProcessPoolExecutor`` of N spawned processes;
- ``daskN``:  ``distributed.LocalCluster(n_workers=N, threads_per_worker=1, processes=True)``,
  ``Client.get_executor()`` (what ``forecast worker --dask ADDRESS`` hands the pipeline).

Per-series models (snaive, arima) fan out in chunks of series; the global GRU trains as one task
in this process under every configuration. Every worker is warmed up first (imports, numba JIT of
statsforecast's ARIMA) so the timings measure the work, not the start-up; cluster/pool start-up
is reported apart. ``main_cpu_s`` is the CPU time of this process alone (the job's own work:
global models, the combination, calibration, scores). ``cores_used`` is the CPU time of this process and all its workers during
the run divided by its wall time: on a shared machine it shows how many cores the run actually
got. Printed per (configuration, model): seconds, series per second, the speed-up
over one worker of the same kind (``poolN`` over ``inproc``, ``daskN`` over ``dask1``), and the
peak resident memory (max RSS) per worker process (this process for the GRU and ``inproc``).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from concurrent.futures import Executor

# one thread per process (BLAS, OpenMP, numba), set before numpy loads and inherited by every
# pool/cluster worker, so N workers use N cores and the speed-up measures the fan-out only
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings above)
import pandas as pd  # noqa: E402


def panel(n_series: int, length: int = 60, seed: int = 0) -> pd.DataFrame:
    """Synthetic monthly long frame ``unique_id, ds, y``.

    Parameters
    ----------
    n_series : int
        Number of series.
    length : int
        Points per series.
    seed : int
        Random seed.

    Returns
    -------
    DataFrame
        ``n_series * length`` rows, ``attrs["freq"] == "MS"``.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.uniform(50, 500, (n_series, 1))
    amp = rng.uniform(0.05, 0.3, (n_series, 1)) * level
    phase = rng.uniform(0, 2 * np.pi, (n_series, 1))
    trend = rng.normal(0, 0.005, (n_series, 1)) * level
    y = level + trend * t + amp * np.sin(2 * np.pi * t / 12 + phase)
    y = y + rng.normal(0, 1, y.shape) * 0.05 * level
    df = pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:05d}" for i in range(n_series)], length),
            "ds": np.tile(pd.date_range("2015-01-01", periods=length, freq="MS"), n_series),
            "y": y.ravel(),
        }
    )
    df.attrs["freq"] = "MS"
    return df


def _maxrss_mb() -> tuple[int, float]:
    """(pid, peak resident memory in MB) of the calling process.

    Linux ``VmHWM`` (reset by ``exec``, unlike ``ru_maxrss``, which a spawned process inherits
    from its parent); ``ru_maxrss`` elsewhere.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return os.getpid(), int(line.split()[1]) / 1024
    except OSError:
        pass
    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm(models: tuple[str, ...], pause: float = 0.0) -> int:
    """Import and JIT-compile the per-series models in the calling process."""
    from forecast.models import make_model

    small = panel(2, 36, seed=1)
    for name in models:
        make_model(name).fit(small).predict(3)
    time.sleep(pause)
    return os.getpid()


class _Config:
    """An executor configuration: build it, warm it, measure its workers, close it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kind = name.rstrip("0123456789")
        self.workers = int(name[len(self.kind) :] or 1)
        self.executor: Executor | None = None
        self._closer = None
        self._client = None

    def open(self, warm_models: tuple[str, ...]) -> float:
        start = time.perf_counter()
        if self.kind == "pool":
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
            futures = [pool.submit(_warm, warm_models, 1.0) for _ in range(self.workers)]
            [f.result() for f in futures]
            self.executor, self._closer = pool, pool.shutdown
        elif self.kind == "dask":
            from distributed import Client, LocalCluster

            cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=50,
            )
            client = Client(cluster, set_as_default=False)
            client.run(_warm, warm_models)
            self.executor, self._client = client.get_executor(), client

            def close() -> None:
                client.close()
                cluster.close()

            self._closer = close
        elif self.kind == "inproc":
            _warm(warm_models)
        else:
            raise SystemExit(f"unknown configuration {self.name}; use inproc, poolN or daskN")
        return time.perf_counter() - start

    def worker_peak_mb(self) -> list[float]:
        """Peak RSS (MB) of each worker process (this process for ``inproc``)."""
        if self.kind == "dask":
            return [mb for _, mb in self._client.run(_maxrss_mb).values()]
        if self.kind == "pool":
            seen: dict[int, float] = {}
            for _ in range(4):
                futures = [self.executor.submit(_pause_rss, 0.3) for _ in range(self.workers)]
                seen.update(f.result() for f in futures)
                if len(seen) >= self.workers:
                    break
            return list(seen.values())
        return [_maxrss_mb()[1]]

    def close(self) -> None:
        if self._closer is not None:
            self._closer()


def _tree_cpu_s() -> float:
    """CPU seconds (user + system) used so far by this process and all its descendants."""
    import psutil

    total = 0.0
    me = psutil.Process()
    for proc in [me, *me.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _pause_rss(pause: float) -> tuple[int, float]:
    time.sleep(pause)
    return _maxrss_mb()


def run(sizes, configs, models, length, epochs, horizon) -> pd.DataFrame:
    """Run every (size, configuration) and return one row per model."""
    from forecast.models.registry import model_names
    from forecast.run.pipeline import run_forecast

    PER_SERIES_MODELS = model_names(scope="per_series")

    rows = []
    per_series = tuple(m for m in models if m in PER_SERIES_MODELS)
    neural = [m for m in models if m not in PER_SERIES_MODELS and m != "auto"]
    epochs = epochs if set(models) & set(model_names(option="epochs")) else None  # else refused
    if neural:  # first torch use in a process is slow; keep it out of the timings
        run_forecast(
            panel(4, length, seed=2),
            horizon=horizon,
            models=neural,
            epochs=1 if epochs is not None else None,
        )
    for n in sizes:
        df = panel(n, length)
        for name in configs:
            cfg = _Config(name)
            startup = cfg.open(per_series)
            try:
                cpu0 = _tree_cpu_s()
                own0 = time.process_time()
                start = time.perf_counter()
                result = run_forecast(
                    df,
                    horizon=horizon,
                    models=models,
                    epochs=epochs,
                    executor=cfg.executor,
                    model_params={"gru": {"hidden_size": 16}} if "gru" in models else None,
                )
                wall = time.perf_counter() - start
                cores = (_tree_cpu_s() - cpu0) / wall
                own = time.process_time() - own0  # this process: the job's own work
                peaks = cfg.worker_peak_mb()
            finally:
                cfg.close()
            main_peak = _maxrss_mb()[1]
            for _, row in result.leaderboard.iterrows():
                seconds = float(row.get("fit_seconds") or np.nan)
                local = row["model"] not in PER_SERIES_MODELS or cfg.kind == "inproc"
                rows.append(
                    {
                        "series": n,
                        "config": name,
                        "workers": cfg.workers,
                        "model": row["model"],
                        "seconds": round(seconds, 2),
                        "series_per_s": round(n / seconds, 1) if seconds > 0 else np.nan,
                        "peak_mb_per_worker": round(main_peak if local else max(peaks), 0),
                        "run_wall_s": round(wall, 1),
                        "cores_used": round(cores, 2),
                        "main_cpu_s": round(own, 1),
                        "startup_s": round(startup, 1),
                        "error": row.get("error"),
                    }
                )
            print(f"  done: {n} series on {name} in {wall:.1f} s", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    seconds = table.set_index(["series", "model", "config"])["seconds"]
    speedups = []
    for _, r in table.iterrows():
        kind = r["config"].rstrip("0123456789")
        one = {"pool": "inproc", "dask": "dask1"}.get(kind)  # one worker of the same kind
        if r["model"] not in PER_SERIES_MODELS:  # global models never fan out
            one = None
        base = seconds.get((r["series"], r["model"], one))
        speedups.append(round(base / r["seconds"], 2) if base and r["seconds"] else np.nan)
    table["speedup_vs_1"] = speedups
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--series", type=int, nargs="+", default=[1000], help="panel sizes (e.g. 1000 10000)"
    )
    parser.add_argument(
        "--configs",
        default="inproc,pool2,dask1,dask2",
        help="comma-separated: inproc, poolN, daskN",
    )
    parser.add_argument("--models", default="arima,snaive,gru", help="or 'default'")
    parser.add_argument("--length", type=int, default=60, help="points per series")
    parser.add_argument("--epochs", type=int, default=2, help="GRU epochs")
    parser.add_argument("--horizon", type=int, default=12)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.models == "default":  # the default model set of a run (forecast run, jobs)
        from forecast.run.defaults import DEFAULT_MODELS

        args.models = ",".join(DEFAULT_MODELS)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    table = run(args.series, configs, models, args.length, args.epochs, args.horizon)
    print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(
            table.drop(columns=["error"] if table["error"].isna().all() else []).to_string(
                index=False
            )
        )


if __name__ == "__main__":
    main()
