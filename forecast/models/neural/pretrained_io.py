"""The shipped pretrained weights: safetensors + JSON, each sealing the other.

``pretrained.safetensors`` holds the state of one network (``net.<name>``) or of an ensemble of
``K`` networks trained alike from different seeds (``net.<k>.<name>``, k = 0 … K−1; the config's
``members`` says K) and the conformal calibration errors (``calibration``, shape (n, H),
normalised space); its metadata carries the SHA-256 of the JSON config (minus its
``weights_sha256`` key). ``pretrained.json`` holds the format tag,
architecture, input treatment, corpus, seed, script version and measured scores, and the
SHA-256 of the safetensors file. :func:`read_pretrained` refuses a file whose hashes disagree,
a config of another format, or arrays that do not fit the declared architecture; nothing is
ever unpickled. Verified files are parsed once per process: later reads hash the two files
again and reuse the parsed arrays when the contents are the same (read-only arrays).
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from forecast.errors import DataError

__all__ = [
    "DEFAULT_WEIGHTS",
    "PRETRAINED_FORMAT",
    "member_states",
    "read_pretrained",
    "write_pretrained",
]

#: Format tag of the config.
PRETRAINED_FORMAT = "forecast-workbench/pretrained"
#: The weights shipped in the package (the JSON; the safetensors file sits beside it).
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "pretrained.json"
_REQUIRED = ("format", "version", "architecture", "input")


def _config_digest(config: dict) -> str:
    core = {k: v for k, v in config.items() if k != "weights_sha256"}
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: (JSON bytes, safetensors SHA-256) -> verified (config, arrays); the weights of a process.
_CACHE: dict[tuple[bytes, str], tuple[dict, dict[str, np.ndarray]]] = {}
_CACHE_SIZE = 4


def write_pretrained(path: str | Path, arrays: dict[str, np.ndarray], config: dict) -> Path:
    """Write ``<stem>.json`` and ``<stem>.safetensors``.

    Parameters
    ----------
    path : str or Path
        The JSON path (``.json``); the weights go beside it with the suffix ``.safetensors``.
    arrays : dict of str to ndarray
        ``net.<name>`` state arrays of one network (or ``net.<k>.<name>`` of member ``k`` of
        an ensemble) and ``calibration``.
    config : dict
        JSON-ready: ``architecture`` (cell, hidden_size, num_layers, input_size, horizon,
        skip), ``input`` (log, deseasonalize, normalize) and anything else to record.

    Returns
    -------
    Path
        The JSON path.
    """
    json_path = Path(path).with_suffix(".json")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    body = {"format": PRETRAINED_FORMAT, "version": 1, **config}
    body.pop("weights_sha256", None)
    w_path = json_path.with_suffix(".safetensors")
    save_file(
        {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()},
        str(w_path),
        metadata={"config_sha256": _config_digest(body)},
    )
    body["weights_sha256"] = _file_digest(w_path)
    json_path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    return json_path


def read_pretrained(path: str | Path | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and verify pretrained weights.

    Parameters
    ----------
    path : str or Path, optional
        The JSON (or the safetensors file); default :data:`DEFAULT_WEIGHTS`.

    Returns
    -------
    config : dict
    arrays : dict of str to ndarray

    Raises
    ------
    DataError
        Missing files, invalid JSON, another format, a hash mismatch (a file changed after it
        was written) or a missing calibration.
    """
    json_path = Path(path or DEFAULT_WEIGHTS).with_suffix(".json")
    w_path = json_path.with_suffix(".safetensors")
    if not json_path.is_file() or not w_path.is_file():
        raise DataError(
            f"Pretrained weights not found: expected {json_path.name} and {w_path.name} in "
            f"{json_path.parent}; reinstall the package or run `python -m forecast.pretrain`."
        )
    key = (json_path.read_bytes(), _file_digest(w_path))
    if key in _CACHE:
        config, arrays = _CACHE[key]
        return copy.deepcopy(config), dict(arrays)
    config, arrays = _verify(json_path, w_path, key[0], key[1])
    for arr in arrays.values():
        arr.setflags(write=False)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (config, arrays)
    return copy.deepcopy(config), dict(arrays)


def _verify(
    json_path: Path, w_path: Path, raw: bytes, weights_sha: str
) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse and check the two files (see :func:`read_pretrained`)."""
    try:
        config = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{json_path} is not valid JSON ({exc}); the file is damaged.") from exc
    if not isinstance(config, dict) or config.get("format") != PRETRAINED_FORMAT:
        raise DataError(f"{json_path} is not a pretrained-weights config of Forecast Workbench.")
    missing = [k for k in _REQUIRED if k not in config]
    if missing:
        raise DataError(f"{json_path} lacks {missing}; the file is damaged.")
    if config.get("weights_sha256") != weights_sha:
        raise DataError(
            f"{w_path} does not match the SHA-256 recorded in {json_path.name}: the weights were "
            "changed or damaged; refusing to load them."
        )
    try:
        with safe_open(str(w_path), framework="numpy") as fh:
            meta = fh.metadata() or {}
            arrays = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises its own errors on a damaged header
        raise DataError(f"{w_path} is not a readable safetensors file ({exc}).") from exc
    if meta.get("config_sha256") != _config_digest(config):
        raise DataError(
            f"{json_path} does not match the config sealed in {w_path.name}: the config was "
            "changed or damaged; refusing to load it."
        )
    if "calibration" not in arrays:
        raise DataError(f"{w_path} lacks the calibration errors; the file is damaged.")
    states = member_states(arrays)
    declared = config.get("members", 1)
    if isinstance(declared, bool) or declared != len(states):
        raise DataError(
            f"{w_path} holds {len(states)} networks but {json_path.name} declares "
            f"{config.get('members', 1)}; the files are damaged."
        )
    return config, arrays


def member_states(arrays: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    """The state arrays of each network in a weights file, in member order.

    Parameters
    ----------
    arrays : dict of str to ndarray
        As read from the safetensors file: ``net.<name>`` (one network) or ``net.<k>.<name>``
        (member ``k`` of an ensemble).

    Returns
    -------
    list of dict
        One ``{name: array}`` per network (names without the prefix).

    Raises
    ------
    DataError
        No network, both layouts at once, or member numbers that are not 0 … K−1.
    """
    single: dict[str, np.ndarray] = {}
    members: dict[int, dict[str, np.ndarray]] = {}
    for key, arr in arrays.items():
        if not key.startswith("net."):
            continue
        head, _, rest = key[4:].partition(".")
        if head.isdigit() and rest:
            members.setdefault(int(head), {})[rest] = arr
        else:
            single[key[4:]] = arr
    if single and members:
        raise DataError("The weights mix one network (net.<name>) and members (net.<k>.<name>).")
    if single:
        return [single]
    if sorted(members) != list(range(len(members))) or not members:
        raise DataError(
            f"The weights hold no network or members numbered {sorted(members)}, not 0 … K-1; "
            "the files are damaged."
        )
    return [members[k] for k in range(len(members))]
