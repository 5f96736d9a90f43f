# regenaid — one command per job. `make run` serves the web app; `make test` runs every check.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test bench lint format system-deps browser-deps clean

# Python environment: a venv with the pinned versions from requirements.lock.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# Debian packages: Chromium for the browser tests, Pango for WeasyPrint's PDFs.
system-deps:
	@if ! command -v chromium >/dev/null || ! ldconfig -p | grep -q libpangoft2; then \
	  echo "installing Debian packages (chromium, pango, fonts)"; \
	  apt-get update -q && apt-get install -y -q chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; \
	fi

# axe-core from npm, injected into Chromium by the accessibility tests.
browser-deps: node_modules/axe-core/axe.min.js
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

# Development server: without REGENAID_SECRET_KEY the first run creates var/secret_key (0600).
run: $(STAMP)
	REGENAID_ENVIRONMENT=$${REGENAID_ENVIRONMENT:-development} \
	  $(VENV)/bin/regenaid serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

# Two pytest workers (pytest-xdist): the suite takes ~12 min in one process, ~7 in two (13 on
# a machine 2.5 times slower); the 30 slowest tests are listed at the end.
test: $(STAMP) system-deps browser-deps lint
	$(VENV)/bin/pytest -n 2 --durations=30

bench: $(STAMP)
	$(PY) -m benchmarks

# Long schemathesis run against the JSON API: every check on all 46 operations, then stateful
# sequences, for 15 minutes, on a server started for it (temporary SQLite); 24,840 requests in
# 10 minutes on a slow 2-CPU host. `make fuzz FUZZ_ARGS="--max-time 600 --seed 1"`.
.PHONY: fuzz
FUZZ_ARGS ?= --max-time 900
fuzz: $(STAMP)
	$(PY) scripts/fuzz_api.py $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache test-output
