#!/usr/bin/env bash
# The benchmark: linkpost against the physical floor, on this machine, in one run.
#
#   bench/run.sh [N] [E] [ARTICLE_N] [RUNS]      (defaults: 2000 20 200 5)
#
# Generates a deterministic farm of N feeds x E entries (RSS/Atom 70/30, with
# one 20-60 KB page per entry for the first ARTICLE_N feeds), serves it with
# nginx on 127.0.0.1 (ETag and Last-Modified on), and measures, RUNS times
# each, medians reported:
#   floor-feeds   curl --parallel fetching the N feeds, no processing
#   floor-304     the same, every request conditional (all 304)
#   cold          linkpost poll, empty state: one post per entry
#   warm          linkpost poll again: every feed a 304, no post
#   floor-article curl fetching ARTICLE_N feeds and their E pages each
#   article       linkpost poll over ARTICLE_N feeds with a summary selector:
#                 every page fetched and extracted
# The farm is one host, so linkpost runs with per_host_limit = concurrency = 8.
# Writes the table, machine and versions into bench/RESULTS.md, between its
# "results" markers (the analysis around them is kept). Installs nginx, curl and
# GNU time from Debian's packages when missing.
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

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
if [ "${#need[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null || apt-get install -y -qq nginx curl time >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

cd "$ROOT"
cargo build --release --locked --bin linkpost --example gen_farm
LINKPOST="$ROOT/target/release/linkpost"

mkdir -p "$WORK"
FARM="$WORK/farm"
stamp="$N $E $ARTICLE_N $BASE $(sha256sum bench/gen_farm.rs | cut -c1-16)"
if [ "$(cat "$WORK/farm.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "== generating the farm in $FARM"
    if [ -d "$FARM" ]; then rm -rf "$FARM" && date +%s > "$WORK/cleaned.stamp"; fi
    "$ROOT/target/release/examples/gen_farm" "$FARM" "$N" "$E" "$BASE" "$ARTICLE_N"
    echo "$stamp" > "$WORK/farm.stamp"
fi

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
    }
}
NGINX
# A server left by an interrupted run is stopped first.
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -s stop 2>/dev/null && sleep 1 || true
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf"
trap '"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -s stop 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null "$BASE/feeds/0.xml" && break; sleep 0.1; done

# URL lists for curl -K.
urls() { sed 's/.*/url = "&"\noutput = "\/dev\/null"/'; }
seq 0 $((N - 1)) | sed "s#.*#$BASE/feeds/&.xml#" | urls > "$WORK/feeds.curl"
{
    seq 0 $((ARTICLE_N - 1)) | sed "s#.*#$BASE/feeds/&.xml#"
    (cd "$FARM" && find posts -name index.html | sed "s#/index.html\$#/#; s#^#$BASE/#")
} | urls > "$WORK/article.curl"
IMS="$(date -u -d '+1 day' '+%a, %d %b %Y %H:%M:%S GMT')"
codes="$(curl -s -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $IMS" "$BASE/feeds/0.xml")"
[ "$codes" = 304 ] || { echo "nginx does not answer 304 to a conditional request ($codes)"; exit 1; }

config() { # config FILE FEEDS SELECTOR
    {
        echo "database = \"state/linkpost.db\""
        echo "output_dir = \"drafts\""
        echo "concurrency = $CONCURRENCY"
        echo "per_host_limit = $CONCURRENCY"
        for f in $(seq 0 $(($2 - 1))); do
            printf '[[feed]]\nname = "farm-%s"\nurl = "%s/feeds/%s.xml"\nbackfill = %s\n' "$f" "$BASE" "$f" "$E"
            if [ -n "$3" ]; then printf 'summary_selector = "%s"\n' "$3"; fi
        done
    } > "$1"
}
config "$WORK/cold.toml" "$N" ""
config "$WORK/article.toml" "$ARTICLE_N" ".entry-content"

