#!/usr/bin/env bash
# kill -9 while commits run their phase 1 under a stream of messages, and again while phase 2 is
# at the model: after each restart nothing that was acknowledged is lost, no message is stored
# twice, every archive ends with .done, and no memory is written twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
. "$(dirname "$0")/session_lib.sh"
session_config
start_daemon
wait_ready

# writer SESSION K N: N messages with ids {SESSION}-w{K}-{i}; records those answered 200.
writer() {
  for i in $(seq 1 "$3"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      --data-binary "{\"role\":\"user\",\"content\":\"note $i from $2 on the $1 rollout\",\"id\":\"$1-w$2-$i\"}" \
      "$BASE/api/v1/sessions/$1/messages" || true)
    [ "$code" = 200 ] && echo "$1-w$2-$i" >> "$WORK/acked.$1"
  done
  return 0
}

# committer SESSION N: N commits; records the task ids of those accepted.
committer() {
  for _ in $(seq 1 "$2"); do
    curl -s -X POST -H 'Content-Type: application/json' --data-binary '{}' \
      "$BASE/api/v1/sessions/$1/commit" 2>/dev/null | python3 -c 'import json, sys
try: r = json.load(sys.stdin)["result"]
except Exception: sys.exit(0)
if r.get("status") == "accepted": print(r["task_id"])' >> "$WORK/tasks" || true
    sleep 0.02
  done
  return 0
}

# all_tasks_end: every accepted commit's task completes (recovered ones included).
all_tasks_end() {
  for t in $(sort -u "$WORK/tasks"); do
    assert_eq completed "$(wait_task "$t" 90)" "task $t"
  done
}

# check_session S: acknowledged messages all stored, none twice, every archive done.
check_session() {
  stored_ids "$1" | sort > "$WORK/stored.$1"
  assert_eq 0 "$(uniq -d < "$WORK/stored.$1" | wc -l)" "$1: messages stored twice ($(uniq -d < "$WORK/stored.$1" | head -3))"
  sort "$WORK/acked.$1" > "$WORK/acked.sorted.$1"
  assert_eq "" "$(comm -23 "$WORK/acked.sorted.$1" "$WORK/stored.$1" | head -3)" "$1: acknowledged messages lost"
  http GET "/api/v1/fs/ls?uri=viking://user/default/sessions/$1/history&simple=true" > /dev/null
  for a in $(pyq '" ".join(b["result"])'); do
    http GET "/api/v1/fs/stat?uri=$a/.done" > /dev/null
    assert_eq 200 "$(status)" "$a has .done"
  done
}

# Phase 1 under load: three sessions, two writers and two committers each; kill -9 mid-stream.
SESSIONS="k1 k2 k3"
pids=()
for s in $SESSIONS; do
  for k in 1 2; do writer "$s" "$k" 80 & pids+=($!); committer "$s" 25 & pids+=($!); done
done
for _ in $(seq 1 600); do
  [ "$(cat "$WORK"/acked.* 2>/dev/null | wc -l)" -ge 150 ] && [ -s "$WORK/tasks" ] && break
  sleep 0.02
done
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
for p in "${pids[@]}"; do wait "$p"; done
BEFORE=$(cat "$WORK"/acked.* | wc -l)
start_daemon
wait_ready
for s in $SESSIONS; do committer "$s" 1; done
all_tasks_end
for s in $SESSIONS; do check_session "$s"; done
ok "kill -9 during phase 1 under load: $BEFORE acknowledged messages, none lost, none twice; $(sort -u "$WORK/tasks" | wc -l) commits complete"

# Phase 2 at the model: slow answers, kill -9 while a lane is in a model call.
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit (sanitizer reports fail it)"
set_key vlm delay_ms 400
start_daemon
wait_ready
: > "$WORK/tasks"
for s in p1 p2 p3; do
  writer "$s" 1 3
  add_msg "$s" "My name is Grace Hopper"
  add_msg "$s" "I prefer short meetings"
  committer "$s" 1
done
for _ in $(seq 1 200); do
  http GET /api/v1/observer/lock > /dev/null
  [ "$(pyq 'sum(1 for l in b["result"]["lanes"] if l["work_kind"] == "vlm_call")')" -ge 1 ] && break
  sleep 0.05
done
[ "$(pyq 'sum(1 for l in b["result"]["lanes"] if l["work_kind"] == "vlm_call")')" -ge 1 ] || fail "no lane at the model"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
start_daemon
all_tasks_end
for s in p1 p2 p3; do check_session "$s"; done
http GET '/api/v1/content/read?uri=viking://user/default/memories/profile/grace_hopper.md' > /dev/null
assert_eq 200 "$(status)" "profile memory"
assert_eq 1 "$(pyq 'b["result"].count("The user'"'"'s name is Grace Hopper")')" "the profile memory written once"
http GET '/api/v1/content/read?uri=viking://user/default/memories/preferences/short_meetings.md' > /dev/null
assert_eq 1 "$(pyq 'b["result"].count("The user prefers short meetings")')" "the preference written once"
http GET /ready > /dev/null
assert_eq ok "$(jq_body .checks.session_recovery)" "recovery over"
ok "kill -9 during phase 2: recovered commits complete, every archive .done, no memory written twice"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit (sanitizer reports fail it)"
finish
