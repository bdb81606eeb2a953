#!/usr/bin/env bash
# Renders a real `gatecheck certify` HTML report in headless Chromium (Debian's package)
# and checks it as a person would: it renders, the verdict and the plots are there, and the
# page logs no console errors. Then the same for a `gatecheck capacity` report against a
# sandbox with a known capacity: the curve and its knee are drawn. Leaves screenshots.
#
#   scripts/check-report-in-browser.sh [OUT_DIR]
#
# Needs: chromium (apt-get install -y chromium) and a release build (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)/report}"
bin="${CARGO_TARGET_DIR:-target}/release/gatecheck"
command -v chromium >/dev/null || { echo "chromium is not installed (apt-get install -y chromium)"; exit 2; }
[ -x "$bin" ] || cargo build --release

"$bin" certify --quiet --run-time 5s --out "$out" >/dev/null || true
html="$out/report.html"
[ -s "$html" ] || { echo "no report at $html"; exit 1; }

profile=$(mktemp -d)
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile" --enable-logging=stderr --v=0)
chromium "${flags[@]}" --dump-dom "file://$(realpath "$html")" >"$out/dom.html" 2>"$out/chromium.log"
chromium "${flags[@]}" --window-size=1280,2400 --screenshot="$out/report.png" \
  "file://$(realpath "$html")" >/dev/null 2>>"$out/chromium.log"

fail=0
grep -q 'id="verdict"' "$out/dom.html" || { echo "FAIL: no verdict banner in the rendered DOM"; fail=1; }
svgs=$(grep -o '<svg' "$out/dom.html" | wc -l)
[ "$svgs" -ge 3 ] || { echo "FAIL: expected ≥ 3 plots, found $svgs"; fail=1; }
if grep -E 'CONSOLE|Uncaught' "$out/chromium.log" | grep -v 'Fontconfig' ; then
  echo "FAIL: console errors (above)"; fail=1
fi
[ -s "$out/report.png" ] || { echo "FAIL: no screenshot"; fail=1; }
echo "report: $html · plots: $svgs · screenshot: $out/report.png"

# The capacity curve: `gatecheck capacity` against a sandbox with a known capacity (200/s).
cap="$out/capacity"
"$bin" sandbox --json --addr 127.0.0.1:0 --capacity 4:20ms >"$out/sandbox.json" 2>/dev/null &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/sandbox.json" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$out/sandbox.json" "$1"; }
GATECHECK_API_KEY=$(field api_key) "$bin" capacity --scenario scenarios/gate/catalog.toml \
  --only get_product --threshold 'get_product:p99<100ms' --start-rate 100 --precision 0.15 \
  --warmup 1s --window 2s --no-progress --base-url "$(field base_url)" \
  --agent-id "$(field agent_id)" --out "$cap" >/dev/null || true
kill "$sandbox" 2>/dev/null || true
chromium "${flags[@]}" --dump-dom "file://$(realpath "$cap/report.html")" >"$cap/dom.html" 2>"$cap/chromium.log"
chromium "${flags[@]}" --window-size=1280,3000 --screenshot="$cap/report.png" \
  "file://$(realpath "$cap/report.html")" >/dev/null 2>>"$cap/chromium.log"
grep -q 'aria-label="Capacity: latency and errors against offered rate"' "$cap/dom.html" ||
  { echo "FAIL: no capacity curve in the rendered capacity report"; fail=1; }
grep -q 'knee [0-9]*/s' "$cap/dom.html" || { echo "FAIL: the knee is not marked"; fail=1; }
if grep -E 'CONSOLE|Uncaught' "$cap/chromium.log" | grep -v 'Fontconfig' ; then
  echo "FAIL: console errors in the capacity report (above)"; fail=1
fi
echo "capacity report: $cap/report.html · screenshot: $cap/report.png"
[ "$fail" -eq 0 ] && echo "browser check: ok"
exit "$fail"
