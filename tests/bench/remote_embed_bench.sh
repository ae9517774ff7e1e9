#!/usr/bin/env bash
# Remote embedding throughput through the full ingest path (issue 5), for docs/performance.md.
# For each max_batch (1, 16, 64): documents are imported (temp_upload + POST /api/v1/resources,
# processing_mode vectors_only, so every job is an embedding job) while the mock provider holds
# every embedding call, so the jobs queue up durably; that daemon stops, the mock starts answering
# every call after 20 ms, and a new daemon on the same data dir drains the queue through
# embed_openai. texts/s = vector records stored / time from the second daemon's /ready to
# the end of POST /api/v1/system/wait. Ideal = max_batch x concurrency / 20 ms, where concurrency is
# the pipeline's threads (each keeps one embedding call in flight; the plugin's max_concurrent is
# above it), and the mock's highest in-flight count is shown beside it. Everything binds
# 127.0.0.1 and is stopped at exit.
# usage: tests/bench/remote_embed_bench.sh [BUILD_DIR]    (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "${1:-build}")
latency_ms=${BENCH_LATENCY_MS:-20}
pipeline_threads=4 # PIPELINE_THREADS in host/main.c
for t in host/skald tests/tools/skald-ingest tests/tools/skald-free-port tests/tools/skald-jsonq \
         tests/mock_provider/skald-mock-provider; do
  [ -x "$build/$t" ] || { echo "build first: $build/$t missing" >&2; exit 1; }
done
work=$(mktemp -d /tmp/skald-remote-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
jsonq() { "$build/tests/tools/skald-jsonq" "$@"; }
now() { date +%s.%N; }
wait_ready() {
  for _ in $(seq 1 400); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/ready")" = 200 ] && return 0
    sleep 0.05
  done
  echo "skald at $1 never became ready" >&2
  exit 1
}

"$build/tests/mock_provider/skald-mock-provider" --port-file "$work/mock.port" --dims 64 \
  --delay-ms "$latency_ms" > "$work/mock.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/mock.port" ] && break; sleep 0.05; done
mock="http://127.0.0.1:$(cat "$work/mock.port")"
script() { curl -sf -o /dev/null -X POST --data-binary "{\"steps\":$1}" "$mock/_script"; }

# run BATCH DOCS: prints "texts seconds texts_per_s ideal ratio calls max_in_flight"
run() {
  local batch=$1 docs=$2 port base dir="$work/b$1"
  port=$("$build/tests/tools/skald-free-port")
  base="http://127.0.0.1:$port"
  mkdir -p "$dir"
  cat > "$dir/skald.ini" <<INI
[server]
listen = 127.0.0.1:$port
data_dir = $dir/data
plugin_dir = $build/plugins
call_timeout = 60
shutdown_timeout = 1
[embedding]
plugin = embed_openai
base_url = $mock
model = bench
dimensions = 64
max_batch = $batch
max_concurrent = 8
timeout = 60
[vlm]
plugin = vlm_extractive
[vector]
plugin = vector_flat
dims = 64
[queue]
plugin = queue_sqlite
INI
  # Phase 1: the provider holds every call, so the imported work stays queued.
  script '[{"mode":"hang","count":-1}]'
  "$build/host/skald" -c "$dir/skald.ini" 2> "$dir/ingest.log" & local pid=$!
  wait_ready "$base"
  "$build/tests/tools/skald-ingest" --base "$base" --parent viking://resources/bench --prefix doc \
    --count "$docs" --clients 8 --size 2048 --processing-mode vectors_only > "$dir/ingest.json"
  kill -TERM "$pid"
  wait "$pid" || true
  # Phase 2: every call answered after the latency; a fresh daemon drains the queue.
  curl -sf -o /dev/null -X POST "$mock/_reset"
  local t0 t1
  "$build/host/skald" -c "$dir/skald.ini" 2> "$dir/drain.log" & pid=$!
  wait_ready "$base"
  t0=$(now)
  curl -sf -o "$dir/wait.json" -X POST "$base/api/v1/system/wait" -d '{"timeout":600}'
  t1=$(now)
  curl -sf -o "$dir/cons.json" -X POST "$base/api/v1/system/consistency" \
    -d '{"uri":"viking://resources/bench"}'
  local texts calls inflight
  texts=$(jsonq .result.expected_count < "$dir/cons.json")
  [ "$(jsonq .result.missing_record_count < "$dir/cons.json")" = 0 ] ||
    { echo "records missing after the drain: $(cat "$dir/cons.json")" >&2; exit 1; }
  curl -sf "$mock/_stats" > "$dir/stats.json"
  calls=$(jsonq .paths./embeddings < "$dir/stats.json")
  inflight=$(jsonq .max_in_flight < "$dir/stats.json")
  kill -TERM "$pid"
  wait "$pid" || true
  awk -v n="$texts" -v a="$t0" -v b="$t1" -v bt="$batch" -v c="$pipeline_threads" \
    -v l="$latency_ms" -v calls="$calls" -v f="$inflight" 'BEGIN {
      s = b - a; r = n / s; ideal = bt * c * 1000 / l
      printf "%d %.2f %.0f %.0f %.2f %d %d\n", n, s, r, ideal, r / ideal, calls, f }'
}

declare -A docs=([1]=${BENCH_DOCS_1:-1000} [16]=${BENCH_DOCS_16:-6000} [64]=${BENCH_DOCS_64:-20000})
{
  echo "Run $(date -u +%Y-%m-%d) on $(nproc) cores: mock provider answering every embedding call after ${latency_ms} ms, embed_openai, vlm_extractive, vector_flat, queue_sqlite; concurrency = $pipeline_threads pipeline threads (max_concurrent 8); vectors_only imports, so the drain is embedding work only."
  echo
  echo "| max_batch | documents | texts embedded | drain s | texts/s | ideal texts/s | ratio | embedding calls | most in flight |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for b in 1 16 64; do
    read -r texts secs rate ideal ratio calls inflight <<<"$(run "$b" "${docs[$b]}")"
    echo "| $b | ${docs[$b]} | $texts | $secs | $rate | $ideal | $ratio | $calls | $inflight |"
  done
}
