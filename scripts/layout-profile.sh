#!/usr/bin/env bash
# Regenerates scripts/text-order.txt, the section order of scripts/package.sh's link: builds the copilot tools, runs
# each under callgrind through `warden emulate` against a seeded local database (bench/layout_profile.py says what it
# sends) and lists the functions they ran, hot ones first. Run it when the warm path's code has changed much: a
# function the list does not name still links, only among the cold ones. Takes a few minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/ensure-tools.sh
tools=(calculate_health get_customer_usage get_recent_tickets get_contract_info generate_email generate_qbr_outline)
bash scripts/package.sh "${tools[@]}"
swift build --product warden 2>&1 | grep -E 'error|warning:' || true
started_pg=0
bash scripts/pg.sh status >/dev/null 2>&1 || started_pg=1
bash scripts/pg.sh start >/dev/null
cleanup() { if [ "$started_pg" = 1 ]; then bash scripts/pg.sh stop || true; fi; }
trap cleanup EXIT
bash scripts/pg.sh psql -c "DROP DATABASE IF EXISTS warden_layout WITH (FORCE)" >/dev/null 2>&1
bash scripts/pg.sh psql -c "CREATE DATABASE warden_layout OWNER warden" >/dev/null
.build/debug/warden migrate --seed --database-url "$(bash scripts/pg.sh url warden_layout)" >/dev/null
BENCH_DATABASE_URL="$(bash scripts/pg.sh fn-url warden_layout)" BENCH_OWNER_URL="$(bash scripts/pg.sh url warden_layout)" \
    BENCH_WARDEN="$root/.build/debug/warden" python3 bench/layout_profile.py >scripts/text-order.txt.new
mv scripts/text-order.txt.new scripts/text-order.txt
bash scripts/pg.sh psql -c "DROP DATABASE IF EXISTS warden_layout WITH (FORCE)" >/dev/null 2>&1
echo "layout: scripts/text-order.txt: $(wc -l <scripts/text-order.txt) sections"
