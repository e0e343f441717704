#!/usr/bin/env bash
# The review page's first load with many drafts (issue 14: under 300 ms for 500).
#
#   bench/review_load.sh [DRAFTS] [RUNS]      (defaults: 500 5)
#
# Writes DRAFTS drafts from a local feed file (no network: `file:` feed,
# fetch_article = false), starts `linkpost review` on a free loopback port,
# and times with curl:
#   first      the first GET / after the server started (store opened, every
#              draft file read and its front matter parsed, the page rendered)
#   page       GET / again, median of RUNS
#   page+assets  GET / plus /static/review.js and /static/review.css, as a
#              browser's first visit fetches them, median of RUNS
#   chromium   when chromium and chromedriver are installed: headless
#              Chromium's own timing of the page's first load (a new browser
#              and profile each run, so nothing cached; the browser shows a
#              small text page of the same site first, as a tab in use has,
#              so the renderer's start-up is not counted),
#              navigation start to the load event (HTML parsed, style and
#              script loaded and run; the first 60 drafts are shown), and to
#              the moment the script has put every draft in the page
#              (performance mark `linkpost-all-drafts`), medians of RUNS;
#              and the same in a browser's very first navigation, start-up
#              costs included
# Prints a markdown table. bench/run.sh runs it as the `review` workload
# (BENCH_ONLY=review); alone it builds the release binary itself, or uses
# $LINKPOST. Installs curl and python3 from Debian's packages when missing.
set -euo pipefail

DRAFTS="${1:-500}"
RUNS="${2:-5}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/linkpost-review-bench.XXXXXX")"
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ "${#need[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ -z "${LINKPOST:-}" ]; then
    (cd "$ROOT" && cargo build --release --locked --bin linkpost >&2)
    LINKPOST="${CARGO_TARGET_DIR:-$ROOT/target}/release/linkpost"
