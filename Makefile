# Warden — the two commands that matter: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
FN ?= calculate_health
EVENT ?= events/$(FN)/public-acme.json
FUZZ_SECONDS ?= 600

.PHONY: help deps build package run test lint security bench invoke migrate clean schemathesis fuzz

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

lint: ## Check the Swift style against .swift-format (swift format lint; also make test's first step)
	@bash scripts/lint.sh

security: deps ## Secret scan, audit of the tests' Python packages, advisories for OpenSSL/curl/libpq (also in make test)
	@bash scripts/ensure-tools.sh && bash scripts/security.sh

schemathesis: package ## Long schemathesis run of docs/openapi.yaml through warden gateway (EXAMPLES=, MAX_TIME=)
	@bash scripts/ensure-tools.sh && bash scripts/pg.sh start >/dev/null && PATH="/opt/swift/usr/bin:$$PATH" swift build -q --product warden
	@WARDEN_E2E_DATABASE=warden_schemathesis WARDEN_SCHEMATHESIS_EXAMPLES="$(or $(EXAMPLES),200)" \
	    WARDEN_SCHEMATHESIS_MAX_TIME="$(or $(MAX_TIME),900)" python3 -m pytest Tests/e2e/test_schemathesis.py -q -p no:cacheprovider; \
	    rc=$$?; echo "schemathesis: the whole report is in .local/schemathesis.log (the gateway's output in .local/schemathesis-gateway.log)"; exit $$rc

bench: ## Measure cold start, warm throughput and latency against the Python baseline
	@bash bench/run.sh

fuzz: deps ## Run each libFuzzer target FUZZ_SECONDS (default 600); FUZZ_TARGETS="jwt event" picks some (fuzz/README.md)
	@bash scripts/fuzz.sh "$(FUZZ_SECONDS)" $(FUZZ_TARGETS)

invoke: build ## One invocation: make invoke FN=calculate_health EVENT=events/calculate_health/public-acme.json
	@DATABASE_URL="$${DATABASE_URL:-$$(bash scripts/pg.sh fn-url)}" .build/debug/warden invoke $(FN) $(EVENT)

migrate: build ## Apply migrations (and demo data) to DATABASE_URL or the local Postgres
	@DATABASE_URL="$${DATABASE_URL:-$$(bash scripts/pg.sh url)}" .build/debug/warden migrate --seed

clean: ## Remove build products (keeps .deps and the local database)
	@rm -rf .build .build-static dist
