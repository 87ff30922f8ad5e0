"""``python -m forecast`` runs the CLI."""

from forecast.cli import main

if __name__ == "__main__":  # a spawned worker process re-imports this module: it must not run
    main()
