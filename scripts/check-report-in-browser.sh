#!/usr/bin/env bash
# Renders a real `gatecheck certify` HTML report in headless Chromium (Debian's package)
# and checks it as a person would: it renders, the verdict and the plots are there, and the
# page logs no console errors. Leaves a screenshot beside the report.
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
[ "$fail" -eq 0 ] && echo "browser check: ok"
exit "$fail"
