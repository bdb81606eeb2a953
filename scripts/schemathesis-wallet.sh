#!/usr/bin/env bash
# The independent check of the Wallet: Schemathesis (from PyPI, in a venv) generates
# requests from schemas/wallet/openapi.json and judges the answers of `gatecheck sandbox`
# by the document alone. Bounded in time; exits non-zero on any failure.
#
#   scripts/schemathesis-wallet.sh            # default budget
#   ST_MAX_EXAMPLES=200 ST_TIMEOUT=900 scripts/schemathesis-wallet.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-40}"
TIMEOUT="${ST_TIMEOUT:-600}"

if [ ! -x "$VENV/bin/st" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet 'schemathesis>=4,<5'
fi

cargo build --quiet
WORK="$(mktemp -d)"
./target/debug/gatecheck sandbox --addr 127.0.0.1:0 --json --complete-after 20ms \
    --slow-after 200ms --db "$WORK/sandbox.db" > "$WORK/start.json" 2> "$WORK/sandbox.log" &
SANDBOX=$!
trap 'kill "$SANDBOX" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do
    [ -s "$WORK/start.json" ] && break
    sleep 0.1
done
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WORK/start.json" "$1"; }
BASE="$(field base_url)"
KEY="$(field merchant_api_key)"
ADMIN="$(field admin_token)"

# The merchant key authorizes /v1/wallet/, the admin token /_sandbox (each route ignores
# the other header). Secrets stay out of the report: Schemathesis masks sensitive headers.
timeout "$TIMEOUT" "$VENV/bin/st" --config-file scripts/schemathesis-wallet.toml \
    run schemas/wallet/openapi.json \
    --url "$BASE" \
    --header "Authorization: $KEY" \
    --header "X-Sandbox-Admin: $ADMIN" \
    --max-examples "$MAX_EXAMPLES" \
    --generation-database none \
    --request-timeout 10 \
    --no-color
