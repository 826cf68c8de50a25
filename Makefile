# Two commands do all set-up on a fresh clone:
#   make demo   - the main job: a demo of eventmatch on its embedded examples
#   make test   - lint, type-check, run the whole test suite and build the docs (strict)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# an editable install, without setuptools' notice that it is one (shown on every install)
INSTALL := PYTHONWARNINGS='ignore:Editable installation' $(PY) -m pip install --quiet -e

.PHONY: demo test lint docs redis-server chromium js-sdk screenshots bench bench-redis bench-server bench-server-ab bench-scheduler bench-console perf clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(INSTALL) '.[test,docs,server]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m eventmatch demo

lint: $(STAMP)
	$(PY) -m ruff check eventmatch tests benchmarks
	$(PY) -m mypy

# the documentation site (mkdocs-material), built in strict mode: any warning fails
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet

# the Redis Streams transport's tests start a real redis-server (Debian's package): installed here when missing
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server (Debian's package)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server; }; }

# the console's tests drive a real browser: Debian's Chromium, installed here when missing
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian's package)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }; }

# the JavaScript SDK v3, a second real client of the server's tests: installed from the committed lockfile
# (npm ci) when it changed; without npm, or offline, its tests skip and say why
js-sdk:
	@if ! command -v npm >/dev/null 2>&1; then echo "npm not found: the JavaScript SDK tests will skip"; \
	elif [ ! tests/js/node_modules/.package-lock.json -nt tests/js/package-lock.json ]; then \
	  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error || \
	  echo "npm ci failed: the JavaScript SDK tests will skip"; fi

test: lint docs redis-server chromium js-sdk
	$(PY) -m pytest

# the console's pages as they are: screenshots into docs/images/console/, taken by its browser tests
screenshots: $(STAMP) chromium
	EVENTMATCH_SCREENSHOTS=docs/images/console $(PY) -m pytest tests/test_console.py -q

bench: $(STAMP)
	$(PY) -m pytest benchmarks --benchmark-enable --benchmark-only

# the transport with 1 and 2 worker processes against the in-process bus; rewrites a section of docs/scale-out.md
bench-redis: $(STAMP) redis-server
	$(PY) -m benchmarks.redis_bench

# eventmatch serve: PutEvents over HTTP (accepted events/s, latency); rewrites a section of docs/server.md
bench-server: $(STAMP)
	$(INSTALL) '.[bench]'
	$(PY) -m benchmarks.server_bench

# the server's PutEvents throughput against a baseline commit, alternated in one run (BASELINE=b3b5066)
bench-server-ab: $(STAMP)
	$(INSTALL) '.[bench]'
	$(PY) -m benchmarks.server_ab --baseline $(or $(BASELINE),b3b5066)

# the console's rules page with 10,000 rules: time to first byte, and to a usable page in Chromium; rewrites a section of docs/console.md
bench-console: $(STAMP) chromium
	$(PY) -m benchmarks.console_bench

# 100,000 EventBridge Scheduler schedules: creation, one virtual day of invocations; rewrites a section of docs/scheduler.md
bench-scheduler: $(STAMP)
	$(PY) -m benchmarks.scheduler_bench

# one interleaved run against the Java and Go anchors (when ../shared/anchors exists); rewrites docs/performance.md
ANCHORS ?= ../shared/anchors
perf: $(STAMP)
	$(PY) -m benchmarks.report $(if $(wildcard $(ANCHORS)/bench.sh),--anchors $(ANCHORS),--no-anchors)

clean:
	rm -rf $(VENV) .site .pytest_cache .mypy_cache .ruff_cache .benchmarks