fi
SERVER_PID=""
DRIVER_PID=""
cleanup() {
    if [ -n "$DRIVER_PID" ]; then kill "$DRIVER_PID" 2>/dev/null || true; fi
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# A feed of DRAFTS entries over DRAFTS/20 days, each with a tldr-sized text.
python3 - "$WORK/feed.xml" "$DRAFTS" <<'PY'
import sys, email.utils
path, n = sys.argv[1], int(sys.argv[2])
words = ("platform teams build paved roads so that application teams can ship "
         "safely a golden path is an opinionated supported way to build and run "
         "a service it is not a mandate").split()
items = []
for i in range(n):
    text = " ".join(words[(i + k) % len(words)] for k in range(120))
    date = email.utils.formatdate(1757000000 - i * 4321, usegmt=True)
    items.append(f"<item><title>Entry {i}: {' '.join(words[i % 20:i % 20 + 6])}</title>"
                 f"<link>https://bench.example/posts/{i}</link><guid>bench-{i}</guid>"
                 f"<pubDate>{date}</pubDate><description>{text}.</description></item>")
with open(path, "w") as f:
    f.write('<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>'
            + "".join(items) + "</channel></rss>")
PY
cat > "$WORK/linkpost.toml" <<TOML
database = "state/linkpost.db"
output_dir = "drafts"
[[feed]]
name = "Bench"
url = "file:feed.xml"
fetch_article = false
backfill = $DRAFTS
tags = ["bench", "review"]
TOML
"$LINKPOST" --log-level warn poll --config "$WORK/linkpost.toml"
written="$(find "$WORK/drafts" -maxdepth 1 -name '*.md' | wc -l)"

"$LINKPOST" --log-level warn review --config "$WORK/linkpost.toml" --listen 127.0.0.1:0 > "$WORK/review.out" &
SERVER_PID=$!
# It prints its address once it listens.
for _ in $(seq 100); do grep -q '^review page: ' "$WORK/review.out" 2>/dev/null && break; sleep 0.05; done
URL="$(sed -n 's/^review page: //p' "$WORK/review.out")"
[ -n "$URL" ] || { echo "linkpost review did not start" >&2; exit 1; }

ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
get() { curl -s -o /dev/null -w '%{time_total}' "$1"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

first="$(get "$URL")"
bytes="$(curl -s "$URL" | wc -c)"
page="$(for _ in $(seq "$RUNS"); do get "$URL"; echo; done | median)"
assets="$(for _ in $(seq "$RUNS"); do
    awk -v a="$(get "$URL")" -v b="$(get "${URL}static/review.js")" -v c="$(get "${URL}static/review.css")" 'BEGIN { print a + b + c }'
done | median)"

# Chromium's own measure, through WebDriver spoken with curl.
browser="n/a"
browser_all="n/a"
coldest="n/a"
coldest_all="n/a"
shown="n/a"
if command -v chromedriver >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; then
    DPORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    chromedriver --port="$DPORT" > "$WORK/driver.log" 2>&1 &
    DRIVER_PID=$!
    for _ in $(seq 100); do grep -q 'started successfully' "$WORK/driver.log" 2>/dev/null && break; sleep 0.05; done
    WD="http://127.0.0.1:$DPORT"
    caps='{"capabilities":{"alwaysMatch":{"goog:chromeOptions":{"args":["--headless=new","--no-sandbox","--disable-gpu","--disable-dev-shm-usage","--window-size=1000,1100","--proxy-server=direct://","--proxy-bypass-list=*"]}}}}'
    timing='{"script":"const t = performance.getEntriesByType(\"navigation\")[0]; const m = performance.getEntriesByName(\"linkpost-all-drafts\")[0]; return m ? [t.loadEventEnd, m.startTime, document.querySelectorAll(\".card\").length] : null;","args":[]}'
    # load_time URL...: in a new browser (fresh profile, nothing cached),
    # visits each URL in turn and prints the last one's load time in seconds.
    load_time() {
        local sid target
        sid="$(curl -s -X POST -H 'Content-Type: application/json' -d "$caps" "$WD/session" | python3 -c 'import json, sys; print(json.load(sys.stdin)["value"]["sessionId"])')"
        for target in "$@"; do
            curl -s -X POST -H 'Content-Type: application/json' -d "{\"url\":\"$target\"}" "$WD/session/$sid/url" > /dev/null
        done
        # The script marks when every draft is in the page; wait for it.
        local result=""
        for _ in $(seq 200); do
            result="$(curl -s -X POST -H 'Content-Type: application/json' -d "$timing" "$WD/session/$sid/execute/sync" \
                | python3 -c 'import json, sys; v = json.load(sys.stdin)["value"]; print("" if v is None else f"{v[0] / 1000} {v[1] / 1000} {v[2]}")')"
            [ -n "$result" ] && break
        done
        echo "$result"
        curl -s -X DELETE "$WD/session/$sid" > /dev/null
    }
    # A browser already in use: its tab has shown another page of the same
    # site (the page's change stamp, plain text: nothing the page loads is
    # cached by it), so the tab's renderer process is running. Without
    # this, the figure is mostly Chromium starting a renderer (a page of 5
    # drafts takes ~200 ms that way; see the last column).
    warm="${URL}stamp"
    for _ in $(seq "$RUNS"); do load_time "$warm" "$URL"; done > "$WORK/warm.out"
    for _ in $(seq "$RUNS"); do load_time "$URL"; done > "$WORK/cold.out"
    browser="$(ms "$(awk '{ print $1 }' "$WORK/warm.out" | median)")"
    browser_all="$(ms "$(awk '{ print $2 }' "$WORK/warm.out" | median)")"
    coldest="$(ms "$(awk '{ print $1 }' "$WORK/cold.out" | median)")"
    coldest_all="$(ms "$(awk '{ print $2 }' "$WORK/cold.out" | median)")"
    shown="$(awk '{ print $3 }' "$WORK/warm.out" | sort -n | head -1)"
    kill "$DRIVER_PID" 2>/dev/null || true
    wait "$DRIVER_PID" 2>/dev/null || true
fi

echo "| drafts | page KiB | first GET / ms | GET / ms (median of $RUNS) | GET / + script + style ms (median) | Chromium, tab in use: load event ms (median) | and all drafts in the page ms (median) | Chromium, new browser's first navigation: load event / all drafts ms (median) | target ms |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
echo "| $written ($shown in the page) | $((bytes / 1024)) | $(ms "$first") | $(ms "$page") | $(ms "$assets") | $browser | $browser_all | $coldest / $coldest_all | 300 |"
