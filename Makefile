# The two commands of the quick start: `make run` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench clean

run: $(VENV)/.installed
	$(BIN)/python -m bot $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n auto
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m tests.layers
	$(BIN)/mypy bot handlers core storage

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/faq.py
	$(BIN)/python bench/faq.py --scale 10 100
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/broadcast.py
	$(BIN)/python bench/peak.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/startup.py

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .mypy_cache
