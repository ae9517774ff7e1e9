#!/usr/bin/env bash
# grep (regex, case, node_limit, level_limit, exclude_uri, a file as uri) and glob (`*`, `**`,
# absolute patterns), and tenancy: a marker stored by account A never shows for account B in
# grep, glob, tasks or observer output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config
start_daemon
wait_ready

MARK=QuokkaMarker7731
"$MAKE_ZIP" "$WORK/kb.zip" "kb/intro.md=# Intro
first line
the $MARK lives here
last line" "kb/docs/guide.md=# Guide
nothing special
lower ${MARK,,} in lower case" "kb/docs/deep/more/notes.txt=one
$MARK again
two" "kb/other.txt=no marker"
add_upload "$WORK/kb.zip" '"wait":true,"timeout":60' acct_a
assert_eq 200 "$(status)" "import for acct_a ($(cat "$WORK/body"))"
printf '# B notes\n\nAccount B has no marker.\n' > "$WORK/b.md"
add_upload "$WORK/b.md" '"wait":true,"timeout":60' acct_b
assert_eq 200 "$(status)" "import for acct_b"

ahttp acct_a POST /api/v1/search/grep "{\"uri\":\"viking://resources/kb\",\"pattern\":\"$MARK\"}" > /dev/null
assert_eq 200 "$(status)" "grep"
assert_eq 2 "$(jq_body .result.count)" "case-sensitive matches"
assert_eq viking://resources/kb/docs/deep/more/notes.txt "$(jq_body .result.matches[0].uri)" "first match (pre-order)"
assert_eq 2 "$(jq_body .result.matches[0].line)" "line number in notes.txt"
assert_eq "$MARK again" "$(jq_body .result.matches[0].content)" "matched line"
assert_eq viking://resources/kb/intro.md "$(jq_body .result.matches[1].uri)" "second match"
assert_eq 3 "$(jq_body .result.matches[1].line)" "line number in intro.md"
assert_eq 4 "$(jq_body .result.files_scanned)" "files scanned"
ahttp acct_a POST /api/v1/search/grep "{\"uri\":\"viking://resources/kb\",\"pattern\":\"$MARK\",\"case_insensitive\":true}" > /dev/null
assert_eq 3 "$(jq_body .result.count)" "case-insensitive matches"
ahttp acct_a POST /api/v1/search/grep "{\"uri\":\"viking://resources/kb\",\"pattern\":\"$MARK\",\"case_insensitive\":true,\"node_limit\":1}" > /dev/null
assert_eq 1 "$(jq_body .result.count)" "node_limit 1"
ahttp acct_a POST /api/v1/search/grep "{\"uri\":\"viking://resources/kb\",\"pattern\":\"$MARK\",\"exclude_uri\":\"viking://resources/kb/docs\"}" > /dev/null
assert_eq 1 "$(jq_body .result.count)" "exclude_uri"
ahttp acct_a POST /api/v1/search/grep "{\"uri\":\"viking://resources/kb\",\"pattern\":\"$MARK\",\"level_limit\":2}" > /dev/null
assert_eq 1 "$(jq_body .result.count)" "level_limit 2 (notes.txt is 4 levels down)"
ahttp acct_a POST /api/v1/search/grep "{\"uri\":\"viking://resources/kb/intro.md\",\"pattern\":\"^(first|last) line$\"}" > /dev/null
assert_eq 2 "$(jq_body .result.count)" "extended regex on one file"
ahttp acct_a POST /api/v1/search/grep '{"uri":"viking://resources/kb","pattern":"(unclosed"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "invalid regex"
ahttp acct_a POST /api/v1/search/grep '{"uri":"viking://resources/kb"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "grep without pattern"
ahttp acct_a POST /api/v1/search/grep '{"uri":"viking://resources/none","pattern":"x"}' > /dev/null
assert_error 404 NOT_FOUND "grep under a missing uri"
ok "grep: regex matches with line numbers, case_insensitive, node_limit, exclude_uri, level_limit, a file uri, errors"

assert_eq 2 "$(glob_count acct_a viking://resources/kb '**/*.md')" "**/*.md"
assert_eq 1 "$(glob_count acct_a viking://resources/kb '*.md')" "*.md (top level only)"
assert_eq 1 "$(glob_count acct_a viking://resources/kb '**/notes.txt')" "** spanning 3 segments"
assert_eq 1 "$(glob_count acct_a viking://resources/kb 'docs/**/more')" "a directory match"
assert_eq 2 "$(glob_count acct_a viking:// 'viking://resources/kb/**/*.md')" "absolute pattern"
ahttp acct_a POST /api/v1/search/glob '{"pattern":"**/*.md","uri":"viking://resources/kb","node_limit":1}' > /dev/null
assert_eq 1 "$(jq_body .result.count)" "glob node_limit"
ahttp acct_a POST /api/v1/search/glob '{"uri":"viking://resources/kb"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "glob without pattern"
ok "glob: *, ** across segments, directories, absolute patterns, node_limit, errors"

# Tenancy: account B sees none of A's marker, anywhere.
ahttp acct_b POST /api/v1/search/grep "{\"uri\":\"viking://\",\"pattern\":\"$MARK\",\"case_insensitive\":true}" > /dev/null
assert_eq 200 "$(status)" "grep as acct_b"
assert_eq 0 "$(jq_body .result.count)" "acct_b grep matches"
assert_eq 0 "$(glob_count acct_b viking:// '**/kb/**')" "acct_b glob of A's tree"
ahttp acct_b POST /api/v1/search/grep '{"uri":"viking://resources/kb","pattern":"x"}' > /dev/null
assert_error 404 NOT_FOUND "acct_b grep under A's uri"
for p in /api/v1/tasks /api/v1/observer/system /api/v1/observer/queue /api/v1/observer/vikingdb /api/v1/observer/models; do
  out=$(ahttp acct_b GET "$p")
  assert_eq 200 "$(status)" "acct_b GET $p"
  case "$out" in *"$MARK"*|*"${MARK,,}"*|*viking://resources/kb*) fail "acct_b sees A's data in $p: $out" ;; esac
done
ahttp acct_b POST /api/v1/system/wait '{"timeout":30}' > /dev/null
case "$(cat "$WORK/body")" in *kb*|*"$MARK"*) fail "acct_b sees A's data in system/wait" ;; esac
ahttp acct_a POST /api/v1/search/grep "{\"uri\":\"viking://\",\"pattern\":\"$MARK\"}" > /dev/null
assert_eq 2 "$(jq_body .result.count)" "acct_a still finds its marker from the root"
ok "tenancy: acct_b finds nothing of acct_a in grep, glob, tasks, observer, system/wait"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
