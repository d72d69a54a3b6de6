# The two commands of the README: `make run` and `make test`. Everything else is what they need.
# constraints.txt is resolved with the oldest Python CI may use (Debian's 3.11.2): regenerate it there.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app helpcenter
PORT ?= 5000

.PHONY: run demo test test-fast venv test-venv translations test-translations catalog db bench load-test clean

# What running needs: the app's own dependencies only (no Playwright, Hypothesis or aiosmtpd).
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $@

# What testing adds: the [test] extras.
$(VENV)/.test-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

venv: $(VENV)/.installed

test-venv: $(VENV)/.test-installed

translations: venv
	$(VENV)/bin/pybabel compile -d translations >/dev/null

test-translations: test-venv translations

db: venv
	$(FLASK) db upgrade
	$(FLASK) seed-demo

## Run the site on the embedded default: SQLite in instance/, demo data, no mail server.
## PORT=8080 make run serves on another port (default 5000).
run: translations db
	$(FLASK) run --port $(PORT)

## A fresh demo database for a given day, then run: HELPCENTER_TODAY=2026-11-26 make demo
## (empties the configured database first: development only).
demo: translations
	$(FLASK) demo --yes
	$(FLASK) run --port $(PORT)

## The whole test suite: SQLite, then the database tests on PostgreSQL when one is reachable.
test: test-translations
	scripts/test

## The fast suite only (no browser, no slow fuzzing), for development.
test-fast: test-translations
	$(PY) -m pytest -q -p no:cacheprovider -n "$${HELPCENTER_TEST_WORKERS:-2}" -m "not browser and not slow"

catalog: venv
	scripts/update-catalog

bench: test-translations
	$(PY) bench/run.py

load-test: test-translations
	scripts/load-test

clean:
	rm -rf $(VENV) instance .pytest_cache
