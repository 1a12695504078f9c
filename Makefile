# Two commands matter: `make demo` and `make test`. Both set up .venv on first use and are fast after.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := rate_limiter auth rest_vs_graphql migrations_demo queue_demo \
            cap_theorem error_handling scaling microservices api_security app.walkthrough

.PHONY: install lint fmt test demo drill prove clean lab labs-check bench bench-quick lock

# pyproject.toml keeps ranges; requirements.lock pins every package to the versions the suite passed on.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test,dev,bench,demo]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

# After editing pyproject.toml: re-resolve the pins for every extra and platform, keeping those that
# still fit (UPGRADE=--upgrade takes the newest); commit the lock once `make test` passes on it.
lock: install
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--no-annotate --custom-compile-command "make lock" $(UPGRADE) -o requirements.lock

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# pytest runs last so that its summary is the run's closing line.
test: lint
	$(BIN)/python -m labs check
	$(MAKE) --no-print-directory bench-quick
	$(BIN)/pytest

# `make lab` lists the break-it labs; `make lab LAB=name` runs one in a throwaway copy; SHOW=diff shows its bug.
lab: install
	@if [ -z "$(LAB)" ]; then $(BIN)/python -m labs list; \
	elif [ "$(SHOW)" = diff ]; then $(BIN)/python -m labs run $(LAB) --diff; \
	else $(BIN)/python -m labs run $(LAB); fi

labs-check: install
	$(BIN)/python -m labs check

demo: install
	@for package in $(PACKAGES); do \
		echo; echo "━━ python -m $$package ━━"; \
		$(BIN)/python -m $$package || exit $$?; \
	done

# Rehearse out loud: `make drill`, or `make drill ARGS="--package auth --count 5"`.
drill: install
	$(BIN)/python -m drill $(ARGS)

# Prove a claim live: `make prove CLAIM=rate_limiter` lists its claims, `CLAIM="rate_limiter 3"` runs one.
prove: install
	$(BIN)/python -m drill prove $(CLAIM)

# `make bench` re-takes every README's Measured figures (long, and best on a quiet machine);
# `make bench-quick` runs each benchmark's smoke pass, written under out/bench-quick/, and fails if any fails.
BENCHMARKS := rate_limiter_bench migrations_demo_bench cap_theorem_bench error_handling_bench \
              scaling_bench microservices_bench api_security_bench app_send auth_bench \
              queue_demo_bench rest_vs_graphql_bench rest_vs_graphql_field_cost_bench brokers_bench

bench: install
	$(BIN)/python -m benchmarks.rate_limiter_bench --own-redis --profile
	$(BIN)/python -m benchmarks.migrations_demo_bench
	$(BIN)/python -m benchmarks.cap_theorem_bench
	$(BIN)/python -m benchmarks.error_handling_bench
	$(BIN)/python -m benchmarks.scaling_bench
	$(BIN)/python -m benchmarks.microservices_bench
	$(BIN)/python -m benchmarks.api_security_bench
	$(BIN)/python -m benchmarks.app_send
	$(BIN)/python -m benchmarks.auth_bench
	$(BIN)/python -m benchmarks.queue_demo_bench --profile
	$(BIN)/python -m benchmarks.brokers_bench
	$(BIN)/python -m benchmarks.rest_vs_graphql_bench --runs 200
	$(BIN)/python -m benchmarks.rest_vs_graphql_field_cost_bench --runs 300

bench-quick: install
	@for bench in $(BENCHMARKS); do \
		echo; echo "━━ python -m benchmarks.$$bench --quick ━━"; \
		$(BIN)/python -m benchmarks.$$bench --quick || exit $$?; \
	done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out
