#!/usr/bin/env bash
# `make run`: build the static bootstraps, start a local PostgreSQL with the demo data, and serve every function of
# template/template.yaml through `warden gateway` (the local API Gateway: REST API for the copilot tools, HTTP API for
# the participant and intent APIs, the participant export's Function URL) until Ctrl-C.
#
# Environment: WARDEN_RUN_PORT (the APIs' port, default 3000; the Function URL gets the next one), HMAC_SECRET
# (default local-dev-secret), JWT_SECRET (default local-dev-jwt-secret-0123456789abcdef), ALLOWED_ORIGIN (default
# http://localhost:3000), RATE_LIMIT_PER_MINUTE (default: the template's, 600 for the copilot tools and 100 for the APIs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"
source scripts/progress.sh

bash scripts/ensure-tools.sh
# scripts/deps.sh's own steps, and a line now and then while one of them runs long; then the build's progress
# ("run: build 120/480 (25%, 0:42) Compiling Postgres") and each function's packaging ("package: [3/11] …").
bash scripts/deps.sh | progress_filter "deps:" '.'
echo "run: building"
swift build --product warden 2>&1 | progress_filter "run: build" 'error|warning:' || true
[ -x .build/debug/warden ] || { echo "run: build failed" >&2; exit 1; }
echo "run: packaging"
bash scripts/package.sh
echo "run: starting PostgreSQL, applying the migrations and the demo data"
bash scripts/pg.sh start
.build/debug/warden migrate --seed --database-url "${WARDEN_OWNER_DATABASE_URL:-$(bash scripts/pg.sh url)}"
# The functions log in as warden_app: a member of warden_fn that owns nothing (row-level security applies). The
# gateway passes its own environment to the functions below the template's variables; a template variable that is
# empty here (JWT_SECRET, ENRICHMENT_URL, … without their deploy-time parameters) leaves the variable to this shell.
export DATABASE_URL="${DATABASE_URL:-$(bash scripts/pg.sh fn-url)}"
export HMAC_SECRET="${HMAC_SECRET:-local-dev-secret}"
export ALLOWED_ORIGIN="${ALLOWED_ORIGIN:-http://localhost:3000}"
# The participant API verifies Supabase-style HS256 tokens; user_demo_owner belongs to org_demo (demo data).
export JWT_SECRET="${JWT_SECRET:-local-dev-jwt-secret-0123456789abcdef}"

port="${WARDEN_RUN_PORT:-3000}"
url_port="${WARDEN_RUN_URL_PORT:-$((port + 1))}"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; echo "run: stopped"' EXIT INT TERM
# Participant enrichment calls an HTTP provider: locally, the tests' fake one (answers by the address's local part,
# see Tests/e2e/fake_enrichment.py) unless ENRICHMENT_URL points elsewhere.
if [ -z "${ENRICHMENT_URL:-}" ]; then
    provider_port="${WARDEN_PROVIDER_PORT:-8999}"
    python3 Tests/e2e/fake_enrichment.py "$provider_port" &
    pids+=($!)
    export ENRICHMENT_URL="http://127.0.0.1:$provider_port"
    export ENRICHMENT_API_KEY="${ENRICHMENT_API_KEY:-fake-provider-key-0123456789}"
fi

# The MCP endpoint's public URL (RFC 9728 metadata and the 401 challenge name it); tokens need aud McpAudience
# (default warden-mcp, what scripts/sign-request.py --jwt puts in).
overrides=("AllowedOrigin=$ALLOWED_ORIGIN" "McpResourceUrl=http://127.0.0.1:$port/prod/mcp")
[ -z "${MCP_AUDIENCE:-}" ] || overrides+=("McpAudience=$MCP_AUDIENCE")
[ -z "${RATE_LIMIT_PER_MINUTE:-}" ] || overrides+=("RateLimitPerMinute=$RATE_LIMIT_PER_MINUTE" "CopilotRateLimitPerMinute=$RATE_LIMIT_PER_MINUTE")
echo
.build/debug/warden gateway --template template/template.yaml --dist dist --warm 1 --host 127.0.0.1 \
    --port "$port" --function-url-port "$url_port" --parameter-overrides "${overrides[@]}" &
pids+=($!)
for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "run: the gateway did not start" >&2; exit 1; }
    sleep 0.1
done
cat <<MSG

Call a copilot tool (REST API, signed with HMAC_SECRET; demo tenants: public and user_demo_owner):
  body='{"customerId":"acme","params":{"ownerUserId":"user_demo_owner"}}'
  curl -s http://127.0.0.1:$port/prod/calculate_health -H 'Content-Type: application/json' \\
       -H @<(python3 scripts/sign-request.py "\$body") -d "\$body"
or:  .build/debug/warden call calculate_health --customer acme --owner user_demo_owner --endpoint http://127.0.0.1:$port/prod

The participant API (HTTP API, bearer JWT signed with JWT_SECRET; user_demo_owner is in org_demo):
  curl -s http://127.0.0.1:$port/prod/api/participants -H "Authorization: Bearer \$(python3 scripts/sign-request.py --jwt user_demo_owner)"

The copilot tools over MCP (Streamable HTTP; the token's subject is the copilot tenant, its aud warden-mcp):
  URL http://127.0.0.1:$port/prod/mcp, header "Authorization: Bearer \$(python3 scripts/sign-request.py --jwt user_demo_owner)"
  (an example with the official Python SDK is in README.md, "MCP")

The streamed participant export (Function URL, RESPONSE_STREAM):
  curl -sN http://127.0.0.1:$url_port/api/participants/export -H "Authorization: Bearer \$(python3 scripts/sign-request.py --jwt user_demo_owner)"

Ctrl-C stops everything.
MSG
wait
