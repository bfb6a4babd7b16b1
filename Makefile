# make run: the services on their embedded defaults.   make test: the test suite.
# Each creates the virtualenv .venv and installs what it needs first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test sample docs clean

$(INSTALLED): setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgresql,mysql,docs]'
	touch $@

# svcframe-all: api, conductor, scheduler and compute in one process, on the
# in-memory transport and a SQLite file under state_path, migrated on start.
# --config-dir etc/svcframe finds the repository's api-paste.ini.
run: $(INSTALLED)
	$(BIN)/svcframe-all --config-dir etc/svcframe $(ARGS)

# The example plugin follows doc/source/plugins.rst; its tests run with
# svcframe's (setup.cfg's testpaths), so it is installed like a plugin.
EXAMPLE := examples/acme-echo
EXAMPLE_INSTALLED := $(VENV)/.installed-acme-echo

$(EXAMPLE_INSTALLED): $(INSTALLED) $(EXAMPLE)/setup.cfg $(EXAMPLE)/setup.py $(EXAMPLE)/pyproject.toml
	$(BIN)/pip install --quiet --no-build-isolation -e $(EXAMPLE)
	touch $@

test: $(INSTALLED) $(EXAMPLE_INSTALLED)
	$(BIN)/pytest $(PYTEST_ARGS)

sample: $(INSTALLED)
	$(BIN)/python -m svcframe.conf.opts --config-file etc/svcframe-config-generator.conf

docs: $(INSTALLED)
	$(BIN)/sphinx-build -W --keep-going -b html doc/source doc/build/html

clean:
	rm -rf $(VENV) doc/build build *.egg-info
