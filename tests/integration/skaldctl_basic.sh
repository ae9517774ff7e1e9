#!/usr/bin/env bash
# skaldctl against the real daemon: table and JSON output of a handful of commands, and the exit
# codes (1 for a server error such as a 404, 2 for a usage error, 3 when the server is down).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"

write_config
start_daemon
wait_ready
ctl_env

ctl health
assert_eq 0 "$RC" "health exit"
grep -qx 'healthy: true' "$WORK/out" || fail "health table: $(out)"
ctl -o json health
assert_eq true "$("$JSONQ" .healthy < "$WORK/out")" "health json"
ok "health: key: value lines in table output, the body in JSON"

ctl status
assert_eq 0 "$RC" "status exit"
grep -qx 'generation: 1' "$WORK/out" || fail "status table: $(out)"
ctl queue
assert_eq 0 "$RC" "queue exit"
head -n1 "$WORK/out" | grep -q '^topic  *pending  *leased  *dead$' || fail "queue header: $(out)"
ok "status and queue"

printf 'alpha beta\ngamma rotate keys\n' > "$WORK/k.md"
ctl write -f "$WORK/k.md" --mode create --wait viking://resources/ctl/k.md
assert_eq 0 "$RC" "write exit"
grep -qx 'semantic_status: complete' "$WORK/out" || fail "write --wait: $(out)"
printf 'more\n' | "$SKALDCTL_BIN" write viking://resources/ctl/k.md --mode append > /dev/null || fail "write from stdin"
ctl read viking://resources/ctl/k.md
assert_eq "$(printf 'alpha beta\ngamma rotate keys\nmore')" "$(out)" "read back"
ctl -o json read viking://resources/ctl/k.md
assert_eq '"alpha beta\ngamma rotate keys\nmore\n"' "$(out)" "read json: the result string as JSON"
ok "write from a file and stdin, read in table and JSON"

ctl mkdir viking://resources/ctl/sub
assert_eq 0 "$RC" "mkdir exit"
ctl ls viking://resources/ctl
assert_eq 0 "$RC" "ls exit"
assert_eq 3 "$(wc -l < "$WORK/out")" "ls: header and two rows"
head -n1 "$WORK/out" | grep -q '^uri  *isDir  *size  *modTime$' || fail "ls header: $(out)"
grep -q '^viking://resources/ctl/k.md  *false ' "$WORK/out" || fail "ls row: $(out)"
ctl -o json ls viking://resources/ctl
assert_eq 2 "$(grep -c '"uri": "viking://resources/ctl/' "$WORK/out")" "ls json: the server's two entries"
ctl tree viking://resources/
grep -q '^viking://resources/ctl/sub  *true ' "$WORK/out" || fail "tree: $(out)"
ctl stat viking://resources/ctl/k.md
grep -qx 'isDir: false' "$WORK/out" || fail "stat: $(out)"
ok "mkdir, ls (aligned columns and JSON), tree, stat"

ctl find "rotate keys" --limit 3
assert_eq 0 "$RC" "find exit"
grep -q '^resource  *[0-9.]*  *viking://resources/ctl/k.md ' "$WORK/out" || fail "find: $(out)"
ctl grep gamma viking://resources/ctl
grep -q '^viking://resources/ctl/k.md  *2  *gamma rotate keys$' "$WORK/out" || fail "grep: $(out)"
ctl glob '*.md' viking://resources/ctl
assert_eq viking://resources/ctl/k.md "$(out)" "glob"
ok "find, grep, glob"

ctl reindex viking://resources/ctl --mode vectors_only --wait
assert_eq 0 "$RC" "reindex exit"
grep -qx 'status: completed' "$WORK/out" || fail "reindex: $(out)"
ctl consistency viking://resources/ctl
grep -qx 'ok: true' "$WORK/out" || fail "consistency: $(out)"
ctl reindex viking://resources/ctl --mode bogus
assert_eq 1 "$RC" "reindex with a bad mode"
grep -q 'INVALID_ARGUMENT' "$WORK/err" || fail "bad mode error: $(cat "$WORK/err")"
ok "reindex, consistency; a 400 exits 1 with the envelope's code"

