#!/usr/bin/env bash
# GET /metrics: the Prometheus text format that promtool accepts, and counters that move as
# requests, plugin calls, reloads and session lane recoveries happen; [server] metrics = off
# hides it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/session_lib.sh"
command -v promtool >/dev/null || fail "promtool is not installed (Debian package prometheus; .ci/deps.sh installs it)"
SCRAPE="$WORK/metrics.txt"

scrape() {
  curl -s -o "$SCRAPE" -w '%{http_code} %{content_type}\n' "$BASE/metrics" > "$WORK/scrape_status" || true
  read -r code ctype < "$WORK/scrape_status"
  assert_eq 200 "$code" "/metrics status"
  promtool check metrics < "$SCRAPE" > "$WORK/promtool.out" 2>&1 || {
    cat "$WORK/promtool.out"; fail "promtool check metrics rejected the output"; }
}
# metric 'name{labels}': its value in the last scrape (0 when absent).
metric() {
  awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? 0 : v) }' "$SCRAPE"
}
# at_least A B what: A >= B (integers or decimals).
at_least() {
  python3 -c "import sys; sys.exit(0 if float('$1') >= float('$2') else 1)" || fail "$3: $1 < $2"
}

write_config
start_daemon
wait_ready
scrape
[[ "$ctype" == text/plain* ]] || fail "content type '$ctype'"
ok "/metrics is text/plain and passes promtool check metrics"

for f in skald_http_requests_total skald_http_request_duration_seconds skald_http_requests_in_flight \
         skald_queue_items skald_queue_oldest_pending_age_seconds skald_reloads_total \
         skald_config_generation skald_process_resident_memory_bytes skald_process_open_fds \
         skald_process_threads skald_process_uptime_seconds skald_worker_backlog \
         skald_session_lanes skald_session_lane_classifications_total \
         skald_session_lane_recoveries_requested_total skald_session_lane_recoveries_completed_total \
         skald_session_model_slots; do
  grep -q "^# TYPE $f " "$SCRAPE" || fail "no family $f"
done
grep -q '^# TYPE skald_http_request_duration_seconds histogram' "$SCRAPE" || fail "latency is not a histogram"
at_least "$(metric skald_process_resident_memory_bytes)" 1000000 "RSS"
at_least "$(metric skald_process_threads)" 4 "threads"
at_least "$(metric skald_process_open_fds)" 3 "open fds"
for st in idle busy long_running stalled stuck; do
  grep -q "^skald_session_lanes{state=\"$st\"} [0-9]" "$SCRAPE" || fail "no session lane state $st"
done
assert_eq 0 "$(metric 'skald_session_lane_classifications_total{class="stuck"}')" "stuck lanes at start"
grep -q '^# TYPE skald_session_lane_recoveries_completed_total counter' "$SCRAPE" || fail "recoveries are not a counter"
ok "HTTP, queue, reload, process and session lane families are there with plausible values"

ready0=$(metric 'skald_http_requests_total{route="/ready",code="200"}')
health0=$(metric 'skald_http_requests_total{route="/health",code="200"}')
missing0=$(metric 'skald_http_requests_total{route="unmatched",code="404"}')
count0=$(metric 'skald_http_request_duration_seconds_count{route="/ready"}')
for _ in 1 2 3 4 5; do
  http GET /ready >/dev/null; http GET /health >/dev/null; http GET /no/such/thing >/dev/null
done
scrape
assert_eq $((ready0 + 5)) "$(metric 'skald_http_requests_total{route="/ready",code="200"}')" "/ready 200 count"
assert_eq $((missing0 + 5)) "$(metric 'skald_http_requests_total{route="unmatched",code="404"}')" "404 count"
assert_eq $((count0 + 5)) "$(metric 'skald_http_request_duration_seconds_count{route="/ready"}')" "/ready histogram count"
at_least "$(metric 'skald_http_requests_total{route="/health",code="200"}')" $((health0 + 5)) "/health count"
ok "request counters and the latency histogram move by route and status"

embedded0=$(metric 'skald_plugin_texts_embedded_total{section="embedding",plugin="embed_hash"}')
http POST /api/v1/debug/embed '{"texts":["one","two","three"]}' >/dev/null
assert_eq 200 "$(status)" "embed"
scrape
assert_eq $((embedded0 + 3)) "$(metric 'skald_plugin_texts_embedded_total{section="embedding",plugin="embed_hash"}')" "plugin counter"
grep -q '^# TYPE skald_plugin_texts_embedded_total counter' "$SCRAPE" || fail "plugin counter has no counter TYPE"
ok "plugin counters (metric_add) appear as skald_plugin_<name>_total{section,plugin} and move"

