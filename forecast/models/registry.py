"""The models of the workbench, one line each, and the questions the front ends ask about them.

:data:`MODELS` maps each short name to its class (``"module:Class"``, imported on first use:
torch is heavy). What a model *is* — per series or global, neural, effective memory, ensemble
member, label for people, the run settings it takes — is declared on its class (see
:class:`forecast.models.base.Forecaster`); the pipeline, the CLI, the job spec and the dashboard
pages ask this module, never a list of their own. Adding a model is its class plus one line here
(the how-to is in :mod:`forecast.models.base`).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import cache
from typing import Any

from forecast.errors import SpecError

__all__ = [
    "MODELS",
    "MODEL_NAMES",
    "check_model_list",
    "check_model_params",
    "check_run_options",
    "make_model",
    "model_class",
    "model_names",
    "model_table",
    "model_table_markdown",
]

#: Short name -> ``"module:Class"``, in the order the front ends list them.
MODELS: dict[str, str] = {
    "naive": "forecast.models.statistical.naive:Naive",
    "snaive": "forecast.models.statistical.naive:SeasonalNaive",
    "drift": "forecast.models.statistical.naive:Drift",
    "arima": "forecast.models.statistical.arima:AutoARIMA",
    "ets": "forecast.models.statistical.smoothing:AutoETS",
    "theta": "forecast.models.statistical.smoothing:AutoTheta",
    "stheta": "forecast.models.statistical.smoothing:StandardTheta",
    "dotheta": "forecast.models.statistical.smoothing:DynamicOptimizedTheta",
    "ces": "forecast.models.statistical.smoothing:AutoCES",
    "mstl": "forecast.models.statistical.smoothing:MSTL",
    "rnn": "forecast.models.neural.recurrent:RNN",
    "lstm": "forecast.models.neural.recurrent:LSTM",
    "gru": "forecast.models.neural.recurrent:GRU",
    "bilstm": "forecast.models.neural.recurrent:BiLSTM",
    "esn": "forecast.models.neural.esn:ESN",
    "hybrid": "forecast.models.neural.hybrid:Hybrid",
    "ensemble": "forecast.models.neural.ensemble:RecurrentEnsemble",
    "pretrained": "forecast.models.neural.pretrained:Pretrained",
    "finetuned": "forecast.models.neural.pretrained:Finetuned",
    "auto": "forecast.run.auto:Auto",
}
#: Every short name, in :data:`MODELS` order.
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)


def _unknown(name: str) -> SpecError:
    return SpecError(f"Unknown model '{name}'; choose from {', '.join(MODEL_NAMES)}.")


@cache
def model_class(name: str) -> type:
    """The class of a model by short name (imports its module).

    Raises
    ------
    SpecError
        Unknown name.
    """
    key = str(name).strip().lower()
    if key not in MODELS:
        raise _unknown(name)
    module, cls = MODELS[key].split(":")
    return getattr(importlib.import_module(module), cls)


def model_names(
    *,
    scope: str | None = None,
    neural: bool | None = None,
    memory: bool | None = None,
    member: bool | None = None,
    option: str | None = None,
) -> tuple[str, ...]:
    """Names of the models with the given facts, in :data:`MODELS` order.

    Parameters
    ----------
    scope : {"per_series", "global"}, optional
    neural, memory, member : bool, optional
        See :class:`forecast.models.base.Forecaster`.
    option : str, optional
        A run setting (:data:`forecast.models.base.RUN_OPTIONS`) the model must take.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> model_names(scope="per_series")
    ('naive', 'snaive', 'drift', 'arima')
    """
    out = []
    for name in MODELS:
        klass = model_class(name)
        if scope is not None and klass.scope != scope:
            continue
        if any(
            want is not None and bool(getattr(klass, fact)) != want
            for fact, want in (("neural", neural), ("memory", memory), ("member", member))
        ):
            continue
        if option is not None and option not in klass.run_options():
            continue
        out.append(name)
    return tuple(out)


def check_model_list(models: str | Sequence[str]) -> list[str]:
    """The one validation of a model list (CLI ``--models``, job spec, pipeline, Run page).

    Parameters
    ----------
    models : str or sequence of str
        ``"snaive,arima"`` or ``["snaive", "arima"]``; names are trimmed and lower-cased.

    Returns
    -------
    list of str
        The names, in the order given.

    Raises
    ------
    SpecError
        An empty list, an unknown name, or a name listed twice.
    """
    names = models.split(",") if isinstance(models, str) else list(models)
    names = [str(n).strip().lower() for n in names if str(n).strip()]
    if not names:
        raise SpecError("No models given; name at least one, e.g. snaive,arima.")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SpecError(
            f"Unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}."
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SpecError(f"Model(s) {', '.join(repeated)} listed twice; list each once.")
    return names


def check_model_params(model_params: dict[str, dict[str, Any]], models: Sequence[str]) -> None:
    """Refuse per-model hyperparameters for models not in the run, or that a model does not take.

    Raises
    ------
    SpecError
        Naming the model and the parameter.
    """
    extra = sorted(set(model_params) - set(models))
    if extra:
        raise SpecError(
            f"model_params names {', '.join(extra)}, which are not in models "
            f"({', '.join(models)}); add them to the models or drop their parameters."
        )
    for name, params in model_params.items():
        model_class(name).check_params(dict(params or {}))


def check_run_options(names: Sequence[str], *, epochs: int | None = None) -> None:
    """Refuse a run setting that none of the run's models takes (``epochs`` with no model that
    trains by epochs): it would be silently ignored.

    Raises
    ------
    SpecError
        Naming the setting, the models given and the ones that take it.
    """
    if epochs is not None and not any("epochs" in model_class(n).run_options() for n in names):
        takers = ", ".join(model_names(option="epochs"))
        raise SpecError(
            f"epochs {epochs} is not used by any of {', '.join(names)}; it applies to "
            f"{takers}. Leave it empty or add one of them."
        )


def make_model(name: str, **params):
    """Build an unfitted model by short name.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES`.
    **params
        Hyperparameters of the model's ``__init__``.

    Returns
    -------
    Forecaster

    Raises
    ------
    SpecError
        Unknown name, or a parameter the model does not take.
    """
    klass = model_class(name)
    try:
        klass.check_params(params)
    except SpecError as exc:
        raise SpecError(f"Bad parameters for model '{name}': {exc}") from None
    return klass(**params)


def model_table() -> list[dict[str, Any]]:
    """One row per model for people: ``name, label, scope, neural, memory, member, options``
    (the README's model table is checked against it) and the capabilities the run reads:
    ``min_length`` (fewest observations per series), ``freqs`` (frequencies served, None:
    any), ``drivers`` (accepted, from "known" / "observed"), ``searches`` (a specification
    search that a refit may keep), ``reapplies`` (forecasts another file once saved)."""
    rows = []
    for name in MODELS:
        klass = model_class(name)
        rows.append(
            {
                "name": name,
                "label": klass.label,
                "scope": klass.scope,
                "neural": klass.neural,
                "memory": klass.memory,
                "member": klass.member,
                "options": sorted(klass.run_options()),
                "min_length": int(klass.min_length),
                "freqs": None if klass.freqs is None else list(klass.freqs),
                "drivers": list(klass.drivers_accepted),
                "searches": bool(klass.searches),
                "reapplies": bool(klass.reapplies),
            }
        )
    return rows


def model_table_markdown() -> str:
    """The README's model table, rendered from the registry (``tests/test_readme.py`` checks the
    README holds exactly this). "run settings" names the window (``input_size``) as people know
    it and leaves out the horizon, which every model takes."""
    lines = [
        "| name | model | fitted | neural | effective memory | ensemble member | run settings |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in model_table():
        names = {"input_size": "window"}
        settings = [names.get(o, o) for o in row["options"] if o != "horizon"]
        lines.append(
            f"| `{row['name']}` | {row['label']} | {row['scope'].replace('_', ' ')} "
            f"| {'yes' if row['neural'] else ''} | {'yes' if row['memory'] else ''} "
            f"| {'yes' if row['member'] else ''} | {', '.join(settings)} |"
        )
    return "\n".join(lines)
