#!/usr/bin/env bash
# The learner's loop, measured (`just bench-loop`):
#   1. cold start: a fresh clone with an empty target folder, `just run chapter-1`,
#      until the server says "Listening on" (crates already downloaded are reused);
#   2. edit to listening: `just watch chapter-1` in that clone, an edit saved in
#      chapters/01-http/src/lib.rs, until the restarted server says "Listening on".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'kill -TERM -- -"${group:-0}" 2>/dev/null; rm -rf "$work"' EXIT

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# Waits until $1 holds at least $2 "Listening on" lines.
wait_listening() {
    until [ "$(grep -c 'Listening on' "$1" 2>/dev/null || true)" -ge "$2" ]; do
        kill -0 "$group" 2>/dev/null || { echo "the server stopped:"; cat "$1"; exit 1; }
        sleep 0.05
    done
}

git clone -q "$root" "$work/clone"
cd "$work/clone"
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(rustc --version)"

start=$(now)
PORT=0 setsid just run chapter-1 > "$work/cold.log" 2>&1 &
group=$!
wait_listening "$work/cold.log" 1
echo "Cold start (fresh clone, npm ci, build, listening): $(seconds "$start" "$(now)") s"
kill -TERM -- -"$group"; wait "$group" 2>/dev/null || true

PORT=0 setsid just watch chapter-1 > "$work/watch.log" 2>&1 &
group=$!
wait_listening "$work/watch.log" 1
sleep 1
times=()
for edit in 1 2 3 4 5; do
    echo "// an edit saved by the benchmark ($edit)" >> chapters/01-http/src/lib.rs
    start=$(now)
    wait_listening "$work/watch.log" $((edit + 1))
    times+=("$(seconds "$start" "$(now)")")
    sleep 1
done
echo "Edit to listening (just watch chapter-1), five edits: ${times[*]} s"
printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print "Median: " a[int((NR + 1) / 2)] " s" }'
