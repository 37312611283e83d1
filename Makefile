# `make run`: a working library with demo content on http://127.0.0.1:5000
# `make test`: the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
FLASK = $(BIN)/flask --app wsgi

.PHONY: run test lint bench clean

$(VENV)/installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

run: $(VENV)/installed
	$(FLASK) demo
	@echo "Serving the library on http://127.0.0.1:5000 (Ctrl+C stops it)"
	$(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:5000 wsgi:app

test: $(VENV)/installed
	$(BIN)/python -m pytest

lint: $(VENV)/installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/installed
	$(BIN)/python bench/search_latency.py
	$(BIN)/python bench/import_rate.py
	$(BIN)/python bench/reports.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
