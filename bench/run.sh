#!/usr/bin/env bash
# The benchmark: linkpost against the physical floor, on this machine, in one run.
#
#   bench/run.sh [N] [E] [ARTICLE_N] [RUNS]      (defaults: 2000 20 200 5)
#
# Generates deterministic farms, serves them with nginx on 127.0.0.1 (ETag and
# Last-Modified on), and measures, RUNS times each, medians reported.
#
# fetch: a farm of N feeds x E entries (RSS/Atom 70/30, one 20-60 KB page per
#   entry for the first ARTICLE_N feeds):
#   floor-feeds   curl --parallel fetching the N feeds, no processing
#   floor-write   a minimal program creating the cold run's files (same
#                 count, same sizes) in one folder, synced once
#   floor-304     curl, every request conditional (all 304)
#   floor-304-h2  h2load --h1 on the same URLs, conditional
#   cold          linkpost poll, empty state: one post per entry
#   warm          linkpost poll again: every feed a 304, no post
#   floor-article curl fetching ARTICLE_N feeds and their E pages each
#   article       linkpost poll over ARTICLE_N feeds with a summary selector:
#                 every page fetched and extracted
# compare: the first 200 feeds, cold and warm, linkpost and newsboat
#   (reload-threads 8).
# heavy: 200 feeds x 20 entries carrying the whole post (10-30 KB of
#   content:encoded or Atom content, as WordPress and Hugo publish), cold.
# store: a store of 1,000,000 seen entries made through the real insert
#   path (bench/store_fill.rs): bytes per entry, and the time to classify a
#   20-entry feed against it and against an empty store.
# daemon: `linkpost run` over 1,000, 10,000 and 100,000 feeds of 5 small
#   entries, with the interval that makes the largest ~300 polls a second (a
#   time-compressed 30-minute interval). A first `poll` fills the store; due
#   times are then spread over the interval, as a long-running instance's
#   are, and one feed in 100 changes (a 200 of entries already seen, the rest
#   304). Measured after DAEMON_WARMUP seconds, for DAEMON_MEASURE seconds:
#   start-up (exec to "daemon started"), CPU per poll, peak RSS, lateness
#   (median and worst-minute p99, from the daemon's minutely `schedule` line).
# review: the review page's first load with 500 drafts (bench/review_load.sh:
#   curl, and headless Chromium when installed), against issue 14's 300 ms.
#
# BENCH_ONLY="fetch daemon" runs some of them (default: all); DAEMON_NS,
# DAEMON_RATE, DAEMON_WARMUP, DAEMON_MEASURE and STORE_ENTRIES change the sizes.
# The farm is one host, so linkpost runs with per_host_limit = concurrency = 8.
# Writes the tables, machine and versions into bench/RESULTS.md, between its
# "results" markers (the analysis around them is kept). Installs nginx, curl,
# GNU time, h2load, newsboat and python3 from Debian's packages when missing.
set -euo pipefail

N="${1:-2000}"
E="${2:-20}"
ARTICLE_N="${3:-200}"
RUNS="${4:-5}"
PORT="${BENCH_PORT:-8089}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${BENCH_DIR:-/tmp/linkpost-bench}"
BASE="http://127.0.0.1:${PORT}"
CONCURRENCY=8
ONLY="${BENCH_ONLY:-fetch compare heavy store daemon review}"
DAEMON_NS="${DAEMON_NS:-1000 10000 100000}"
DAEMON_RATE="${DAEMON_RATE:-300}"
DAEMON_WARMUP="${DAEMON_WARMUP:-60}"
DAEMON_MEASURE="${DAEMON_MEASURE:-180}"
STORE_ENTRIES="${STORE_ENTRIES:-1000000}"
COMPARE_N=200
HEAVY_N=200
HEAVY_E=20
wants() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if wants compare; then command -v newsboat >/dev/null 2>&1 || need+=(newsboat); fi
if [ "${#need[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

cd "$ROOT"
examples=(--example gen_farm --example write_floor)
if wants store; then examples+=(--example store_fill); fi
cargo build --release --locked --bin linkpost "${examples[@]}"
LINKPOST="$ROOT/target/release/linkpost"
EXAMPLES="$ROOT/target/release/examples"
# The commit the binaries were built from (a commit made during the run
# does not change what is measured).
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo +changes)"

