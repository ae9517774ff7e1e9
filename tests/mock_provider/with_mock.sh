#!/usr/bin/env bash
# with_mock.sh MOCK_BIN COMMAND [ARG...]: starts skald-mock-provider on a free 127.0.0.1 port, runs
# COMMAND with every "@BASE_URL@" inside its arguments replaced by the mock's URL, stops the mock
# and exits with COMMAND's status. How the remote plugins go through skald-plugin-check.
set -euo pipefail
mock_bin="$1"
shift
dir=$(mktemp -d /tmp/skald-with-mock.XXXXXX)
"$mock_bin" --port-file "$dir/port" > "$dir/mock.log" 2>&1 &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  [ -s "$dir/port" ] && break
  kill -0 "$mock_pid" 2>/dev/null || { echo "FAIL mock provider did not start: $(cat "$dir/mock.log")"; exit 1; }
  sleep 0.05
done
[ -s "$dir/port" ] || { echo "FAIL mock provider published no port within 5 s"; exit 1; }
base_url="http://127.0.0.1:$(cat "$dir/port")"
args=()
for a in "$@"; do args+=("${a//@BASE_URL@/$base_url}"); done
set +e
"${args[@]}"
rc=$?
set -e
exit "$rc"
