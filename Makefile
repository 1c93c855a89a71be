# Roomvault: `make run` serves the console and API with demo data; `make test` runs the tests.
# Both set up .venv/ on first use (Python 3.11) and need nothing else running.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-stamp

.PHONY: run test test-integration test-database test-multihost test-workers ci-beside lint typecheck install clean bench bench-smoke restore-drill

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Roomvault needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet '.[dev]'
	@touch $@

install: $(INSTALLED)

run: $(INSTALLED)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo --verbosity 0
	$(PY) manage.py serve_local

# Tests run in parallel, one process per core (pytest-xdist): each has a test database of its own.
test: $(INSTALLED)
	$(PY) -m pytest -m "not integration" -q -n auto

# The whole suite against PostgreSQL: in parallel, then the integration tests one at a time, since
# they share one real Celery worker (on Redis) and its queues. Tests that never touch a database
# (DATABASE_TESTS_ONLY, tests/conftest.py) and the browser tests, which check what Chromium shows
# rather than what the database does, ran in `make test` and are not repeated. The multi-host test
# (tests/multihost: hosts of its own, its own databases and Redis db) runs beside the parallel
# phase: its hosts spend most of their time waiting on each other, which would otherwise add
# minutes to CI.
# A server database needs SECRET_KEY (console/settings.py); the tests' processes share this one.
ON_SERVICES := DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/roomvault} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
	SECRET_KEY=$${SECRET_KEY:-tests-only-not-a-production-key}
test-integration: $(INSTALLED)
	$(MAKE) --no-print-directory -j2 --output-sync=target test-database test-multihost
	$(MAKE) --no-print-directory test-workers

test-workers: $(INSTALLED)
	$(ON_SERVICES) $(PY) -m pytest -q --create-db -m integration --ignore=tests/multihost

# CI's second lane, beside test-database (.ci/run): what mostly waits (hosts, worker processes), the
# benchmark's smoke run and lint. Its worker tests queue on Redis db 1, so that the parallel run,
# which reads the queues of db 0 (/metrics, /readyz), never sees their messages.
ci-beside: $(INSTALLED)
	$(MAKE) --no-print-directory test-multihost
	CELERY_BROKER_URL=$${WORKERS_BROKER_URL:-redis://127.0.0.1:6379/1} $(MAKE) --no-print-directory test-workers
	$(MAKE) --no-print-directory bench-smoke
	$(MAKE) --no-print-directory lint

test-database: $(INSTALLED)
	$(ON_SERVICES) DATABASE_TESTS_ONLY=1 $(PY) -m pytest -q --create-db -m "not integration and not browser" -n auto

test-multihost: $(INSTALLED)
	$(ON_SERVICES) $(PY) -m pytest -q -m integration tests/multihost

# Benchmarks against PostgreSQL and Redis on loopback (bench/README.md). BENCH_ARGS=--big: 10M rows.
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(INSTALLED)
	$(VENV)/bin/pip install --quiet '.[dev,bench]'
	.ci/install-wrk
	@touch $@

bench: $(BENCH_STAMP)
	$(PY) -m bench.run $(BENCH_ARGS)
	$(PY) -m bench.compose

# Tiny sizes, every answer checked, no timing asserted (run by CI).
bench-smoke: $(BENCH_STAMP)
	$(PY) -m bench.run --smoke
	$(PY) -m bench.voice_memory --smoke
	$(PY) -m bench.compose --smoke

# Back up, wipe and restore a scratch vault of its own, then compare row counts and media checksums
# (docs/deploy.md). DRILL_DATABASE_URL=postgres://host/prefix: a scratch PostgreSQL database there;
# MEDIA_STORAGE=s3 (+ AWS_S3_ENDPOINT_URL, credentials): a scratch bucket. Exit 1 on any mismatch.
restore-drill: $(INSTALLED)
	$(PY) manage.py restore_drill

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(MAKE) --no-print-directory typecheck

# mypy with django-stubs over the packages listed in pyproject.toml ([tool.mypy] files).
typecheck: $(INSTALLED)
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) var .mypy_cache