mkdir -p "$WORK/trash"
# farm DIR STAMP_NAME ARGS...: generates a farm once per set of arguments.
farm() {
    local dir="$1" name="$2"; shift 2
    local stamp; stamp="$* $(sha256sum bench/gen_farm.rs | cut -c1-16)"
    if [ "$(cat "$WORK/$name.stamp" 2>/dev/null)" != "$stamp" ]; then
        echo "== generating $dir"
        if [ -d "$dir" ]; then rm -rf "$dir" && date +%s > "$WORK/cleaned.stamp"; fi
        "$EXAMPLES/gen_farm" "$dir" "$@"
        echo "$stamp" > "$WORK/$name.stamp"
    fi
}
FARM="$WORK/farm"
farm "$FARM" farm "$N" "$E" "$BASE" "$ARTICLE_N"
if wants heavy; then farm "$WORK/farm-heavy" farm-heavy "$HEAVY_N" "$HEAVY_E" "$BASE/heavy" 0 full; fi
DAEMON_MAX="$(echo "$DAEMON_NS" | tr ' ' '\n' | sort -n | tail -1)"
if wants daemon; then farm "$WORK/farm-daemon" farm-daemon "$DAEMON_MAX" 5 "$BASE/daemon" 0 small; fi

cat > "$WORK/nginx.conf" <<NGINX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    etag on;
    if_modified_since before;
    types { application/rss+xml xml; text/html html; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$PORT;
        root $FARM;
        index index.html;
        location /heavy/ { alias $WORK/farm-heavy/; }
        location /daemon/ { alias $WORK/farm-daemon/; }
    }
}
NGINX
# A server left by an interrupted run is stopped first.
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -s stop 2>/dev/null && sleep 1 || true
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf"
cleanup() {
    "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -s stop 2>/dev/null || true
    if [ -n "${DAEMON_PID:-}" ]; then kill "$DAEMON_PID" 2>/dev/null || true; fi
    rm -rf "$WORK/trash" "$WORK/state" "$WORK/drafts"
    date +%s > "$WORK/cleaned.stamp"
}
trap cleanup EXIT
for _ in $(seq 50); do curl -fs -o /dev/null "$BASE/feeds/0.xml" && break; sleep 0.1; done

IMS="$(date -u -d '+1 day' '+%a, %d %b %Y %H:%M:%S GMT')"
codes="$(curl -s -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $IMS" "$BASE/feeds/0.xml")"
[ "$codes" = 304 ] || { echo "nginx does not answer 304 to a conditional request ($codes)"; exit 1; }

# config FILE FEEDS BASE BACKFILL [EXTRA_LINE]: a linkpost config over a farm.
config() {
    {
        echo "database = \"state/linkpost.db\""
        echo "output_dir = \"drafts\""
        echo "concurrency = $CONCURRENCY"
        echo "per_host_limit = $CONCURRENCY"
        for f in $(seq 0 $(($2 - 1))); do
            printf '[[feed]]\nname = "farm-%s"\nurl = "%s/feeds/%s.xml"\nbackfill = %s\n' "$f" "$3" "$f" "$4"
            if [ -n "${5:-}" ]; then printf '%s\n' "$5"; fi
        done
    } > "$1"
}

