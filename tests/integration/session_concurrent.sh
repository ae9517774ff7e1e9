#!/usr/bin/env bash
# Five clients commit one session at the same time while four others keep adding messages to it:
# every commit is archived in its own archive_NNN, every message a client got a 200 for is stored
# exactly once (live or in one archive), none twice, and every accepted commit's task completes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
. "$(dirname "$0")/session_lib.sh"
session_config
start_daemon
wait_ready
S=conc
http POST /api/v1/sessions "{\"session_id\":\"$S\"}" > /dev/null
assert_eq 200 "$(status)" "create"

# appender K N: adds N messages with ids a{K}-{i}; records the ids answered 200.
appender() {
  for i in $(seq 1 "$2"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      --data-binary "{\"role\":\"user\",\"content\":\"message $i of writer $1 about the launch plan\",\"id\":\"a$1-$i\"}" \
      "$BASE/api/v1/sessions/$S/messages")
    [ "$code" = 200 ] && echo "a$1-$i" >> "$WORK/acked.$1"
  done
  return 0
}

# committer K N: N commits; records the task ids of the accepted ones.
committer() {
  for _ in $(seq 1 "$2"); do
    curl -s -X POST -H 'Content-Type: application/json' --data-binary '{}' \
      "$BASE/api/v1/sessions/$S/commit" >> "$WORK/commits.$1"
    echo >> "$WORK/commits.$1"
  done
  return 0
}

pids=()
for k in 1 2 3 4; do appender "$k" 60 & pids+=($!); done
for k in 1 2 3 4 5; do committer "$k" 8 & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
# Then five commits at exactly the same moment, and one last to archive what is left.
pids=()
for k in 6 7 8 9 10; do committer "$k" 1 & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
committer 11 1

cat "$WORK"/acked.* | sort > "$WORK/acked"
assert_eq 240 "$(wc -l < "$WORK/acked")" "messages answered 200"
cat "$WORK"/commits.* | python3 -c 'import json, sys
acc = sk = 0
for l in sys.stdin:
    if not l.strip(): continue
    r = json.loads(l)["result"]
    if r["status"] == "accepted":
        acc += 1
        print(r["task_id"], file=open(sys.argv[1], "a"))
    elif r["status"] == "skipped": sk += 1
    else: raise SystemExit("bad commit answer: " + l)
print(acc, sk)' "$WORK/tasks" > "$WORK/commit_counts"
read -r ACCEPTED SKIPPED < "$WORK/commit_counts"
[ "$ACCEPTED" -ge 2 ] || fail "only $ACCEPTED commits accepted"
for t in $(cat "$WORK/tasks"); do
  assert_eq completed "$(wait_task "$t" 60)" "task $t"
done
ok "$ACCEPTED commits accepted ($SKIPPED skipped: nothing new to archive) while 240 messages arrived; every task completed"

stored_ids "$S" | sort > "$WORK/stored"
assert_eq 0 "$(uniq -d < "$WORK/stored" | wc -l)" "messages stored twice ($(uniq -d < "$WORK/stored" | head -3))"
assert_eq "" "$(comm -23 "$WORK/acked" "$WORK/stored" | head -3)" "acknowledged messages missing"
assert_eq 240 "$(wc -l < "$WORK/stored")" "stored messages"
http GET "/api/v1/fs/ls?uri=viking://user/default/sessions/$S/history&simple=true" > /dev/null
assert_eq "$ACCEPTED" "$(json_len .result)" "one archive per accepted commit"
http GET "/api/v1/sessions/$S" > /dev/null
assert_eq "$ACCEPTED" "$(jq_body .result.commit_count)" "commit_count"
assert_eq 240 "$(jq_body .result.total_message_count)" "total_message_count"
ok "each of the 240 messages stored exactly once across live messages and $ACCEPTED archives"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit (sanitizer reports fail it)"
finish
