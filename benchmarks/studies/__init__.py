"""Finished experiments, one folder each (its run.py and README.md); run from the repository root
with ``python -m benchmarks.studies.<topic>.run``."""
