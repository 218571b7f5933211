# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test test-js test-deps lint format bench i18n clean

$(BIN)/tracklog: setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip 'setuptools>=70.1' wheel
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

## run: create the venv, install, migrate, seed the demo on first run, serve on https://localhost:5443
run: $(BIN)/tracklog
	$(BIN)/tracklog db upgrade
	$(BIN)/tracklog demo
	$(BIN)/tracklog serve --port 5443

## test: install what the tests need, lint, then run the whole suite on SQLite and PostgreSQL
##       (one worker more than the cores, pytest-xdist; `pytest -n0` runs in one process)
test: $(BIN)/tracklog test-deps lint test-js
	$(BIN)/python -m pytest -n auto --dist worksteal

## test-deps: what the tests need beyond Python packages: Debian's Chromium, Dovecot and Node.js
test-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "Chromium could not be installed: browser tests will skip (and fail under CI=true)"
	@command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot \
		|| (apt-get update -qq && apt-get install -y -qq dovecot-imapd) \
		|| echo "Dovecot could not be installed: IMAP tests will skip (and fail under CI=true)"
	@command -v node >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq nodejs)

## test-js: the add-in's JavaScript unit tests (Node's built-in test runner, Node 20+)
test-js:
	node --test tests/js/

lint: $(BIN)/tracklog
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/tracklog
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## i18n: extract the messages, update the catalogues and compile them
i18n: $(BIN)/tracklog
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o server/tracklog/translations/messages.pot server/tracklog taskpane
	$(BIN)/pybabel update -i server/tracklog/translations/messages.pot -d server/tracklog/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d server/tracklog/translations

## bench: run the benchmarks and write bench/RESULTS.md
bench: $(BIN)/tracklog
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info server/*.egg-info
