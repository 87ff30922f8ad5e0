"""Aggregate levels of a hierarchy: the series of each level summed from the bottom.

A frame with key columns (text columns beside ``unique_id``, e.g. ``state, gender, legal``) is
the bottom of a hierarchy. A *level* is a subset of the keys: ``state`` sums every series of a
state, ``state/gender`` every series of a (state, gender) pair, ``total`` (no keys) all of them.
:func:`parse_levels` reads the user's ``--levels`` (``"state,state/gender,total"`` or ``"all"``),
:func:`build_hierarchy` sums the bottom series into every level and returns the frame to forecast
with the summing matrix ``S`` and the ``tags`` that :mod:`hierarchicalforecast` reconciles on,
and :func:`attach_keys` adds the key columns and ``level`` to any output frame keyed by
``unique_id``.

Invariants of a :class:`Hierarchy`:

- every series of ``frame`` is one row of ``S`` and of ``keys``; the bottom series come last, in
  the order of ``S``'s columns, and keep their ``unique_id``;
- an aggregate series at time ``t`` is the sum of its bottom series observed at ``t``;
- an aggregate's ``unique_id`` joins its key values with ``" / "`` (``total`` for the grand
  total); its ``level`` joins its key names with ``/``; in ``keys`` the keys it sums over are
  empty (missing).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.errors import DataError, SpecError

__all__ = [
    "ID_SEP",
    "LEVEL_SEP",
    "TOTAL",
    "Hierarchy",
    "attach_keys",
    "bottom_keys",
    "build_hierarchy",
    "key_columns",
    "parse_levels",
]

#: Name (and ``unique_id``) of the grand total level.
TOTAL = "total"
#: Separator of key names in a level's name (``state/gender``).
LEVEL_SEP = "/"
#: Separator of key values in an aggregate's ``unique_id`` (``ACT / Female``).
ID_SEP = " / "

_CORE = ("unique_id", "ds", "y")


@dataclass
class Hierarchy:
    """The levels of one run and what reconciliation needs.

    Attributes
    ----------
    frame : DataFrame
        Long frame ``unique_id, ds, y`` of every series, aggregates first, bottom last
        (``attrs["freq"]`` and the bottom series' ``attrs["labels"]`` kept).
    S : DataFrame
        Summing matrix, shape (n_series, n_bottom): column ``unique_id`` then one 0/1 column
        per bottom series.
    tags : dict of str to ndarray
        Level name -> the ``unique_id`` of its series (the bottom level last).
    keys : DataFrame
        ``unique_id``, the key columns, ``level``: one row per series of ``frame``.
    key_names : list of str
        The key columns, in the frame's order.
    """

    frame: pd.DataFrame
    S: pd.DataFrame
    tags: dict
    keys: pd.DataFrame
    key_names: list

    @property
    def bottom_level(self) -> str:
        return LEVEL_SEP.join(self.key_names)

    @property
    def bottom_ids(self) -> list[str]:
        return [c for c in self.S.columns if c != "unique_id"]


def key_columns(df: pd.DataFrame) -> list[str]:
    """The key columns of a long frame: ``attrs["keys"]`` when present (as
    :func:`forecast.ingest.reader.read_csv` sets it: ``[]`` for a file with one key, whose
    other text columns are labels, not keys), else its text columns other than ``unique_id``
    (in the frame's order)."""
    if "keys" in df.attrs:
        named = df.attrs.get("keys") or []
        return [str(k) for k in named if k in df.columns and k not in _CORE]
    return [
        str(c)
        for c in df.columns
        if c not in _CORE
        and (pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c]))
    ]


