# Two commands set everything up on a machine with Python 3.11+ and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PLUGINS := -e plugins/archive -e plugins/simantap
# pytest-xdist processes for the tests; 0 runs the suite in one process
TEST_WORKERS ?= 2

.PHONY: demo test install install-test lint translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e . $(PLUGINS)

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]' $(PLUGINS)

demo: install
	$(BIN)/sikd demo --host 127.0.0.1 --port 5000

test: install-test
	$(BIN)/pytest -q -n $(TEST_WORKERS)

lint: install-test
	$(BIN)/ruff check .

translations: install-test
	$(BIN)/python tools/translations.py update

clean:
	rm -rf $(VENV) build *.egg-info plugins/*/*.egg-info
