# The everyday commands. `make run` and `make test` work on a fresh machine
# with Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PORT   ?= 5000

.PHONY: run serve test install dev translations i18n setup-db clean bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

# Compiled catalogs are build output, not committed.
translations: install
	$(VENV)/bin/pybabel compile --use-fuzzy -d translations --statistics 2>&1 | tail -n 2

# Migrate, import the course files, make sure the advice queues exist, then the demo
# accounts (the demo expert answers in every queue, the demo trainer co-authors every course).
setup-db: install translations
	LMS_ENV=development $(FLASK) db upgrade
	LMS_ENV=development $(FLASK) lms import-courses
	LMS_ENV=development $(FLASK) lms seed-queues
	LMS_ENV=development $(FLASK) lms demo-accounts

run: setup-db
	@echo "Serving Frontera on http://127.0.0.1:$(PORT)"
	LMS_ENV=development $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: dev translations
	$(PY) -m pytest -n auto --dist loadfile

# Extract new strings and update both catalogs; then translate what is new
# in translations/*/LC_MESSAGES/messages.po (the test suite fails until done).
i18n: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output --omit-header -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(PY) -m lms.tools.fill_source_catalog translations/en/LC_MESSAGES/messages.po

# The load benchmark (docs/benchmarks.md): seeds a large database (SQLite under
# bench/results/, or DATABASE_URL), serves the app under gunicorn beside a bare
# Flask app and drives both with wrk. BENCH_ARGS="--reuse" skips the seeding.
bench: install translations
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite* test-output
