# The README names two targets: `make demo` and `make test`. The others are for daily work.
SHELL := /bin/bash
VENV := .venv
RUN := set -a && . ./.env && set +a &&

.PHONY: demo test ui lint lock bench clean

demo:  ## build the demo hospital ERP and run the whole pipeline on it
	@scripts/setup.sh runtime
	@$(RUN) $(VENV)/bin/upflux demo

test:  ## the whole test suite (unit, integration on real databases, e2e in Chromium)
	@scripts/setup.sh test
	@$(RUN) $(VENV)/bin/python -m pytest

PORT ?= 3000
ui:  ## the Dagster UI on the same data, bound to localhost (make ui PORT=3001)
	@scripts/setup.sh runtime
	@$(RUN) DAGSTER_HOME=$${DAGSTER_HOME:-$$PWD/data/dagster} exec $(VENV)/bin/upflux ui --port $(PORT)

lint:
	@$(VENV)/bin/ruff check upflux_etl tests demo && $(VENV)/bin/ruff format --check upflux_etl tests demo

lock:  ## re-resolve requirements.lock from pyproject.toml
	@$(VENV)/bin/uv pip compile -q --extra test pyproject.toml -o requirements.lock

bench:  ## benchmarks (see bench/README.md); results go to bench/RESULTS.md by hand
	@$(RUN) $(VENV)/bin/python bench/run.py

clean:
	rm -rf data .pytest_cache
