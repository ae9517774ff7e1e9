# Helpers for the find_*, search_* and skills_* integration tests, sourced after lib.sh: requests
# as an account or with an API key, writing documents, and reading hits out of find answers.

AS_ACCOUNT=""  # X-OpenViking-Account of the next requests (dev mode); empty = none
AS_KEY=""      # X-API-Key of the next requests (api_key mode); empty = none

# req METHOD PATH [BODY]: the answer body to $WORK/body, its status to $WORK/status.
req() {
  local args=(-s -o "$WORK/body" -w '%{http_code}' -X "$1")
  [ -n "$AS_ACCOUNT" ] && args+=(-H "X-OpenViking-Account: $AS_ACCOUNT")
  [ -n "$AS_KEY" ] && args+=(-H "X-API-Key: $AS_KEY")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  curl "${args[@]}" "$BASE$2" > "$WORK/status" || echo 000 > "$WORK/status"
}

# expect STATUS [CODE] WHAT: the last answer's HTTP status (and error code).
expect() {
  assert_eq "$1" "$(status)" "$3 (status; body $(head -c 600 "$WORK/body"))"
  if [ -n "$2" ]; then assert_eq "$2" "$(jq_body .error.code)" "$3 (error code)"; fi
}

# put_doc URI TEXT: creates a file (TEXT is a JSON string body: no raw quotes or newlines).
put_doc() {
  req POST /api/v1/content/write "{\"uri\":\"$1\",\"content\":\"$2\",\"mode\":\"create\"}"
  expect 200 "" "write $1"
}

# drain: waits until the pipeline has processed everything.
drain() {
  req POST /api/v1/system/wait '{"timeout":120}'
  expect 200 "" "system/wait"
}

# find BODY / search BODY: POST /api/v1/search/find|search, must answer 200.
find() { req POST /api/v1/search/find "$1"; expect 200 "" "find $1"; }
search() { req POST /api/v1/search/search "$1"; expect 200 "" "search $1"; }

# py EXPR: evaluates a Python expression over r = the last answer's "result" and prints it.
py() {
  python3 -c "import json,sys
r=json.load(open(sys.argv[1])).get('result')
hits=[h for g in ('memories','resources','skills') for h in (r or {}).get(g,[])] if isinstance(r,dict) else []
v=$1
print(' '.join(map(str,v)) if isinstance(v,list) else v)" "$WORK/body"
}

# uris: the URIs of the last find's hits, best first, space-separated.
uris() { py "[h['uri'] for h in sorted(hits, key=lambda h: -h['score'])]"; }

# has HIT_URI / lacks HIT_URI WHAT: the last find's hits include / do not include it.
has() { case " $(uris) " in *" $1 "*) ;; *) fail "$2: $1 not among: $(uris)" ;; esac; }
lacks() { case " $(uris) " in *" $1 "*) fail "$2: $1 found among: $(uris)" ;; esac; }

# score_of HIT_URI: the score of that hit of the last find (empty when absent).
score_of() { py "next((h['score'] for h in hits if h['uri']=='$1'), '')"; }

# plugin_metric SECTION NAME: a plugin metric from system/status (0 when not reported yet).
plugin_metric() {
  local save_account="$AS_ACCOUNT" save_key="$AS_KEY"
  AS_ACCOUNT="" AS_KEY="${ROOT_KEY:-}"
  req GET /api/v1/system/status
  AS_ACCOUNT="$save_account" AS_KEY="$save_key"
  py "next((int(p['metrics'].get('$2',0)) for p in r['plugins'] if p['section']=='$1'), 0)"
}

# reload: POST /api/v1/system/reload after editing $CONF; must succeed.
reload() {
  local save_account="$AS_ACCOUNT" save_key="$AS_KEY"
  AS_ACCOUNT="" AS_KEY="${ROOT_KEY:-}"
  req POST /api/v1/system/reload
  AS_ACCOUNT="$save_account" AS_KEY="$save_key"
  expect 200 "" "reload"
}

# drop_section NAME: removes an INI section (and its keys) from $CONF.
drop_section() {
  awk -v s="[$1]" '$0 == s { skip = 1; next } /^\[/ { skip = 0 } !skip' "$CONF" > "$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
}
