# Warden — the two commands that matter: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
FN ?= calculate_health
EVENT ?= events/$(FN)/public-acme.json

.PHONY: help deps build package run test bench invoke migrate clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

deps: ## Build static libcurl and libpq from Debian's sources into .deps (idempotent)
	@bash scripts/deps.sh

build: deps ## Debug build of everything (functions and the warden tool)
	@swift build

package: deps ## Static, stripped bootstrap per function, zipped into dist/<function>.zip
	@bash scripts/package.sh

run: ## Start Postgres, migrate and seed, and serve every function locally
	@bash scripts/run.sh

test: ## Install what is missing, start Postgres, run every test
	@bash scripts/test.sh

bench: ## Measure cold start, warm throughput and latency against the Python baseline
	@bash bench/run.sh

invoke: build ## One invocation: make invoke FN=calculate_health EVENT=events/calculate_health/public-acme.json
	@DATABASE_URL="$${DATABASE_URL:-$$(bash scripts/pg.sh fn-url)}" .build/debug/warden invoke $(FN) $(EVENT)

migrate: build ## Apply migrations (and demo data) to DATABASE_URL or the local Postgres
	@DATABASE_URL="$${DATABASE_URL:-$$(bash scripts/pg.sh url)}" .build/debug/warden migrate --seed

clean: ## Remove build products (keeps .deps and the local database)
	@rm -rf .build .build-static dist
