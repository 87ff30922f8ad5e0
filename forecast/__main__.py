"""``python -m forecast`` runs the CLI."""

from forecast.cli import main

main()