# A document imported and processed: jobs counted by kind and outcome, queue depth by topic.
jobs0=$(metric 'skald_jobs_total{kind="embed",outcome="processed"}')
printf '# Notes\n\nMetrics count the work the pipeline does.\n' > "$WORK/notes.md"
curl -s -o "$WORK/body" -F "file=@$WORK/notes.md" "$BASE/api/v1/resources/temp_upload" >/dev/null
upload_id=$(jq_body .result.temp_file_id) || fail "temp_upload: $(cat "$WORK/body")"
http POST /api/v1/resources "{\"temp_file_id\":\"$upload_id\",\"wait\":true,\"timeout\":120}" >/dev/null
assert_eq 200 "$(status)" "import with wait ($(cat "$WORK/body"))"
scrape
at_least "$(metric 'skald_jobs_total{kind="embed",outcome="processed"}')" $((jobs0 + 1)) "embed jobs processed"
at_least "$(metric 'skald_jobs_total{kind="semantic",outcome="processed"}')" 1 "semantic jobs processed"
ok "jobs by kind and outcome move as a document is processed"

assert_eq 0 "$(metric 'skald_reloads_total{result="ok"}')" "reloads before"
assert_eq 1 "$(metric skald_config_generation)" "generation before"
set_key embedding dims 32
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 100); do scrape; [ "$(metric skald_config_generation)" = 2 ] && break; sleep 0.05; done
assert_eq 1 "$(metric 'skald_reloads_total{result="ok"}')" "reloads ok after SIGHUP"
assert_eq 2 "$(metric skald_config_generation)" "generation after SIGHUP"
set_key server workers 9
http POST /api/v1/system/reload >/dev/null
scrape
assert_eq 1 "$(metric 'skald_reloads_total{result="failed"}')" "failed reloads"
set_key server workers 4
ok "reloads by result and the current generation"

# A slow embedder keeps the next document's jobs in the queue: depth by topic and state shows them.
set_key embedding plugin test_embed_slow
set_key embedding delay_ms 1500
set_key embedding dims 64
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 100); do scrape; [ "$(metric skald_config_generation)" = 3 ] && break; sleep 0.05; done
assert_eq 3 "$(metric skald_config_generation)" "generation with the slow embedder"
printf '# Slow\n\nThese vectors take a while.\n' > "$WORK/slow.md"
curl -s -o "$WORK/body" -F "file=@$WORK/slow.md" "$BASE/api/v1/resources/temp_upload" >/dev/null
upload_id=$(jq_body .result.temp_file_id) || fail "temp_upload: $(cat "$WORK/body")"
http POST /api/v1/resources "{\"temp_file_id\":\"$upload_id\"}" >/dev/null
assert_eq 200 "$(status)" "import ($(cat "$WORK/body"))"
scrape
queued=$(awk '$1 ~ /^skald_queue_items\{topic="[^"]+",state="(pending|leased)"\}$/ { n += $2 } END { print n + 0 }' "$SCRAPE")
[ "$queued" -ge 1 ] || { grep '^skald_queue' "$SCRAPE"; fail "no pending or leased item in skald_queue_items"; }
ok "queue depth by topic and state: $queued items pending or leased while the embedder is slow"
http POST /api/v1/system/wait '{"timeout":120}' >/dev/null
assert_eq 200 "$(status)" "system/wait for the slow jobs"

# Session lanes: a lane held by an owner thread that is gone is classified stuck and released; a
# model call silent past the abort threshold is cancelled, and its run returns.
stop_daemon TERM
session_config "stuck_abort_ms = 1500
abort_settle_ms = 5000"
start_daemon
wait_ready
http POST /api/v1/debug/lanes/dead1/orphan '{}' > /dev/null
assert_eq 200 "$(status)" "debug orphan"
wait_counter released 1
scrape
at_least "$(metric 'skald_session_lane_classifications_total{class="stuck"}')" 1 "stuck classifications"
at_least "$(metric 'skald_session_lane_recoveries_requested_total{action="release_lane"}')" 1 "release requested"
at_least "$(metric 'skald_session_lane_recoveries_completed_total{action="release_lane",status="released"}')" 1 "release completed"
assert_eq 2 "$(metric 'skald_session_model_slots{state="max"}')" "model slots (max_extractions)"
ok "a stuck lane: counted as classified stuck, its release requested and completed"

add_msg stall1 "please HANG here"
T=$(commit stall1)
wait_counter aborted 1 20
for _ in $(seq 1 200); do
  scrape
  [ "$(metric 'skald_session_lane_recoveries_completed_total{action="abort",status="aborted"}')" -ge 1 ] && break
  sleep 0.05
done
at_least "$(metric 'skald_session_lane_classifications_total{class="stalled"}')" 1 "stalled classifications"
assert_eq 1 "$(metric 'skald_session_lane_recoveries_requested_total{action="abort"}')" "abort requested"
assert_eq 1 "$(metric 'skald_session_lane_recoveries_completed_total{action="abort",status="aborted"}')" "abort completed"
assert_eq 0 "$(metric 'skald_session_lane_recoveries_completed_total{action="abort",status="force_released"}')" "no force release"
http POST "/api/v1/tasks/$T/cancel" '{}' > /dev/null
ok "a stalled model call: counted stalled, its abort requested and completed when the call returned"

set_key server metrics off
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 100); do [ "$(http_code GET /metrics)" = 404 ] && break; sleep 0.05; done
assert_eq 404 "$(http_code GET /metrics)" "/metrics with metrics = off"
ok "metrics = off: /metrics answers 404"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
finish
