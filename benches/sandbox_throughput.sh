#!/usr/bin/env bash
# Throughput of the embedded sandbox (issues 2 and 11): the Gate's GET product by id and
# POST order, then the Wallet's POST authorize and GET transaction, with wrk, against the
# release binary and a file-backed --db (one store for both APIs).
#
#   apt-get update && apt-get install -y wrk
#   cargo build --release --bin gatecheck
#   benches/sandbox_throughput.sh [DURATION] [CONNECTIONS] [THREADS]
#
# It starts `gatecheck sandbox --json --db <tmp>/bench.db --addr 127.0.0.1:0`, discovers an
# available USD voucher through the catalog (no hard-coded ids), creates a bench agent
# with a large USD deposit through the admin API, runs wrk for each endpoint and prints
# requests/s; then authorizes as the default merchant (a fresh Idempotency-Key per request)
# and reads one transaction by id. Needs python3 (JSON parsing) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-10s}
CONNECTIONS=${2:-64}
THREADS=${3:-2}
BIN=${GATECHECK_BIN:-target/release/gatecheck}
WORK=$(mktemp -d)
trap 'kill "$SANDBOX_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN" sandbox --json --addr 127.0.0.1:0 --db "$WORK/bench.db" >"$WORK/out" 2>"$WORK/err" &
SANDBOX_PID=$!
for _ in $(seq 100); do [ -s "$WORK/out" ] && break; sleep 0.1; done
INFO=$(head -n1 "$WORK/out")
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
BASE=$(field "$INFO" base_url)
ADMIN=$(field "$INFO" admin_token)

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

# ---- the Wallet: authorizations (each with its own Idempotency-Key) and reads by id.
MKEY=$(field "$INFO" merchant_api_key)
cat >"$WORK/authorize.lua" <<LUA
local counter = 0
local prefix = ""
function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  prefix = string.format("bench-%d-%d-", os.time(), math.random(1, 1000000000))
end
function request()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "$MKEY"
  headers["Idempotency-Key"] = prefix .. counter
  return wrk.format("POST", nil, headers,
    '{"amount": 15000, "phoneNumber": "+77001234567", "iin": "900101300007", "orderReference": "BENCH", "currency": "KZT"}')
end
LUA
cat >"$WORK/wallet_get.lua" <<LUA
wrk.headers["Authorization"] = "$MKEY"
LUA
echo "== POST /v1/wallet/authorize  (file-backed --db, $DURATION, $CONNECTIONS connections, $THREADS wrk threads)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/authorize.lua" "$BASE/v1/wallet/authorize"
echo
TX=$(curl -sf "$BASE/v1/wallet/transactions?limit=1" -H "Authorization: $MKEY" |
  python3 -c "import json,sys; print(json.load(sys.stdin)['items'][0]['walletTransactionId'])")
echo "== GET /v1/wallet/transaction/$TX  ($DURATION, $CONNECTIONS connections, $THREADS wrk threads)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/wallet_get.lua" "$BASE/v1/wallet/transaction/$TX"
echo
# Every authorization above must have been a 201 and stored: count them through the API.
COUNT=$(python3 - "$BASE" "$MKEY" <<'PY'
import json, sys, urllib.request
base, key = sys.argv[1:]
n, cursor = 0, ""
while True:
    req = urllib.request.Request(f"{base}/v1/wallet/transactions?limit=100&orderReference=BENCH&cursor={cursor}", headers={"Authorization": key})
    page = json.load(urllib.request.urlopen(req))
    n += len(page["items"])
    if not page["nextCursor"]:
        break
    cursor = page["nextCursor"]
print(n)
PY
)
echo "wallet transactions stored for the bench merchant: $COUNT"
