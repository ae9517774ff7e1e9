#!/usr/bin/env bash
# skaldctl against the real daemon, the commands skaldctl_basic leaves out and the long operations:
# --help of every command, add-resource of a directory (zipped client-side: relative paths kept,
# symlinks and special files skipped), abstract, overview, reload, lanes, queue, wait, task
# show/cancel, session show; the progress of add-resource --wait, wait and reindex --wait as a bar
# redrawn in place on a pseudo-terminal and as plain lines otherwise; exit codes 1, 2 and 3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

# A slow embedder (250 ms a call) keeps jobs queued long enough to watch them and to cancel.
write_config
set_key embedding plugin test_embed_slow
set_key embedding delay_ms 250
start_daemon
wait_ready
ctl_env

# on_tty COMMAND...: runs skaldctl on a pseudo-terminal (stdout and stderr both); the terminal's
# bytes go to $WORK/tty, the exit code to $RC.
on_tty() {
  local cmd
  printf -v cmd '%q ' "$SKALDCTL_BIN" "$@"
  set +e
  script -qec "$cmd" /dev/null > "$WORK/tty" 2>&1
  RC=$?
  set -e
}

COMMANDS="health status reload queue lanes wait task reindex consistency session ls tree stat read
abstract overview mkdir rm mv write add-resource find search grep glob"
ctl --help
assert_eq 0 "$RC" "skaldctl --help"
cp "$WORK/out" "$WORK/help"
for c in $COMMANDS; do
  grep -q "^  $c " "$WORK/help" || fail "skaldctl --help does not list $c: $(cat "$WORK/help")"
  ctl "$c" --help
  assert_eq 0 "$RC" "$c --help exit"
  grep -q "^usage: skaldctl $c" "$WORK/out" || fail "$c --help: $(out)"
done
assert_eq "$(echo $COMMANDS | wc -w)" "$(grep -c '^  [a-z][a-z-]* ' "$WORK/help" || true)" "every listed command tested"
ok "--help of skaldctl and of each of its $(echo $COMMANDS | wc -w) commands exits 0 with its usage"

# A directory: nested files keep their relative paths; a symlink, a FIFO and a hidden file are
# not sent.
mkdir -p "$WORK/kb/guides/deep" "$WORK/kb/empty"
printf '# Rotation\n\nRotate the signing keys every month.\n' > "$WORK/kb/rotation.md"
printf '# Backups\n\nBackups run nightly at two.\n' > "$WORK/kb/guides/backups.md"
printf 'Deep notes about the cluster.\n' > "$WORK/kb/guides/deep/notes.txt"
printf 'secret\n' > "$WORK/kb/.hidden.md"
ln -s /etc/hostname "$WORK/kb/link.md"
mkfifo "$WORK/kb/pipe"
ctl add-resource "$WORK/kb" --wait
assert_eq 0 "$RC" "add-resource of a directory ($(err))"
grep -qx 'root_uri: viking://resources/kb' "$WORK/out" || fail "directory root: $(out)"
grep -q "skipped $WORK/kb/link.md: a symbolic link" "$WORK/err" || fail "symlink note: $(err)"
grep -q "skipped $WORK/kb/pipe: not a regular file or directory" "$WORK/err" || fail "FIFO note: $(err)"
ctl glob '**' viking://resources/kb
assert_eq "viking://resources/kb/empty
viking://resources/kb/guides
viking://resources/kb/guides/backups.md
viking://resources/kb/guides/deep
viking://resources/kb/guides/deep/notes.txt
viking://resources/kb/rotation.md" "$(sort "$WORK/out")" "imported tree"
ctl read viking://resources/kb/guides/deep/notes.txt
assert_eq "Deep notes about the cluster." "$(out)" "nested file content"
ctl -o json tree viking://resources/kb
grep -q '"uri": "viking://resources/kb/empty"' "$WORK/out" || fail "the empty directory: $(out)"
ok "add-resource DIR --wait: zipped with relative paths (empty folders too), symlink, FIFO and hidden file left out"

