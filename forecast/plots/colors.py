"""One colour per model, the same in every figure."""

from __future__ import annotations

__all__ = ["MODEL_COLORS", "model_color"]

MODEL_COLORS = {
    "actual": "#222222",
    "naive": "#9e9e9e",
    "snaive": "#7f7f7f",
    "drift": "#bcbd22",
    "arima": "#1f77b4",
    "rnn": "#ff7f0e",
    "lstm": "#2ca02c",
    "gru": "#d62728",
    "bilstm": "#9467bd",
    "esn": "#8c564b",
    "hybrid": "#e377c2",
}
_EXTRA = ["#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896"]


def model_color(name: str) -> str:
    """Colour of a model by short name (stable for unknown names too)."""
    key = name.lower()
    if key in MODEL_COLORS:
        return MODEL_COLORS[key]
    return _EXTRA[sum(map(ord, key)) % len(_EXTRA)]
