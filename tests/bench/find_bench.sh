#!/usr/bin/env bash
# find benchmark for docs/performance.md: find latency p50/p99 and queries/s at 10k, 100k and 1M
# stored vectors (embed_hash, 512 dims) with 1, 8 and 64 concurrent clients, for the default
# configuration (hierarchical retrieval + rerank_lexical) and without [rerank] (flat), next to a
# brute-force scan of the same vectors in a tight C loop (built with vector_flat's own -O3) and
# FAISS IndexFlatIP from Debian's python3-faiss, in the same run. Then /health p99 idle and while
# 64 finds wait on an embedding backend that takes 500 ms. Vectors go straight into the plugin's
# file (find_bench_load), not through HTTP. Everything binds 127.0.0.1 and is stopped at exit.
# usage: tests/bench/find_bench.sh [BUILD_DIR]   (default: build)
#   BENCH_SIZES (10000 100000 1000000), BENCH_CLIENTS (1 8 64), BENCH_SECONDS (8 per cell),
#   BENCH_OUT (where the JSON lines go; default: a file in the temporary folder, printed at the end)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "${1:-build}")
# wrk, and python3-faiss for the FAISS row; a failed install only costs the rows that need it.
bash .ci/deps.sh bench || echo "note: .ci/deps.sh bench failed; rows needing a missing tool are skipped" >&2
[ -x "$build/host/skald" ] || { echo "build first: $build/host/skald missing" >&2; exit 1; }
sizes=${BENCH_SIZES:-10000 100000 1000000}
clients=${BENCH_CLIENTS:-1 8 64}
seconds=${BENCH_SECONDS:-8}
dims=512
query="how do queue leases expire and come back"
work=$(mktemp -d /tmp/skald-find-bench.XXXXXX)
out=${BENCH_OUT:-$work/results.jsonl}
loadgen="$build/tests/tools/skald-loadgen"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${BENCH_OUT:-}" ] || cp "$out" /tmp/skald-find-bench-results.jsonl 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
: > "$out"

cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Iabi tests/bench/find_bench_load.c \
  -o "$work/find_bench_load" -ldl -lm
# The same optimisation as vector_flat's scan (plugins/vector_flat/CMakeLists.txt). On this
# machine kind -march=native (AVX-512) made the loop twice slower, so it is not used.
cc -std=c11 -D_GNU_SOURCE -O3 -Wall -Wextra -Werror tests/bench/find_bench_scan.c \
  -o "$work/find_bench_scan" -lpthread
faiss_note=""
if ! /usr/bin/python3 -c 'import faiss, numpy' 2>/dev/null; then
  faiss_note="FAISS row skipped: python3-faiss could not be imported (see .ci/deps.sh bench)"
  echo "$faiss_note" >&2
fi

free_port() { "$build/tests/tools/skald-free-port"; }
row() { echo "$1" | tee -a "$out"; }

# skald_conf NAME PORT DATA_DIR RERANK(on|off) [EMBED_SECTION]: a configuration file.
skald_conf() {
  {
    printf '[server]\nlisten = 127.0.0.1:%s\ndata_dir = %s\nplugin_dir = %s\nlog_level = warn\n' \
      "$2" "$3" "$build/plugins"
    printf '%s\n' "${5:-[embedding]
plugin = embed_hash
dims = $dims}"
    printf '[vlm]\nplugin = vlm_extractive\n[vector]\nplugin = vector_flat\ndims = %s\n' "${6:-$dims}"
    printf '[queue]\nplugin = queue_sqlite\n'
    if [ "$4" = on ]; then printf '[rerank]\nplugin = rerank_lexical\n'; fi
  } > "$work/$1.ini"
}

# start NAME PORT: runs skald on $work/NAME.ini until /ready (loading 1M vectors takes a while).
start() {
  "$build/host/skald" -c "$work/$1.ini" 2>"$work/$1.log" &
  pids+=($!)
  daemon_pid=$!
  for _ in $(seq 1 1200); do
    curl -sf -o /dev/null "http://127.0.0.1:$2/ready" && return 0
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/$1.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "skald $1 not ready" >&2
  exit 1
}
stop() { kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; }

