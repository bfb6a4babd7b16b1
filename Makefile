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

# Until svcframe-all runs the four services in one process, the API alone;
# --config-dir etc/svcframe finds the repository's api-paste.ini.
run: $(INSTALLED)
	$(BIN)/svcframe-api --config-dir etc/svcframe $(ARGS)

test: $(INSTALLED)
	$(BIN)/pytest $(PYTEST_ARGS)

sample: $(INSTALLED)
	$(BIN)/oslo-config-generator --config-file etc/svcframe/svcframe-config-generator.conf

docs: $(INSTALLED)
	$(BIN)/sphinx-build -W --keep-going -b html doc/source doc/build/html

clean:
	rm -rf $(VENV) doc/build build *.egg-info
