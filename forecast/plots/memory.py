"""Figures: memory (being built)."""

__all__: list[str] = []
