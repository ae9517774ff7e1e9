#!/usr/bin/env bash
# api_key mode: tasks are per (account, user); the root key may read the observer but not cancel
# (403) nor import; a user's grep/glob never reach another user's viking://user/{id} subtree.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config '[auth]
root_api_key = root-key-123
[keys]
alice = account=acme user=alice key=alice-key-123
bob = account=acme user=bob key=bob-key-123
carol = account=other user=carol key=carol-key-123'
start_daemon
wait_ready

# khttp KEY METHOD PATH [BODY]
khttp() {
  local key="$1" method="$2" path="$3" body="${4:-}"
  local args=(-s -o "$WORK/body" -w '%{http_code}' -X "$method" -H "X-API-Key: $key")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  curl "${args[@]}" "$BASE$path" > "$WORK/status" || echo 000 > "$WORK/status"
  cat "$WORK/body"
}
kupload() {
  curl -s -o "$WORK/body" -w '%{http_code}' -H "X-API-Key: $2" -F "file=@$1" \
    "$BASE/api/v1/resources/temp_upload" > "$WORK/status"
  [ "$(status)" = 200 ] || fail "upload: $(cat "$WORK/body")"
  jq_body .result.temp_file_id
}

printf '# Shared\n\nalice shares this.\n' > "$WORK/shared.md"
khttp alice-key-123 POST /api/v1/resources "{\"temp_file_id\":\"$(kupload "$WORK/shared.md" alice-key-123)\",\"source_name\":\"shared.md\"}" > /dev/null
assert_eq 200 "$(status)" "alice imports ($(cat "$WORK/body"))"
T=$(jq_body .result.task_id)
printf '# Private\n\nthe WombatSecret of bob.\n' > "$WORK/private.md"
khttp bob-key-123 POST /api/v1/resources "{\"temp_file_id\":\"$(kupload "$WORK/private.md" bob-key-123)\",\"to\":\"viking://user/bob/resources/private\",\"create_parent\":true,\"wait\":true,\"timeout\":60}" > /dev/null
assert_eq 200 "$(status)" "bob imports into his own space ($(cat "$WORK/body"))"
khttp alice-key-123 POST /api/v1/resources "{\"temp_file_id\":\"$(kupload "$WORK/shared.md" alice-key-123)\",\"to\":\"viking://user/bob/resources/x\"}" > /dev/null
assert_error 403 PERMISSION_DENIED "alice imports into bob's space"
khttp alice-key-123 POST /api/v1/system/wait '{"timeout":60}' > /dev/null
assert_eq 200 "$(status)" "system/wait as a user"
khttp root-key-123 POST /api/v1/system/wait '{"timeout":60}' > /dev/null
assert_eq 200 "$(status)" "system/wait as root"

khttp alice-key-123 GET "/api/v1/tasks/$T" > /dev/null
assert_eq completed "$(jq_body .result.status)" "alice's task"
khttp bob-key-123 GET "/api/v1/tasks/$T" > /dev/null
assert_error 404 NOT_FOUND "bob reads alice's task"
khttp carol-key-123 GET "/api/v1/tasks/$T" > /dev/null
assert_error 404 NOT_FOUND "carol reads alice's task"
khttp bob-key-123 GET /api/v1/tasks > /dev/null
assert_eq 1 "$(json_len .result)" "bob lists only his own task"
khttp root-key-123 POST "/api/v1/tasks/$T/cancel" '{}' > /dev/null
assert_error 403 PERMISSION_DENIED "root cancels"
khttp root-key-123 POST /api/v1/resources '{"path":"https://example.com/a.md"}' > /dev/null
assert_error 403 PERMISSION_DENIED "root imports"
khttp root-key-123 GET /api/v1/observer/system > /dev/null
assert_eq 200 "$(status)" "root reads the observer"
khttp nobody GET /api/v1/tasks > /dev/null
assert_error 401 UNAUTHENTICATED "unknown key"
ok "tasks per user (404 for another user or account), root: observer yes, cancel and import 403"

khttp bob-key-123 POST /api/v1/search/grep '{"uri":"viking://","pattern":"WombatSecret"}' > /dev/null
assert_eq 1 "$(jq_body .result.count)" "bob greps his own secret"
khttp alice-key-123 POST /api/v1/search/grep '{"uri":"viking://","pattern":"WombatSecret"}' > /dev/null
assert_eq 200 "$(status)" "alice greps the whole account"
assert_eq 0 "$(jq_body .result.count)" "alice sees bob's secret"
khttp alice-key-123 POST /api/v1/search/glob '{"uri":"viking://","pattern":"**/private*"}' > /dev/null
assert_eq 0 "$(jq_body .result.count)" "alice globs bob's files"
khttp alice-key-123 POST /api/v1/search/grep '{"uri":"viking://user/bob","pattern":"x"}' > /dev/null
assert_error 403 PERMISSION_DENIED "alice greps under bob's space"
khttp alice-key-123 POST /api/v1/search/glob '{"uri":"viking://","pattern":"**/shared*"}' > /dev/null
assert_eq 2 "$(jq_body .result.count)" "alice finds the shared resource (dir and file)"
ok "grep/glob: a user never sees another user's subtree (walked past, 403 when named)"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
