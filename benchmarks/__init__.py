"""Benchmarks: the guards (this folder, each in README.md with its latest table) and the finished
studies (``studies/<topic>/``, each with its own README); ``competition.py`` is what they share."""
