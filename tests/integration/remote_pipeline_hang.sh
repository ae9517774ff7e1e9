#!/usr/bin/env bash
# Issue 5 through the ingest path: with an embedding provider that never answers, documents are
# stored at once, /health keeps answering, every embedding job ends at its deadline and is retried
# later (never lost, never parked as dead for an outage, however many attempts it takes); once the
# provider answers again every job completes and the index is consistent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mock_provider/mock_lib.sh"
start_mock
mock_script '[{"mode":"hang","count":-1}]'
write_config
set_key server call_timeout 2
use_embed_openai
# The breaker opens after 5 failed calls; a short cool-down keeps the test short once it answers.
set_key embedding breaker_cooldown 1
start_daemon
wait_ready

for i in 1 2 3 4 5; do
  code=$(curl -s -o "$WORK/w$i.json" -w '%{http_code}' -X POST "$BASE/api/v1/content/write" \
    -d "{\"uri\":\"viking://resources/hang/doc$i.md\",\"content\":\"# Doc $i\\n\\nAbout topic $i.\\n\",\"mode\":\"create\"}")
  assert_eq 200 "$code" "write doc$i while the provider hangs"
done
ok "5 documents stored while the embedding provider hangs"

"$LOADGEN" --url "$BASE/health" --connections 8 --requests-per-conn 100 --max-seconds 20 \
  > "$WORK/load.json" || fail "not every /health answered: $(cat "$WORK/load.json")"
assert_eq 800 "$("$JSONQ" '.status.200' < "$WORK/load.json")" "/health answered 200"
ok "800 /health answered while embedding calls hang (p99 $("$JSONQ" .p99_ms < "$WORK/load.json") ms)"

# Wait for at least one embedding call to reach its 2 s deadline ([embedding] is plugins[0]).
for _ in $(seq 1 100); do
  curl -s "$BASE/api/v1/system/status" > "$WORK/status.json"
  f=$("$JSONQ" '.result.plugins[0].metrics.failures' < "$WORK/status.json" 2>/dev/null || echo 0)
  awk -v f="$f" 'BEGIN { exit !(f + 0 >= 1) }' && break
  sleep 0.1
done
awk -v f="$f" 'BEGIN { exit !(f + 0 >= 1) }' || fail "no embedding call failed by its deadline: $(cat "$WORK/status.json")"
# The embedding topic's line of the queue stats: pending + leased > 0 and dead 0.
line=$(tr '{' '\n' < "$WORK/status.json" | grep '"topic":"embedding"' || true)
[ -n "$line" ] || fail "no embedding job queued: $(cat "$WORK/status.json")"
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$line"; }
assert_eq 0 "$(num dead)" "dead embedding jobs while retries remain"
[ $(( $(num pending) + $(num leased) )) -ge 1 ] || fail "embedding jobs gone: $line"
ok "after a call hit its deadline the jobs are still queued (pending $(num pending), leased $(num leased)), none dead"

mock_reset
code=$(curl -s -o "$WORK/wait.json" -w '%{http_code}' -X POST "$BASE/api/v1/system/wait" -d '{"timeout":90}')
assert_eq 200 "$code" "system/wait once the provider answers: $(cat "$WORK/wait.json")"
curl -s -X POST "$BASE/api/v1/system/consistency" -d '{"uri":"viking://resources/hang"}' > "$WORK/c.json"
assert_eq true "$("$JSONQ" .result.ok < "$WORK/c.json")" "consistency ok: $(cat "$WORK/c.json")"
assert_eq 0 "$("$JSONQ" .result.missing_record_count < "$WORK/c.json")" "missing vector records"
ok "every job completed once the provider answered: $("$JSONQ" .result.expected_count < "$WORK/c.json") vector records, none missing"
finish