def parse_levels(levels: str | Sequence[str] | None, keys: Sequence[str]) -> list[tuple[str, ...]]:
    """Read a ``--levels`` value into the aggregate levels (tuples of key names).

    Parameters
    ----------
    levels : str or sequence of str or None
        ``"state,state/gender,total"`` (levels separated by commas, keys within a level by
        ``/``, ``total`` for the grand total), a sequence of such names, or ``"all"``: the
        total and every combination of the keys. None or ``""``: no aggregate level.
    keys : sequence of str
        The frame's key columns.

    Returns
    -------
    list of tuple of str
        Aggregate levels, coarsest first, each key tuple in the frame's key order; the bottom
        level (all keys) is not listed.

    Raises
    ------
    SpecError
        Levels asked of a frame without key columns, or a level naming a key the frame lacks.
    """
    if levels is None or (isinstance(levels, str) and not levels.strip()):
        return []
    keys = list(keys)
    if not keys:
        raise SpecError(
            f"--levels {levels if isinstance(levels, str) else ','.join(levels)} needs key "
            "columns: name them with --id-col (e.g. --id-col state,gender) so the series can be "
            "summed into levels."
        )
    names = levels.split(",") if isinstance(levels, str) else list(levels)
    names = [n.strip() for n in names if n.strip()]
    if [n.lower() for n in names] == ["all"]:
        found = [combo for r in range(len(keys)) for combo in itertools.combinations(keys, r)]
        return found
    out: list[tuple[str, ...]] = []
    for name in names:
        if name.lower() == TOTAL:
            level: tuple[str, ...] = ()
        else:
            parts = [p.strip() for p in name.split(LEVEL_SEP)]
            unknown = [p for p in parts if p not in keys]
            if unknown or len(set(parts)) != len(parts):
                raise SpecError(
                    f"Level '{name}' names {', '.join(repr(p) for p in unknown) or 'a key twice'}; "
                    f"levels combine the key columns {', '.join(keys)} with '/' "
                    f"(e.g. {keys[0]}), or are 'total' or 'all'."
                )
            level = tuple(k for k in keys if k in parts)
        if len(level) < len(keys) and level not in out:
            out.append(level)
    return sorted(out, key=len)


