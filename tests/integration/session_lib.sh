# Helpers for the session and lane tests; sourced after lib.sh. The VLM is test_vlm_memory (rule
# extraction, a hang marker, a malformed marker); the lane watchdog ticks fast.

# session_config [extra ini]: the default config with the test VLM and fast [sessions] settings.
session_config() {
  write_config "[sessions]
watch_interval_ms = 100
stuck_warn_ms = 1000
${1:-}"
  set_key vlm plugin test_vlm_memory
}

# pyq EXPR: evaluates EXPR with `b` bound to the last response body (parsed JSON); prints it.
pyq() {
  python3 -c 'import json, sys
b = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if not isinstance(v, str) else v)' "$WORK/body" "$1"
}

# add_msg SESSION TEXT [ID]: one user message; fails the test unless 200.
add_msg() {
  local id=""
  [ -n "${3:-}" ] && id=",\"id\":\"$3\""
  http POST "/api/v1/sessions/$1/messages" "{\"role\":\"user\",\"content\":\"$2\"$id}" > /dev/null
  [ "$(status)" = 200 ] || fail "message to $1: HTTP $(status) $(cat "$WORK/body")"
}

# commit SESSION [BODY]: prints the task id of an accepted commit (fails otherwise).
commit() {
  http POST "/api/v1/sessions/$1/commit" "${2:-{\}}" > /dev/null
  [ "$(status)" = 200 ] || fail "commit of $1: HTTP $(status) $(cat "$WORK/body")"
  [ "$(jq_body .result.status)" = accepted ] || fail "commit of $1 not accepted: $(cat "$WORK/body")"
  jq_body .result.task_id
}

# task_status TASK: the task's status now.
task_status() {
  http GET "/api/v1/tasks/$1" > /dev/null
  jq_body .result.status
}

# wait_task TASK [SECONDS]: waits until the task has ended; prints its final status.
wait_task() {
  local s
  for _ in $(seq 1 $((${2:-30} * 20))); do
    s=$(task_status "$1")
    case "$s" in completed|failed|cancelled) echo "$s"; return 0 ;; esac
    sleep 0.05
  done
  fail "task $1 still $s after ${2:-30} s: $(cat "$WORK/body")"
}

# lanes_counter NAME: a counter of GET /api/v1/observer/lock.
lanes_counter() {
  http GET /api/v1/observer/lock > /dev/null
  jq_body ".result.counters.$1"
}

# wait_counter NAME MIN [SECONDS]: waits until the lane counter reaches MIN.
wait_counter() {
  for _ in $(seq 1 $((${3:-10} * 20))); do
    [ "$(lanes_counter "$1")" -ge "$2" ] && return 0
    sleep 0.05
  done
  fail "lane counter $1 below $2 after ${3:-10} s: $(cat "$WORK/body")"
}

# stored_ids SESSION: every message id stored in the session (live, then each archive), one a
# line, as read through the fs routes.
stored_ids() {
  local s="viking://user/default/sessions/$1"
  {
    http GET "/api/v1/content/read?uri=$s/messages.jsonl" > /dev/null
    [ "$(status)" = 200 ] && pyq 'b["result"]' | python3 -c 'import json, sys
for l in sys.stdin.read().splitlines():
    if l.strip(): print(json.loads(l)["id"])'
    http GET "/api/v1/fs/ls?uri=$s/history&simple=true&limit=100000" > /dev/null
    if [ "$(status)" = 200 ]; then
      for a in $(pyq '" ".join(b["result"])'); do
        http GET "/api/v1/content/read?uri=$a/messages.jsonl" > /dev/null
        pyq 'b["result"]' | python3 -c 'import json, sys
for l in sys.stdin.read().splitlines():
    if l.strip(): print(json.loads(l)["id"])'
      done
    fi
  }
}
