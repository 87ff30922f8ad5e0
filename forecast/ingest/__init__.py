"""Ingest: a CSV file into the long frame ``unique_id, ds, y`` and a report of what was read.

Layer 2 (above :mod:`forecast.calendar`). :func:`read_csv` is the entry point; the modules
beside it parse cells (:mod:`~forecast.ingest.parsing`), clean the table
(:mod:`~forecast.ingest.cleaning`), read timestamps
(:mod:`~forecast.ingest.dates`), choose the columns (:mod:`~forecast.ingest.columns`) and lay each
series on its regular time grid (:mod:`~forecast.ingest.regular_grid`).
"""

from forecast.ingest.reader import CsvReport, read_csv, series_summary

__all__ = ["CsvReport", "read_csv", "series_summary"]
