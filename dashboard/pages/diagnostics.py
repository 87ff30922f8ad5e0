"""Diagnostics page (being built)."""

from __future__ import annotations

from dash import html

from dashboard.components import empty_state

KEY = "diagnostics"
PATH = "/diagnostics"
TITLE = "Diagnostics"


def layout(**_query):
    """The page's layout."""
    return html.Div([html.H1(TITLE, className="h4"), empty_state("Coming soon.")])


def register(app) -> None:
    """Attach the page's callbacks to app."""
