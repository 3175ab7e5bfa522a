# The two commands: `make demo` and `make test`. Both install whatever is
# missing (virtualenv, Python packages, Debian packages, the Asterisk root).
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# Two workers: the calls on the shared Asterisk in one, the rest beside it (tests/conftest.py)
PYTEST_WORKERS ?= 2

.PHONY: demo test lint bench screenshots setup system-deps asterisk asterisk-stop clean

setup: $(INSTALLED) system-deps asterisk

# setup.py and the C source too: a changed accelerator (cti/ami/_speedups.c) is built again
$(INSTALLED): pyproject.toml setup.py cti/ami/_speedups.c
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

system-deps:
	deploy/system-deps.sh

asterisk:
	deploy/asterisk/provision.sh

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .

test: setup lint
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

demo: setup
	$(VENV)/bin/hotline demo

bench: setup
	$(PY) -m bench

# The browser stories, saving their screenshots into docs/screenshots/.
screenshots: setup
	HOTLINE_SCREENSHOTS=1 $(VENV)/bin/pytest tests/browser

asterisk-stop:
	deploy/asterisk/hotline-asterisk stop

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
