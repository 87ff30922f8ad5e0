"""Plain-sentence readings of a :class:`~forecast.diagnostics.diagnosis.SeriesDiagnosis`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from forecast.diagnostics.diagnosis import SeriesDiagnosis
    from forecast.diagnostics.driver_lags import DriverAnalysis

__all__ = [
    "differencing_reading",
    "driver_reading",
    "drivers_summary",
    "lags_text",
    "ljung_box_reading",
    "step_word",
    "window_reading",
    "write_readings",
]


def lags_text(lags: list[int], limit: int = 8) -> str:
    """``"lag 1"``, ``"lags 1, 2, 3"`` or ``"lags 1, 2, … (14 lags)"`` for a list of lags."""
    if len(lags) == 1:
        return f"lag {lags[0]}"
    if len(lags) <= limit:
        return "lags " + ", ".join(str(k) for k in lags)
    return "lags " + ", ".join(str(k) for k in lags[:limit]) + f", … ({len(lags)} lags)"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def ljung_box_reading(rows: list[dict], alpha: float = 0.05) -> str:
    """One sentence on the Ljung-Box tests.

    Parameters
    ----------
    rows : list of dict
        ``lag, stat, pvalue`` rows.
    alpha : float
        Significance level.

    Returns
    -------
    str
    """
    if not rows:
        return "Ljung-Box was not run: the series is too short for any lag."
    rejected = [r for r in rows if r["pvalue"] is not None and r["pvalue"] < alpha]
    lags = [r["lag"] for r in rows]
    if len(rejected) == len(rows):
        last = rows[-1]
        return (
            f"Ljung-Box: strong serial dependence up to lag {last['lag']} "
            f"({_p(last['pvalue'])}); the series is far from white noise, so past values help "
            "to forecast it."
        )
    if not rejected:
        low = min(r["pvalue"] for r in rows)
        return (
            f"Ljung-Box: no evidence of autocorrelation at {lags_text(lags)} "
            f"(smallest p = {low:.3f}); past values carry little information for forecasting."
        )
    return (
        f"Ljung-Box: serial dependence at {lags_text([r['lag'] for r in rejected])} "
        f"but not at {lags_text([r['lag'] for r in rows if r not in rejected])}."
    )


def _strength_word(v: float) -> str:
    return "strong" if v > 0.64 else "moderate" if v > 0.3 else "weak"


def _season(d: SeriesDiagnosis) -> list[str]:
    ev = d.period_evidence
    out = []
    rows = ev.get("candidates", [])
    if d.seasonal_period:
        row = next(r for r in rows if r["period"] == d.seasonal_period)
        prior = " (the calendar prior)" if d.seasonal_period == ev.get("prior") else ""
        if row["seasonal_strength"] is None:
            why = f"above its band of {row['band']:.2f}"
        else:
            why = (
                f"a peak above the white-noise band, with seasonal strength "
                f"{row['seasonal_strength']:.2f}"
            )
        out.append(
            f"Seasonal period {d.seasonal_period}{prior}: after removing the trend, the ACF at "
            f"lag {d.seasonal_period} is {row['acf']:.2f}, {why}."
        )
    elif rows:
        checked = [r for r in rows if r["acf"] is not None]
        if checked:
            parts = [
                f"lag {r['period']} ACF {r['acf']:.2f} vs band {r['band']:.2f}" for r in checked
            ]
            out.append("No seasonality at the calendar periods (" + "; ".join(parts) + ").")
        else:
            out.append(f"No seasonal period could be checked: {rows[0]['note']}.")
    else:
        out.append("No calendar season applies at this frequency, so none is looked for.")
    if ev.get("cycle"):
        out.append(
            f"The periodogram peaks at a period of about {ev['periodogram_period']:.1f} "
            "observations with significant autocorrelation there: a cycle, not a calendar "
            "season; a model needs that much memory to use it."
        )
    return out


def _acf(d: SeriesDiagnosis) -> list[str]:
    if d.nlags < 1:
        return [f"With {d.n_obs} points the series is too short to estimate autocorrelations."]
    sig, psig = d.significant_lags, d.significant_pacf_lags
    chance = max(1, round(d.alpha * d.nlags))
    out = []
    if not sig:
        out.append(f"No autocorrelation is significant up to lag {d.nlags}.")
    elif len(sig) >= 0.8 * d.nlags and d.acf[1] > 0.8:
        out.append(
            f"The ACF decays slowly (lag 1: {d.acf[1]:.2f}, significant at {len(sig)} of "
            f"{d.nlags} lags): strong persistence, typical of a trend or a unit root."
        )
    else:
        shown = ", ".join(str(k) for k in sig[:8])
        shown += f" and {len(sig) - 8} more" if len(sig) > 8 else ""
        out.append(f"The ACF is significant at {len(sig)} of {d.nlags} lags: {shown}.")
    run = 0
    while run < len(psig) and psig[run] == run + 1:
        run += 1
    if psig and run == len(psig):
        out.append(
            f"The PACF cuts off after lag {run}: the direct dependence reaches back {run} "
            f"step{'s' if run > 1 else ''}."
        )
    elif psig:
        lead = f"; the leading run ends at lag {run}" if run else ""
        out.append(
            f"The PACF is significant at {lags_text(psig)}{lead} (about {chance} of "
            f"{d.nlags} lags would be by chance alone)."
        )
    return out


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def differencing_reading(d: SeriesDiagnosis) -> str:
    """The differencing in one sentence, each count with the series it was computed on.

    ``"KPSS suggests 1 regular difference of the series (the forecast::ndiffs rule); the
    seasonal strength 0.98 gives 1 seasonal difference by the rule …; after the seasonal
    difference (lag 12), KPSS suggests 0 more regular differences."`` The starting order's d is
    the last count said (:class:`~forecast.diagnostics.decisions.Decisions`).
    """
    text = (
        f"KPSS suggests {_plural(d.ndiffs, 'regular difference')} of the series "
        "(the forecast::ndiffs rule)"
    )
    if d.seasonal_period and d.seasonal_strength is not None:
        text += (
            f"; the seasonal strength {d.seasonal_strength:.2f} gives "
            f"{_plural(d.nsdiffs, 'seasonal difference')} by the rule {d.nsdiffs_method}"
        )
    decided = d.decided
    if decided is not None and decided.nsdiffs:
        text += (
            f"; after the seasonal difference (lag {decided.period}), KPSS suggests "
            f"{decided.order_diffs} more regular difference{'' if decided.order_diffs == 1 else 's'}"
        )
    return text + "."


def window_reading(d: SeriesDiagnosis) -> str:
    """The suggested window in one sentence, with the horizon it was decided for."""
    h = d.decided.window.horizon if d.decided is not None else None
    for_h = f" for a horizon of {h}" if h else ""
    return f"Suggested look-back window: {d.suggested_window} steps{for_h}: {d.window_reason}."


def write_readings(d: SeriesDiagnosis) -> list[str]:
    """All readings of a diagnosis, in the order a person reads them.

    Parameters
    ----------
    d : SeriesDiagnosis

    Returns
    -------
    list of str
    """
    from forecast.diagnostics.stationarity import stationarity_reading

    out = _season(d) + _acf(d)
    out.append(ljung_box_reading(d.ljung_box, d.alpha))
    out.append(stationarity_reading(d.adf_detail, d.kpss_detail, alpha=d.alpha))
    tail = d.adf_detail.get("tail")
    if tail is not None and tail < d.n_obs:
        out.append(f"ADF was run on the most recent {tail} points (bounded for speed).")
    out.append(differencing_reading(d))
    if d.trend_strength is not None:
        text = f"Trend strength {d.trend_strength:.2f} ({_strength_word(d.trend_strength)})"
        if d.seasonal_strength is not None:
            text += (
                f", seasonal strength {d.seasonal_strength:.2f} "
                f"({_strength_word(d.seasonal_strength)})"
            )
        out.append(f"{text}, from {d.strength_detail.get('method')}.")
    out.append(window_reading(d))
    o, s = d.suggested_arima_order["order"], d.suggested_arima_order["seasonal_order"]
    text = f"Suggested starting ARIMA order: ({o[0]},{o[1]},{o[2]})"
    if s[3]:
        text += f"({s[0]},{s[1]},{s[2]})[{s[3]}]"
    out.append(f"{text} — {d.order_reason}.")
    return out


def step_word(freq: str | None) -> str:
    """The unit of one step of a frequency, for sentences: ``month``, ``day``, ``hour``, ``step``."""
    if not freq:
        return "step"
    head = freq.lstrip("0123456789")
    for prefix, word in (
        ("MS", "month"),
        ("ME", "month"),
        ("QS", "quarter"),
        ("QE", "quarter"),
        ("YS", "year"),
        ("YE", "year"),
        ("W", "week"),
        ("D", "day"),
        ("B", "business day"),
        ("h", "hour"),
    ):
        if head.startswith(prefix) and head == freq:
            return word
    return "step"


def _steps(k: int, unit: str) -> str:
    return f"{k} {unit}" + ("" if k == 1 else "s")


def driver_reading(a: DriverAnalysis, *, freq: str | None = None, alpha: float = 0.05) -> str:
    """The lead-lag relation of a driver and its target in one or two sentences.

    Parameters
    ----------
    a : DriverAnalysis
        From :func:`forecast.diagnostics.driver_lags.analyse_driver`.
    freq : str, optional
        Offset alias: the unit of the lags (``day``, ``month``...).
    alpha : float
        Level of the Granger reading.

    Returns
    -------
    str
        E.g. ``"Temperature moves Demand in the same day (prewhitened correlation 0.52 at lag
        0). Granger: Temperature's past helps predict Demand (p = 0.003, 2 lags)."``
    """
    from forecast.diagnostics.pvalues import pvalue_text

    if getattr(a, "daily", None) is not None:
        return _subdaily_reading(a, freq=freq, alpha=alpha)
    unit = step_word(freq)
    name, target = a.name, a.target
    r = {k: v for k, v in zip(a.lags, a.prewhitened_ccf, strict=True)}
    others = [k for k in a.significant_lags if k != a.lead and k != a.strongest]
    if a.lead == 0:
        text = f"{name} moves {target} in the same {unit} (prewhitened correlation {r[0]:.2f} at lag 0)"
    elif a.lead is not None:
        text = (
            f"{name} leads {target} by {_steps(a.lead, unit)} (prewhitened correlation "
            f"{r[a.lead]:.2f} at lag {a.lead})"
        )
    elif a.strongest is not None:
        k = -a.strongest
        text = (
            f"{target} leads {name} by {_steps(k, unit)} (prewhitened correlation "
            f"{r[a.strongest]:.2f} at lag −{k}); {name} does not lead {target}"
        )
    else:
        L = max(a.lags)
        text = (
            f"{name} shows no lead-lag relation with {target} once each series' own "
            f"autocorrelation is removed (no prewhitened correlation beyond ±{a.band_corrected:.2f}"
            f" at lags −{L}…{L})"
        )
        spurious = len(a.raw_significant_lags)
        if spurious and a.prewhitening_lags:  # without a filter the two are the same series
            text += (
                f"; the raw cross-correlation exceeds ±{a.raw_band:.2f} at "
                f"{_steps(spurious, 'lag')}, which prewhitening shows to be spurious"
            )
    if a.lead is not None and a.strongest is not None and a.strongest < 0:
        text += (
            f"; the strongest correlation is at lag −{-a.strongest} ({r[a.strongest]:.2f}): "
            f"{target} leads {name} too (feedback)"
        )
    if a.lead is not None and others:
        shown = ", ".join(f"{k} ({r[k]:.2f})" for k in others[:5])
        text += f"; also at lag{'s' if len(others) > 1 else ''} {shown}"
    dy, dx = a.differences.get("ccf", [0, 0])
    word = {1: "first", 2: "second"}
    if dy and dy == dx:
        text += f" — on {word[dy]} differences of both"
    elif dy:
        text += f" — on {word[dy]} differences of {target}" + (
            f" and {word[dx]} differences of {name}" if dx else f", {name} as it is"
        )
    text += "."
    if a.granger_p is not None:
        helps = "helps" if a.granger_p < alpha else "does not help"
        text += (
            f" Granger: {name}'s past {helps} predict {target} "
            f"(p = {pvalue_text(a.granger_p)}, {_steps(int(a.granger_lags or 0), 'lag')})."
        )
    return text


#: Size below which a sub-daily prewhitened correlation is not read as a lead, however
#: significant: on 17,520 half-hours the corrected band is about ±0.03.


def _subdaily_reading(a: DriverAnalysis, *, freq: str | None, alpha: float) -> str:
    """The reading of a sub-daily pair: the daily means' reading, then the sub-daily step's
    (its Granger test included: the first one is the daily means')."""
    from forecast.calendar.frequency import freq_words
    from forecast.diagnostics.crosscorr import MIN_SUBDAILY_EFFECT
    from forecast.diagnostics.pvalues import pvalue_text

    text = driver_reading(a.daily, freq="D", alpha=alpha).replace(
        "(prewhitened correlation", "(daily means: prewhitened correlation", 1
    )
    text = text.replace("shows no lead-lag", "shows no lead-lag (daily means)", 1)
    text = text.replace(" Granger: ", " Granger on the daily means: ", 1)
    steps = freq_words(freq)
    granger = ""
    if a.granger_p is not None:
        granger = (
            f" Granger at that step: p = {pvalue_text(a.granger_p)}, "
            f"{_steps(int(a.granger_lags or 0), 'lag')}."
        )
    if a.strongest is None:
        return text + (
            f" Sampled {steps}: no prewhitened correlation beyond ±{a.band_corrected:.2f}."
            + granger
        )
    r = dict(zip(a.lags, a.prewhitened_ccf, strict=True))
    if abs(r[a.strongest]) < MIN_SUBDAILY_EFFECT:
        return text + (
            f" Sampled {steps} (n = {a.n}), the prewhitened correlations that pass the band "
            f"(±{a.band_corrected:.2f}) are all below {MIN_SUBDAILY_EFFECT:.1f} in size "
            f"(the strongest {r[a.strongest]:.2f} at lag {a.strongest}): too weak to read a "
            "lead from." + granger
        )
    sub = driver_reading(replace(a, daily=None), freq=freq, alpha=alpha).split(". Granger")[0]
    return text + f" Sampled {steps}: {sub}." + granger


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def drivers_summary(analyses: list[DriverAnalysis], *, freq: str | None = None) -> str | None:
    """One sentence over every driver of a series: which move it at once, which lead it.

    Parameters
    ----------
    analyses : list of DriverAnalysis
        The series' drivers (same target).
    freq : str, optional
        Offset alias: the unit of the lags.

    Returns
    -------
    str or None
        E.g. ``"Drivers of Demand: Temperature and WorkDay move it in the same day; none leads
        it."``; None without drivers.
    """
    if not analyses:
        return None
    unit = step_word(freq)
    target = analyses[0].target
    unit = "day" if getattr(analyses[0], "daily", None) is not None else unit
    analyses = [a.daily if getattr(a, "daily", None) is not None else a for a in analyses]
    same = [a.name for a in analyses if a.lead == 0]
    ahead = [a for a in analyses if a.lead is not None and a.lead > 0]
    behind = [a.name for a in analyses if a.lead is None and a.relation == "target leads"]
    absent = [a.name for a in analyses if a.relation == "absent"]
    parts = []
    if same:
        verb = "moves" if len(same) == 1 else "move"
        parts.append(f"{_names(same)} {verb} it in the same {unit}")
    for a in ahead:
        parts.append(f"{a.name} leads it by {_steps(a.lead, unit)}")
    if behind:
        parts.append(f"it leads {_names(behind)}")
    if absent:
        verb = "shows" if len(absent) == 1 else "show"
        parts.append(f"{_names(absent)} {verb} no lead-lag relation")
    if not ahead:
        parts.append("none leads it")
    return f"Drivers of {target}: " + "; ".join(parts) + "."
