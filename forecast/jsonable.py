"""Turn results into plain JSON types, the one way every front end and the job store do it."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types: numpy scalars and arrays to Python, NaN and infinities to None.

    Parameters
    ----------
    obj : any
        Nested dicts, lists, tuples, numpy arrays and scalars, DataFrames (as a list of records),
        timestamps (ISO 8601 text) and plain values.

    Returns
    -------
    any
        The same structure made of dict, list, str, int, float, bool and None only.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, pd.DataFrame):
        return json.loads(obj.to_json(orient="records", date_format="iso"))
    if isinstance(obj, (pd.Timestamp, datetime)):
        return obj.isoformat()
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