# measure NAME COMMAND...: RUNS timed runs; keeps "wall user sys maxrss_kb" lines.
# GNU time gives the wall time in hundredths of a second, too coarse for a
# warm poll's 0.07 s against a floor's 0.02 s: the wall time is bash's own
# microsecond clock around the run.
measure() {
    local name="$1" start end; shift
    : > "$WORK/$name.times"
    for _ in $(seq "$RUNS"); do
        if [ -n "${BEFORE:-}" ]; then eval "$BEFORE"; fi
        start="$EPOCHREALTIME"
        /usr/bin/time -f '%U %S %M' -o "$WORK/$name.time" "$@" >/dev/null 2>"$WORK/$name.log" \
            || { echo "$name failed:"; tail -5 "$WORK/$name.log"; exit 1; }
        end="$EPOCHREALTIME"
        echo "$(awk -v a="${start/,/.}" -v b="${end/,/.}" 'BEGIN { printf "%.3f", b - a }') $(tail -1 "$WORK/$name.time")" >> "$WORK/$name.times"
    done
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
col() { awk -v c="$2" '{ print $c }' "$WORK/$1.times" | median; }
cpu() { awk '{ print $2 + $3 }' "$WORK/$1.times" | median; }
posts_in() { find "$1" -name '*.md' 2>/dev/null | wc -l; }

# Earlier runs' output is moved aside, not deleted: creating files right
# after deleting tens of thousands costs ext4 a scan for recently freed
# inodes, which a real first run does not pay. It is deleted at the end.
fresh() { local d; d="$(mktemp -d "$WORK/trash/run.XXXXXX")"; mv "$WORK/state" "$WORK/drafts" "$WORK/floor-out" "$d"/ 2>/dev/null || true; }
# ext4 remembers freed inodes for up to 6 minutes (more while their blocks are
# dirty) and makes new files pay for it: wait out the last run's cleanup.
if [ -f "$WORK/cleaned.stamp" ] && { wants fetch || wants heavy || wants compare; }; then
    wait_s=$(( $(cat "$WORK/cleaned.stamp") + 420 - $(date +%s) ))
    if [ "$wait_s" -gt 0 ]; then
        echo "== waiting ${wait_s}s for the file system to forget the last run's deleted files"
        sleep "$wait_s"
    fi
fi

if wants fetch; then
    # URL lists for curl -K and h2load -i.
    urls() { sed 's/.*/url = "&"\noutput = "\/dev\/null"/'; }
    seq 0 $((N - 1)) | sed "s#.*#$BASE/feeds/&.xml#" > "$WORK/feeds.urls"
    urls < "$WORK/feeds.urls" > "$WORK/feeds.curl"
    {
        seq 0 $((ARTICLE_N - 1)) | sed "s#.*#$BASE/feeds/&.xml#"
        (cd "$FARM" && find posts -name index.html | sed "s#/index.html\$#/#; s#^#$BASE/#")
    } | urls > "$WORK/article.curl"
    config "$WORK/cold.toml" "$N" "$BASE" "$E"
    config "$WORK/article.toml" "$ARTICLE_N" "$BASE" "$E" 'summary_selector = ".entry-content"'

    echo "== floor: $N feeds, then all conditional"
    measure floor-feeds curl -s --parallel --parallel-max "$CONCURRENCY" -K "$WORK/feeds.curl"
    measure floor-304 curl -s --parallel --parallel-max "$CONCURRENCY" -H "If-Modified-Since: $IMS" -K "$WORK/feeds.curl"
    # h2load's clients each take the list from its start: N requests spread
    # over 8 connections, every one a conditional GET of a farm feed.
    measure floor-304-h2 h2load --h1 -n "$N" -c "$CONCURRENCY" -H "If-Modified-Since: $IMS" -i "$WORK/feeds.urls"
    grep -q "status codes: 0 2xx, 0 3xx" "$WORK/floor-304-h2.log" && { echo "h2load got no 304"; exit 1; }

    echo "== linkpost cold and warm: $N feeds x $E entries"
    BEFORE="fresh" measure cold "$LINKPOST" --log-level warn poll --config "$WORK/cold.toml"
    posts="$(posts_in "$WORK/drafts")"
    [ "$posts" = $((N * E)) ] || { echo "cold wrote $posts posts, expected $((N * E))"; exit 1; }
    measure warm "$LINKPOST" --log-level warn poll --config "$WORK/cold.toml"
    [ "$(posts_in "$WORK/drafts")" = "$posts" ] || { echo "warm wrote posts"; exit 1; }

    echo "== floor: writing the cold run's $posts files"
    find "$WORK/drafts" -name '*.md' -printf '%s\n' > "$WORK/sizes"
    BEFORE="fresh" measure floor-write "$EXAMPLES/write_floor" "$WORK/floor-out" "$WORK/sizes"

    echo "== article: $ARTICLE_N feeds x $E pages"
    measure floor-article curl -s --parallel --parallel-max "$CONCURRENCY" -K "$WORK/article.curl"
    BEFORE="fresh" measure article "$LINKPOST" --log-level warn poll --config "$WORK/article.toml"
    article_posts="$(posts_in "$WORK/drafts")"
    [ "$article_posts" = $((ARTICLE_N * E)) ] || { echo "article wrote $article_posts posts"; exit 1; }
fi

if wants compare; then
    echo "== compare: $COMPARE_N feeds, linkpost and newsboat, cold and warm"
    config "$WORK/compare.toml" "$COMPARE_N" "$BASE" "$E"
    BEFORE="fresh" measure cold-200 "$LINKPOST" --log-level warn poll --config "$WORK/compare.toml"
    [ "$(posts_in "$WORK/drafts")" = $((COMPARE_N * E)) ] || { echo "cold-200 wrote the wrong number of posts"; exit 1; }
    measure warm-200 "$LINKPOST" --log-level warn poll --config "$WORK/compare.toml"
    mkdir -p "$WORK/newsboat"
    seq 0 $((COMPARE_N - 1)) | sed "s#.*#$BASE/feeds/&.xml#" > "$WORK/newsboat/urls"
    printf 'reload-threads %s\n' "$CONCURRENCY" > "$WORK/newsboat/config"
    cat > "$WORK/newsboat/reload" <<NB
#!/bin/sh
HOME="$WORK/newsboat" exec newsboat -C "$WORK/newsboat/config" -u "$WORK/newsboat/urls" -c "$WORK/newsboat/cache.db" -x reload
NB
    chmod +x "$WORK/newsboat/reload"
    BEFORE='rm -f "$WORK/newsboat/cache.db"*' measure newsboat-cold-200 "$WORK/newsboat/reload"
    measure newsboat-warm-200 "$WORK/newsboat/reload"
fi

if wants heavy; then
    echo "== heavy: $HEAVY_N feeds x $HEAVY_E full-content entries"
    config "$WORK/heavy.toml" "$HEAVY_N" "$BASE/heavy" "$HEAVY_E"
    BEFORE="fresh" measure heavy "$LINKPOST" --log-level warn poll --config "$WORK/heavy.toml"
    heavy_posts="$(posts_in "$WORK/drafts")"
    [ "$heavy_posts" = $((HEAVY_N * HEAVY_E)) ] || { echo "heavy wrote $heavy_posts posts"; exit 1; }
fi

if wants store; then
    echo "== store: $STORE_ENTRIES seen entries"
    rm -f "$WORK/store.db"*
    "$EXAMPLES/store_fill" "$WORK/store.db" "$STORE_ENTRIES" | tee "$WORK/store.out"
    rm -f "$WORK/store.db"*
fi

# daemon_run N: one daemon measurement; appends a result line to daemon.out.
daemon_run() {
    local n="$1" d="$WORK/daemon-$1" interval pid t0 startup measured rss
    interval=$(( DAEMON_MAX / DAEMON_RATE ))
    rm -rf "$d" && mkdir -p "$d"
    config "$d/linkpost.toml" "$n" "$BASE/daemon" 0 "interval = \"${interval}s\""
    echo "== daemon: $n feeds every ${interval}s; first pass"
    /usr/bin/time -f '%e %U %S %M' -o "$d/first.times" "$LINKPOST" --log-level warn poll --config "$d/linkpost.toml" 2>"$d/first.log" \
        || { echo "first pass failed:"; tail -5 "$d/first.log"; exit 1; }
    python3 - "$d/state/linkpost.db" "$interval" <<'PY'
import random, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now, interval = int(time.time()), int(sys.argv[2])
rng = random.Random(1)
names = [row[0] for row in db.execute("SELECT name FROM feeds")]
db.executemany("UPDATE feeds SET next_due = ? WHERE name = ?",
               [(now + 5 + rng.randrange(interval), name) for name in names])
db.commit()
PY
    sleep 1
    for f in $(seq 0 100 $((n - 1))); do touch "$WORK/farm-daemon/feeds/$f.xml"; done
    t0="$(date +%s.%N)"
    "$LINKPOST" --log-level info --log-format json run --config "$d/linkpost.toml" 2>"$d/run.log" &
    pid=$!
    DAEMON_PID="$pid"
    until grep -q 'daemon started' "$d/run.log"; do
        kill -0 "$pid" 2>/dev/null || { echo "the daemon exited:"; tail -5 "$d/run.log"; exit 1; }
        sleep 0.02
    done
    startup="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
    measured="$(python3 bench/daemon_watch.py "$d/run.log" "$pid" "$DAEMON_WARMUP" "$DAEMON_MEASURE")"
    rss="$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")"
    kill -TERM "$pid"; wait "$pid" || true
    DAEMON_PID=
    echo "$n $interval $startup $measured $rss $(awk '{ printf "%s %.2f", $1, $2 + $3 }' "$d/first.times")" >> "$WORK/daemon.out"
    tail -1 "$WORK/daemon.out"
}
if wants daemon; then
    : > "$WORK/daemon.out"
    for n in $DAEMON_NS; do daemon_run "$n"; done
