# Helpers for the fs_* and content_* integration tests, on top of lib.sh: requests as an account,
# GET/DELETE with URL-encoded query arguments, writing files, counting array entries.
. "$(dirname "$0")/lib.sh"

ACCOUNT="" # X-OpenViking-Account of the next requests; empty = none (the default account)

_curl() { # METHOD PATH [curl args...]: body to $WORK/body, status to $WORK/status
  local method="$1" path="$2"
  shift 2
  local hdr=()
  [ -n "$ACCOUNT" ] && hdr=(-H "X-OpenViking-Account: $ACCOUNT")
  curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" "${hdr[@]}" "$@" "$BASE$path" \
    > "$WORK/status" || echo 000 > "$WORK/status"
}

# post PATH JSON
post() { _curl POST "$1" -H 'Content-Type: application/json' --data-binary "$2"; }
# get PATH [name=value...]: values are URL-encoded, so they reach the server as written.
get() {
  local path="$1" args=()
  shift
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  _curl GET "$path" -G "${args[@]}"
}
# del PATH [name=value...]
del() {
  local path="$1" args=()
  shift
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  _curl DELETE "$path" -G "${args[@]}"
}

# expect STATUS [CODE] WHAT: the last response's HTTP status (and error code).
expect() {
  assert_eq "$1" "$(status)" "$3 (status; body $(cat "$WORK/body"))"
  if [ -n "$2" ]; then assert_eq "$2" "$(jq_body .error.code)" "$3 (error code)"; fi
}

# write_file URI JSON_STRING_BODY [MODE] [EXTRA_JSON_FIELDS]: content/write, must answer 200.
write_file() {
  local extra="${4:-}"
  post /api/v1/content/write "{\"uri\":\"$1\",\"content\":\"$2\",\"mode\":\"${3:-create}\"${extra:+,$extra}}"
  expect 200 "" "write $1"
}

# count PATH: number of elements of the array at PATH in the last body.
count() {
  local i=0
  while jq_body "$1[$i]" > /dev/null 2>&1; do i=$((i + 1)); done
  echo "$i"
}

# has_uri PATH URI: whether the array at PATH holds an entry (or string) with that uri.
has_uri() {
  local i=0 v
  while v=$(jq_body "$1[$i]" 2>/dev/null); do
    case "$v" in "$2" | *"\"uri\":\"$2\""*) return 0 ;; esac
    i=$((i + 1))
  done
  return 1
}

# vector_records URI: vector records under URI, as a prune_orphans dry run scans them.
vector_records() {
  post /api/v1/content/reindex "{\"uri\":\"$1\",\"mode\":\"prune_orphans\",\"dry_run\":true}"
  expect 200 "" "dry run on $1"
  jq_body .result.scanned_records
}

# start_store: the daemon with the default plugins, ready and with its context store open.
start_store() {
  write_config "${1:-}"
  start_daemon
  wait_ready
  for _ in $(seq 1 200); do
    get /api/v1/fs/ls uri=viking://
    [ "$(status)" = 200 ] && return 0
    sleep 0.05
  done
  fail "the context store did not open within 10 s: $(cat "$WORK/body")"
}

# stop_store: SIGTERM, and the daemon must exit 0 (under ASan: no leak, no error at exit).
stop_store() {
  stop_daemon TERM
  assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (daemon log: $(tail -n 20 "$LOG"))"
}
