# The two commands of the README: `make run` and `make test`. Everything else is what they need.
# constraints.txt is resolved with the oldest Python CI may use (Debian's 3.11.2): regenerate it there.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app helpcenter
PORT ?= 5000

.PHONY: run test test-fast venv translations catalog db bench load-test clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

venv: $(VENV)/.installed

translations: venv
	$(VENV)/bin/pybabel compile -d translations >/dev/null

db: venv
	$(FLASK) db upgrade
	$(FLASK) seed-demo

## Run the site on the embedded default: SQLite in instance/, demo data, no mail server.
run: translations db
	$(FLASK) run --port $(PORT)

## The whole test suite: SQLite, then the database tests on PostgreSQL when one is reachable.
test: translations
	scripts/test

## The fast suite only (no browser, no slow fuzzing), for development.
test-fast: translations
	$(PY) -m pytest -q -m "not browser and not slow"

catalog: venv
	scripts/update-catalog

bench: translations
	$(PY) bench/run.py

load-test: translations
	scripts/load-test

clean:
	rm -rf $(VENV) instance .pytest_cache