fi

# row NAME REQUESTS POSTS [FLOOR...]: a results line; the floors' walls add up.
row() {
    local name="$1" requests="$2" posts="$3" wall cpu_s rss ratio rate floor=0 f
    shift 3
    [ -s "$WORK/$name.times" ] || return 0
    wall="$(col "$name" 1)"; cpu_s="$(cpu "$name")"; rss="$(col "$name" 4)"
    rate="-"
    if [ "$posts" != 0 ]; then rate="$(awk -v p="$posts" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? p / w : 0) }')"; fi
    ratio="-"
    if [ "$#" -gt 0 ]; then
        for f in "$@"; do floor="$(awk -v a="$floor" -v b="$(col "$f" 1)" 'BEGIN { print a + b }')"; done
        ratio="$(awk -v w="$wall" -v f="$floor" 'BEGIN { printf "%.1f×", (f > 0 ? w / f : 0) }')"
    fi
    printf '| %s | %s | %s | %s | %s | %.1f | %s | %s |\n' "$name" "$requests" "$posts" "$wall" "$cpu_s" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$rate" "$ratio"
}
# The faster of the two conditional floors.
faster_304() { if awk -v a="$(col floor-304-h2 1)" -v b="$(col floor-304 1)" 'BEGIN { exit !(a < b) }'; then echo floor-304-h2; else echo floor-304; fi; }

