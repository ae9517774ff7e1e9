#!/usr/bin/env bash
# Remote embedding throughput through the full ingest path (issue 5), for docs/performance.md.
# For each max_batch (1, 16, 64): documents are imported (temp_upload + POST /api/v1/resources,
# processing_mode vectors_only, so every job is an embedding job) while the mock provider holds
# every embedding call, so the jobs queue up durably; that daemon stops, the mock starts answering
# every call 20 ms after it was sent (--from-arrival: the mock's own JSON work inside the 20 ms),
# and a new daemon on the same data dir drains the queue through
# embed_openai. Two rates: whole drain = vector records stored / time from the second daemon's
# /ready to the end of POST /api/v1/system/wait (startup recovery's re-scan of the queued nodes
# runs inside it); steady state = the rate between 10 % and 90 % of the embedding jobs done,
# polled from /metrics every 100 ms (the target is judged on this one). Ideal = max_batch x
# concurrency / 20 ms, where concurrency = min(pipeline threads, the plugin's max_concurrent):
# each thread keeps at most one embedding call in flight. The mock's highest in-flight count is
# shown beside it. Everything binds 127.0.0.1 and is stopped at exit.
# usage: tests/bench/remote_embed_bench.sh [BUILD_DIR]    (default: build)
# BENCH_BATCHES="64" runs only those max_batch values; BENCH_THREADS sets [server]
# pipeline_threads (4); BENCH_MAX_CONCURRENT embed_openai's max_concurrent (8); BENCH_ENCODING
# its encoding_format (float); BENCH_KEEP=1 keeps the logs.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "${1:-build}")
latency_ms=${BENCH_LATENCY_MS:-20}
pipeline_threads=${BENCH_THREADS:-4} # [server] pipeline_threads, default 4
max_concurrent=${BENCH_MAX_CONCURRENT:-8} # embed_openai's in-flight limit
encoding=${BENCH_ENCODING:-float}          # embed_openai's encoding_format
# Calls in flight at most: one per pipeline thread, capped by the plugin's limit.
concurrency=$((pipeline_threads < max_concurrent ? pipeline_threads : max_concurrent))
for t in host/skald tests/tools/skald-ingest tests/tools/skald-free-port tests/tools/skald-jsonq \
         tests/mock_provider/skald-mock-provider; do
  [ -x "$build/$t" ] || { echo "build first: $build/$t missing" >&2; exit 1; }
done
work=$(mktemp -d /tmp/skald-remote-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
jsonq() { "$build/tests/tools/skald-jsonq" "$@"; }
now() { date +%s.%N; }
# poll_processed BASE OUT: appends "time processed_embed_jobs" every 100 ms until killed.
poll_processed() {
  while :; do
    curl -s "$1/metrics" | awk -v t="$(now)" \
      '/^skald_jobs_total\{kind="embed",outcome="processed"\}/ { print t, $2; fflush() }' >> "$2" ||
      true # not listening yet
    sleep 0.1
  done
}
wait_ready() {
  for _ in $(seq 1 400); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/ready")" = 200 ] && return 0
    sleep 0.05
  done
  echo "skald at $1 never became ready" >&2
  exit 1
}

"$build/tests/mock_provider/skald-mock-provider" --port-file "$work/mock.port" --dims 64 \
  --delay-ms "$latency_ms" --from-arrival 1 > "$work/mock.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/mock.port" ] && break; sleep 0.05; done
mock="http://127.0.0.1:$(cat "$work/mock.port")"
script() { curl -sf -o /dev/null -X POST --data-binary "{\"steps\":$1}" "$mock/_script"; }

# run BATCH DOCS: prints "texts seconds texts_per_s ideal ratio steady_texts_per_s steady_ratio
# calls max_in_flight"
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
${BENCH_THREADS:+pipeline_threads = $BENCH_THREADS}
[embedding]
plugin = embed_openai
base_url = $mock
model = bench
dimensions = 64
max_batch = $batch
max_concurrent = $max_concurrent
encoding_format = $encoding
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
  local t0 t1 poller
  "$build/host/skald" -c "$dir/skald.ini" 2> "$dir/drain.log" & pid=$!
  poll_processed "$base" "$dir/processed.txt" & poller=$!
  wait_ready "$base"
  t0=$(now)
  curl -sf -o "$dir/wait.json" -X POST "$base/api/v1/system/wait" -d '{"timeout":600}'
  t1=$(now)
  kill "$poller" 2>/dev/null || true
  wait "$poller" 2>/dev/null || true
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
  # Steady state: from the first sample at 10 % of the jobs to the first at 90 %, in texts (a
  # directory's job has two).
  awk -v n="$texts" -v a="$t0" -v b="$t1" -v bt="$batch" -v c="$concurrency" \
    -v l="$latency_ms" -v calls="$calls" -v f="$inflight" '
    { t[NR] = $1; v[NR] = $2 }
    END {
      total = v[NR]
      for (i = 1; i <= NR; i++) {
        if (!lo && v[i] >= 0.1 * total) lo = i
        if (!hi && v[i] >= 0.9 * total) hi = i
      }
      steady = hi > lo ? (v[hi] - v[lo]) / (t[hi] - t[lo]) * n / total : 0
      s = b - a; r = n / s; ideal = bt * c * 1000 / l
      printf "%d %.2f %.0f %.0f %.2f %.0f %.2f %d %d\n", n, s, r, ideal, r / ideal, steady,
        steady / ideal, calls, f }' "$dir/processed.txt"
}

declare -A docs=([1]=${BENCH_DOCS_1:-1000} [16]=${BENCH_DOCS_16:-6000} [64]=${BENCH_DOCS_64:-20000})
{
  echo "Run $(date -u +%Y-%m-%d) on $(nproc) cores: mock provider answering every embedding call after ${latency_ms} ms, embed_openai, vlm_extractive, vector_flat, queue_sqlite; concurrency = $concurrency calls in flight ($pipeline_threads pipeline threads, max_concurrent $max_concurrent), encoding_format $encoding; vectors_only imports, so the drain is embedding work only."
  echo
  echo "| max_batch | documents | texts embedded | drain s | whole drain texts/s | ratio | steady texts/s | ratio | ideal texts/s | embedding calls | most in flight |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for b in ${BENCH_BATCHES:-1 16 64}; do
    read -r texts secs rate ideal ratio steady sratio calls inflight <<<"$(run "$b" "${docs[$b]}")"
    echo "| $b | ${docs[$b]} | $texts | $secs | $rate | $ratio | $steady | $sratio | $ideal | $calls | $inflight |"
  done
}
