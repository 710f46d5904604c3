# One command per task. Every target sets up what it needs: a fresh clone needs only Python 3.11
# (plus Java 17 and the gcloud CLI for the emulator tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
# Terraform checks (checkov) in their own virtualenv: their dependencies clash with the runtime pins.
INFRA_VENV  := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed-$(shell cat requirements-infra.txt | sha1sum | cut -c1-12)
# The web viewer's npm packages, from package-lock.json exactly (npm ci).
WEB_STAMP := web/node_modules/.installed-$(shell cat web/package-lock.json | sha1sum | cut -c1-12)
# The local stack's Firebase Authentication emulator (firebase-tools), from stack/auth's lock.
AUTH_STAMP := stack/auth/node_modules/.installed-$(shell cat stack/auth/package-lock.json | sha1sum | cut -c1-12)
# The google providers' schema (cdktf's packages generated from them), from infra/schema's lock.
SCHEMA_STAMP := infra/schema/node_modules/.installed-$(shell cat infra/schema/package-lock.json | sha1sum | cut -c1-12)
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get
# Independent set-up steps (the virtualenvs, npm ci, Chromium) run side by side: about a minute
# less on a fresh clone. Each recipe still runs its own commands in order.
MAKEFLAGS += --jobs=3

.PHONY: venv infra-venv infra-schema infra-check web web-deps auth-deps chromium lint format check test bench demo up down standin live-check clean

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

# Node.js comes with the machine image; Debian's is the fallback (the build runs on Node 18+).
web-deps: $(WEB_STAMP)

$(WEB_STAMP): web/package-lock.json
	@command -v npm >/dev/null || ($(APT_GET) update -q && $(APT_GET) install -y -q nodejs npm)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

auth-deps: $(AUTH_STAMP)

$(AUTH_STAMP): stack/auth/package-lock.json
	@command -v npm >/dev/null || ($(APT_GET) update -q && $(APT_GET) install -y -q nodejs npm)
	cd stack/auth && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

infra-schema: $(SCHEMA_STAMP)

$(SCHEMA_STAMP): infra/schema/package-lock.json
	@command -v npm >/dev/null || ($(APT_GET) update -q && $(APT_GET) install -y -q nodejs npm)
	cd infra/schema && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# infra/ against the pinned google providers' own schema, offline (docs/deploy.md): the first run
# extracts the schema (about 10 s), later ones read it from infra/schema/.cache (under 1 s).
infra-check: venv infra-schema
	$(BIN)/python -m infra.schema

web: web-deps  ## bundle the viewer into web/dist (about 1 s)
	cd web && npm run --silent build

# The browser tests drive Debian's Chromium (about 80 s to install, once per machine).
chromium: | web-deps auth-deps infra-schema  # after them: their apt-get fallback for npm holds the dpkg lock
	@command -v chromium >/dev/null || ($(APT_GET) update -q && $(APT_GET) install -y -q chromium)

lint: venv web-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy functions standin stack bench
	$(BIN)/mypy -p infra.schema
	$(BIN)/lint-imports
	cd web && npx prettier --check --log-level=warn .

format: venv web-deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	cd web && npx prettier --write --log-level=warn .

# The quick tier: lint, types, import contracts and every test that needs no emulator (under 2 min;
# two pytest workers: 22 s instead of 33 s for its tests on 2 cores).
check: lint infra-venv web infra-check
	$(BIN)/python -m pytest -m "not emulator" -q -n 2

# Everything, as CI runs it (docs/testing.md): the quick tier's tests and the functions on the
# emulators on two workers (each with emulators of its own), then the whole local stacks and the
# browser in one process, where each stack is shared and started once.
test: lint infra-venv web auth-deps chromium infra-check
	$(BIN)/python -m pytest -m "not emulator" -q -n 2
	$(BIN)/python -m pytest -m emulator -q -n 2 --ignore=tests/stack --ignore=tests/web --durations=10
	$(BIN)/python -m pytest -m emulator tests/stack tests/web --durations=15

bench: venv web auth-deps chromium
	$(BIN)/python -m bench

standin: venv  ## the offline Gemini API stand-in on 127.0.0.1:8089 (docs/standin.md)
	$(BIN)/python -m standin --host 127.0.0.1 --port 8089

live-check: venv  ## real Gemini (GEMINI_API_KEY, or Vertex): each request kind once, at most US$0.05
	$(BIN)/python -m functions live-check

demo: venv web auth-deps  ## the whole local pipeline on a bundled sample (FILE=path; KEEP=1 keeps it up)
	$(BIN)/python -m stack demo $(FILE) $(if $(KEEP),--keep)

up: venv web auth-deps  ## the local stack and the viewer, left running, with samples for two users
	$(BIN)/python -m stack up
	$(BIN)/python -m stack samples

down: venv
	$(BIN)/python -m stack down

clean:
	rm -rf $(VENV) $(INFRA_VENV) web/node_modules stack/auth/node_modules infra/schema/node_modules infra/schema/.cache web/dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
