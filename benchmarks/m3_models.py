"""Our models as M3 benchmark runners (see m3.py for the runner signature).

Statistical runners (naive, snaive, arima) are added by the baselines work; neural runners
(rnn, lstm, gru, bilstm, esn, ensembles) by the recurrent work. Keep each runner a small function.
"""

from __future__ import annotations

RUNNERS: dict = {}
