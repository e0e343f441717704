#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 60 s each):
#   fuzz/run.sh [SECONDS]
# Needs the nightly toolchain (rustup toolchain install nightly) and
# cargo-fuzz (installed here when missing). A crash is saved under
# fuzz/artifacts/<target>/; turn it into a regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
mkdir -p corpus/feed_to_post corpus/front_matter
# Seeds: the project's own fixtures.
cp ../tests/fixtures/cncf/feed.xml corpus/feed_to_post/cncf.xml 2>/dev/null || true
cp ../tests/fixtures/cncf/expected/*.md corpus/front_matter/ 2>/dev/null || true
for target in feed_to_post front_matter; do
    echo "== $target for ${seconds}s"
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=1024
done