printf '# Notes\n\nrotate the keys monthly\n' > "$WORK/notes.md"
ctl add-resource "$WORK/notes.md" --to viking://resources/imported --wait
assert_eq 0 "$RC" "add-resource exit"
grep -qx 'root_uri: viking://resources/imported' "$WORK/out" || fail "add-resource: $(out)"
ctl read viking://resources/imported/notes.md
grep -q 'rotate the keys monthly' "$WORK/out" || fail "imported content: $(out)"
ctl add-resource "$WORK/no-such-file.md"
assert_eq 2 "$RC" "add-resource of a missing file"
ok "add-resource: temp_upload then import, with --to and --wait"

ctl -o json session new
SID=$("$JSONQ" .session_id < "$WORK/out")
ctl session add "$SID" user "hello there"
grep -qx 'message_count: 1' "$WORK/out" || fail "session add: $(out)"
ctl search "rotate keys" --session "$SID"
assert_eq 0 "$RC" "search exit"
grep -q '^resource  *[0-9.]*  *viking://resources/' "$WORK/out" || fail "search: $(out)"
ctl session list
grep -q "^$SID  " "$WORK/out" || fail "session list: $(out)"
ctl session commit "$SID"
grep -qx 'archived: true' "$WORK/out" || fail "session commit: $(out)"
ctl task list
grep -q '  session_commit  ' "$WORK/out" || fail "task list: $(out)"
ctl session delete "$SID"
ctl session show "$SID"
assert_eq 1 "$RC" "show of a deleted session"
ok "session new, add, list, commit, delete; task list"

ctl mv viking://resources/ctl/k.md viking://resources/ctl/m.md
assert_eq 0 "$RC" "mv exit"
ctl rm viking://resources/ctl
assert_eq 1 "$RC" "rm of a non-empty directory without -r"
ctl rm -r viking://resources/ctl
assert_eq 0 "$RC" "rm -r exit"
ctl stat viking://resources/ctl
assert_eq 1 "$RC" "stat of a removed node"
grep -q 'NOT_FOUND' "$WORK/err" || fail "404 error code not printed: $(cat "$WORK/err")"
ctl task show no-such-task
assert_eq 1 "$RC" "task show of an unknown id"
ok "mv, rm -r; a 404 exits 1 with the envelope's code"

ctl ls
assert_eq 2 "$RC" "ls without a URI"
ctl -o yaml health
assert_eq 2 "$RC" "bad -o"
ctl frobnicate
assert_eq 2 "$RC" "unknown command"
ctl ls --help
assert_eq 0 "$RC" "ls --help"
grep -q '^usage: skaldctl ls URI' "$WORK/out" || fail "ls --help: $(out)"
ok "usage errors exit 2; --help exits 0"

stop_daemon TERM
ctl health
assert_eq 3 "$RC" "server down"
ctl -u "http://127.0.0.1:$PORT/" ls viking://resources/
assert_eq 3 "$RC" "server down, trailing slash"
ok "server down exits 3"

# api_key mode: the key from -k, SKALD_API_KEY or the INI file; none is a server-side error.
write_config '[auth]
root_api_key = root-key-123
[keys]
alice = account=acme user=alice key=alice-key-123'
start_daemon
wait_ready
ctl ls viking://resources/
assert_eq 1 "$RC" "no key"
ctl -k alice-key-123 ls viking://resources/
assert_eq 0 "$RC" "key from -k"
SKALD_API_KEY=alice-key-123 ctl ls viking://resources/
assert_eq 0 "$RC" "key from SKALD_API_KEY"
mkdir -p "$WORK/xdg/skald"
printf '# defaults\n[client]\nurl = %s\napi_key = alice-key-123\n' "$BASE" > "$WORK/xdg/skald/skaldctl.ini"
(unset SKALD_URL; XDG_CONFIG_HOME="$WORK/xdg" ctl ls viking://resources/; assert_eq 0 "$RC" "url and key from the INI file")
printf 'url\n' > "$WORK/xdg/skald/skaldctl.ini"
XDG_CONFIG_HOME="$WORK/xdg" ctl health
assert_eq 2 "$RC" "a bad INI line"
ok "api_key mode: -k, SKALD_API_KEY and skaldctl.ini"
finish
