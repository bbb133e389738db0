#!/usr/bin/env bash
# `make run`: build the static bootstraps, start a local PostgreSQL with the demo data, and serve every function
# through `warden emulate` (one Runtime API + invoke endpoint per function) until Ctrl-C.
#
# Environment: WARDEN_RUN_PORT (first port, default 9001), HMAC_SECRET (default local-dev-secret),
# ALLOWED_ORIGIN (default http://localhost:3000).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"
source scripts/functions.sh

bash scripts/ensure-tools.sh
bash scripts/deps.sh
echo "run: building"
swift build --product warden 2>&1 | grep -E 'error|warning:' || true
[ -x .build/debug/warden ] || { echo "run: build failed" >&2; exit 1; }
bash scripts/package.sh
bash scripts/pg.sh start
.build/debug/warden migrate --seed --database-url "${WARDEN_OWNER_DATABASE_URL:-$(bash scripts/pg.sh url)}"
# The functions log in as warden_app: a member of warden_fn that owns nothing (row-level security applies).
export DATABASE_URL="${DATABASE_URL:-$(bash scripts/pg.sh fn-url)}"
export HMAC_SECRET="${HMAC_SECRET:-local-dev-secret}"
export ALLOWED_ORIGIN="${ALLOWED_ORIGIN:-http://localhost:3000}"
# The participant API verifies Supabase-style HS256 tokens; user_demo_owner belongs to org_demo (demo data).
export JWT_SECRET="${JWT_SECRET:-local-dev-jwt-secret-0123456789abcdef}"

port="${WARDEN_RUN_PORT:-9001}"
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
echo
echo "Serving (Runtime API emulator per function; invoke endpoint /2015-03-31/functions/function/invocations):"
first=""
for fn in $(warden_functions "$root"); do
    .build/debug/warden emulate --bootstrap "dist/$fn/bootstrap" --port "$port" --function-name "$fn" --timeout 10 \
        --memory 256 --eager --env AWS_LAMBDA_LOG_FORMAT=JSON &
    pids+=($!)
    printf '  %-22s http://127.0.0.1:%s\n' "$fn" "$port"
    [ -n "$first" ] || first="$fn:$port"
    port=$((port + 1))
done
fn="${first%%:*}"; p="${first##*:}"
cat <<MSG

Call one with a freshly signed sample event (demo tenants: public and user_demo_owner):
  curl -s http://127.0.0.1:$p/2015-03-31/functions/function/invocations \\
       -d "\$(python3 scripts/sign-event.py events/$fn/public-acme.json)"
or run a one-off invocation:  make invoke FN=$fn EVENT=events/$fn/owner-hooli.json
Ctrl-C stops everything.
MSG
wait
