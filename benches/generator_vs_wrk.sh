#!/usr/bin/env bash
# The load generator against wrk and hey (issue 12): one sandbox process, GET product by id,
# 50 connections/users, 10 s each, tools alternated round by round; prints requests/s and
# gatecheck's ratio to each.
#
#   cargo build --release --bin gatecheck
#   benches/generator_vs_wrk.sh [ROUNDS] [DURATION_S] [CONNECTIONS]
#
# wrk and hey come from Debian's packages (installed here when absent). gatecheck runs
# `gatecheck load` in its default mode with a one-transaction scenario (get_product: GET
# /agent/{id}/products/{id} of a product discovered from the live catalog), every latency
# recorded in its HdrHistograms; its requests/s is the scenario's `all` throughput from
# report.json. The load average is printed with each round: the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-3}
SECS=${2:-10}
CONNECTIONS=${3:-50}
BIN=${GATECHECK_BIN:-target/release/gatecheck}

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v hey >/dev/null || need+=(hey)
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y "${need[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi
[ -x "$BIN" ] || { echo "build first: cargo build --release --bin gatecheck" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'kill "$SANDBOX_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

. benches/sandbox_start.sh
AGENT_JSON=$(curl -sf -X POST "$BASE/_sandbox/agents" -H "X-Sandbox-Admin: $ADMIN" \
  -H 'Content-Type: application/json' -d '{"deposits":[]}')
AGENT=$(field "$AGENT_JSON" agent_id)
KEY=$(field "$AGENT_JSON" api_key)
PRODUCT=$(curl -sf "$BASE/agent/$AGENT/products?limit=1" -H "Authorization: $KEY" |
  python3 -c "import json,sys; print(json.load(sys.stdin)['items'][0]['id'])")
URL="$BASE/agent/$AGENT/products/$PRODUCT"

cat >"$WORK/get.lua" <<LUA
wrk.headers["Authorization"] = "$KEY"
LUA
cat >"$WORK/get_product.toml" <<'TOML'
name = "get_product"
[[transaction]]
name = "get_product"
kind = "get_product"
TOML

run_wrk() {
  wrk -t2 -c"$CONNECTIONS" -d"${SECS}s" -s "$WORK/get.lua" "$URL" |
    awk '/^Requests\/sec/ {print $2}'
}
run_hey() {
  hey -z "${SECS}s" -c "$CONNECTIONS" -H "Authorization: $KEY" "$URL" |
    awk '/Requests\/sec/ {print $2}'
}
run_gatecheck() {
  rm -rf "$WORK/gc"
  "$BIN" load --scenario "$WORK/get_product.toml" --users "$CONNECTIONS" --run-time "${SECS}s" \
    --base-url "$BASE" --agent-id "$AGENT" --api-key "$KEY" --no-progress \
    --out "$WORK/gc" ${GATECHECK_FLAGS:-} >/dev/null 2>"$WORK/gc.err" || true
  python3 - "$WORK/gc/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
load = next(p["load"] for p in r["phases"] if p.get("load"))
t = next(t for t in load["transactions"] if t["name"] == "all")
print(f'{t["throughput_per_s"]:.0f} {t["count"]} {t["errors"]}')
PY
}

printf '%-6s %-14s %10s %10s %10s %10s %12s %8s\n' round load-avg wrk hey gatecheck recorded gc/wrk gc/hey
for r in $(seq "$ROUNDS"); do
  # Alternate the order so neither tool always runs on a warmer or quieter machine.
  if [ $((r % 2)) -eq 1 ]; then
    w=$(run_wrk); h=$(run_hey); read -r g n e < <(run_gatecheck)
  else
    read -r g n e < <(run_gatecheck); h=$(run_hey); w=$(run_wrk)
  fi
  la=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')
  printf '%-6s %-14s %10.0f %10.0f %10.0f %10s %12.2f %8.2f\n' "$r" "$la" "$w" "$h" "$g" "$n/$e" \
    "$(python3 -c "print($g/$w)")" "$(python3 -c "print($g/$h)")"
done
echo "recorded: transactions in gatecheck's histograms / errors among them"
