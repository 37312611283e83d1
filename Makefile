# `make run`: a working library with demo content on http://127.0.0.1:5000 (`make run PORT=8080`)
# `make test`: the whole test suite
# `make test-postgres`: the suite again (but the Chromium tests), on a throwaway PostgreSQL server
# `make test-s3`: the blob store tests against a throwaway S3-compatible server (SeaweedFS)
# `make test-cluster`: two app nodes on throwaway PostgreSQL and SeaweedFS servers
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
FLASK = $(BIN)/flask --app wsgi
PORT ?= 5000
# The service's own packages (make run); the tests, lint, audits and benchmarks add their tools.
INSTALLED = $(VENV)/installed
INSTALLED_DEV = $(VENV)/installed-dev

.PHONY: run test test-postgres test-s3 test-cluster lint bench clean audit audit-code audit-deps page-image-packages

# The pip that Python 3.11+ bundles installs every pinned wheel, so it is not upgraded first (one
# round trip to the index less). pip byte-compiles as it installs: left to import time, a module
# with an old invalid escape would fail under the tests' warnings-as-errors.
$(INSTALLED): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(INSTALLED_DEV): $(INSTALLED) requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# What page images need from Debian: LibreOffice's converters and the fonts that stand in for
# Calibri and Cambria. `make run` installs them as root with apt; otherwise it says what to install.
PAGE_IMAGE_PACKAGES = libreoffice-impress-nogui libreoffice-writer-nogui libreoffice-calc-nogui \
	fonts-crosextra-carlito fonts-crosextra-caladea fonts-liberation2 fonts-dejavu

page-image-packages:
	@if ! command -v soffice >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(PAGE_IMAGE_PACKAGES) >/dev/null; \
	  else \
	    echo "Slides and Office pages show no images until you install: $(PAGE_IMAGE_PACKAGES)"; \
	  fi; \
	fi

run: $(INSTALLED) page-image-packages
	$(FLASK) demo
	@echo "Serving the library on http://127.0.0.1:$(PORT) (Ctrl+C stops it)"
	COLLATERAL_SESSION_COOKIE_SECURE=false $(BIN)/gunicorn --config gunicorn.conf.py --workers 2 --bind 127.0.0.1:$(PORT) wsgi:app

test: $(INSTALLED_DEV)
	$(BIN)/python -m pytest --durations=20

# The Chromium tests (marked browser) drive pages whose data the rest of the suite already checks
# on both databases; they run once, in `make test`, which keeps CI's whole run under 45 minutes.
test-postgres: $(INSTALLED_DEV)
	bash scripts/with_postgres.sh $(BIN)/python -m pytest --durations=20 -m "not browser"

# Tests marked s3 (left out of `make test` when no server is set) beside a real SeaweedFS.
test-s3: $(INSTALLED_DEV)
	bash scripts/with_seaweedfs.sh $(BIN)/python -m pytest -m s3

# Two gunicorn nodes sharing the database and the bucket, each with its own index (tests marked
# cluster: left out of every other run; under CI they fail rather than skip without servers).
test-cluster: $(INSTALLED_DEV)
	bash scripts/with_postgres.sh bash scripts/with_seaweedfs.sh $(BIN)/python -m pytest -m cluster tests/test_cluster.py

lint: $(INSTALLED_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Security checks. bandit: no finding of medium or high severity in the code (settings in
# pyproject.toml). pip-audit: no known vulnerability in the pinned requirements and what they pull
# in; packages whose advisories cannot be reached are reported as NOT AUDITED (a failure with
# AUDIT_STRICT=--strict).
audit: audit-code audit-deps

audit-code: $(INSTALLED_DEV)
	$(BIN)/bandit -c pyproject.toml -r collateral --severity-level medium --quiet

audit-deps: $(INSTALLED_DEV)
	$(BIN)/python scripts/audit_dependencies.py $(AUDIT_STRICT)

# Every benchmark at a size that finishes in under 15 minutes on 2 cores; each prints a table and
# JSON lines. docs/benchmarks.md keeps the latest figures and the full-size commands.
bench: $(INSTALLED_DEV)
	$(BIN)/python bench/search.py --quick
	$(BIN)/python bench/relevance.py
	$(BIN)/python bench/importer.py --generated 300
	$(BIN)/python bench/transfer.py --megabytes 1024 --rounds 3
	bash scripts/with_seaweedfs.sh $(BIN)/python bench/blob_store.py --megabytes 256 --rounds 3
	$(BIN)/python bench/reports.py --events 200000
	$(BIN)/python bench/index_build.py
	$(BIN)/python bench/rebuild.py --quick
	$(BIN)/python bench/highlight.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/suggest.py --events 200000
	$(BIN)/python bench/alerts.py --events 200000

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
