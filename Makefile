# melcli: every set-up step a fresh clone needs is here.
#   make demo   create .venv, install melcli, convert sample_audio/ into out/demo/
#   make test   create .venv if needed, install the dev extras, run the tests
#               (in TEST_JOBS=2 processes; TEST_JOBS=0: in one)
#   make test-fast  the tests to run after each change: all but those marked
#               slow (whole-run signal races, Dask clusters, Chromium, make,
#               the bench smoke tests); about a minute on a quiet 2-core machine
#   make lint   ruff, mypy, a check that the --help text in the docs is current,
#               and make docs-build
#   make docs   regenerate the --help text (cog) in README.md and docs/
#   make docs-build  build docs/ into build/docs/ with mkdocs --strict (fails on
#               a broken link between pages)
#   make bench  the benchmark (not part of make test)
#   make tools  the system programs some tests use (sox, ffmpeg, lame, flac,
#               vorbis-tools, opus-tools, espeak-ng, chromium), from apt when
#               missing; make test runs it; tests needing a tool that could not
#               be installed skip, naming it

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.melcli-installed
LINT_PATHS := melcli tests sample_audio $(wildcard bench)
# The files that hold cog blocks (the generated --help text).
COG_FILES := README.md $(wildcard docs/*.md)

.PHONY: demo test test-fast lint docs docs-build bench clean tools

# Debian package per command the tests use. Installed only where missing, as
# root with apt-get; anywhere else this says what is missing and goes on (the
# tests that need it skip with the reason).
TOOLS := sox:sox ffmpeg:ffmpeg lame:lame flac:flac oggenc:vorbis-tools \
	opusenc:opus-tools espeak-ng:espeak-ng chromium:chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "melcli needs Python >= 3.11; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/melcli mel sample_audio -o out/demo --png
	@echo "Arrays and PNGs are in out/demo/. To look at them and listen to the inputs:"
	@echo "  $(BIN)/melcli gallery out/demo   # then open out/demo/gallery/index.html"

tools:
	@missing=""; for pair in $(TOOLS); do \
		command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing libsox-fmt-all >/dev/null \
			|| echo "warning: could not install$$missing; the tests that need them skip"; \
	else \
		echo "warning: missing$$missing (not root, or no apt-get); the tests that need them skip"; \
	fi

# The tests start many melcli processes. Where PYTHONDONTWRITEBYTECODE is
# set, each would compile the package's source again (pip compiles an
# installed package, not an editable one): compile it once, first.
#
# The tests run in TEST_JOBS processes (pytest-xdist), a test module at a time
# each: a module's tests run in order, in one process, and share its module
# fixtures. tests/conftest.py hands out the longest modules first.
# TEST_JOBS=0 runs them all in pytest's own process.
TEST_JOBS ?= 2
XDIST := -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder

test: $(STAMP) tools
	$(BIN)/python -m compileall -q melcli
	$(BIN)/python -m pytest $(XDIST)

test-fast: $(STAMP) tools
	$(BIN)/python -m compileall -q melcli
	$(BIN)/python -m pytest $(XDIST) -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/cog --check $(COG_FILES)
	$(MAKE) docs-build

docs: $(STAMP)
	$(BIN)/cog -r $(COG_FILES)

docs-build: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet

bench: $(STAMP)
	$(BIN)/python bench/bench.py

clean:
	rm -rf out build *.egg-info .pytest_cache .mypy_cache .ruff_cache
