# Two commands do all set-up on a fresh clone:
#   make demo   - the main job: a demo of eventmatch on its embedded examples
#   make test   - lint, type-check and run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench perf clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m eventmatch demo

lint: $(STAMP)
	$(PY) -m ruff check eventmatch tests benchmarks
	$(PY) -m mypy

test: lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m pytest benchmarks --benchmark-enable --benchmark-only

# one interleaved run against the Java and Go anchors (when ../shared/anchors exists); rewrites docs/performance.md
ANCHORS ?= ../shared/anchors
perf: $(STAMP)
	$(PY) -m benchmarks.report $(if $(wildcard $(ANCHORS)/bench.sh),--anchors $(ANCHORS),--no-anchors)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .benchmarks
