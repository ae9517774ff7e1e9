#!/usr/bin/env bash
# Ingest benchmark for docs/performance.md (issue 3): DOCS Markdown documents of about 2 KB each
# imported through the API on the default plugins (temp_upload + POST /api/v1/resources per
# document, CLIENTS clients), then POST /api/v1/system/wait: documents/s until every L0/L1 and
# vector is stored (checked with system/consistency), skald's peak RSS (VmHWM), and the cost of
# the durable queue against raw SQLite on the same disk (tests/bench/queue_vs_sqlite.c).
# Everything binds 127.0.0.1 and is stopped at exit.
# usage: tests/bench/ingest_bench.sh [BUILD_DIR]    (default: build)
#        BENCH_DOCS (10000), BENCH_CLIENTS (8), BENCH_DOC_BYTES (2048), BENCH_ROUNDS (3, queue only),
#        BENCH_PARENT (viking://resources: each document its own resource, as a client adding
#        documents without a parent gets; a folder such as viking://resources/bench puts them all
#        in one directory, whose L0/L1 is then refreshed as they arrive)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "${1:-build}")
docs=${BENCH_DOCS:-10000}
clients=${BENCH_CLIENTS:-8}
doc_bytes=${BENCH_DOC_BYTES:-2048}
rounds=${BENCH_ROUNDS:-3}
parent=${BENCH_PARENT:-viking://resources}
[ -x "$build/host/skald" ] || { echo "build first: $build/host/skald missing" >&2; exit 1; }
[ -x "$build/tests/tools/skald-ingest" ] || { echo "build first: skald-ingest missing" >&2; exit 1; }
work=$(mktemp -d /tmp/skald-ingest-bench.XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
jsonq() { "$build/tests/tools/skald-jsonq" "$@"; }
now() { date +%s.%N; }

cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I abi tests/bench/queue_vs_sqlite.c \
  $(pkg-config --cflags --libs sqlite3) -ldl -o "$work/queue_vs_sqlite"

port=$("$build/tests/tools/skald-free-port")
base="http://127.0.0.1:$port"
cat > "$work/skald.ini" <<INI
[server]
listen = 127.0.0.1:$port
data_dir = $work/data
plugin_dir = $build/plugins
[embedding]
plugin = embed_hash
[vlm]
plugin = vlm_extractive
[rerank]
plugin = rerank_lexical
[vector]
plugin = vector_flat
[queue]
plugin = queue_sqlite
INI
"$build/host/skald" -c "$work/skald.ini" 2>"$work/skald.log" &
pid=$!
for _ in $(seq 1 200); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/ready")" = 200 ] && break
  sleep 0.05
done

t0=$(now)
"$build/tests/tools/skald-ingest" --base "$base" --parent "$parent" --prefix doc \
  --count "$docs" --clients "$clients" --size "$doc_bytes" > "$work/ingest.json"
t1=$(now)
curl -s -o "$work/wait.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data '{"timeout":3600}' "$base/api/v1/system/wait" > "$work/wait.status"
t2=$(now)
[ "$(cat "$work/wait.status")" = 200 ] || { echo "system/wait: $(cat "$work/wait.json")" >&2; exit 1; }
hwm_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
curl -s -X POST -H 'Content-Type: application/json' --data "{\"uri\":\"$parent\"}" \
  "$base/api/v1/system/consistency" > "$work/consistency.json"
ok=$(jsonq .result.ok < "$work/consistency.json")
expected=$(jsonq .result.expected_count < "$work/consistency.json")
missing=$(jsonq .result.missing_record_count < "$work/consistency.json")
accepted=$(jsonq .ok < "$work/ingest.json")
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
# Every document: its directory's L0 and L1 and its file's L2; a parent below the scope root
# has its own L0 and L1 too.
parent_records=2
[ "$parent" = viking://resources ] && parent_records=0
[ "$ok" = true ] && [ "$expected" = $((docs * 3 + parent_records)) ] && [ "$accepted" = "$docs" ] ||
  { echo "incomplete: accepted $accepted, consistency $(cat "$work/consistency.json")" >&2; exit 1; }

queue_runs=()
for r in $(seq 1 "$rounds"); do
  mkdir -p "$work/q$r"
  queue_runs+=("$("$work/queue_vs_sqlite" "$build/plugins/queue_sqlite.so" "$work/q$r" 20000)")
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
raw=$(for j in "${queue_runs[@]}"; do echo "$j" | jsonq .raw_items_per_s; done | median)
queue=$(for j in "${queue_runs[@]}"; do echo "$j" | jsonq .queue_items_per_s; done | median)
ratio=$(for j in "${queue_runs[@]}"; do echo "$j" | jsonq .ratio; done | median)

awk -v d="$docs" -v parent="$parent" -v c="$clients" -v b="$doc_bytes" -v t0="$t0" -v t1="$t1" -v t2="$t2" \
    -v hwm="$hwm_kb" -v e="$expected" -v m="$missing" -v raw="$raw" -v q="$queue" -v ratio="$ratio" '
BEGIN {
  printf "documents %d of ~%d bytes under %s, %d clients, default plugins\n", d, b, parent, c
  printf "accepted (upload + add) in %.1f s: %.0f docs/s\n", t1 - t0, d / (t1 - t0)
  printf "end to end, until every L0/L1 and vector is stored: %.1f s: %.0f docs/s\n", t2 - t0, d / (t2 - t0)
  printf "vector records expected %d, missing %d\n", e, m
  printf "peak RSS (VmHWM) %.1f MB\n", hwm / 1024
  printf "queue: raw SQLite %d items/s, queue_sqlite %d items/s, raw/queue %.2fx (median of rounds)\n", raw, q, ratio
}'
