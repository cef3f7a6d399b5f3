# Task Creator: every command builds what it needs first, from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CONNECT_INSTANCE_ID ?= 11111111-2222-3333-4444-555555555555
CDK_CONTEXT ?=
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv lint typecheck test unit integration test-infra demo synth deploy clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt lambda/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)  ## build the virtualenv (.venv) with every pinned dependency

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

lint: $(STAMP)  ## ruff (lint and format check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)  ## mypy, strict
	$(BIN)/mypy

test: lint typecheck  ## install everything, then ruff, mypy and the whole pytest suite
	$(BIN)/pytest

unit: $(STAMP)  ## only the pure unit tests
	$(BIN)/pytest -m unit

clean:  ## remove build output and caches (keeps .venv and node_modules)
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache .hypothesis
