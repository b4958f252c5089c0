# Xuncha: `make run` sets everything up and starts the app; `make test` sets up and runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3.11
HOST ?= 127.0.0.1
PORT ?= 8000
FRONTEND_SRC := $(shell find frontend/src frontend/public -type f 2>/dev/null) $(wildcard frontend/index.html frontend/vite.config.* frontend/package.json)

.PHONY: run serve test setup system-deps venv frontend migrate seed lint test-backend test-frontend test-pg test-pg-s3 test-s3 \
	test-schemathesis bench bench-load clean api-types lock

run: setup migrate seed serve

# app/serve.py: uvicorn (uvloop, httptools, a deep backlog, graceful shutdown), as many processes as the
# database allows (XUNCHA_WORKERS; 1 on SQLite, one per CPU up to 4 on PostgreSQL), and X-Forwarded-For
# believed only from XUNCHA_TRUSTED_PROXIES. Capacity and shedding are the app's settings (XUNCHA_DB_SLOTS, …).
serve:
	$(PY) -m app.serve --host $(HOST) --port $(PORT)

test: setup lint test-frontend test-backend

lint: venv
	$(VENV)/bin/ruff check app tests bench scripts

setup: system-deps venv frontend

# Debian packages: a CJK font for the photo watermark, Chromium for the browser tests, nginx for the test of
# deploy/nginx.conf in front of a real app process (tests/deploy, skipped without it).
system-deps:
	@if ! fc-list :lang=zh 2>/dev/null | grep -q . || ! command -v chromium >/dev/null \
			|| ! { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null; then \
		echo "installing Debian packages: fonts-wqy-microhei chromium nginx-light"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei chromium \
			nginx-light \
		|| { echo "apt-get failed: install fonts-wqy-microhei, chromium and nginx-light as root"; exit 1; }; \
	fi

# Python packages at the versions of requirements.lock (as the frontend's at package-lock.json's): a new release
# upstream changes nothing here until `make lock` takes it on purpose.
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -c requirements.lock -e '.[dev]'
	touch $@

# Take the newest releases pyproject.toml allows into requirements.lock (then run the whole suite: make test).
lock: venv
	$(VENV)/bin/pip install -q -U --upgrade-strategy eager -e '.[dev]'
	{ sed -n '/^#/p' requirements.lock; $(VENV)/bin/pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock
	touch $(VENV)/.installed

frontend: frontend/dist/index.html
# Not `npm ci`: the registry reachable here lacks other platforms' optional packages (e.g. rollup's
# android/darwin binaries), which `npm ci` insists on; `npm install --no-save` installs exactly the
# locked versions and leaves package-lock.json untouched.
frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm install --no-save --no-audit --no-fund
	touch $@
frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SRC)
	cd frontend && npm run build

migrate: venv
	$(VENV)/bin/alembic upgrade head

seed: venv
	$(PY) -m app.demo.seed

# The generated API types must match the backend (a stale frontend/src/api/schema.d.ts fails here and in
# tests/api/test_contract.py), and the typed modules must type-check against them.
test-frontend: frontend/node_modules/.installed venv
	$(PY) scripts/api_types.py --check
	cd frontend && npm run typecheck && npm test

# Regenerate frontend/src/api/schema.d.ts after an API change (commit it with the change).
api-types: frontend/node_modules/.installed venv
	$(PY) scripts/api_types.py

# The browser tests and the rest as two processes at once (scripts/pytest_split.py says why).
test-backend: venv
	$(PY) scripts/pytest_split.py

# The same suite against PostgreSQL (127.0.0.1:5432, user postgres, database test).
test-pg: setup lint
	XUNCHA_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test $(PY) scripts/pytest_split.py

# The whole suite as a scaled-out city runs (issue 15): PostgreSQL, and photos in an S3 bucket on a moto server
# the tests start on 127.0.0.1 (tests/conftest.py). CI runs this pass after `make test` (SQLite + local disk).
test-pg-s3: setup lint
	XUNCHA_TEST_STORAGE=s3 XUNCHA_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
		$(PY) scripts/pytest_split.py

# Only the photo and job suites with photos in S3 (a quick check of the storage code; any part of the suite runs
# this way, e.g. `XUNCHA_TEST_STORAGE=s3 .venv/bin/pytest tests/tickets`).
test-s3: setup lint
	XUNCHA_TEST_STORAGE=s3 $(VENV)/bin/pytest -q tests/photos tests/jobs

# A bigger schemathesis run than the bounded one in the suite (add XUNCHA_TEST_DATABASE_URL for PostgreSQL).
ST_EXAMPLES ?= 200
test-schemathesis: venv
	XUNCHA_SCHEMATHESIS_EXAMPLES=$(ST_EXAMPLES) XUNCHA_SCHEMATHESIS_SECONDS=600 $(VENV)/bin/pytest tests/api -q

bench: venv
	$(PY) bench/photos.py

# A city's load (issue 7) on SQLite and PostgreSQL: `make bench-load LOAD_ARGS="--duration 30"` for a quick run.
LOAD_ARGS ?=
bench-load: venv
	$(PY) bench/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist data
