# cqcportal: one entry point for developers and CI.
#
#   make run      the demo on http://127.0.0.1:8000 (SQLite, Celery on the filesystem transport; no servers)
#   make test     lint, Django checks, migrations check and pytest against real PostgreSQL + Redis
#   make lint     ruff check and format check
#   make format   ruff format and ruff check --fix
#   make benchmark  the national-scale benchmarks into docs/benchmarks.md (about 30 minutes; see that file)
#   make diagrams redraw docs/diagrams/ from the state machines in the models (needs Graphviz's dot)
#   make services-stop   stop the throwaway PostgreSQL and Redis that `make test` started
#   make clean    remove everything the targets above built
#
# `make test PYTEST_ARGS="-k reminders -x"` passes arguments to pytest.

SHELL := /bin/bash
# Fail a recipe line on any failing command, including inside pipelines.
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
RUFF := $(VENV)/bin/ruff
SERVICES := bash scripts/services.sh
PYTEST_ARGS ?=

.PHONY: help venv .venv node_modules assets run test lint format diagrams services services-stop clean benchmark

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

# --- Python ---------------------------------------------------------------
# The stamp is newer than both requirements files once they are installed, so
# pip runs again only when a requirement changes (or the venv is gone).
venv .venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

# --- Front end ------------------------------------------------------------
# npm ci installs exactly the lock file; without a lock file fall back to npm install.
node_modules: node_modules/.installed

node_modules/.installed: package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $@

# Sass into static/build/. Always rebuilt: it takes a few seconds and cannot go stale.
assets: node_modules
	npm run build

# --- Running --------------------------------------------------------------
# No DATABASE_URL needed: the settings default to SQLite, and run_portal starts
# web, Celery worker and beat on the filesystem transport.
# DEBUG=1 selects the embedded default; production refuses to start without its settings.
run: venv assets
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 exec $(PY) manage.py run_portal

# --- Testing --------------------------------------------------------------
# One shell for the whole recipe, so the services' environment applies to every
# step. CQC_REQUIRE_SERVICES=1 makes the suite fail rather than fall back to SQLite.
test: venv assets
	$(SERVICES) start
	eval "$$($(SERVICES) env)"; \
	export CQC_REQUIRE_SERVICES=1 DJANGO_SETTINGS_MODULE=cqcportal.test_settings; \
	set -x; \
	$(RUFF) check .; \
	$(RUFF) format --check .; \
	$(PY) manage.py check --fail-level WARNING; \
	$(PY) manage.py makemigrations --check --dry-run; \
	$(PY) -m pytest $(PYTEST_ARGS)

# --- Benchmarks -------------------------------------------------------------
# Not part of `make test`: they take about half an hour on two cores and want the machine to themselves.
benchmark: venv assets
	bash scripts/benchmark.sh

lint: venv
	$(RUFF) check .
	$(RUFF) format --check .

format: venv
	$(RUFF) format .
	$(RUFF) check --fix .

# --- Diagrams -------------------------------------------------------------
# django-fsm's graph_transitions writes DOT from the model's transitions; Graphviz's dot
# draws the SVG the README shows. Both files are committed, and
# cqcportal/core/tests/test_diagrams.py fails when the DOT no longer matches the model.
# PYTHONHASHSEED=0: the command builds its graph from sets, so without a fixed seed the
# lines come out in a different order each run and the committed files would churn.
DIAGRAMS := docs/diagrams

# Each machine drawn: its model and the file name it is drawn to.
MACHINES := factual_accuracy.Report:report-states assessments.RatingReview:rating-review-states

diagrams: venv
	command -v dot >/dev/null || { echo "make diagrams needs Graphviz's dot: apt-get install graphviz" >&2; exit 1; }
	for machine in $(MACHINES); do \
	  model=$${machine%%:*}; name=$${machine##*:}; \
	  DEBUG=1 PYTHONHASHSEED=0 $(PY) manage.py graph_transitions $$model > $(DIAGRAMS)/$$name.dot.tmp; \
	  mv $(DIAGRAMS)/$$name.dot.tmp $(DIAGRAMS)/$$name.dot; \
	  dot -Tsvg $(DIAGRAMS)/$$name.dot -o $(DIAGRAMS)/$$name.svg; \
	done

# --- Services -------------------------------------------------------------
services:
	$(SERVICES) start

services-stop:
	$(SERVICES) stop

clean:
	rm -rf $(VENV) node_modules static/build var
