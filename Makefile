# Two commands matter: `make demo` and `make test`. Both set up .venv on first use and are fast after.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := rate_limiter auth rest_vs_graphql migrations_demo queue_demo \
            cap_theorem error_handling scaling microservices api_security app.walkthrough

.PHONY: install lint fmt test demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev,bench]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/pytest

demo: install
	@for package in $(PACKAGES); do \
		echo; echo "━━ python -m $$package ━━"; \
		$(BIN)/python -m $$package || exit $$?; \
	done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out
