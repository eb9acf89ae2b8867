# Developer entry points. `make test` is what CI runs (through .ci/run).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
QUESTION ?= What is the capital of France?

.PHONY: setup demo test unit reliability integration lint

$(BIN)/assay: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,search,eval]'
	touch $@

setup: $(BIN)/assay

demo: setup
	$(BIN)/assay up
	$(BIN)/assay run "$(QUESTION)"

# pytest exit code 5 means "no tests collected": not a failure here.
unit: setup
	$(BIN)/python -m pytest tests/unit || [ $$? -eq 5 ]

# Fault injection (loopback fake servers, real processes): no vLLM needed.
reliability: setup
	$(BIN)/python -m pytest tests/reliability || [ $$? -eq 5 ]

integration: setup
	$(BIN)/python -m pytest -m integration tests/integration || [ $$? -eq 5 ]

test: unit reliability integration

lint: setup
	$(BIN)/ruff check assay tests benchmarks examples
	$(BIN)/ruff format --check assay tests benchmarks examples
	$(BIN)/mypy assay
	$(BIN)/mypy --strict benchmarks/*.py examples/*.py
