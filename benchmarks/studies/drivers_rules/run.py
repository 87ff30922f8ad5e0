"""How should ``auto`` combine its members when they use drivers? Rules scored offline.

Run:  nice -n 10 .venv/bin/python benchmarks/drivers.py --origins 3 --jobs 2 --save /tmp/d.jsonl
      .venv/bin/python -m benchmarks.studies.drivers_rules.run /tmp/d.jsonl

``benchmarks/drivers.py --save`` writes, per dataset and origin, every model's future forecast
with drivers and its backtest forecasts (the job's rolling windows). Each rule below is applied
to those forecasts and scored on the origin's test ``h`` steps (MASE, in-sample seasonal-naive
scale), with drivers only (the product then keeps, per series, the forecast with or without
drivers by the backtest):

- ``mean``: the mean of every candidate (the default combination);
- ``arima``, ``ets``, ...: one member alone;
- ``best k``: the mean of the ``k`` members with the lowest backtest MASE;
- ``pick``: the rule among ``mean``, ``best 2`` and ``arima`` with the lowest backtest MASE of
  its own combination (in-sample over the job's windows: the overfitting risk this measures);
- ``drop r``: the mean of the members whose backtest MAE (every window's steps) is at most
  ``1 + r`` times the best member's;
- ``arima if r``: ``arima`` alone where its backtest MAE is below ``1 - r`` times the mean's
  (the mean of every member, over the same windows), else the mean;
- ``lead if r``: the same with the member of the lowest backtest MAE (``lead chose``: which,
  at ``r = 0.1``);
- ``inverse``: weights proportional to 1 / backtest MASE.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.competition import mase

CANDIDATES = ("ets", "stheta", "arima", "pretrained")
PICKED = ("mean", "best 2", "arima")
MARGINS = (0.05, 0.1, 0.15, 0.25, 0.5)


def _score(train: np.ndarray, y: np.ndarray, yhat: np.ndarray, m: int) -> float:
    return mase([train], y[None, :], np.asarray(yhat, dtype=float)[None, :], m)


def _bt_scores(rec: dict, m: int) -> dict[str, list[float]]:
    """Per candidate, its backtest MASE per window (in window order)."""
    y = np.asarray(rec["y_train"], dtype=float)
    out = {}
    for model, windows in rec["backtest"].items():
        out[model] = []
        for w in sorted(windows, key=int):
            part = windows[w]
            start, yhat = part["start"], np.asarray(part["yhat"], dtype=float)
            out[model].append(_score(y[:start], y[start : start + len(yhat)], yhat, m))
    return out


def _bt_mae(rec: dict, members: list[str]) -> dict[str, float]:
    """Per member, its mean absolute backtest error over every window's steps (as ``auto``
    ranks its members: :func:`forecast.run.combination.member_errors`)."""
    y = np.asarray(rec["y_train"], dtype=float)
    out = {}
    for name in members:
        errors = []
        for part in rec["backtest"][name].values():
            yhat = np.asarray(part["yhat"], dtype=float)
            errors.append(np.abs(y[part["start"] : part["start"] + len(yhat)] - yhat))
        out[name] = float(np.mean(np.concatenate(errors)))
    return out


def _bt_combo_mae(rec: dict, members: list[str]) -> float:
    """Backtest MAE (every window's steps) of the mean of ``members``."""
    y = np.asarray(rec["y_train"], dtype=float)
    bt = rec["backtest"]
    errors = []
    for w, part in bt[members[0]].items():
        yhat = np.mean([bt[n][w]["yhat"] for n in members], axis=0)
        errors.append(np.abs(y[part["start"] : part["start"] + len(yhat)] - yhat))
    return float(np.mean(np.concatenate(errors)))


def _bt_combo(rec: dict, members: list[str], m: int) -> float:
    """Mean backtest MASE of the mean of ``members``."""
    y = np.asarray(rec["y_train"], dtype=float)
    bt = rec["backtest"]
    scores = []
    for w in sorted(bt[members[0]], key=int):
        start = bt[members[0]][w]["start"]
        yhat = np.mean([bt[n][w]["yhat"] for n in members], axis=0)
        scores.append(_score(y[:start], y[start : start + len(yhat)], yhat, m))
    return float(np.mean(scores))


def rules(rec: dict) -> dict[str, float]:
    """Every rule's test MASE at one origin."""
    m = rec["m"]
    train, test = np.asarray(rec["y_train"]), np.asarray(rec["y_test"])
    fut = rec["future"]
    cands = [c for c in CANDIDATES if c in fut and c in rec["backtest"]]
    bt = {c: float(np.mean(v)) for c, v in _bt_scores(rec, m).items() if c in cands}
    ranked = sorted(cands, key=lambda c: bt[c])
    members = {"mean": cands, **{c: [c] for c in cands}}
    for k in (2, 3):
        members[f"best {k}"] = ranked[:k]
    out = {
        name: _score(train, test, np.mean([fut[c] for c in ms], axis=0), m)
        for name, ms in members.items()
    }
    own = {name: _bt_combo(rec, members[name], m) for name in PICKED if name in members}
    pick = min(own, key=own.get)
    out["pick"] = out[pick]
    out["pick chose"] = pick
    mae = _bt_mae(rec, cands)
    best = min(mae.values())
    for margin in MARGINS:  # drop the members much worse than the best in the backtest
        kept = [c for c in cands if mae[c] <= (1 + margin) * best]
        out[f"drop {margin:.2f}"] = _score(train, test, np.mean([fut[c] for c in kept], 0), m)
    combo = _bt_combo_mae(rec, cands)
    lead = min(cands, key=lambda c: (mae[c], cands.index(c)))
    for margin in MARGINS:  # one member alone only when its backtest beats the mean's by a margin
        alone = "arima" in mae and mae["arima"] < (1 - margin) * combo
        out[f"arima if {margin:.2f}"] = out["arima" if alone else "mean"]
        alone = mae[lead] < (1 - margin) * combo
        out[f"lead if {margin:.2f}"] = out[lead if alone else "mean"]
        if margin == 0.1:
            out["lead chose"] = lead if alone else "mean"
    inv = np.array([1 / max(bt[c], 1e-9) for c in cands])
    out["inverse"] = _score(train, test, (inv / inv.sum()) @ np.array([fut[c] for c in cands]), m)
    out["auto"] = _score(train, test, fut["auto"], m)
    out["without"] = _score(train, test, rec["without"], m)
    out["AutoARIMA + X"] = _score(train, test, rec["autoarima_x"], m)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("saved", nargs="+", help="JSON-lines files of benchmarks/drivers.py --save")
    opts = parser.parse_args()
    rows = []
    for path in opts.saved:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            rows.append({"dataset": rec["dataset"], "origin": rec["origin"], **rules(rec)})
    raw = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    chose = raw.groupby("dataset")["pick chose"].agg(lambda v: ", ".join(v))
    lead = raw.groupby("dataset")["lead chose"].agg(lambda v: ", ".join(v))
    table = raw.drop(columns=["origin", "pick chose", "lead chose"]).groupby("dataset").mean()
    table["pick chose"] = chose
    table["lead chose"] = lead
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print()
    scores = [c for c in table.columns if not c.endswith("chose")]
    ratios = table[scores].div(table["without"], axis=0)
    print("÷ without")
    print(ratios.to_string(float_format=lambda v: f"{v:.3f}"))
    print()
    print("÷ AutoARIMA + X")
    ratios = table[scores].div(table["AutoARIMA + X"], axis=0)
    print(ratios.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
