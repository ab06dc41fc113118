# melcli: every set-up step a fresh clone needs is here.
#   make demo   create .venv, install melcli, convert sample_audio/ into out/demo/
#   make test   create .venv if needed, install the dev extras, run the tests
#   make lint   ruff, mypy, and a check that the README's --help text is current
#   make docs   regenerate the README's --help text
#   make bench  the benchmark (not part of make test)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.melcli-installed
LINT_PATHS := melcli tests sample_audio $(wildcard bench)

.PHONY: demo test lint docs bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "melcli needs Python >= 3.11; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/melcli mel sample_audio -o out/demo --png
	@echo "Arrays and PNGs are in out/demo/."

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/cog --check README.md

docs: $(STAMP)
	$(BIN)/cog -r README.md

bench: $(STAMP)
	$(BIN)/python bench/bench.py

clean:
	rm -rf out build *.egg-info .pytest_cache .mypy_cache .ruff_cache
