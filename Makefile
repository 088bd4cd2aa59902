# The two set-up commands are `make run` and `make test`; both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 7860
HOST ?= 127.0.0.1

.PHONY: install run test test-fast bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/kbbot serve --host $(HOST) --port $(PORT)

test: install
	bash .ci/system-deps
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow" -x -q

bench: install
	bash .ci/system-deps
	$(BIN)/python -m eval.bench --out BENCHMARKS.md

clean:
	rm -rf $(VENV) .pytest_cache
