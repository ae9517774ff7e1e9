# Helpers for integration tests that talk to skald-mock-provider; sourced after
# tests/integration/lib.sh (uses its WORK, JSONQ and fail). The mock's path comes from ctest's
# environment: SKALD_MOCK_PROVIDER.
: "${SKALD_MOCK_PROVIDER:?}"
MOCK_PID=""
MOCK_URL=""

# start_mock [mock args...]: starts the mock on a free port; sets MOCK_PID and MOCK_URL. lib.sh's
# cleanup stops it with the other background jobs.
start_mock() {
  rm -f "$WORK/mock.port"
  "$SKALD_MOCK_PROVIDER" --port-file "$WORK/mock.port" "$@" > "$WORK/mock.log" 2>&1 &
  MOCK_PID=$!
  for _ in $(seq 1 100); do
    if [ -s "$WORK/mock.port" ]; then
      MOCK_URL="http://127.0.0.1:$(cat "$WORK/mock.port")"
      return 0
    fi
    kill -0 "$MOCK_PID" 2>/dev/null || fail "mock provider exited: $(cat "$WORK/mock.log")"
    sleep 0.05
  done
  fail "mock provider published no port within 5 s"
}

# mock_script JSON_STEPS: replaces the mock's script, e.g. '[{"mode":"hang","count":-1}]'.
mock_script() {
  curl -sf -o /dev/null -X POST --data-binary "{\"steps\":$1}" "$MOCK_URL/_script" \
    || fail "mock refused script $1"
}

mock_reset() { curl -sf -o /dev/null -X POST "$MOCK_URL/_reset" || fail "mock reset failed"; }

# mock_stat PATH: one value of the mock's counters, e.g. mock_stat .requests
mock_stat() { curl -sf "$MOCK_URL/_stats" | "$JSONQ" "$1"; }

# use_embed_openai: makes $CONF's [embedding] section an embed_openai backend on the mock (64
# dimensions), dropping embed_hash's keys; set further keys with set_key afterwards.
use_embed_openai() {
  awk '
    /^\[/ { insec = ($0 == "[embedding]") }
    insec && $1 == "dims" { next }
    { print }' "$CONF" > "$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
  set_key embedding plugin embed_openai
  set_key embedding base_url "$MOCK_URL"
  set_key embedding model mock-model
  set_key embedding dimensions 64
}

# assert_num EXPECTED ACTUAL WHAT: numeric equality (status metrics are JSON reals, e.g. 2.0).
assert_num() {
  awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0) }' || fail "$3: expected $1, got '$2'"
}

# ms VALUE: a latency rounded to 2 decimals for messages.
ms() { printf '%.2f' "$1"; }
