"""Create and serve the Dash app."""

from __future__ import annotations

import dash
from dash import html


def create_app(db: str | None = None) -> dash.Dash:
    """Build the Dash app (minimal page until the dashboard issue lands)."""
    app = dash.Dash(__name__, title="Forecast Workbench")
    app.layout = html.Div(
        [html.H1("Forecast Workbench"), html.P("Upload a CSV or pick a sample.")]
    )
    return app


def serve(host: str = "127.0.0.1", port: int = 8050, db: str | None = None, debug: bool = False):
    """Run the app with Dash's server on HOST:PORT."""
    create_app(db).run(host=host, port=port, debug=debug)
