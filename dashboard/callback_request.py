"""The JSON body a Dash browser posts to ``/_dash-update-component`` for one callback.

Used by clients that drive the dashboard without a browser (the API-level tests, the load and
per-request CPU benchmarks), so the request shape of Dash's renderer is written once.
"""

from __future__ import annotations

from typing import Any


def callback_body(
    deps: list[dict], output: str, values: dict[str, Any], changed: str | None = None
) -> dict:
    """Request body for the callback whose outputs include ``output``.

    Parameters
    ----------
    deps : list of dict
        The app's ``/_dash-dependencies`` answer.
    output : str
        One output of the wanted callback, ``"id.property"``.
    values : dict
        Input and state values by ``"id.property"``; missing ones are sent as None.
    changed : str, optional
        The ``"id.property"`` that triggered the call; default the callback's first input.

    Returns
    -------
    dict
        ``output, outputs, inputs, state, changedPropIds`` as Dash's renderer sends them.

    Raises
    ------
    StopIteration
        No callback of the app has ``output``.
    """
    cb = next(d for d in deps if output in d["output"].strip(".").split("..."))

    def items(specs: list[dict]) -> list[dict]:
        return [
            {
                "id": s["id"],
                "property": s["property"],
                "value": values.get(f"{s['id']}.{s['property']}"),
            }
            for s in specs
        ]

    names = [o for o in cb["output"].strip(".").split("...") if o]
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1), strict=True)) for o in names]
    first = f"{cb['inputs'][0]['id']}.{cb['inputs'][0]['property']}"
    return {
        "output": cb["output"],
        "outputs": outputs if cb["output"].startswith("..") else outputs[0],
        "inputs": items(cb["inputs"]),
        "state": items(cb["state"]),
        "changedPropIds": [changed or first],
    }
