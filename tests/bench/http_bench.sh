#!/usr/bin/env bash
# HTTP benchmark for docs/performance.md: /health req/s and p50/p99 with wrk at 64, 256 and 512
# connections, for skald (idle, and while 64 requests each wait 500 ms on a slow backend), a
# minimal libmicrohttpd server in three polling modes, and nginx `return 200`. Also skald's idle
# RSS with all default plugins. Everything binds 127.0.0.1 and is stopped at exit.
# usage: tests/bench/http_bench.sh [BUILD_DIR]    (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "${1:-build}")
bash .ci/deps.sh bench
[ -x "$build/host/skald" ] || { echo "build first: $build/host/skald missing" >&2; exit 1; }
duration=${BENCH_SECONDS:-8}
work=$(mktemp -d /tmp/skald-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
free_port() { "$build/tests/tools/skald-free-port"; }
wait_http() { for _ in $(seq 1 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }

cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror tests/bench/mhd_minimal.c \
  $(pkg-config --cflags --libs libmicrohttpd) -o "$work/mhd_minimal"

# skald_conf NAME PORT WORKERS: a config on the default plugins.
skald_conf() {
  cat > "$work/$1.ini" <<INI
[server]
listen = 127.0.0.1:$2
data_dir = $work/$1-data
plugin_dir = $build/plugins
workers = $3
debug_routes = on
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
}

declare -A url
p=$(free_port); skald_conf default "$p" 4
"$build/host/skald" -c "$work/default.ini" 2>"$work/default.log" & pids+=($!); default_pid=$!
url[skald]="http://127.0.0.1:$p/health"
# The slow backend needs a worker per waiting request.
p=$(free_port); skald_conf slow "$p" 64
sed -i 's/^plugin = embed_hash$/plugin = test_embed_slow\ndelay_ms = 500/' "$work/slow.ini"
"$build/host/skald" -c "$work/slow.ini" 2>"$work/slow.log" & pids+=($!)
url[skald_slow]="http://127.0.0.1:$p/health"
slow_embed="http://127.0.0.1:$p/api/v1/debug/embed"
for mode in pool2 poll epoll1; do
  p=$(free_port); "$work/mhd_minimal" "$p" "$mode" & pids+=($!)
  url[mhd_$mode]="http://127.0.0.1:$p/health"
done
p=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$p;
    location /health { default_type application/json; return 200 '{"status":"ok","healthy":true,"version":"0.1.0","auth_mode":"dev"}'; }
  }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
url[nginx]="http://127.0.0.1:$p/health"
for k in "${!url[@]}"; do wait_http "${url[$k]}"; done
sleep 1
rss_idle_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$default_pid/status")

# to_ms VALUE: wrk prints latencies as 812.00us, 1.23ms or 1.02s.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
# run NAME CONNS: prints "req/s p50 p99"
run() {
  local out
  out=$(wrk -t2 -c"$2" -d"${duration}s" --latency --timeout 5s "${url[$1]}" 2>&1)
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  echo "$rps $p50 $p99"
}

# Rounds are interleaved and the median kept: client and servers share two cores, so one run of
# one server can be 30% off.
rounds=${BENCH_ROUNDS:-3}
declare -A all
for r in $(seq 1 "$rounds"); do
  for c in 64 256 512; do
    for k in skald skald_slow mhd_pool2 mhd_poll mhd_epoll1 nginx; do
      all[$k,$c]+="$(run "$k" "$c");"
    done
    # 64 clients each keep one request waiting 500 ms on the slow backend while wrk runs.
    "$build/tests/tools/skald-loadgen" --url "$slow_embed" --method POST --body '{"texts":["x"]}' \
      --connections 64 --requests-per-conn 1000 --max-seconds $((duration + 2)) > "$work/load-$c.json" &
    load=$!
    sleep 1
    all[skald_loaded,$c]+="$(run skald_slow "$c");"
    wait "$load" || true
  done
done
# median_of "a b c;a b c;...": the median of each column.
median_of() {
  local col out=""
  for col in 1 2 3; do
    out+="$(tr ';' '\n' <<<"$1" | awk -v c="$col" 'NF == 3 { print $c }' | sort -g |
      awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') "
  done
  echo "${out% }"
}
declare -A res
for key in "${!all[@]}"; do res[$key]=$(median_of "${all[$key]}"); done

rss_after_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$default_pid/status")

row() { # label key
  local line="| $1 "
  for c in 64 256 512; do
    read -r rps p50 p99 <<<"${res[$2,$c]}"
    line+="| ${rps:-0} | ${p50:-–} | ${p99:-–} "
  done
  echo "$line|"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }'; }
{
  echo "Run $(date -u +%Y-%m-%d) on $(nproc) cores, wrk -t2 -d${duration}s --latency, GET /health, keep-alive; median of $rounds interleaved rounds."
  echo
  echo "| server | 64 req/s | p50 ms | p99 ms | 256 req/s | p50 ms | p99 ms | 512 req/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  row "skald, idle (default plugins)" skald
  row "skald, idle (slow-backend config)" skald_slow
  row "skald, 64 requests waiting 500 ms on the backend" skald_loaded
  row "libmicrohttpd minimal, 2 epoll threads (skald's mode)" mhd_pool2
  row "libmicrohttpd minimal, 1 poll thread" mhd_poll
  row "libmicrohttpd minimal, 1 epoll thread" mhd_epoll1
  row "nginx 2 workers, return 200" nginx
  echo
  for c in 64 256 512; do
    read -r s _ _ <<<"${res[skald,$c]}"; read -r n _ _ <<<"${res[nginx,$c]}"
    read -r _ _ ip99 <<<"${res[skald_slow,$c]}"; read -r _ _ lp99 <<<"${res[skald_loaded,$c]}"
    echo "- $c connections: skald / nginx req/s = $(ratio "$s" "$n"); loaded / idle p99 = $(ratio "$lp99" "$ip99")"
  done
  mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
  echo "- skald idle RSS with all default plugins loaded, default config (4 workers), before any load: $(mb "$rss_idle_kb") MB"
  echo "- the same process after the runs above (512-connection buffers kept by the allocator): $(mb "$rss_after_kb") MB"
} | tee "$work/result.md"
