#!/usr/bin/env bash
# The embedded sandbox agrees with its own OpenAPI document, judged by an independent tool:
# Schemathesis 4 (all checks; examples, coverage, fuzzing and stateful phases) against
# `gatecheck sandbox` on a free loopback port, the caller's identity pinned, the raw key
# sent, the statuses the contract allows (§3, §10) expected. Exits non-zero on any failure.
#
#   scripts/schemathesis.sh API OPENAPI_PATH        e.g. scripts/schemathesis.sh gate schemas/gate/openapi.json
#
# SCHEMATHESIS_MAX_TIME (seconds, default 150) bounds the run. Schemathesis is installed
# from PyPI into a virtual environment under target/.
set -euo pipefail
api="${1:?usage: scripts/schemathesis.sh API OPENAPI_PATH}"
spec="${2:?usage: scripts/schemathesis.sh API OPENAPI_PATH}"
max_time="${SCHEMATHESIS_MAX_TIME:-150}"
root="$(cd "$(dirname "$0")/.." && pwd)"
spec="$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")"
venv="$root/target/schemathesis/venv"

if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis>=4,<5"
fi
(cd "$root" && cargo build --quiet)

work="$(mktemp -d)"
sandbox_args=(sandbox --addr 127.0.0.1:0 --json)
if [ "$api" != gate ]; then
    sandbox_args+=(--api "$api")
fi
"$root/target/debug/gatecheck" "${sandbox_args[@]}" >"$work/start.json" 2>"$work/sandbox.log" &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    [ -s "$work/start.json" ] && break
    sleep 0.1
done

# The start line: base_url, api_key, admin_token, and the identity fields (e.g. agent_id)
# that become pinned path parameters.
read -r base_url api_key < <("$venv/bin/python" - "$work/start.json" <<'PY'
import json, sys
start = json.loads(open(sys.argv[1]).readline())
print(start["base_url"], start["api_key"])
PY
)
"$venv/bin/python" - "$work/start.json" >"$work/schemathesis.toml" <<'PY'
import json, sys
start = json.loads(open(sys.argv[1]).readline())
identity = {k: v for k, v in start.items() if k not in ("base_url", "api_key", "admin_token")}
print("[parameters]")
for name, value in identity.items():
    print(f'"path.{name}" = {json.dumps(value)}')
# §3, §10: a schema-valid request may still meet a domain error (unknown product,
# insufficient balance, product unavailable, a key in flight or reused) or the rate limit.
print('[checks.positive_data_acceptance]')
print('expected-statuses = ["200", "201", "204", "400", "404", "409", "422", "429"]')
print('[checks.negative_data_rejection]')
print('expected-statuses = ["400", "401", "403", "404", "405", "409", "415", "422", "429"]')
PY

"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$spec" \
    --url "$base_url" \
    --header "Authorization: $api_key" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --max-time "$max_time" \
    --workers 2 \
    --seed 1 \
    --suppress-health-check all \
    --exclude-path-regex "^/_sandbox"
