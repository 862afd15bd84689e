#!/usr/bin/env bash
# Renders a report (versatune report / experiment output) in headless Chromium and checks that the page loads
# with every chart decoded: a copy of index.html gets a probe script that records, after the load event, how many
# <img> elements there are and how many decoded to a non-empty bitmap. Also saves a screenshot of the page and one
# of its first screen (1280x1000) beside it.
# Usage: bench/check-report.sh REPORT_DIR_OR_INDEX_HTML    (installs Debian's chromium when missing)
set -euo pipefail
src="${1:?usage: bench/check-report.sh REPORT_DIR_OR_INDEX_HTML}"
[ -d "$src" ] && src="$src/index.html"
[ -f "$src" ] || { echo "FAIL: no report page at $src" >&2; exit 1; }
if ! command -v chromium >/dev/null; then
  echo "installing chromium (Debian package)..." >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cp "$src" "$tmp/index.html"
cat >> "$tmp/index.html" <<'HTML'
<script>addEventListener('load', () => { const i = [...document.images];
  document.body.setAttribute('data-images', i.length);
  document.body.setAttribute('data-images-loaded', i.filter(x => x.complete && x.naturalWidth > 0).length); });</script>
HTML
flags=(--headless --no-sandbox --disable-gpu --virtual-time-budget=10000)
body="$(timeout 120 chromium "${flags[@]}" --dump-dom "file://$tmp/index.html" 2>/dev/null | grep -o '<body[^>]*>' || true)"
images="$(sed -n 's/.*data-images="\([0-9]*\)".*/\1/p' <<<"$body")"
loaded="$(sed -n 's/.*data-images-loaded="\([0-9]*\)".*/\1/p' <<<"$body")"
[ -n "$images" ] || { echo "FAIL: $src did not render (no load event in headless Chromium)" >&2; exit 1; }
shot="${src%.html}-screenshot.png"
[ -w "$(dirname "$shot")" ] || shot="$tmp/screenshot.png"
timeout 120 chromium "${flags[@]}" --window-size=1280,2400 --screenshot="$shot" "file://$tmp/index.html" >/dev/null 2>&1 || true
# what a reader sees first: an experiment's page must answer there (verdicts, strategies, probed vs true mix)
first="${src%.html}-first-screen.png"
[ -w "$(dirname "$first")" ] || first="$tmp/first-screen.png"
timeout 120 chromium "${flags[@]}" --window-size=1280,1000 --screenshot="$first" "file://$tmp/index.html" >/dev/null 2>&1 || true
echo "{\"page\": \"$src\", \"images\": $images, \"images_loaded\": $loaded, \"screenshot_bytes\": $(stat -c %s "$shot" 2>/dev/null || echo 0)}"
if [ "$images" -eq 0 ] || [ "$loaded" -ne "$images" ]; then
  echo "FAIL: $loaded of $images charts decoded in $src" >&2; exit 1
fi
echo "report OK: $images of $images charts rendered" >&2