if wants review; then
    echo "== review page, 500 drafts"
    LINKPOST="$LINKPOST" bash "$ROOT/bench/review_load.sh" 500 "$RUNS" > "$WORK/review.out"
fi

# Each workload's table goes to its own file, so a run of some of them
# (BENCH_ONLY) keeps the others' latest tables; each says when and at which
# commit it was measured.
SECTIONS="$WORK/sections"
mkdir -p "$SECTIONS"
# A workload not run now keeps the table of its last run on this machine,
# else the one in bench/RESULTS.md (a new machine, a cleaned $WORK), so a
# run of some workloads never drops the others' tables.
for section in 1-fetch 2-compare 3-heavy 4-daemon 5-store 6-review; do
    name="${section#*-}"
    if wants "$name" || [ -f "$SECTIONS/$section.md" ] || [ ! -f "$ROOT/bench/RESULTS.md" ]; then continue; fi
    awk -v head="**$name**" '
        /<!-- results:end -->/ || /^Machine: / || (/^\*\*[a-z]+\*\*/ && index($0, head) != 1) { on = 0 }
        index($0, head) == 1 { on = 1 }
        on { line[++n] = $0 }
        END { while (n > 0 && line[n] == "") n--; for (i = 1; i <= n; i++) print line[i] }
    ' "$ROOT/bench/RESULTS.md" > "$SECTIONS/$section.md"
    [ -s "$SECTIONS/$section.md" ] || rm -f "$SECTIONS/$section.md"
