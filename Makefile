# Two commands on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make run    install into .venv and start the embedded server on :8000
#   make test   install, start the real services and Chromium, run every check and test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)

.PHONY: run test check lint unit services-up services-down services-status browser bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,distributed,bench]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/blazing serve $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/mypy

# Everything: lint, then the whole suite against real Redis/Kafka/FerretDB and Chromium.
test: $(STAMP) services-up browser lint
	CI=$${CI:-true} $(BIN)/pytest $(PYTEST_ARGS)

# Fast loop without external services (those tests skip locally).
unit: $(STAMP)
	$(BIN)/pytest -m "not services and not browser and not chaos" $(PYTEST_ARGS)

services-up:
	scripts/services up

services-down:
	scripts/services down

services-status:
	scripts/services status

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

bench: $(STAMP)
	$(BIN)/blazing bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts
