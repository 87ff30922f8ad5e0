# Forecast Workbench — set-up, tests and the dashboard.
# Every target creates .venv if missing and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# torch: a CPU wheel of this exact version is on local disk here; pick a CUDA build with
#   make install TORCH_SPEC="torch==2.13.0" TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu128"
TORCH_SPEC  ?= torch==2.13.0
TORCH_INDEX ?=
FIND_LINKS  := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: install install-bench browser postgres dashboard serve test test-fast lint format bench bench-check clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(FIND_LINKS) $(TORCH_INDEX) "$(TORCH_SPEC)"
	$(PIP) install -q $(FIND_LINKS) -e ".[dev]" "$(TORCH_SPEC)"
	touch $@

install: $(VENV)/.installed

install-bench: install
	$(PIP) install -q $(FIND_LINKS) -e ".[dev,bench]" "$(TORCH_SPEC)"

# Debian's Chromium and chromedriver for the browser tests (no browser downloads).
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
	  echo "chromium and chromedriver present"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver; \
	fi

# Debian's PostgreSQL server binaries for the store tests (each test run starts its own
# throwaway cluster from /usr/lib/postgresql/*/bin: tests/pgcluster.py; none is left running).
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "postgresql present"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql; \
	fi

dashboard: install
	$(VENV)/bin/forecast dashboard --host $(HOST) --port $(PORT)

# The shared server: gunicorn with WORKERS web processes (jobs: run `forecast worker` beside it).
WORKERS ?= 2
serve: install
	$(VENV)/bin/forecast serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: install browser postgres
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: install
	$(PY) -m pytest -q -m "not slow and not browser"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The headline benchmarks (benchmarks/README.md; hours on 2 cores): the single-file flow on the
# report part of held-out M3, then the global recurrent models on M3 monthly.
bench: install-bench
	nice -n 10 $(PY) benchmarks/single_series.py --part report --monthly 200 --quarterly 189 --jobs 2
	nice -n 10 $(PY) benchmarks/m3.py --subset monthly --threads 1 \
	  --models sf_snaive,sf_theta,sf_autoets,lstm,gru,ensemble

# Accuracy guard (a few minutes; not part of `make test`): a fixed slice of the single-file and
# M3 benchmarks; fails when a figure is more than 2 % above benchmarks/bench_check.json.
bench-check: install-bench
	nice -n 10 $(PY) benchmarks/bench_check.py

clean:
	rm -rf $(VENV) .forecast .pytest_cache .ruff_cache test-output
