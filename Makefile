# The two set-up commands of the README are `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install run test lint bench messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# gettext catalogues are committed as .po and compiled here (needs msgfmt: Debian's gettext).
messages: install
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages -v0 --ignore=.venv; \
	else echo "msgfmt not found (apt-get install gettext): pages fall back to English"; fi

run: install messages
	bin/run

test: install messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: install
	$(PY) bench/sweep.py
	$(PY) bench/api.py
	$(PY) bench/policy_impact.py
	$(PY) bench/pages.py
	$(PY) bench/webhooks.py