done
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
stamp_line() { echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at linkpost $COMMIT on $MACHINE, medians of $RUNS runs."; }
table_head() {
    echo "| scenario | requests | posts | wall s | user+sys s | peak RSS MiB | posts/s | vs floor |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
}
if wants fetch; then
    {
        echo "**fetch** (\`bench/run.sh $N $E $ARTICLE_N $RUNS\`): cold's floor is fetching (curl) plus writing (\`bench/write_floor.rs\`); warm's the faster of curl and \`h2load --h1 -c $CONCURRENCY\`. $(stamp_line)"
        echo
        table_head
        row floor-feeds "$N" 0
        row floor-write 0 $((N * E))
        row floor-304 "$N" 0
        row floor-304-h2 "$N" 0
        row cold "$N" $((N * E)) floor-feeds floor-write
        row warm "$N" 0 "$(faster_304)"
        row floor-article $((ARTICLE_N * (E + 1))) 0
        row article $((ARTICLE_N * (E + 1))) $((ARTICLE_N * E)) floor-article
    } > "$SECTIONS/1-fetch.md"
fi
if wants compare; then
    {
        echo "**compare**: the first $COMPARE_N feeds of the same farm, linkpost and newsboat (\`reload-threads $CONCURRENCY\`); newsboat's \"vs floor\" is its time over linkpost's. $(stamp_line)"
        echo
        table_head
        row cold-200 "$COMPARE_N" $((COMPARE_N * E))
        row newsboat-cold-200 "$COMPARE_N" 0 cold-200
        row warm-200 "$COMPARE_N" 0
        row newsboat-warm-200 "$COMPARE_N" 0 warm-200
    } > "$SECTIONS/2-compare.md"
fi
if wants heavy; then
    {
        echo "**heavy**: $HEAVY_N feeds × $HEAVY_E entries of 10–30 KB full content, cold. $(stamp_line)"
        echo
        table_head
        row heavy "$HEAVY_N" $((HEAVY_N * HEAVY_E))
    } > "$SECTIONS/3-heavy.md"
fi
if wants daemon; then
    {
        echo "**daemon** (\`linkpost run\`; $DAEMON_WARMUP s warm-up, then $DAEMON_MEASURE s measured; 1 feed in 100 changed, the rest 304). $(stamp_line | sed 's/, medians.*/./')"
        echo
        echo "| feeds | interval s | start-up s | polls measured | polls/s | CPU ms per poll | lateness median ms | lateness p99 ms (worst minute) | peak RSS MiB | first pass wall s | first pass CPU s |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        awk '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' "$WORK/daemon.out"
    } > "$SECTIONS/4-daemon.md"
fi
if wants store; then
    {
        echo "**store** (\`bench/store_fill.rs\`). $(stamp_line | sed 's/, medians.*/./')"
        echo
        echo '```'
        tail -1 "$WORK/store.out"
        echo '```'
    } > "$SECTIONS/5-store.md"
fi
if wants review; then
    {
        echo "**review** (\`bench/review_load.sh 500 $RUNS\`): the review page with 500 drafts. $(stamp_line)"
        echo
        cat "$WORK/review.out"
    } > "$SECTIONS/6-review.md"
fi
{
    echo "# Benchmark results"
    echo
    echo "linkpost with \`concurrency = per_host_limit = $CONCURRENCY\` (the farm is one host); floors: \`curl --parallel --parallel-max $CONCURRENCY\`,"
    echo "\`h2load --h1 -c $CONCURRENCY\`, \`bench/write_floor.rs\`."
    for f in "$SECTIONS"/*.md; do
        echo
        cat "$f"
    done
    echo
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
    echo "$(free -g | awk '/Mem:/ { print $2 }') GiB RAM, Linux $(uname -r), output on $(df -T "$WORK" | awk 'NR == 2 { print $2 }')."
    echo "Versions: $(rustc --version), $("$NGINX" -v 2>&1), $(curl --version | head -1 | cut -d' ' -f1-2),"
    echo "$(h2load --version 2>/dev/null | head -1 || echo h2load)$(if command -v newsboat >/dev/null; then echo ", $(newsboat -v | head -1)"; fi)."
} > "$WORK/results.md"
cat "$WORK/results.md"

results="$ROOT/bench/RESULTS.md"
if [ ! -f "$results" ] || ! grep -q '<!-- results:start -->' "$results"; then
    printf '# Benchmark results\n\n<!-- results:start -->\n<!-- results:end -->\n' > "$results"
fi
awk -v table="$WORK/results.md" '
    /<!-- results:start -->/ { print; while ((getline line < table) > 0) if (line !~ /^# /) print line; skip = 1; next }
    /<!-- results:end -->/ { skip = 0 }
    !skip { print }
' "$results" > "$results.new" && mv "$results.new" "$results"
echo "== wrote $results"
