# ClientCare Admin — the README's commands. Everything installs from this repository's files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app admin_app
PORT ?= 5000
DEMO_CLIENTS ?= 2000
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test fuzz install install-dev migrate lint i18n bench browsers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

migrate: install
	$(FLASK) db upgrade

run: migrate
	$(FLASK) demo --clients $(DEMO_CLIENTS)
	@echo "Serving ClientCare Admin on http://127.0.0.1:$(PORT) with gunicorn; Ctrl+C stops it."
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 --timeout 300 \
		--access-logfile - 'admin_app:create_app()'

test: install-dev
	$(BIN)/pytest -q -n 2

# The property-based fuzz of tests/test_fuzz.py at length (random seeds, FUZZ_EXAMPLES per
# test), on SQLite; with TEST_DATABASE_URL set, on PostgreSQL. `make test` runs it bounded.
FUZZ_EXAMPLES ?= 2000
fuzz: install-dev
	CLIENTCARE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -n 2 -p no:cacheprovider tests/test_fuzz.py

lint: install-dev
	$(BIN)/ruff check admin_app seed tests bench
	$(BIN)/mypy

i18n: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o admin_app/translations/messages.pot .
	$(BIN)/pybabel update -i admin_app/translations/messages.pot -d admin_app/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d admin_app/translations
	$(BIN)/pybabel compile -d admin_app/translations -D admin  # our corrections to Flask-Admin's

bench: install-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