# requests PER_SECOND CLIENTS: requests per client for about $seconds at that rate (at least 3).
requests() { awk -v r="$1" -v c="$2" -v s="$seconds" 'BEGIN { n = int(r * s / c + 0.5); print (n < 3 ? 3 : n) }'; }

for n in $sizes; do
  data="$work/d$n"
  mkdir -p "$data"
  "$work/find_bench_load" "$build/plugins" "$data" "$n" "$dims" "$work/v.f32" "$work/q.f32" "$query"
  # Bare scan: a short calibration gives the rate that sizes every run to about $seconds.
  rate=$("$work/find_bench_scan" "$work/v.f32" "$n" "$dims" "$work/q.f32" 1 20 |
    sed 's/.*"qps":\([0-9.]*\).*/\1/')
  for c in $clients; do
    r=$("$work/find_bench_scan" "$work/v.f32" "$n" "$dims" "$work/q.f32" "$c" "$(requests "$rate" "$c")")
    row "{\"vectors\":$n,\"method\":\"scan\",\"clients\":$c,${r#\{}"
  done
  if [ -z "$faiss_note" ]; then
    /usr/bin/python3 tests/bench/find_bench_faiss.py "$work/v.f32" "$n" "$dims" "$work/q.f32" "$seconds" $clients |
      while read -r line; do row "{\"vectors\":$n,${line#\{}"; done
  fi
  rm -f "$work/v.f32"
  for mode in thinking quick; do
    port=$(free_port)
    skald_conf "$mode$n" "$port" "$data" "$([ "$mode" = thinking ] && echo on || echo off)"
    start "$mode$n" "$port"
    url="http://127.0.0.1:$port/api/v1/search/find"
    body="{\"query\":\"$query\"}"
    "$loadgen" --url "$url" --method POST --body "$body" --connections 1 --requests-per-conn 20 \
      --timeout-ms 120000 --max-seconds 300 > /dev/null
    for c in $clients; do
      t0=$(date +%s.%N)
      r=$("$loadgen" --url "$url" --method POST --body "$body" --connections "$c" \
        --requests-per-conn "$(requests "$rate" "$c")" --timeout-ms 120000 --max-seconds 600)
      t1=$(date +%s.%N)
      answered=$(echo "$r" | sed 's/.*"answered":\([0-9]*\).*/\1/')
      qps=$(awk -v a="$answered" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f", a / (t1 - t0) }')
      row "{\"vectors\":$n,\"method\":\"find_$mode\",\"clients\":$c,\"qps\":$qps,${r#\{}"
    done
    stop
  done
  rm -rf "$data"
done

# /health while 64 finds wait on a 500 ms embedding backend (an empty 8-dim store).
command -v wrk > /dev/null || { echo "wrk missing: no /health rows" >&2; exit 0; }
port=$(free_port)
skald_conf slow "$port" "$work/slow-data" off "[embedding]
plugin = test_embed_slow
dims = 8
delay_ms = 500" 8
# A worker per waiting find, as in http_bench.sh, so all 64 are inside the slow backend at once.
sed -i 's/^\[server\]$/[server]\nworkers = 64/' "$work/slow.ini"
start slow "$port"
health() { wrk -t2 -c16 -d"${seconds}s" --latency "http://127.0.0.1:$port/health" |
  awk '$1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } $1 == "Requests/sec:" { rps = $2 }
       END { printf "\"p50\":\"%s\",\"p99\":\"%s\",\"rps\":%s", p50, p99, rps }'; }
row "{\"method\":\"health_idle\",$(health)}"
"$loadgen" --url "http://127.0.0.1:$port/api/v1/search/find" --method POST --body "{\"query\":\"$query\"}" \
  --connections 64 --requests-per-conn 3 --timeout-ms 120000 --max-seconds 120 > "$work/slow-finds.json" &
finds=$!
sleep 1
row "{\"method\":\"health_64_slow_finds\",$(health)}"
wait "$finds" || true
row "{\"method\":\"slow_finds\",$(sed 's/^{//; s/}$//' "$work/slow-finds.json")}"
stop
[ -n "$faiss_note" ] && row "{\"note\":\"$faiss_note\"}"
echo "results: ${BENCH_OUT:-/tmp/skald-find-bench-results.jsonl}"
