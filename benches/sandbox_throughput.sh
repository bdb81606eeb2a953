#!/usr/bin/env bash
# Throughput of the embedded sandbox (issue 2): GET product by id and POST order, with wrk,
# against the release binary and a file-backed --db.
#
#   apt-get update && apt-get install -y wrk
#   cargo build --release --bin gatecheck
#   benches/sandbox_throughput.sh [DURATION] [CONNECTIONS] [THREADS]
#
# It starts `gatecheck sandbox --json --db <tmp>/bench.db --addr 127.0.0.1:0`, discovers an
# available USD voucher through the catalog (no hard-coded ids), creates a bench agent
# with a large USD deposit through the admin API, runs wrk for each endpoint and prints
# requests/s. Needs python3 (JSON parsing) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-10s}
CONNECTIONS=${2:-64}
THREADS=${3:-2}
BIN=${GATECHECK_BIN:-target/release/gatecheck}
WORK=$(mktemp -d)
trap 'kill "$SANDBOX_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

. benches/sandbox_start.sh

AGENT_JSON=$(curl -sf -X POST "$BASE/_sandbox/agents" -H "X-Sandbox-Admin: $ADMIN" \
  -H 'Content-Type: application/json' \
  -d '{"deposits":[{"currency_code":"USD","amount":"100000000.00"}]}')
AGENT=$(field "$AGENT_JSON" agent_id)
KEY=$(field "$AGENT_JSON" api_key)
PRODUCT=$(curl -sf "$BASE/agent/$AGENT/products?type=voucher&is_available=true&limit=100" -H "Authorization: $KEY" |
  python3 -c "import json,sys; print(next(p['id'] for p in json.load(sys.stdin)['items'] if p['currency_code']=='USD'))")

cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"product_id": $PRODUCT}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "$KEY"
LUA
cat >"$WORK/get.lua" <<LUA
wrk.headers["Authorization"] = "$KEY"
LUA

echo "== GET /agent/{id}/products/$PRODUCT  ($DURATION, $CONNECTIONS connections, $THREADS wrk threads)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/get.lua" "$BASE/agent/$AGENT/products/$PRODUCT"
echo
echo "== POST /agent/{id}/orders  (file-backed --db, $DURATION, $CONNECTIONS connections, $THREADS wrk threads)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/post.lua" "$BASE/agent/$AGENT/orders"
echo
# Every POST above must have been a 201: count the bench agent's orders through the API.
COUNT=$(python3 - "$BASE" "$AGENT" "$KEY" <<'PY'
import json, sys, urllib.request
base, agent, key = sys.argv[1:]
n, cursor = 0, ""
while True:
    req = urllib.request.Request(f"{base}/agent/{agent}/orders?limit=100&cursor={cursor}", headers={"Authorization": key})
    page = json.load(urllib.request.urlopen(req))
    n += len(page["items"])
    if not page["next_cursor"]:
        break
    cursor = page["next_cursor"]
print(n)
PY
)
echo "orders stored for the bench agent: $COUNT"
