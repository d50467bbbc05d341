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

.PHONY: demo setup venv assets migrate demo-data serve serve-dev backup check-deploy test lint test-sqlite test-postgres browser-deps bench bench-import clean

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

DEMO_EXPORT ?= var/demo/national_monitoring_$(PROFILE).xlsx

# The demo county is also written as a national-style export and read back through the importer:
# the round trip must find nothing to change (import_national exits non-zero otherwise).
demo-data: venv
	$(MANAGE) build_demo --profile $(PROFILE) --households $(HOUSEHOLDS) --seed $(SEED) --if-empty
	@mkdir -p $(dir $(DEMO_EXPORT))
	$(MANAGE) export_national --profile $(PROFILE) --layout monitoring --national-style $(DEMO_EXPORT)
	$(MANAGE) import_national $(DEMO_EXPORT) --profile $(PROFILE) --expect-no-changes
	$(MANAGE) demo_logins

# `make serve`: the production stack on this machine (docs/operations.md): gunicorn with DEBUG off and
# the background task worker (imports, exports) beside it; Ctrl-C (or either one ending) stops both.
# Plain http on 127.0.0.1, so cookies are not marked HTTPS-only (DJANGO_SECURE_COOKIES=0); a server
# reached by others runs behind nginx with TLS instead (deploy/). The secret key is made once in var/.
SECRET_KEY_FILE := var/secret_key
LOCAL_PRODUCTION = DJANGO_DEBUG=0 DJANGO_SECURE_COOKIES=0 DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" FANGPIN_BIND=$(HOST)

$(SECRET_KEY_FILE): | venv
	@mkdir -p $(dir $@)
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# With DEBUG off only collected static files are served (hashed names, compressed): gathered again
# whenever a source file or a package changed.
STATIC_SOURCES := $(shell find src/fangpin/static -type f 2>/dev/null)

staticfiles/.collected: $(STATIC_SOURCES) $(VENV)/.installed | $(SECRET_KEY_FILE)
	@echo "collecting static files into staticfiles/"
	@DJANGO_DEBUG=0 DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" $(MANAGE) collectstatic --noinput -v0
	@touch $@

serve: SHELL := /bin/bash
serve: setup $(SECRET_KEY_FILE) staticfiles/.collected
	@export $(LOCAL_PRODUCTION); \
	$(MANAGE) db_worker & worker=$$!; \
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py & web=$$!; \
	trap 'kill -TERM $$web $$worker 2>/dev/null; wait $$web $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	echo "fangpin: http://$(HOST)/  (gunicorn + task worker, DEBUG off; Ctrl-C stops both)"; \
	wait -n $$web $$worker

# Development server (auto-reload, DEBUG on) with the task worker beside it.
serve-dev: setup
	@$(MANAGE) db_worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver $(HOST)

# An online backup of this machine's database and uploads into var/backups (or FANGPIN_BACKUP_DIR).
backup: venv
	$(MANAGE) backup

# Django's deployment checks with production settings; the remaining warnings are explained in docs/operations.md.
check-deploy: venv $(SECRET_KEY_FILE)
	@DJANGO_DEBUG=0 DJANGO_SECRET_KEY="$$(cat $(SECRET_KEY_FILE))" DJANGO_ALLOWED_HOSTS=fangpin.example.cn \
	FANGPIN_BEHIND_PROXY=1 $(MANAGE) check --deploy

# lint-imports checks the layer contracts in .importlinter (docs/decisions/0007-layer-contracts.md).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  echo "installing Debian chromium and a CJK font for browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

test: setup browser-deps lint test-sqlite test-postgres

# pytest exits 5 when it collected no tests: that is a failure here, reported as such.
test-sqlite: setup
	@env -u DATABASE_URL $(BIN)/pytest --durations=15; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "FAIL: no tests ran on SQLite"; exit 1; fi; \
	if [ $$rc -ne 0 ]; then echo "FAIL: SQLite suite (exit $$rc)"; exit $$rc; fi; \
	echo "SQLite suite passed"

test-postgres: setup
	@if [ -z "$$DATABASE_URL" ]; then echo "DATABASE_URL not set: PostgreSQL run not requested (.ci/run sets it)"; exit 0; fi; \
	$(BIN)/pytest --durations=15; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "FAIL: no tests ran on PostgreSQL"; exit 1; fi; \
	if [ $$rc -ne 0 ]; then echo "FAIL: PostgreSQL suite (exit $$rc)"; exit $$rc; fi; \
	echo "PostgreSQL suite passed"

bench: venv
	$(PYTHON) benchmarks/run.py

bench-import: venv
	$(PYTHON) benchmarks/import_bench.py

clean:
	rm -rf $(VENV) node_modules src/fangpin/static/vendor var staticfiles
