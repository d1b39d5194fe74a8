# MediTrack: `make run` serves the API on http://127.0.0.1:8000 and the live events on
# ws://127.0.0.1:8000/ws/events/ (one ASGI server: docs/events.md), and runs the periodic jobs (a Celery
# worker with embedded beat; no Redis needed: docs/jobs.md); `make test` runs the whole suite.
# `make run PORT=8001` serves another port, `make run JOBS=off` the API only.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
JOBS ?= on
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# runserver (daphne's: HTTP and WebSocket) and the jobs worker start and stop together
# (config/devserver.py): Ctrl+C stops both.
run: seed
	$(BIN)/python -m config.devserver $(HOST):$(PORT)$(if $(filter off,$(JOBS)), --no-jobs)

test: install
	$(BIN)/python -m pytest
	$(BIN)/ruff check .

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles .pytest_cache var
