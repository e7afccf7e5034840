# `make run` and `make test` work on a fresh machine: they create .venv and install what they need.
# CPython 3.13 when this machine has it (on PATH, or installed by pyenv): the provider SDKs' streaming costs less CPU on
# it, which the engine's throughput feels (bench/engine.py); else python3 (3.11 or later). `make PYTHON=...` chooses.
PYENV_PYTHON313 := $(lastword $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/3.13.*/bin/python3.13))
PYTHON ?= $(or $(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null),$(PYENV_PYTHON313),python3)
VENV := .venv
PY := $(VENV)/bin/python
# installs come from the locks alone (every package pinned, with hashes): a fresh machine gets exactly what CI tested.
# Each stamp is named by the hash of the lock it installs from, so editing that lock installs again.
RUNTIME_LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(shell sha1sum $(RUNTIME_LOCK) | cut -c1-12)
DEV_STAMP := $(VENV)/.installed-dev-$(shell sha1sum $(DEV_LOCK) | cut -c1-12)
# the locks hold every Python from 3.11 on (markers for the rest), so one lock serves 3.11 and 3.13 alike
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet

.PHONY: install install-runtime lock chromium run migrate test bench lint format

install: $(DEV_STAMP)

install-runtime: $(RUNTIME_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUNTIME_STAMP): $(RUNTIME_LOCK) | $(PY)
	$(PY) -m pip install -q --require-hashes -r $(RUNTIME_LOCK)
	rm -f $(VENV)/.installed-runtime-* && touch $@

$(DEV_STAMP): $(DEV_LOCK) | $(PY)
	$(PY) -m pip install -q --require-hashes -r $(DEV_LOCK)
	rm -f $(VENV)/.installed-dev-* && touch $@

# after editing requirements.txt or requirements-dev.txt: resolve both locks again and commit them with it
lock: install
	$(VENV)/bin/uv pip compile $(LOCK_FLAGS) requirements.txt -o $(RUNTIME_LOCK)
	$(VENV)/bin/uv pip compile $(LOCK_FLAGS) requirements-dev.txt -o $(DEV_LOCK)

run: install-runtime
	$(PY) main.py migrate
	$(PY) main.py serve

migrate: install-runtime
	$(PY) main.py migrate

# the browser test (tests/e2e/test_browser.py) drives Debian's headless Chromium
chromium:
	scripts/ensure-chromium

# three test processes even on two cores: most tests wait on servers and subprocesses, not the CPU
TEST_PROCESSES ?= 3
test: install chromium
	$(PY) -m pytest -n $(TEST_PROCESSES)

bench: install
	$(PY) -m bench.engine
	$(PY) -m bench.api
	$(PY) -m bench.deployments_table
	$(PY) -m bench.admission
	$(PY) -m bench.rollouts
	$(PY) -m bench.executions_export
	$(PY) -m bench.deployment_page
	$(PY) -m bench.webhooks
	$(PY) -m bench.idempotency
	$(PY) -m bench.bus

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
