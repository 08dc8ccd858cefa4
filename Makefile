# Every everyday command. `make run` and `make test` do their own set-up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
# The embedded default: SQLite and a filesystem Celery broker, no servers to install.
DEMO_ENV = DEBUG=true DEMO_MODE=true REQUIRE_TWO_FACTOR=false REMINDER_SWEEP_MINUTES=1 DIGEST_CHECK_MINUTES=1 SITE_URL=http://localhost:$(PORT)
# Folders whose strings users never see (tests/translations.py leaves out the same).
NOT_TRANSLATED = static staticfiles tests benchmarks var venv
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run web worker test test-fast lint format migrations messages seed shell clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Start the app with demo data, a Celery worker and beat, at http://localhost:8000 (another port: make run PORT=8001)
run: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo --if-empty
	$(DEMO_ENV) $(PY) manage.py rollups_rebuild
	@echo "Deflection: http://localhost:$(PORT)/  (logins: officer, oficial (in Spanish), supervisor, casemanager, command, admin, deputy (sheriff), coordinator (regional); password deflect-demo-2026)"
	@# Ctrl-C stops all three; a Celery process still there after 10 s (its embedded beat can
	@# hang on shutdown) is killed, so nothing outlives the command.
	@trap 'trap - EXIT; trap "" INT TERM; (sleep 10; kill -9 0) 2>/dev/null & kill 0' INT TERM EXIT; \
	$(DEMO_ENV) $(VENV)/bin/celery -A deflection worker --beat --loglevel=info --concurrency=2 & \
	$(DEMO_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

## Run the whole test suite on two processes: most of it, then the browser and worker tests (browser tests need Chromium: apt-get install chromium)
# Two runs: the browser tests' Playwright leaves an event loop in its process, which the
# other tests must not run beside. Each process has its own test database, live server and Chromium.
# On PostgreSQL the first run makes the test databases afresh and keeps them for the second,
# which would otherwise migrate them again (SQLite's are in memory either way). The second
# collects only the two folders where those tests live (tests/conftest.py sees that they do).
test: install
	$(VENV)/bin/pytest -n 2 -m "not browser and not integration" --create-db --reuse-db
	$(VENV)/bin/pytest -n 2 -m "browser or integration" --reuse-db tests/browser tests/integration

test-fast: install
	$(VENV)/bin/pytest -n 2 -m "not browser and not integration"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations: install
	$(DEMO_ENV) $(PY) manage.py makemigrations

## Gather the strings to translate into locale/es/LC_MESSAGES/django.po and compile it (needs GNU gettext)
messages: install
	$(DEMO_ENV) $(PY) manage.py makemessages --locale=es --add-location=file --no-obsolete $(addprefix --ignore=,$(NOT_TRANSLATED))
	$(DEMO_ENV) $(PY) manage.py compilemessages --locale=es
	$(DEMO_ENV) $(PY) -m tests.translations

seed: install
	$(DEMO_ENV) $(PY) manage.py seed_demo

shell: install
	$(DEMO_ENV) $(PY) manage.py shell

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
