"""Figures: series (being built)."""

__all__: list[str] = []
