"""p-values written for people: never exactly 0, and a bound where a test only gives one.

The chi-squared tail of a large Ljung-Box statistic underflows double precision to 0.0 (air
passengers at lag 24: p ≈ 1e-330), yet the p-value of a finite statistic is never 0, so it is
written as the bound ``< 1e-300``. KPSS p-values are read off a table of critical values that
ends at 0.01 and 0.1 (:func:`forecast.diagnostics.stationarity.kpss_test` records which side
with ``pvalue_bound``), so they are written ``< 0.01`` or ``> 0.1`` there. The stored numbers stay
as computed (JSON, CSV); only their text changes.
"""

from __future__ import annotations

import math

__all__ = ["P_FLOOR", "pvalue_text"]

#: Smallest p-value written as a number; a smaller one (0.0 after underflow) is ``< 1e-300``.
P_FLOOR = 1e-300


def pvalue_text(
    p: float | None, *, digits: int = 3, bound: str | None = None, missing: str = "—"
) -> str:
    """A p-value as text.

    Parameters
    ----------
    p : float or None
        The p-value, in [0, 1].
    digits : int
        Significant digits.
    bound : {"<", ">"} or None
        The true p-value lies below (``"<"``) or above (``">"``) ``p``: the test's table ends
        there (KPSS).
    missing : str
        Text for None or NaN (the test did not run).

    Returns
    -------
    str
        E.g. ``"0.0312"``, ``"2.68e-214"``, ``"< 1e-300"``, ``"< 0.01"``.

    Examples
    --------
    >>> pvalue_text(0.031234), pvalue_text(0.0), pvalue_text(0.01, bound="<")
    ('0.0312', '< 1e-300', '< 0.01')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return missing
    p = float(p)
    if bound in ("<", ">"):
        return f"{bound} {p:.{digits}g}"
    if p < P_FLOOR:
        return f"< {P_FLOOR:.0e}"
    return f"{p:.{digits}g}"
