# fangpin — 防返贫监测帮扶平台
# `make demo` sets everything up on a fresh machine and serves the demo county.
# `make test` runs lint and the whole suite (SQLite; PostgreSQL too when DATABASE_URL is set).

PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
PYTHON  := $(BIN)/python
MANAGE  := $(PYTHON) -m fangpin.manage
HOUSEHOLDS ?= 60000
PROFILE ?= suixi
SEED    ?= 2026
HOST    ?= 127.0.0.1:8000

.PHONY: demo setup venv assets migrate demo-data serve test lint test-sqlite test-postgres browser-deps bench clean

demo: setup migrate demo-data serve

setup: venv assets

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,browser]'
	@touch $@

assets: src/fangpin/static/vendor/.installed

src/fangpin/static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p src/fangpin/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js src/fangpin/static/vendor/htmx.min.js
	cp node_modules/echarts/dist/echarts.min.js src/fangpin/static/vendor/echarts.min.js
	@touch $@

migrate: venv
	$(MANAGE) migrate --noinput
	$(MANAGE) load_profiles
	$(MANAGE) seed_calendar

demo-data: venv
	$(MANAGE) build_demo --profile $(PROFILE) --households $(HOUSEHOLDS) --seed $(SEED) --if-empty
	$(MANAGE) demo_logins

serve: venv
	$(MANAGE) runserver $(HOST)

lint: venv
	$(BIN)/ruff check src tests benchmarks

browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  echo "installing Debian chromium and a CJK font for browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

test: setup browser-deps lint test-sqlite test-postgres

test-sqlite: setup
	env -u DATABASE_URL $(BIN)/pytest
	@echo "SQLite suite passed"

test-postgres: setup
	@if [ -n "$$DATABASE_URL" ]; then \
	  $(BIN)/pytest && echo "PostgreSQL suite passed"; \
	else echo "DATABASE_URL not set: PostgreSQL run skipped (.ci/run sets it)"; fi

bench: venv
	$(PYTHON) benchmarks/run.py

clean:
	rm -rf $(VENV) node_modules src/fangpin/static/vendor var
