# `make run` and `make test` work on a fresh machine: they create .venv and install what they need.
# CPython 3.13 when this machine has it (on PATH, or installed by pyenv): the provider SDKs' streaming costs less CPU on
# it, which the engine's throughput feels (bench/engine.py); else python3 (3.11 or later). `make PYTHON=...` chooses.
PYENV_PYTHON313 := $(lastword $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/3.13.*/bin/python3.13))
PYTHON ?= $(or $(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null),$(PYENV_PYTHON313),python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

.PHONY: install chromium run migrate test bench lint format

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
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
