# The README names two targets: `make demo` and `make test`. The others are for daily work.
SHELL := /bin/bash
# `make lint VENV=/other/checkout/.venv` reuses an existing environment and skips the setup
# (tests/integration/test_gates.py runs the gates on a scratch copy that way).
VENV := .venv
SETUP := $(if $(filter .venv,$(VENV)),scripts/setup.sh,: skip setup)
RUN := set -a && . ./.env && set +a &&
PYTEST := $(RUN) $(VENV)/bin/python -m pytest
# The whole suite on both cores, one test file per worker (module fixtures built once), in
# the order tests/conftest.py gives (longest files first; xdist would otherwise order files by
# their number of tests). `make test WORKERS=0` runs it in one process.
WORKERS ?= 2
PARALLEL := $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist loadfile --no-loadscope-reorder)

.PHONY: demo test test-unit test-integration test-e2e ui lint lint-python lint-types lint-sql \
	lock bench clean

demo:  ## build the demo hospital ERP and run the whole pipeline on it
	@scripts/setup.sh runtime
	@$(RUN) $(VENV)/bin/upflux demo

test:  ## the whole test suite (unit, integration on real databases, e2e in Chromium)
	@scripts/setup.sh test
	@$(PYTEST) $(PARALLEL)

# The tiers are pytest marks set from each test's folder (conftest.py); ARGS go to pytest.
test-unit:  ## pure pieces, no servers (under 60 s)
	@scripts/setup.sh test
	@$(PYTEST) -m unit $(ARGS)

test-integration:  ## real DuckDB, PostgreSQL, MariaDB, several processes, whole asset graphs
	@scripts/setup.sh test
	@$(PYTEST) $(PARALLEL) -m integration $(ARGS)

test-e2e:  ## the upflux CLI and the Dagster UI in Chromium
	@scripts/setup.sh test
	@$(PYTEST) $(PARALLEL) -m e2e $(ARGS)

PORT ?= 3000
ui:  ## the Dagster UI on the same data, bound to localhost (make ui PORT=3001)
	@scripts/setup.sh runtime
	@$(RUN) DAGSTER_HOME=$${DAGSTER_HOME:-$$PWD/data/dagster} exec $(VENV)/bin/upflux ui --port $(PORT)

# The gates .ci/run and .pre-commit-config.yaml run. Setup `runtime` is enough: the lock holds
# the test extra (the linters), and lint needs neither Chromium nor the database servers.
lint: lint-python lint-types lint-sql  ## every gate; stops at the first that fails

lint-python:  ## ruff rules and ruff format on every Python file (.gitignore'd ones aside)
	@$(SETUP) runtime
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

lint-types:  ## mypy on upflux_etl (configured in pyproject.toml)
	@$(SETUP) runtime
	@$(VENV)/bin/mypy

lint-sql:  ## sqlfluff on the ERP profiles' and the indicators' SQL (.sqlfluff)
	@$(SETUP) runtime
	@$(VENV)/bin/sqlfluff lint connectors assets

lock:  ## re-resolve requirements.lock from pyproject.toml
	@$(VENV)/bin/uv pip compile -q --extra test pyproject.toml -o requirements.lock

bench:  ## benchmarks (see bench/README.md); results go to bench/RESULTS.md by hand
	@$(RUN) $(VENV)/bin/python bench/run.py

clean:
	rm -rf data .pytest_cache .mypy_cache .ruff_cache
