"""Nested Python state as JSON plus named arrays (for safetensors), and back; never pickle.

:func:`flatten` turns dicts, tuples, lists, numpy arrays and scalars into a JSON-ready
description whose arrays go to a dict of named arrays; :func:`unflatten` rebuilds the exact
structure (tuples stay tuples, key order is kept). A statsforecast ARIMA fit is stored this way
(see :mod:`forecast.models.statistical.arima_fits`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["flatten", "unflatten"]


def flatten(obj, name: str, arrays: dict[str, np.ndarray]):
    """JSON-ready description of ``obj``; arrays and numpy scalars go to ``arrays``."""
    if isinstance(obj, dict):
        return {"__dict__": [[str(k), flatten(v, f"{name}.{k}", arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [flatten(v, f"{name}.{i}", arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [flatten(v, f"{name}.{i}", arrays) for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        arrays[name] = np.ascontiguousarray(obj)
        return {"__array__": name}
    if isinstance(obj, np.generic):
        arrays[name] = np.asarray([obj])
        return {"__scalar__": name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in a model file")


def unflatten(obj, arrays: dict[str, np.ndarray]):
    """Inverse of :func:`flatten`."""
    if isinstance(obj, list):
        return [unflatten(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if "__dict__" in obj:
            return {k: unflatten(v, arrays) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(unflatten(v, arrays) for v in obj["__tuple__"])
        if "__array__" in obj:
            return np.array(arrays[obj["__array__"]])
        if "__scalar__" in obj:
            return arrays[obj["__scalar__"]][0]
    return obj
