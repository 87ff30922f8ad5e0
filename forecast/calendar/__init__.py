"""Calendar: frequencies, their seasonal periods, and seasonal adjustment.

Layer 1 (imports only :mod:`forecast.errors`): every other layer asks these modules what a
frequency means (:mod:`~forecast.calendar.frequency`), which seasons it has
(:mod:`~forecast.calendar.seasonal_periods`) and how to take a season out
(:mod:`~forecast.calendar.seasonal_adjustment`).
"""
