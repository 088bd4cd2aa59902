# The two set-up commands are `make run` and `make test`; both create .venv first. `make run` installs what
# serving needs; `make test` and `make bench` add the dev tools and the [st] extra (torch, sentence-transformers).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 7860
HOST ?= 127.0.0.1

.PHONY: install install-dev run test test-fast bench clean

install: $(STAMP)

install-dev: $(DEV_STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $(STAMP)

# torch first, pinned: left to resolve the extra, pip may pick the multi-GB CUDA build.
$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,st]'
	touch $(DEV_STAMP)

run: install
	$(BIN)/kbbot serve --host $(HOST) --port $(PORT)

test: install-dev
	bash .ci/system-deps
	$(BIN)/python -m pytest

test-fast: install-dev
	$(BIN)/python -m pytest -m "not slow" -x -q

bench: install-dev
	bash .ci/system-deps
	$(BIN)/python -m eval.bench --out BENCHMARKS.md

clean:
	rm -rf $(VENV) .pytest_cache
