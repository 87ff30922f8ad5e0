"""Figures: forecasts (being built)."""

__all__: list[str] = []