ctl abstract viking://resources/kb
assert_eq 0 "$RC" "abstract exit"
[ -n "$(out)" ] || fail "empty abstract"
ctl overview viking://resources/kb/guides
assert_eq 0 "$RC" "overview exit"
grep -q 'backups.md' "$WORK/out" || fail "overview of guides: $(out)"
ctl -o json abstract viking://resources/kb/rotation.md
[[ "$(out)" == \"*\" ]] || fail "abstract json is not a JSON string: $(out)"
ctl abstract viking://resources/kb/nothing-here
assert_eq 1 "$RC" "abstract of a missing node"
grep -q NOT_FOUND "$WORK/err" || fail "abstract 404: $(err)"
ok "abstract and overview in table and JSON; a missing node exits 1"

ctl reload
assert_eq 0 "$RC" "reload exit"
grep -qx 'generation: 2' "$WORK/out" || fail "reload: $(out)"
ctl -o json status
assert_eq 2 "$("$JSONQ" .generation < "$WORK/out")" "status json after the reload"
ctl lanes
assert_eq 0 "$RC" "lanes exit"
grep -qx 'is_healthy: true' "$WORK/out" || fail "lanes: $(out)"
grep -q '^lanes: \[\]$' "$WORK/out" || fail "lanes list: $(out)"
ctl -o json lanes
assert_eq 0 "$("$JSONQ" .model_slots.busy < "$WORK/out")" "lanes json"
ctl -o json queue
"$JSONQ" .topics < "$WORK/out" > /dev/null || fail "queue json: $(out)"
ok "reload (generation 2), status JSON, lanes (table and JSON), queue JSON"

# Progress without a terminal: plain lines on stderr, only the result on stdout.
for i in 1 2 3 4 5 6; do printf '# Part %s\n\nText of part %s about rotation.\n' $i $i > "$WORK/kb/part$i.md"; done
ctl -o json add-resource "$WORK/kb" --to viking://resources/kb2 --wait
assert_eq 0 "$RC" "add-resource --wait, not on a terminal ($(err))"
assert_eq viking://resources/kb2 "$("$JSONQ" .root_uri < "$WORK/out")" "stdout is the JSON result alone"
grep -q '^skaldctl: [0-9]*/[0-9]* jobs done$' "$WORK/err" || fail "no plain progress line: $(err)"
if grep -q $'\r' "$WORK/err"; then fail "carriage returns without a terminal: $(err)"; fi
last=$(grep '^skaldctl: [0-9]*/[0-9]* jobs done$' "$WORK/err" | tail -n 1 | sed 's/^skaldctl: \([0-9]*\)\/\([0-9]*\).*/\1 \2/')
read -r d t <<< "$last"
[ "$t" -gt 0 ] && [ "$d" -gt 0 ] || fail "no job counted in the plain lines: $(err)"
ok "add-resource --wait without a terminal: plain lines ($d/$t jobs done at the end), JSON alone on stdout"

# Progress on a pseudo-terminal: a bar redrawn in place with \r, ending with every job done.
on_tty add-resource "$WORK/kb" --to viking://resources/kb3 --wait
assert_eq 0 "$RC" "add-resource --wait on a terminal ($(cat "$WORK/tty"))"
draws=$(grep -ao $'\r\[[#-]*\] [0-9]*/[0-9]* jobs' "$WORK/tty" | wc -l)
[ "$draws" -ge 2 ] || fail "the bar is not redrawn in place: $(od -c "$WORK/tty" | head -20)"
# The bar's last state: the import's jobs counted (other work may still be queued).
final=$(tr '\r' '\n' < "$WORK/tty" | grep -ao '^\[[#-]*\] [0-9]*/[0-9]* jobs' | tail -n 1)
[[ "$final" =~ ^\[[#-]{30}\]\ ([1-9][0-9]*)/[0-9]+\ jobs$ ]] || fail "no job counted on the bar: '$final'"
grep -aq 'root_uri: viking://resources/kb3' "$WORK/tty" || fail "result after the bar: $(cat "$WORK/tty")"
ok "add-resource --wait on a terminal: $draws draws of the bar, the last '$final'"

on_tty reindex viking://resources/kb3 --mode vectors_only --wait
assert_eq 0 "$RC" "reindex --wait on a terminal ($(cat "$WORK/tty"))"
grep -aq $'\r\[[#-]*\] [0-9]*/[0-9]* jobs' "$WORK/tty" || fail "no reindex bar: $(cat "$WORK/tty")"
grep -aq 'status: completed' "$WORK/tty" || fail "reindex result: $(cat "$WORK/tty")"
ok "reindex --wait on a terminal: the bar, then the result"

# Work queued without waiting, then wait: progress on the terminal and in plain lines.
ctl -o json add-resource "$WORK/kb" --to viking://resources/kb4
TASK=$("$JSONQ" .task_id < "$WORK/out") || fail "add-resource without --wait: $(out)"
on_tty wait --timeout 60
assert_eq 0 "$RC" "wait on a terminal ($(cat "$WORK/tty"))"
# wait ends with the queues idle, so its bar ends full: every job known is done.
final=$(tr '\r' '\n' < "$WORK/tty" | grep -ao '^\[[#-]*\] [0-9]*/[0-9]* jobs' | tail -n 1)
[[ "$final" =~ ^\[#{30}\]\ ([1-9][0-9]*)/([0-9]+)\ jobs$ ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] ||
  fail "the wait bar does not end full: '$final' in $(cat "$WORK/tty")"
ctl task show "$TASK"
assert_eq 0 "$RC" "task show exit"
grep -qx 'status: completed' "$WORK/out" || fail "task show: $(out)"
grep -qx 'task_type: add_resource' "$WORK/out" || fail "task show type: $(out)"
ctl -o json task show "$TASK"
assert_eq "$TASK" "$("$JSONQ" .task_id < "$WORK/out")" "task show json"
ctl -o json add-resource "$WORK/kb" --to viking://resources/kb5
ctl wait
assert_eq 0 "$RC" "wait, not on a terminal"
grep -q '^skaldctl: [0-9]*/[0-9]* jobs done$' "$WORK/err" || fail "no plain wait line: $(err)"
ok "wait: a bar on a terminal ending '$final', plain lines otherwise; task show of the finished import (table and JSON)"

# A task cancelled while its jobs wait on the slow embedder.
ctl -o json add-resource "$WORK/kb" --to viking://resources/kb6
TASK=$("$JSONQ" .task_id < "$WORK/out")
ctl task cancel "$TASK"
assert_eq 0 "$RC" "task cancel exit ($(err))"
grep -qx 'status: cancelled' "$WORK/out" || fail "task cancel: $(out)"
ctl task cancel "$TASK"
assert_eq 1 "$RC" "cancel of a cancelled task"
ctl task list
grep -q "^$TASK  *add_resource  *cancelled " "$WORK/out" || fail "task list: $(out)"
ok "task cancel of a running import, a second cancel exits 1, task list shows it"

ctl -o json session new
SID=$("$JSONQ" .session_id < "$WORK/out")
ctl session add "$SID" user "remember the rotation schedule"
ctl session show "$SID"
assert_eq 0 "$RC" "session show exit"
grep -qx "session_id: $SID" "$WORK/out" || fail "session show: $(out)"
grep -qx 'message_count: 1' "$WORK/out" || fail "session show count: $(out)"
ctl -o json session list
grep -q "\"session_id\": \"$SID\"" "$WORK/out" || fail "session list json: $(out)"
ctl session delete "$SID"
assert_eq 0 "$RC" "session delete"
ok "session show (table), session list (JSON), delete"

ctl session
assert_eq 2 "$RC" "session without a subcommand"
ctl task frob x
assert_eq 2 "$RC" "task with a bad subcommand"
ctl wait --timeout soon
assert_eq 2 "$RC" "wait with a bad timeout"
ctl add-resource "$WORK/kb" --to
assert_eq 2 "$RC" "--to without its argument"
ok "usage errors exit 2"

stop_daemon TERM
for cmd in "wait" "add-resource $WORK/kb --wait" "reindex viking://resources/kb --wait" "lanes" "reload" "session list"; do
  ctl $cmd
  assert_eq 3 "$RC" "$cmd with the server down"
  grep -q 'cannot reach' "$WORK/err" || fail "$cmd: $(err)"
done
ok "the server down: wait, add-resource, reindex, lanes, reload and session exit 3"
finish