# measure NAME COMMAND...: RUNS timed runs; keeps "wall user sys maxrss_kb" lines.
measure() {
    local name="$1"; shift
    : > "$WORK/$name.times"
    for _ in $(seq "$RUNS"); do
        if [ -n "${BEFORE:-}" ]; then eval "$BEFORE"; fi
        /usr/bin/time -f '%e %U %S %M' -a -o "$WORK/$name.times" "$@" >/dev/null 2>"$WORK/$name.log" \
            || { echo "$name failed:"; tail -5 "$WORK/$name.log"; exit 1; }
    done
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
col() { awk -v c="$2" '{ print $c }' "$WORK/$1.times" | median; }
cpu() { awk '{ print $2 + $3 }' "$WORK/$1.times" | median; }

echo "== floor: $N feeds, then all conditional"
measure floor-feeds curl -s --parallel --parallel-max "$CONCURRENCY" -K "$WORK/feeds.curl"
measure floor-304 curl -s --parallel --parallel-max "$CONCURRENCY" -H "If-Modified-Since: $IMS" -K "$WORK/feeds.curl"

echo "== linkpost cold and warm: $N feeds x $E entries"
# Earlier runs' output is moved aside, not deleted: creating files right
# after deleting tens of thousands costs ext4 a scan for recently freed
# inodes, which a real first run does not pay. It is deleted at the end.
fresh() { local d; d="$(mktemp -d "$WORK/trash/run.XXXXXX")"; mv "$WORK/state" "$WORK/drafts" "$d"/ 2>/dev/null || true; }
mkdir -p "$WORK/trash"
trap '"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$WORK/trash" "$WORK/state" "$WORK/drafts"; date +%s > "$WORK/cleaned.stamp"' EXIT
# ext4 remembers freed inodes for up to 6 minutes (more while their blocks are
# dirty) and makes new files pay for it: wait out the last run's cleanup.
if [ -f "$WORK/cleaned.stamp" ]; then
    wait_s=$(( $(cat "$WORK/cleaned.stamp") + 420 - $(date +%s) ))
    if [ "$wait_s" -gt 0 ]; then
        echo "== waiting ${wait_s}s for the file system to forget the last run's deleted files"
        sleep "$wait_s"
    fi
fi
BEFORE="fresh" measure cold "$LINKPOST" --log-level warn poll --config "$WORK/cold.toml"
posts="$(find "$WORK/drafts" -name '*.md' | wc -l)"
[ "$posts" = $((N * E)) ] || { echo "cold wrote $posts posts, expected $((N * E))"; exit 1; }
measure warm "$LINKPOST" --log-level warn poll --config "$WORK/cold.toml"
[ "$(find "$WORK/drafts" -name '*.md' | wc -l)" = "$posts" ] || { echo "warm wrote posts"; exit 1; }

echo "== article: $ARTICLE_N feeds x $E pages"
measure floor-article curl -s --parallel --parallel-max "$CONCURRENCY" -K "$WORK/article.curl"
BEFORE="fresh" measure article "$LINKPOST" --log-level warn poll --config "$WORK/article.toml"
article_posts="$(find "$WORK/drafts" -name '*.md' | wc -l)"
[ "$article_posts" = $((ARTICLE_N * E)) ] || { echo "article wrote $article_posts posts"; exit 1; }

row() { # row NAME REQUESTS POSTS FLOOR
    local wall cpu_s rss ratio rate
    wall="$(col "$1" 1)"; cpu_s="$(cpu "$1")"; rss="$(col "$1" 4)"
    rate="-"
    if [ "$3" != 0 ]; then rate="$(awk -v p="$3" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? p / w : 0) }')"; fi
    ratio="-"
    if [ -n "$4" ]; then ratio="$(awk -v w="$wall" -v f="$(col "$4" 1)" 'BEGIN { printf "%.1f×", (f > 0 ? w / f : 0) }')"; fi
    printf '| %s | %s | %s | %s | %s | %.1f | %s | %s |\n' "$1" "$2" "$3" "$wall" "$cpu_s" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$rate" "$ratio"
}

{
    echo "# Benchmark results"
    echo
    echo "\`bench/run.sh $N $E $ARTICLE_N $RUNS\`, $(date -u '+%Y-%m-%d %H:%M UTC'). Medians of $RUNS runs; linkpost with"
    echo "\`concurrency = per_host_limit = $CONCURRENCY\` (the farm is one host); the floor is \`curl --parallel --parallel-max $CONCURRENCY\`."
    echo
    echo "| scenario | requests | posts | wall s | user+sys s | peak RSS MiB | posts/s | vs floor |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    row floor-feeds "$N" 0 ""
    row floor-304 "$N" 0 ""
    row cold "$N" $((N * E)) floor-feeds
    row warm "$N" 0 floor-304
    row floor-article $((ARTICLE_N * (E + 1))) 0 ""
    row article $((ARTICLE_N * (E + 1))) $((ARTICLE_N * E)) floor-article
    echo
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
    echo "$(free -g | awk '/Mem:/ { print $2 }') GiB RAM, Linux $(uname -r), output on $(df -T "$WORK" | awk 'NR == 2 { print $2 }')."
    echo "Versions: linkpost $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(rustc --version),"
    echo "$("$NGINX" -v 2>&1), $(curl --version | head -1 | cut -d' ' -f1-2)."
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
