# Task Creator: every command builds what it needs first, from a fresh clone.
SHELL := /bin/bash
# The function's Lambda runtime (infra/bundling.py LAMBDA_PYTHON_VERSION); tests and the demo run on it.
PYTHON_VERSION := 3.13
# The first python3.13 that runs: PYTHON=..., then pyenv's installs, then the PATH.
PYTHON ?= $(shell for candidate in $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(PYTHON_VERSION).*/bin/python$(PYTHON_VERSION) \
	$$(command -v python$(PYTHON_VERSION)); do \
	PYENV_VERSION=$$(basename $$(dirname $$(dirname $$candidate)) 2>/dev/null) "$$candidate" -c '' 2>/dev/null \
	&& { echo "$$candidate"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-py$(PYTHON_VERSION)
NODE_STAMP := node_modules/.installed
CONNECT_INSTANCE_ID ?= 11111111-2222-3333-4444-555555555555
CDK_CONTEXT ?=
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv lint typecheck lambda-deps test unit demo synth deploy bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt lambda/requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python $(PYTHON_VERSION) (the function's Lambda runtime) was not found:" \
		"install it (pyenv install $(PYTHON_VERSION), or apt-get install python$(PYTHON_VERSION))" \
		"or name it with make PYTHON=/path/to/python$(PYTHON_VERSION)" >&2; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
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

lambda-deps: $(STAMP)  ## the function's pinned wheels for Lambda's platform, cached under build/
	$(PY) -m infra.bundling

test: lint typecheck lambda-deps  ## install everything, then ruff, mypy, the shipped mapping's cases and the whole pytest suite
	$(PY) -m local test --mapping lambda/mapping.json tests/mapping_cases
	$(BIN)/pytest

unit: $(STAMP)  ## only the pure unit tests
	$(BIN)/pytest -m unit

demo: $(STAMP)  ## the whole pipeline offline (moto + Connect emulator): every sample in events/, twice
	$(PY) -m local demo

synth: $(STAMP) $(NODE_STAMP)  ## offline CDK synth with example ids: template + cdk-nag report in cdk.out/, then cfn-lint
	AWS_EC2_METADATA_DISABLED=true npx --no-install cdk synth --quiet --no-notices \
		-c connectInstanceId=$(CONNECT_INSTANCE_ID) -c contactFlowId=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee $(CDK_CONTEXT)
	$(BIN)/cfn-lint --config-file .cfnlintrc
	@echo "cdk.out/: $$(ls cdk.out/*.template.json) (cfn-lint: clean) and cdk.out/cdk-nag-report.json"

deploy: $(STAMP) $(NODE_STAMP)  ## cdk deploy: make deploy CDK_CONTEXT="-c connectInstanceId=... -c contactFlowId=..."
	npx --no-install cdk deploy $(CDK_CONTEXT)

bench: $(STAMP) lambda-deps  ## benchmarks (not in make test): issue 11's six figures and a naive peer, design figures, chaos; BENCH_ARGS=--quick
	PYTHONPATH=lambda $(PY) -m benchmarks.run $(BENCH_ARGS)

clean:  ## remove build output and caches (keeps .venv and node_modules)
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache .hypothesis
