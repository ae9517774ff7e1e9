#!/usr/bin/env bash
# Zip members that escape the root ("../x", "/abs") or are symlinks: the import is refused and
# nothing at all is stored (no node, no task).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config
start_daemon
wait_ready

"$MAKE_ZIP" "$WORK/dotdot.zip" "pkg/ok.md=# fine" "pkg/../../escape.md=# escaped"
"$MAKE_ZIP" "$WORK/abs.zip" "ok.md=# fine" "/tmp/abs.md=# absolute"
"$MAKE_ZIP" "$WORK/link.zip" "ok.md=# fine" "passwd.md->/etc/passwd"
"$MAKE_ZIP" "$WORK/backslash.zip" "ok.md=# fine" '..\\evil.md=# backslash'
for z in dotdot abs link backslash; do
  add_upload "$WORK/$z.zip" "\"source_name\":\"$z.zip\""
  assert_error 400 INVALID_ARGUMENT "$z.zip"
done
assert_eq 0 "$(glob_count default viking://resources '**')" "nodes stored"
http GET /api/v1/tasks > /dev/null
assert_eq '[]' "$(jq_body .result)" "tasks after refused imports"
ok "zip members ../x, /abs, a symlink and a backslash path: 400, no node and no task stored"

"$MAKE_ZIP" "$WORK/good.zip" "good/a.md=# A" "good/b/c.md=# C"
add_upload "$WORK/good.zip" '"wait":true,"timeout":60'
assert_eq 200 "$(status)" "a clean zip after the refused ones ($(cat "$WORK/body"))"
assert_eq 2 "$(glob_count default viking://resources/good '**/*.md')" "clean zip files"
ok "a clean zip still imports"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
