"""The Forecast Workbench Dash app. Layout and callbacks only; all computation is in ``forecast``."""
