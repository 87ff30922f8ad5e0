"""The look every figure shares: plotly's ``plotly_white`` template, applied at no cost.

Naming a template in a figure's layout (``template="plotly_white"``) makes plotly validate and
deep-copy the whole template, about 10 ms of CPU per figure: more than the rest of a small
figure, and most of the Diagnostics page's drawing time on a server. A figure that names none
gets plotly's default template by reference, unvalidated. So this module makes
``plotly_white`` the default once, on import of :mod:`forecast.plots`, and the figures here
name no template.

The default is changed only while it is plotly's own (``"plotly"``): a program that chose
another default before importing :mod:`forecast.plots` keeps it (and its figures get that look).
"""

from __future__ import annotations

import plotly.io as pio

__all__ = ["MARGIN", "TEMPLATE", "use_template"]

#: Template of every figure of :mod:`forecast.plots` and the dashboard.
TEMPLATE = "plotly_white"
#: Default margins (pixels) of the figures.
MARGIN = {"l": 60, "r": 20, "t": 60, "b": 50}


def use_template() -> None:
    """Make :data:`TEMPLATE` plotly's default template, unless a program chose another one."""
    if pio.templates.default in ("plotly", None, TEMPLATE):
        pio.templates.default = TEMPLATE


use_template()
