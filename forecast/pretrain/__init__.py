"""Pretraining of the packaged recurrent forecaster (``python -m forecast.pretrain``).

- :mod:`forecast.pretrain.synthetic` — seeded synthetic series generators;
- :mod:`forecast.pretrain.corpus` — the corpus: M3 training parts (a seeded half of monthly and
  quarterly kept out for zero-shot figures), the bundled ``data/`` series and synthetic series;
- :mod:`forecast.pretrain.train` — windows, training with :mod:`forecast.models.neural.training`, evaluation
  and the shipped weights files.
"""
