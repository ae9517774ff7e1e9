#!/usr/bin/env bash
# Observer components: system (all six, healthy), queue (the table rows), vikingdb (this
# account's record count), models (each model plugin with its metrics).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config
start_daemon
wait_ready

printf '# Observed\n\nA document for the observer.\n' > "$WORK/o.md"
add_upload "$WORK/o.md" '"wait":true,"timeout":60' acct_o
assert_eq 200 "$(status)" "import"

ahttp acct_o GET /api/v1/observer/system > /dev/null
assert_eq 200 "$(status)" "observer/system"
assert_eq true "$(jq_body .result.is_healthy)" "system healthy"
assert_eq '[]' "$(jq_body .result.errors)" "system errors"
for c in queue vikingdb models lock retrieval filesystem; do
  assert_eq "$c" "$(jq_body .result.components.$c.name)" "component $c"
  assert_eq true "$(jq_body .result.components.$c.is_healthy)" "$c healthy"
  assert_eq false "$(jq_body .result.components.$c.has_errors)" "$c has_errors"
done
ok "observer/system: six healthy components, no errors"

ahttp acct_o GET /api/v1/observer/queue > /dev/null
assert_eq queue "$(jq_body .result.name)" "queue component"
table=$(jq_body .result.status)
for word in Queue Pending "In Progress" Processed Requeued Errors Total Semantic Embedding Semantic-Nodes TOTAL; do
  case "$table" in *"$word"*) ;; *) fail "queue table lacks '$word': $table" ;; esac
done
# Processed counts the jobs this process finished: at least the import's one semantic job.
sem_processed=$(printf '%s\n' "$table" | awk '$1 == "Semantic" { print $4 }')
[ "${sem_processed:-0}" -ge 1 ] || fail "Semantic processed = '$sem_processed' in: $table"
ok "observer/queue: the table has every column and row; Semantic processed = $sem_processed"

ahttp acct_o GET /api/v1/observer/vikingdb > /dev/null
assert_eq vikingdb "$(jq_body .result.name)" "vikingdb component"
# dir L0 + L1 and the file's L2.
printf '%s\n' "$(jq_body .result.status)" | awk '$1 == "context" { exit !($4 == 3) }' ||
  fail "vikingdb record count is not 3: $(jq_body .result.status)"
ahttp nobody GET /api/v1/observer/vikingdb > /dev/null
printf '%s\n' "$(jq_body .result.status)" | awk '$1 == "context" { exit !($4 == 0) }' ||
  fail "another account sees records: $(jq_body .result.status)"
ok "observer/vikingdb: 3 records for the account, 0 for another"

ahttp acct_o GET /api/v1/observer/models > /dev/null
status_text=$(jq_body .result.status)
for p in embed_hash vlm_extractive rerank_lexical texts_embedded; do
  case "$status_text" in *"$p"*) ;; *) fail "models status lacks $p: $status_text" ;; esac
done
ok "observer/models: embedding, vlm and rerank plugins with their metrics"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
