# `make run` and `make test` work on a fresh machine: they create .venv and install what they need.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

.PHONY: install chromium run migrate test bench lint format

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

run: install
	$(PY) main.py migrate
	$(PY) main.py serve

migrate: install
	$(PY) main.py migrate

# the browser test (tests/e2e/test_browser.py) drives Debian's headless Chromium
chromium:
	scripts/ensure-chromium

test: install chromium
	$(PY) -m pytest

bench: install
	$(PY) -m bench.engine
	$(PY) -m bench.api
	$(PY) -m bench.deployments_table

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
