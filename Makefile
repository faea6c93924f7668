# Two commands on a fresh machine with Python 3.11+:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PUPILS ?= 8000
YEARS  ?= 3
PORT   ?= 8501

.PHONY: install run test test-all lint docs clean-data

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Install, generate three demo school years, run the pipeline through Airflow, serve the dashboards.
run: install
	$(BIN)/massar generate --pupils $(PUPILS) --years $(YEARS) --seed 42
	$(BIN)/massar run
	$(BIN)/massar serve --port $(PORT)

## Install and run the default test suite (slow tests excluded: `make test-all`).
test: install
	$(BIN)/pytest -m "not slow"

test-all: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt && ../$(BIN)/sqlfluff lint models --processes 0

docs: install
	$(BIN)/massar docs

clean-data:
	rm -rf data