def build_hierarchy(df: pd.DataFrame, levels: Sequence[tuple[str, ...]]) -> Hierarchy:
    """Sum the bottom series of ``df`` into every level.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y`` with key columns (:func:`key_columns`), one series per
        distinct combination of key values.
    levels : sequence of tuple of str
        Aggregate levels (from :func:`parse_levels`). A level grouping the bottom series
        exactly as another (e.g. ``region`` when each region lies in one state, beside
        ``state/region``) is kept once.

    Returns
    -------
    Hierarchy

    Raises
    ------
    DataError
        No key columns, a key column with missing values, or a series whose key values change
        over time.
    """
    keys = key_columns(df)
    if not keys:
        raise DataError(
            "The data has no key columns to sum into levels; name them with --id-col "
            "(e.g. --id-col state,gender)."
        )
    for k in keys:
        if df[k].isna().any():
            row = int(np.flatnonzero(df[k].isna().to_numpy())[0])
            raise DataError(
                f"Key column '{k}' is empty in row {row + 1} of the frame; fill it or drop the "
                "row before asking for levels."
            )
    bottom = df[["unique_id", *keys]].drop_duplicates()
    if bottom["unique_id"].duplicated().any():
        uid = bottom.loc[bottom["unique_id"].duplicated(), "unique_id"].iloc[0]
        raise DataError(
            f"Series '{uid}' has more than one value of its key columns {', '.join(keys)}; "
            "each series needs one fixed combination of keys."
        )
    bottom = bottom.astype({k: str for k in keys}).reset_index(drop=True)
    bottom["unique_id"] = bottom["unique_id"].astype(str)
    bottom = bottom.sort_values("unique_id", kind="stable").reset_index(drop=True)
    bottom_ids = bottom["unique_id"].tolist()
    data = df[["unique_id", "ds", "y"]].copy()
    data["unique_id"] = data["unique_id"].astype(str)
    data = data.merge(bottom, on="unique_id", how="left")
    freq = df.attrs.get("freq")

    frames, key_rows, s_rows, tags = [], [], [], {}
    partitions: set[tuple[int, ...]] = set()
    used_ids: set[str] = set(bottom_ids)
    for level in levels:
        level = tuple(level)
        codes = (
            np.zeros(len(bottom), dtype=int)
            if not level
            else bottom.groupby(list(level), sort=True).ngroup().to_numpy()
        )
        if tuple(codes) in partitions or len(set(codes)) == len(bottom):
            continue  # groups the series like another level (or like the bottom): kept once
        partitions.add(tuple(codes))
        name = LEVEL_SEP.join(level) if level else TOTAL
        groups = (
            [((), bottom)]
            if not level
            else [
                ((v,) if not isinstance(v, tuple) else v, g)
                for v, g in bottom.groupby(list(level), sort=True)
            ]
        )
        ids = []
        for values, members in groups:
            uid = ID_SEP.join(values) if level else TOTAL
            if uid in used_ids:
                uid = f"{name}: {uid}"
            used_ids.add(uid)
            ids.append(uid)
            row = {"unique_id": uid, **{k: np.nan for k in keys}, "level": name}
            row.update(dict(zip(level, values, strict=True)))
            key_rows.append(row)
            member_ids = set(members["unique_id"])
            s_rows.append([uid, *(1.0 if b in member_ids else 0.0 for b in bottom_ids)])
            part = data[data["unique_id"].isin(member_ids)]
            summed = part.groupby("ds", sort=True, as_index=False)["y"].sum()
            summed.insert(0, "unique_id", uid)
            frames.append(summed)
        tags[name] = np.asarray(ids, dtype=object)
    bottom_level = LEVEL_SEP.join(keys)
    tags[bottom_level] = np.asarray(bottom_ids, dtype=object)
    for uid, row in zip(bottom_ids, bottom.to_dict("records"), strict=True):
        key_rows.append({**row, "level": bottom_level})
        s_rows.append([uid, *(1.0 if b == uid else 0.0 for b in bottom_ids)])
    frames.append(
        data[["unique_id", "ds", "y"]]
        .assign(_order=data["unique_id"].map({u: i for i, u in enumerate(bottom_ids)}))
        .sort_values(["_order", "ds"], kind="stable")
        .drop(columns="_order")
    )
    frame = pd.concat(frames, ignore_index=True)
    frame["y"] = frame["y"].astype(float)
    if freq is not None:
        frame.attrs["freq"] = freq
    frame.attrs["keys"] = list(keys)
    if df.attrs.get("labels"):  # the bottom series keep their ids, and so their labels
        frame.attrs["labels"] = dict(df.attrs["labels"])
    S = pd.DataFrame(s_rows, columns=["unique_id", *bottom_ids])
    key_table = pd.DataFrame(key_rows, columns=["unique_id", *keys, "level"])
    return Hierarchy(frame=frame, S=S, tags=tags, keys=key_table, key_names=list(keys))


def attach_keys(frame: pd.DataFrame, keys: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` with the key columns and ``level`` of its series added after its own columns.

    Parameters
    ----------
    frame : DataFrame
        Any output keyed by ``unique_id`` (forecasts, backtest, per-series table).
    keys : DataFrame or None
        ``unique_id``, key columns, ``level`` (:attr:`Hierarchy.keys`); None returns ``frame``
        unchanged.
    """
    if keys is None or frame is None or "unique_id" not in frame.columns:
        return frame
    extra = [c for c in keys.columns if c != "unique_id" and c not in frame.columns]
    if not extra:
        return frame
    table = keys[["unique_id", *extra]].drop_duplicates("unique_id")
    out = frame.copy()
    ids = out["unique_id"].astype(str)
    lookup = table.set_index(table["unique_id"].astype(str))
    for col in extra:
        out[col] = ids.map(lookup[col]).to_numpy()
    return out


def bottom_keys(df: pd.DataFrame) -> pd.DataFrame | None:
    """The key table of a frame without levels (every series at the bottom), None without
    key columns."""
    keys = key_columns(df)
    if not keys:
        return None
    table = df[["unique_id", *keys]].drop_duplicates("unique_id").copy()
    table["unique_id"] = table["unique_id"].astype(str)
    table["level"] = LEVEL_SEP.join(keys)
    return table.reset_index(drop=True)
