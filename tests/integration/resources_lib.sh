# Helpers for the resources, tasks, search_text, observer and import tests; sourced after lib.sh.
INGEST="$SKALD_TOOLS_DIR/skald-ingest"
MAKE_ZIP="$SKALD_TOOLS_DIR/skald-make-zip"
CONN_COUNT="$SKALD_TOOLS_DIR/skald-conn-count"

# ahttp ACCOUNT METHOD PATH [BODY]: like http, as account ACCOUNT (dev mode identity header).
ahttp() {
  local account="$1" method="$2" path="$3" body="${4:-}"
  local args=(-s -o "$WORK/body" -w '%{http_code}' -X "$method" -H "X-OpenViking-Account: $account")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  curl "${args[@]}" "$BASE$path" > "$WORK/status" || echo 000 > "$WORK/status"
  cat "$WORK/body"
}
ahttp_code() { ahttp "$@" >/dev/null; cat "$WORK/status"; }

# upload FILE [ACCOUNT]: temp_upload of FILE; prints the temp_file_id (fails the test otherwise).
upload() {
  local file="$1" account="${2:-default}"
  curl -s -o "$WORK/body" -w '%{http_code}' -H "X-OpenViking-Account: $account" \
    -F "file=@$file" "$BASE/api/v1/resources/temp_upload" > "$WORK/status" || echo 000 > "$WORK/status"
  [ "$(status)" = 200 ] || fail "temp_upload of $file: HTTP $(status) $(cat "$WORK/body")"
  jq_body .result.temp_file_id
}

# add_upload FILE EXTRA_JSON [ACCOUNT]: upload + POST /api/v1/resources with temp_file_id and the
# extra fields (e.g. '"wait":true'); the answer is in $WORK/body, the status in $WORK/status.
add_upload() {
  local id extra="${2:-}"
  id=$(upload "$1" "${3:-default}")
  ahttp "${3:-default}" POST /api/v1/resources "{\"temp_file_id\":\"$id\"${extra:+,$extra}}" >/dev/null
}

# wait_queues [ACCOUNT]: POST /api/v1/system/wait with a generous timeout; must answer 200.
wait_queues() {
  ahttp "${1:-default}" POST /api/v1/system/wait '{"timeout":300}' >/dev/null
  [ "$(status)" = 200 ] || fail "system/wait: HTTP $(status) $(cat "$WORK/body")"
}

# json_len PATH: length of the array at PATH of the last body (small arrays).
json_len() {
  local i=0
  while "$JSONQ" "$1[$i]" < "$WORK/body" >/dev/null 2>&1; do i=$((i + 1)); done
  echo "$i"
}

# assert_error STATUS CODE WHAT: the last answer is that error envelope.
assert_error() {
  assert_eq "$1" "$(status)" "$3: HTTP status ($(cat "$WORK/body"))"
  assert_eq "$2" "$(jq_body .error.code)" "$3: error code"
}

# glob_count ACCOUNT URI PATTERN: how many URIs under URI match PATTERN.
glob_count() {
  ahttp "$1" POST /api/v1/search/glob "{\"uri\":\"$2\",\"pattern\":\"$3\",\"node_limit\":100000}" >/dev/null
  [ "$(status)" = 200 ] || fail "glob $3 under $2: HTTP $(status) $(cat "$WORK/body")"
  jq_body .result.count
}

# md_doc TITLE SECTIONS: a Markdown document with that many sections of ~600 bytes each.
md_doc() {
  local title="$1" n="$2" i
  printf '# %s\n\nThe %s document explains how the context store keeps its layers.\n' "$title" "$title"
  for i in $(seq 1 "$n"); do
    printf '\n## Part %d of %s\n\n' "$i" "$title"
    for _ in 1 2 3 4 5; do
      printf 'Section %d keeps notes about queues, leases, vectors and abstracts for agents. ' "$i"
      printf 'Every paragraph here is long enough to count toward the split threshold.\n'
    done
  done
}
