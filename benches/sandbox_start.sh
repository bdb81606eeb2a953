# Sourced by the bench scripts: starts `$BIN sandbox` on a free loopback port with a
# file-backed --db under $WORK, waits for its JSON line, and sets BASE, ADMIN and
# SANDBOX_PID; `field JSON KEY` reads one field of a JSON object.
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
"$BIN" sandbox --json --addr 127.0.0.1:0 --db "$WORK/bench.db" >"$WORK/out" 2>"$WORK/err" &
SANDBOX_PID=$!
for _ in $(seq 100); do [ -s "$WORK/out" ] && break; sleep 0.1; done
INFO=$(head -n1 "$WORK/out")
BASE=$(field "$INFO" base_url)
ADMIN=$(field "$INFO" admin_token)
