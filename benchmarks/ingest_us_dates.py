"""How US-style and spreadsheet exports are read: frequency, rows, first date and the report line.

Run: ``.venv/bin/python benchmarks/ingest_us_dates.py``

Reads the US-style files of ``tests/csv_corpus/good`` and one generated export of 72 months
(``1/1/2016`` to ``12/1/2021``, month first, the case of a 70-month sales file misread as daily)
and prints, per file, what :func:`forecast.ingest.reader.read_csv` made of it: the frequency, the number of
grid points and gaps, the first two dates and the report line about the dates.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.errors import DataError
from forecast.ingest.reader import read_csv

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "csv_corpus" / "good"
FILES = [
    "us_monthly_excel_export.csv",
    "us_monthly_one_year_ambiguous.csv",
    "us_weekly_export.csv",
    "excel_trailing_columns_footer.csv",
    "quoted_thousands_us_dates.csv",
    "dst_offsets_hourly_fall.csv",
    "dst_offsets_daily_spring.csv",
]


def us_72_months() -> bytes:
    """Date,Sales with month-first dates on the first of 72 months."""
    months = pd.date_range("2016-01-01", periods=72, freq="MS")
    rows = "".join(f"{d.month}/{d.day}/{d.year},{100 + i}\n" for i, d in enumerate(months))
    return ("Date,Sales\n" + rows).encode()


def main() -> None:
    sources = [(name, CORPUS / name) for name in FILES] + [("us_72_months (generated)", None)]
    print("| file | freq | points | gaps | first dates | report line on the dates |")
    print("|---|---|---:|---:|---|---|")
    for name, path in sources:
        try:
            df, report = read_csv(path if path is not None else us_72_months())
        except DataError as exc:
            print(f"| {name} | error | | | | {exc} |")
            continue
        first = ", ".join(str(d.date() if d.hour == 0 else d) for d in df["ds"].iloc[:2])
        words = ("month-first", "day-first", "ambiguous", "UTC", "wall-clock")
        line = next((r for r in report.repairs if any(w in r for w in words)), "(none)")
        gaps = sum(report.gaps.values())
        print(f"| {name} | {report.freq} | {len(df)} | {gaps} | {first} | {line} |")


if __name__ == "__main__":
    main()
