# One command per task. Every target sets up what it needs: a fresh clone needs only Python 3.11
# (plus Java 17 and the gcloud CLI for the emulator tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
# Terraform checks (checkov) in their own virtualenv: their dependencies clash with the runtime pins.
INFRA_VENV  := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed-$(shell cat requirements-infra.txt | sha1sum | cut -c1-12)

.PHONY: venv infra-venv lint format test bench demo up down standin clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

infra-venv: $(INFRA_STAMP)

$(INFRA_STAMP): requirements-infra.txt
	@test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	@rm -f $(INFRA_VENV)/.installed-* && touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy functions standin stack
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint infra-venv
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python -m bench

standin: venv  ## the offline Gemini API stand-in on 127.0.0.1:8089 (docs/standin.md)
	$(BIN)/python -m standin --host 127.0.0.1 --port 8089

demo: venv  ## the whole local pipeline on a bundled sample (FILE=path for your own)
	$(BIN)/python -m stack demo $(FILE)

up: venv  ## the local stack, left running in the background
	$(BIN)/python -m stack up

down: venv
	$(BIN)/python -m stack down

clean:
	rm -rf $(VENV) $(INFRA_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
